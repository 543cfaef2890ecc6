// writeBatch: a recorder's flush, many runs' parts in one transaction under the caller's ids. What it stores reads
// back as the single-row calls would have stored it, it counts in the totals and insights as they would have
// counted, a retried batch stores nothing twice, and a bad batch writes nothing.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ExecutionStore, newExecutionId, newStepId, openExecutionStore } from '../src/index.js';
import type { BatchExecution, BatchStep, CountedRun, ExecutionStats, HistoryBatch, NewExecution, RunStep } from '../src/core/types.js';
import { forEachBackend } from './backends.js';
import { T0, newExecution, newRunStep, newStep, track } from './factories.js';
import { executeStatements, recountedRollupsOf, reopenableTarget, storedRollupsOf } from './rollup-rows.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The store's clock a day after T0, so that every rollup of the tests is recent. */
const NOW = T0 + DAY;

const NOTHING_WRITTEN = { executions: 0, steps: 0, updated: 0, counted: 0, missing: [] };
const NO_STATS: ExecutionStats = {
  total: 0, running: 0, success: 0, error: 0, successRate: null, avgDurationMs: null, minDurationMs: null,
  maxDurationMs: null, p50DurationMs: null, p95DurationMs: null, firstStartedAt: null, lastStartedAt: null,
};

/** Fault injection: the database itself refuses a step of node 'node-refused', whatever the store does before. */
const REFUSE_STEP = {
  sqlite: `CREATE TRIGGER refuse_step BEFORE INSERT ON execution_steps WHEN NEW.node_id = 'node-refused'
           BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
  postgres: `CREATE FUNCTION refuse_step() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$;
             CREATE TRIGGER refuse_step BEFORE INSERT ON execution_steps FOR EACH ROW WHEN (NEW.node_id = 'node-refused') EXECUTE FUNCTION refuse_step()`,
};
const ALLOW_STEP = { sqlite: 'DROP TRIGGER refuse_step', postgres: 'DROP TRIGGER refuse_step ON execution_steps' };

/** An execution as a batch carries it: its id, the caller's, holds its start. */
function batchExecution(overrides: Partial<NewExecution> = {}): BatchExecution {
  const execution = newExecution(overrides);
  return { ...execution, id: newExecutionId(execution.startedAt) };
}

/** A step as a batch carries it: its id, the caller's, holds its execution's start. */
function batchStep(executionId: string, overrides: Partial<RunStep> = {}): BatchStep {
  return { ...newStep(executionId, overrides), id: newStepId(executionId) };
}

/** The execution without the batch's id, as createExecution and recordExecution take it. */
function unnamed({ id: _, ...execution }: BatchExecution): NewExecution {
  return execution;
}

/** The step without ids, as recordExecution takes it. */
function runStepOf({ id: _, executionId: _executionId, ...step }: BatchStep): RunStep {
  return step;
}

/**
 * A morning of two workflows, as a recorder flushes it in three batches: the runs start (one already over), their
 * steps follow, then they end; two runs a save policy sampled out end as countedOnly, one of them (f) after its
 * running row and first step were stored, so that it carries only the step not stored. Every run starts at its own
 * time, so that lists ordered by start read the same anywhere.
 */
function morning() {
  const digest = { workflowId: 'wf-digest', workflowName: 'Nightly digest', triggerType: 'schedule', triggerData: { cron: '0 * * * *' } } as const;
  const query = { nodeId: 'query', nodeType: 'db_query', nodeName: 'Load orders', inputData: { table: 'orders' } };
  const email = { nodeId: 'email', nodeType: 'email', nodeName: 'Send digest', inputData: { to: 'team@example.test' } };
  const save = { nodeId: 'save', nodeType: 'db_query', nodeName: 'Save order', inputData: { table: 'orders' } };

  // Orders: a succeeds, b fails on its save, d is still running at the end (its save step too).
  const a = batchExecution({ startedAt: T0 });
  const b = batchExecution({ startedAt: T0 + 10 * MINUTE });
  const d = batchExecution({ startedAt: T0 + 20 * MINUTE });
  // Digests: c succeeds with a skipped email, f is stored running and ends sampled out, g is written already over.
  const c = batchExecution({ ...digest, startedAt: T0 + 70 * MINUTE });
  const f = batchExecution({ ...digest, startedAt: T0 + 80 * MINUTE });
  const g = batchExecution({ ...digest, startedAt: T0 + 90 * MINUTE, status: 'success', completedAt: T0 + 90 * MINUTE + 200 });

  const gSteps = [
    batchStep(g.id, { ...query, stepIndex: 0, startedAt: g.startedAt, status: 'success', completedAt: g.startedAt + 50 }),
    batchStep(g.id, { ...email, stepIndex: 1, startedAt: g.startedAt + 50, status: 'success', completedAt: g.startedAt + 200 }),
  ];
  const steps = [
    batchStep(a.id, { stepIndex: 0, startedAt: T0, status: 'success', completedAt: T0 + 120 }),
    batchStep(a.id, { ...save, stepIndex: 1, startedAt: T0 + 120, status: 'success', completedAt: T0 + 300 }),
    batchStep(b.id, { stepIndex: 0, startedAt: b.startedAt, status: 'success', completedAt: b.startedAt + 80 }),
    batchStep(b.id, { ...save, stepIndex: 1, startedAt: b.startedAt + 80, status: 'error', completedAt: b.startedAt + 500, errorMessage: 'Deadlock on row 17' }),
    batchStep(d.id, { stepIndex: 0, startedAt: d.startedAt, status: 'success', completedAt: d.startedAt + 90 }),
    batchStep(d.id, { ...save, stepIndex: 1, startedAt: d.startedAt + 90, status: 'running' }),
    batchStep(c.id, { ...query, stepIndex: 0, startedAt: c.startedAt, status: 'success', completedAt: c.startedAt + 150 }),
    batchStep(c.id, { ...email, stepIndex: 1, startedAt: c.startedAt + 150, status: 'skipped', completedAt: c.startedAt + 150 }),
    batchStep(f.id, { ...query, stepIndex: 0, startedAt: f.startedAt, status: 'success', completedAt: f.startedAt + 100 }),
  ];
  const updates = [
    { id: a.id, changes: { status: 'success', completedAt: T0 + 300 } },
    { id: b.id, changes: { status: 'error', completedAt: b.startedAt + 500, errorMessage: 'Deadlock on row 17' } },
    { id: c.id, changes: { status: 'success', completedAt: c.startedAt + 400 } },
  ] as const;

  const eStart = T0 + 30 * MINUTE;
  const e: CountedRun = {
    execution: newExecution({ startedAt: eStart, status: 'error', completedAt: eStart + 1000, errorMessage: 'HTTP 502 from "api.example.test"' }),
    steps: [newRunStep({ startedAt: eStart, status: 'error', completedAt: eStart + 1000, errorMessage: 'HTTP 502 from "api.example.test"' })],
  };
  const fEnd: CountedRun = {
    id: f.id,
    execution: { ...unnamed(f), status: 'error', completedAt: f.startedAt + 700, errorMessage: 'SMTP 421 from "mail.example.test"' },
    steps: [
      newRunStep({ ...email, stepIndex: 1, startedAt: f.startedAt + 100, status: 'error', completedAt: f.startedAt + 700, errorMessage: 'SMTP 421 from "mail.example.test"' }),
    ],
  };

  const batches: [HistoryBatch, HistoryBatch, HistoryBatch] = [
    { executions: [a, b, c, d, f, g], steps: gSteps },
    { steps },
    { updates: [...updates], countedOnly: [e, fEnd] },
  ];
  return { runs: { a, b, c, d, f, g }, gSteps, steps, updates, counted: { e, fEnd }, batches };
}

/** What a user reads of a store's history: the totals and every insight over the morning. */
async function everythingRead(store: ExecutionStore) {
  const range = { startedAfter: T0, startedBefore: T0 + 2 * HOUR };
  return {
    stats: await store.getExecutionStats(),
    summaries: await store.getWorkflowSummaries(),
    nodes: await store.getNodeStats(),
    hours: await store.getTimeline({ ...range, bucket: 'hour' }),
    // Minutes are counted from the stored rows, which lack the counted-only runs: those buckets say complete: false.
    minutes: await store.getTimeline({ ...range, bucket: 'minute' }),
    errors: await store.getErrorGroups(),
  };
}

forEachBackend((backend) => {
  describe('writeBatch', () => {
    it('stores executions and steps under the caller ids, whole, and answers what it wrote', async () => {
      const store = await backend.open();
      const running = batchExecution({ startedAt: T0 });
      const finished = batchExecution({ startedAt: T0 + MINUTE, status: 'success', completedAt: T0 + MINUTE + 40, metadata: { attempt: 1 } });
      const steps = [
        batchStep(running.id, { stepIndex: 0, status: 'success', completedAt: T0 + 25, outputData: { status: 200 } }),
        batchStep(finished.id, { stepIndex: 0, startedAt: finished.startedAt, status: 'success', completedAt: finished.startedAt + 30 }),
        batchStep(running.id, { nodeId: 'node-save', stepIndex: 1, startedAt: T0 + 25 }),
        batchStep(finished.id, { nodeId: 'node-notify', stepIndex: 1, startedAt: finished.startedAt + 30, status: 'skipped' }),
      ];

      expect(await store.writeBatch({ executions: [running, finished], steps })).toEqual({ ...NOTHING_WRITTEN, executions: 2, steps: 4 });
      expect(await store.getExecutionWithSteps(running.id)).toEqual({
        ...running,
        instanceId: store.instanceId,
        steps: [{ ...steps[0], durationMs: 25 }, steps[2]],
      });
      expect(await store.getExecutionWithSteps(finished.id)).toEqual({
        ...finished,
        instanceId: store.instanceId,
        durationMs: 40, // derived from completedAt, as createExecution derives it
        steps: [{ ...steps[1], durationMs: 30 }, steps[3]],
      });
      expect(await store.getExecutionStats()).toEqual({
        ...NO_STATS, total: 2, running: 1, success: 1, successRate: 1, avgDurationMs: 40, minDurationMs: 40, maxDurationMs: 40,
        p50DurationMs: 40, p95DurationMs: 40, firstStartedAt: T0, lastStartedAt: T0 + MINUTE,
      });
    });

    it('writes a backfill whose runs lie on many days at once (on PostgreSQL, days without a partition yet)', async () => {
      const store = await backend.open();
      // Twelve days a month back, each its own day: more than a write's retries, if every missing day cost one.
      const days = Array.from({ length: 12 }, (_, day) => T0 - (30 - day) * DAY);
      const runs = days.map((startedAt) => batchExecution({ startedAt, status: 'success', completedAt: startedAt + 50 }));
      const steps = runs.map((run) => batchStep(run.id, { startedAt: run.startedAt, status: 'success', completedAt: run.startedAt + 20 }));

      expect(await store.writeBatch({ executions: runs, steps })).toEqual({ ...NOTHING_WRITTEN, executions: 12, steps: 12 });
      expect((await store.queryExecutions({ orderDir: 'asc' })).map(({ id }) => id)).toEqual(runs.map(({ id }) => id));
      expect(await store.getExecutionWithSteps(runs[11]?.id as string)).toEqual({
        ...runs[11], durationMs: 50, instanceId: store.instanceId, steps: [{ ...steps[11], durationMs: 20 }],
      });
    });

    it('ends stored runs through updates as updateExecution does: durationMs derived, null clears a field', async () => {
      const store = await backend.open();
      const run = batchExecution({ startedAt: T0, metadata: { attempt: 1 } });
      const step = batchStep(run.id, { status: 'success', completedAt: T0 + 50 });
      await store.writeBatch({ executions: [run], steps: [step] });

      const written = await store.writeBatch({ updates: [{ id: run.id, changes: { status: 'error', completedAt: T0 + 80, errorMessage: 'Timed out', metadata: null } }] });

      expect(written).toEqual({ ...NOTHING_WRITTEN, updated: 1 });
      const { metadata: _, ...withoutMetadata } = run;
      expect(await store.getExecutionWithSteps(run.id)).toEqual({
        ...withoutMetadata,
        instanceId: store.instanceId,
        status: 'error',
        completedAt: T0 + 80,
        durationMs: 80,
        errorMessage: 'Timed out',
        steps: [{ ...step, durationMs: 50 }],
      });
    });

    it('writes nothing for an empty batch and answers zeros', async () => {
      const store = await backend.open();
      expect(await store.writeBatch({})).toEqual(NOTHING_WRITTEN);
      expect(await store.writeBatch({ executions: [], steps: [], updates: [], countedOnly: [] })).toEqual(NOTHING_WRITTEN);
      expect(await store.queryExecutions()).toEqual([]);
      expect(await store.getExecutionStats()).toEqual(NO_STATS);
    });

    it('stores each row once when a batch is written again, and leaves a row that changed since as it is', async () => {
      const store = await backend.open();
      const running = batchExecution({ startedAt: T0 });
      const finished = batchExecution({ startedAt: T0 + MINUTE, status: 'success', completedAt: T0 + MINUTE + 40 });
      const steps = [batchStep(running.id, { status: 'success', completedAt: T0 + 10 }), batchStep(finished.id, { startedAt: finished.startedAt })];
      const batch = { executions: [running, finished], steps };

      expect(await store.writeBatch(batch)).toEqual({ ...NOTHING_WRITTEN, executions: 2, steps: 2 });
      await store.writeBatch({ updates: [{ id: running.id, changes: { status: 'success', completedAt: T0 + 60 } }] });
      // A retry whose first answer was lost arrives after the run ended: it must not bring the run back to running.
      expect(await store.writeBatch(batch)).toEqual(NOTHING_WRITTEN);

      expect(await store.getExecutionWithSteps(running.id)).toEqual({
        ...running, instanceId: store.instanceId, status: 'success', completedAt: T0 + 60, durationMs: 60,
        steps: [{ ...steps[0], durationMs: 10 }],
      });
      expect(await store.getExecutionWithSteps(finished.id)).toEqual({ ...finished, instanceId: store.instanceId, durationMs: 40, steps: [steps[1]] });
      expect(await store.getExecutionStats()).toEqual({
        ...NO_STATS, total: 2, success: 2, successRate: 1, avgDurationMs: 50, minDurationMs: 40, maxDurationMs: 60,
        p50DurationMs: 40, p95DurationMs: 60, firstStartedAt: T0, lastStartedAt: T0 + MINUTE,
      });
    });

    it('keeps the rollup rows equal to a recount of the stored rows, every batch written twice', async () => {
      const target = await reopenableTarget(backend);
      const store = track(await openExecutionStore(target, { now: () => NOW }));
      const { batches: [starts, steps, ends] } = morning();
      // No countedOnly runs here: a recount of the stored rows cannot see them.
      for (const batch of [starts, steps, { updates: ends.updates }]) {
        await store.writeBatch(batch);
        await store.writeBatch(batch);
      }

      expect(await storedRollupsOf(target)).toEqual(await recountedRollupsOf(target));
      // a, b, c, d, f and g stored once each; d and f still running.
      expect(await store.getExecutionStats()).toEqual({
        ...NO_STATS, total: 6, running: 2, success: 3, error: 1, successRate: 0.75, avgDurationMs: 350, minDurationMs: 200,
        maxDurationMs: 500, p50DurationMs: 300, p95DurationMs: 500, firstStartedAt: T0, lastStartedAt: T0 + 90 * MINUTE,
      });
    });

    it('counts in the totals and insights exactly as the single-row calls count the same history', async () => {
      const { runs, gSteps, steps, updates, counted, batches } = morning();
      const store = await backend.open({ now: () => NOW });
      expect(await store.writeBatch(batches[0])).toEqual({ ...NOTHING_WRITTEN, executions: 6, steps: 2 });
      expect(await store.writeBatch(batches[1])).toEqual({ ...NOTHING_WRITTEN, steps: 9 });
      expect(await store.writeBatch(batches[2])).toEqual({ ...NOTHING_WRITTEN, updated: 3, counted: 2 });

      // The same history through createExecution, recordExecution, addSteps and updateExecution. A counted-only run
      // is what a run stored whole and then deleted is under outliveDeletes (the default): counted in the insights,
      // not stored. So e is recorded and deleted, and f, stored running with its first step, ends, gets its last
      // step and is deleted.
      const reference = await backend.open({ now: () => NOW });
      const batchIdOf = new Map<string, string>(); // the reference's ids, to be read as the batch store's
      for (const run of [runs.a, runs.b, runs.c, runs.d, runs.f]) batchIdOf.set(await reference.createExecution(unnamed(run)), run.id);
      batchIdOf.set((await reference.recordExecution(unnamed(runs.g), gSteps.map(runStepOf))).executionId, runs.g.id);
      const referenceIdOf = new Map([...batchIdOf].map(([referenceId, batchId]) => [batchId, referenceId]));
      const ofReference = (executionId: string) => referenceIdOf.get(executionId) as string;
      await reference.addSteps(steps.map((step) => ({ ...runStepOf(step), executionId: ofReference(step.executionId) })));
      for (const { id, changes } of updates) await reference.updateExecution(ofReference(id), changes);
      await reference.deleteExecution((await reference.recordExecution(counted.e.execution, counted.e.steps)).executionId);
      const { status, completedAt, errorMessage } = counted.fEnd.execution;
      await reference.updateExecution(ofReference(runs.f.id), { status, completedAt, errorMessage });
      await reference.addSteps(counted.fEnd.steps.map((step) => ({ ...step, executionId: ofReference(runs.f.id) })));
      await reference.deleteExecution(ofReference(runs.f.id));

      const renamed = (read: unknown) =>
        JSON.parse([...batchIdOf].reduce((text, [referenceId, batchId]) => text.replaceAll(referenceId, batchId), JSON.stringify(read)));
      const read = await everythingRead(store);
      expect(read).toEqual(renamed(await everythingRead(reference)));

      // What that means, in figures: the totals count the stored a, b, c, d and g only ...
      expect(read.stats).toEqual({
        ...NO_STATS, total: 5, running: 1, success: 3, error: 1, successRate: 0.75, avgDurationMs: 350, minDurationMs: 200,
        maxDurationMs: 500, p50DurationMs: 300, p95DurationMs: 500, firstStartedAt: T0, lastStartedAt: T0 + 90 * MINUTE,
      });
      // ... the insights the counted-only e and f too, f's stored first step once.
      expect(read.summaries.map(({ workflowId, lastRun, running, success, error }) => ({ workflowId, lastRun: lastRun?.executionId, running, success, error }))).toEqual([
        { workflowId: 'wf-digest', lastRun: runs.g.id, running: 0, success: 2, error: 1 },
        { workflowId: 'wf-orders', lastRun: runs.d.id, running: 1, success: 1, error: 2 },
      ]);
      const nodeCounts = read.nodes
        .map(({ workflowId, nodeId, runs: finished, success, error, skipped }) => ({ workflowId, nodeId, runs: finished, success, error, skipped }))
        .sort((x, y) => `${x.workflowId}/${x.nodeId}`.localeCompare(`${y.workflowId}/${y.nodeId}`));
      expect(nodeCounts).toEqual([
        { workflowId: 'wf-digest', nodeId: 'email', runs: 3, success: 1, error: 1, skipped: 1 },
        { workflowId: 'wf-digest', nodeId: 'query', runs: 3, success: 3, error: 0, skipped: 0 },
        { workflowId: 'wf-orders', nodeId: 'node-http', runs: 4, success: 3, error: 1, skipped: 0 },
        { workflowId: 'wf-orders', nodeId: 'save', runs: 2, success: 1, error: 1, skipped: 0 },
      ]);
      // Error groups name stored executions, so only b's failure is one.
      expect(read.errors.map(({ pattern, count, exampleExecutionIds }) => ({ pattern, count, exampleExecutionIds }))).toEqual([
        { pattern: 'Deadlock on row <n>', count: 1, exampleExecutionIds: [runs.b.id] },
      ]);
    });

    it('replaces the running row of a countedOnly run with an id: row and steps go, the stored steps stay counted, the run counts once', async () => {
      const store = await backend.open({ now: () => NOW });
      const run = batchExecution({ startedAt: T0 });
      // Its first step failed and the run went on (a node set to continue on error): stored while the run ran.
      const fetched = batchStep(run.id, { stepIndex: 0, status: 'error', completedAt: T0 + 10, errorMessage: 'HTTP 503, retrying elsewhere' });
      await store.writeBatch({ executions: [run], steps: [fetched] });

      // The run ends sampled out: counted from its execution, its stored step and the step not stored.
      const saved = newRunStep({ nodeId: 'save', nodeType: 'db_query', nodeName: 'Save order', stepIndex: 1, startedAt: T0 + 10, status: 'success', completedAt: T0 + 30 });
      const written = await store.writeBatch({
        countedOnly: [{ id: run.id, execution: { ...unnamed(run), status: 'success', completedAt: T0 + 30 }, steps: [saved] }],
      });

      expect(written).toEqual({ ...NOTHING_WRITTEN, counted: 1 });
      expect(await store.getExecutionWithSteps(run.id)).toBeNull();
      expect(await store.getStepsForExecution(run.id)).toEqual([]);
      expect(await store.getExecutionStats()).toEqual(NO_STATS);
      // Each node once, with its maximum and last error, as one recorded run gives them. Durations below 58 ms, where
      // the percentiles are exact.
      const node = { workflowId: 'wf-orders', runs: 1, success: 0, error: 0, skipped: 0 };
      expect(await store.getNodeStats({ sortBy: 'p95' })).toEqual([
        { ...node, nodeId: 'save', nodeType: 'db_query', nodeName: 'Save order', success: 1, errorRate: 0, avgDurationMs: 20,
          p50DurationMs: 20, p95DurationMs: 20, maxDurationMs: 20, lastError: null },
        { ...node, nodeId: 'node-http', nodeType: 'http_request', nodeName: 'Fetch order', error: 1, errorRate: 1, avgDurationMs: 10,
          p50DurationMs: 10, p95DurationMs: 10, maxDurationMs: 10, lastError: { message: 'HTTP 503, retrying elsewhere', at: T0 + 10 } },
      ]);
      expect(await store.getWorkflowSummaries()).toEqual([
        { workflowId: 'wf-orders', workflowName: 'Sync orders', lastRun: null, runs: 1, running: 0, success: 1, error: 0, successRate: 1, avgDurationMs: 30, p95DurationMs: 30 },
      ]);
      expect(await store.getTimeline({ startedAfter: T0, startedBefore: T0 + HOUR, bucket: 'hour' })).toEqual([
        { start: T0, end: T0 + HOUR, total: 1, running: 0, success: 1, error: 0, avgDurationMs: 30, p95DurationMs: 30, complete: true },
      ]);
    });

    it('counts a countedOnly run without an id again when its batch is written again: nothing marks it as written', async () => {
      const store = await backend.open({ now: () => NOW });
      const batch = { countedOnly: [{ execution: newExecution({ status: 'success', completedAt: T0 + 20 }), steps: [] }] };
      expect(await store.writeBatch(batch)).toEqual({ ...NOTHING_WRITTEN, counted: 1 });
      expect(await store.writeBatch(batch)).toEqual({ ...NOTHING_WRITTEN, counted: 1 });
      expect(await store.getWorkflowSummaries()).toEqual([
        { workflowId: 'wf-orders', workflowName: 'Sync orders', lastRun: null, runs: 2, running: 0, success: 2, error: 0, successRate: 1, avgDurationMs: 20, p95DurationMs: 20 },
      ]);
      expect(await store.getExecutionStats()).toEqual(NO_STATS);
    });

    it('leaves out the steps and updates of executions that are not stored, lists those, and writes the rest', async () => {
      const store = await backend.open();
      const stored = batchExecution({ startedAt: T0 });
      const deleted = batchExecution({ startedAt: T0 + MINUTE });
      await store.writeBatch({ executions: [stored, deleted] });
      await store.deleteExecution(deleted.id); // as retention may, between two flushes
      const neverWritten = newExecutionId(T0 + 2 * MINUTE);
      const fresh = batchExecution({ startedAt: T0 + 3 * MINUTE });
      const storedStep = batchStep(stored.id, { status: 'success', completedAt: T0 + 10 });
      const freshStep = batchStep(fresh.id, { startedAt: fresh.startedAt });

      const written = await store.writeBatch({
        executions: [fresh],
        steps: [batchStep(deleted.id, { startedAt: deleted.startedAt }), storedStep, batchStep(neverWritten, { startedAt: T0 + 2 * MINUTE }), freshStep],
        updates: [
          { id: neverWritten, changes: { status: 'success', completedAt: T0 + 2 * MINUTE + 5 } },
          { id: stored.id, changes: { status: 'success', completedAt: T0 + 20 } },
        ],
      });

      // Each missing execution listed once; their order is not promised.
      expect({ ...written, missing: [...written.missing].sort() }).toEqual({
        executions: 1, steps: 2, updated: 1, counted: 0, missing: [deleted.id, neverWritten].sort(),
      });
      expect(await store.getExecutionWithSteps(stored.id)).toEqual({
        ...stored, instanceId: store.instanceId, status: 'success', completedAt: T0 + 20, durationMs: 20, steps: [{ ...storedStep, durationMs: 10 }],
      });
      expect(await store.getExecutionWithSteps(fresh.id)).toEqual({ ...fresh, instanceId: store.instanceId, steps: [freshStep] });
      expect(await store.getExecutionWithSteps(deleted.id)).toBeNull();
      expect(await store.getExecutionWithSteps(neverWritten)).toBeNull();
      expect(await store.getStepsForExecution(deleted.id)).toEqual([]);
      expect(await store.getStepsForExecution(neverWritten)).toEqual([]);
    });

    it('rejects a batch with one bad item, naming it, and writes nothing of the rest', async () => {
      const store = await backend.open({ now: () => NOW });
      const first = batchExecution({ startedAt: T0 });
      const second = batchExecution({ startedAt: T0 + MINUTE });
      const goodCounted: CountedRun = { execution: newExecution({ status: 'success', completedAt: T0 + 5 }), steps: [newRunStep({ status: 'success', completedAt: T0 + 5 })] };
      const good: HistoryBatch = {
        executions: [first, second],
        steps: [batchStep(first.id, { status: 'success', completedAt: T0 + 10 }), batchStep(second.id, { stepIndex: 0, startedAt: second.startedAt })],
        updates: [],
        countedOnly: [goodCounted],
      };
      const withExecution = (execution: unknown): HistoryBatch => ({ ...good, executions: [first, execution as BatchExecution] });
      const withStep = (step: unknown): HistoryBatch => ({ ...good, steps: [good.steps?.[0] as BatchStep, step as BatchStep] });
      const cases: [string, HistoryBatch][] = [
        // Ids must hold when their run started: on PostgreSQL they choose the day partition the rows live and go in.
        ['executions[1].id', withExecution({ ...second, id: newExecutionId(T0) })],
        ['executions[1].id', withExecution({ ...second, id: randomUUID() })],
        ['steps[1].id', withStep({ ...batchStep(second.id, { startedAt: second.startedAt }), id: newExecutionId(T0 + HOUR) })],
        ['steps[1].id', withStep({ ...batchStep(second.id, { startedAt: second.startedAt }), id: randomUUID() })],
        // A run counted without being stored is counted when it ends; a running one would never end.
        ['countedOnly[0].execution.status', { ...good, countedOnly: [{ ...goodCounted, execution: newExecution() }] }],
        // Every field as createExecution, addStep and updateExecution check it.
        ['executions[1].status', withExecution({ ...second, status: 'done' })],
        ['steps[1].stepIndex', withStep({ ...batchStep(second.id, { startedAt: second.startedAt }), stepIndex: -1 })],
        ['updates[0].changes.status', { ...good, updates: [{ id: first.id, changes: { status: 'done' } as never }] }],
        ['countedOnly[0].steps[0].nodeId', { ...good, countedOnly: [{ ...goodCounted, steps: [newRunStep({ nodeId: '' })] }] }],
      ];

      for (const [item, batch] of cases) {
        await expect(store.writeBatch(batch), item).rejects.toMatchObject({
          name: 'ExecutionStoreError',
          code: 'VALIDATION',
          message: expect.stringContaining(`writeBatch: invalid input: ${item}: `),
        });
        expect(await store.getExecutionWithSteps(first.id), item).toBeNull();
        expect(await store.getExecutionStats(), item).toEqual(NO_STATS);
        expect(await store.getWorkflowSummaries(), item).toEqual([]);
        expect(await store.getNodeStats(), item).toEqual([]);
      }
      // The same batch without the bad item is written whole.
      expect(await store.writeBatch(good)).toEqual({ ...NOTHING_WRITTEN, executions: 2, steps: 2, counted: 1 });
    });

    it('writes nothing of a batch when the database refuses one of its rows, and the retry writes it whole', async () => {
      const target = await reopenableTarget(backend);
      const store = track(await openExecutionStore(target, { now: () => NOW }));
      await executeStatements(target, REFUSE_STEP[backend.name]);
      const first = batchExecution({ startedAt: T0, status: 'success', completedAt: T0 + 30 });
      const second = batchExecution({ startedAt: T0 + MINUTE });
      const batch: HistoryBatch = {
        executions: [first, second],
        steps: [
          batchStep(first.id, { status: 'success', completedAt: T0 + 30 }),
          batchStep(second.id, { startedAt: second.startedAt, status: 'success', completedAt: second.startedAt + 5 }),
          batchStep(second.id, { nodeId: 'node-refused', stepIndex: 1, startedAt: second.startedAt + 5 }),
        ],
        countedOnly: [{ execution: newExecution({ startedAt: T0 + 2 * MINUTE, status: 'error', completedAt: T0 + 2 * MINUTE + 9 }), steps: [] }],
      };

      await expect(store.writeBatch(batch)).rejects.toMatchObject({ name: 'ExecutionStoreError', code: 'DATABASE' });
      expect(await store.queryExecutions()).toEqual([]);
      expect(await store.getExecutionWithSteps(first.id)).toBeNull();
      expect(await store.getExecutionStats()).toEqual(NO_STATS);
      expect(await store.getWorkflowSummaries()).toEqual([]);
      expect(await store.getNodeStats()).toEqual([]);
      expect(await storedRollupsOf(target)).toEqual(await recountedRollupsOf(target));

      await executeStatements(target, ALLOW_STEP[backend.name]);
      expect(await store.writeBatch(batch)).toEqual({ ...NOTHING_WRITTEN, executions: 2, steps: 3, counted: 1 });
      expect(await store.getExecutionWithSteps(first.id)).toEqual({
        ...first, instanceId: store.instanceId, durationMs: 30, steps: [{ ...batch.steps?.[0], durationMs: 30 }],
      });
    });
  });
});
