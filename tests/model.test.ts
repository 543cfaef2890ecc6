// Property-based: random sequences of API calls run against the store and against a plain in-memory model of what
// the store promises; every answer the model can give must match the store's, after every call and at the end. Run on
// every backend (SQLite: 300 sequences of up to 60 calls; PostgreSQL, a database per sequence: 20 of up to 30).
// Insights do not outlive deletes here, so after every sequence the totals and rollups must also equal a recount of
// the stored rows (tests/rollup-rows.ts reads both the same way on both backends).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExecutionStore, openExecutionStore } from '../src/index.js';
import { INTERRUPTED_EXECUTION_MESSAGE, INTERRUPTED_STEP_MESSAGE } from '../src/core/interrupted.js';
import type { ExecutionQuery, ExecutionStats, ExecutionStep, ExecutionWithSteps, WorkflowExecution } from '../src/core/types.js';
import { forEachBackend, type TestBackend } from './backends.js';
import { tempDir } from './factories.js';
import { clonePostgresDatabase, dropPostgresDatabase } from './postgres/test-database.js';
import { recountedRollupsOf, storedRollupsOf } from './rollup-rows.js';

const NOW = 2000;
const WORKFLOWS = ['wf-a', 'wf-b', 'wf-c'] as const;
const TRIGGERS = ['webhook', 'schedule', 'manual'] as const;

interface Model {
  executions: Map<string, WorkflowExecution>;
  steps: Map<string, ExecutionStep>;
}
interface Real {
  store: ExecutionStore;
}
type Command = fc.AsyncCommand<Model, Real>;

/** Drops undefined and null fields: the store returns absent optional fields, never null. */
function present<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined && field !== null)) as T;
}

function withDuration<T extends { startedAt: number; completedAt?: number; durationMs?: number }>(row: T): T {
  return row.completedAt !== undefined && row.durationMs === undefined ? { ...row, durationMs: row.completedAt - row.startedAt } : row;
}

const sortedIds = (map: Map<string, unknown>) => [...map.keys()].sort();
const pick = (map: Map<string, unknown>, index: number) => sortedIds(map)[index % map.size] as string;
const stepsOf = (model: Model, executionId: string) =>
  [...model.steps.values()]
    .filter((step) => step.executionId === executionId)
    .sort((a, b) => a.stepIndex - b.stepIndex || (a.id < b.id ? -1 : 1));

function deleteWithSteps(model: Model, id: string) {
  model.executions.delete(id);
  for (const step of [...model.steps.values()]) if (step.executionId === id) model.steps.delete(step.id);
}

function modelQuery(model: Model, query: ExecutionQuery): WorkflowExecution[] {
  const { orderBy = 'started_at', orderDir = 'desc', limit = 50, offset = 0 } = query;
  const key = (row: WorkflowExecution) => (orderBy === 'started_at' ? row.startedAt : (row.durationMs ?? -1));
  const sign = orderDir === 'asc' ? 1 : -1;
  return [...model.executions.values()]
    .filter((row) => query.workflowId === undefined || row.workflowId === query.workflowId)
    .filter((row) => query.status === undefined || row.status === query.status)
    .filter((row) => query.triggerType === undefined || row.triggerType === query.triggerType)
    .filter((row) => query.startedAfter === undefined || row.startedAt >= query.startedAfter)
    .filter((row) => query.startedBefore === undefined || row.startedAt < query.startedBefore)
    .sort((a, b) => sign * (key(a) - key(b) || (a.id < b.id ? -1 : 1)))
    .slice(offset, offset + limit);
}

function modelStats(model: Model, query: ExecutionQuery = {}): ExecutionStats {
  const rows = modelQuery(model, { ...query, limit: Number.MAX_SAFE_INTEGER, offset: 0 });
  const count = (status: string) => rows.filter((row) => row.status === status).length;
  const durations = rows.flatMap((row) => (row.durationMs === undefined ? [] : [row.durationMs])).sort((a, b) => a - b);
  const rank = (percent: number) => durations[Math.max(1, Math.ceil((percent * durations.length) / 100)) - 1] ?? null;
  const starts = rows.map((row) => row.startedAt);
  const finished = count('success') + count('error');
  return {
    total: rows.length,
    running: count('running'),
    success: count('success'),
    error: count('error'),
    successRate: finished === 0 ? null : count('success') / finished,
    avgDurationMs: durations.length === 0 ? null : durations.reduce((sum, value) => sum + value, 0) / durations.length,
    minDurationMs: durations[0] ?? null,
    maxDurationMs: durations.at(-1) ?? null,
    p50DurationMs: rank(50),
    p95DurationMs: rank(95),
    firstStartedAt: starts.length === 0 ? null : Math.min(...starts),
    lastStartedAt: starts.length === 0 ? null : Math.max(...starts),
  };
}

function modelWithSteps(model: Model, id: string): ExecutionWithSteps | null {
  const execution = model.executions.get(id);
  return execution === undefined ? null : { ...execution, steps: stepsOf(model, id) };
}

// Arbitraries: values the store accepts, in small ranges so that ties, filters and retention all get exercised.
const time = fc.integer({ min: 0, max: 1200 });
const payload = fc.option(fc.record({ n: fc.integer(), tag: fc.constantFrom('a', 'b') }), { nil: undefined });
const finishedOrNot = fc.oneof(
  fc.record({ status: fc.constant('running' as const) }),
  fc.record({ status: fc.constantFrom('success' as const, 'error' as const), took: fc.option(fc.nat(300), { nil: undefined }) }),
);
const newExecution = fc.record({
  workflowId: fc.constantFrom(...WORKFLOWS),
  triggerType: fc.constantFrom(...TRIGGERS),
  startedAt: time,
  end: finishedOrNot,
  triggerData: payload,
  errorMessage: fc.option(fc.constantFrom('boom', 'HTTP 500'), { nil: undefined }),
}).map(({ end, ...fields }) => present({
  ...fields,
  workflowName: `Workflow ${fields.workflowId}`,
  status: end.status,
  completedAt: 'took' in end && end.took !== undefined ? fields.startedAt + end.took : undefined,
}));
const runStep = (stepIndex: number) => fc.record({
  nodeId: fc.constantFrom('http', 'code', 'if'),
  startedAt: time,
  status: fc.constantFrom('running' as const, 'success' as const, 'error' as const, 'skipped' as const),
  took: fc.option(fc.nat(100), { nil: undefined }),
  errorMessage: fc.option(fc.constantFrom('timeout', 'HTTP 502'), { nil: undefined }),
  outputData: payload,
}).map(({ took, ...fields }) => present({
  ...fields,
  nodeType: `${fields.nodeId}-type`,
  stepIndex,
  completedAt: took === undefined ? undefined : fields.startedAt + took,
}));

const commands: fc.Arbitrary<Command>[] = [
  newExecution.map((input): Command => ({
    check: () => true,
    async run(model, real) {
      const id = await real.store.createExecution(input);
      model.executions.set(id, withDuration({ ...input, id, instanceId: real.store.instanceId }));
      expect(await real.store.getExecution(id)).toEqual(model.executions.get(id));
    },
    toString: () => `createExecution(${JSON.stringify(input)})`,
  })),
  fc.tuple(newExecution, fc.array(fc.nat(3), { maxLength: 4 })).chain(([input, indexes]) =>
    fc.tuple(fc.constant(input), fc.tuple(...indexes.map((_, i) => runStep(i))))).map(([input, runSteps]): Command => ({
    check: () => true,
    async run(model, real) {
      const { executionId, stepIds } = await real.store.recordExecution(input, runSteps);
      model.executions.set(executionId, withDuration({ ...input, id: executionId, instanceId: real.store.instanceId }));
      runSteps.forEach((step, i) => model.steps.set(stepIds[i]!, withDuration({ ...step, id: stepIds[i]!, executionId })));
    },
    toString: () => `recordExecution(${JSON.stringify(input)}, ${JSON.stringify(runSteps)})`,
  })),
  fc.tuple(fc.nat(), runStep(0), fc.nat(5)).map(([which, step, stepIndex]): Command => ({
    check: (model) => model.executions.size > 0,
    async run(model, real) {
      const executionId = pick(model.executions, which);
      const input = { ...step, stepIndex, executionId };
      const id = await real.store.addStep(input);
      model.steps.set(id, withDuration({ ...input, id }));
    },
    toString: () => `addStep(#${which}, ${JSON.stringify(step)})`,
  })),
  fc.tuple(fc.nat(), fc.constantFrom('success' as const, 'error' as const), fc.nat(500), fc.option(fc.constantFrom('late', null), { nil: undefined }))
    .map(([which, status, took, errorMessage]): Command => ({
      check: (model) => model.executions.size > 0,
      async run(model, real) {
        const id = pick(model.executions, which);
        const current = model.executions.get(id)!;
        const completedAt = current.startedAt + took;
        await real.store.updateExecution(id, { status, completedAt, ...(errorMessage === undefined ? {} : { errorMessage }) });
        const { durationMs: _, ...rest } = current;
        const next: WorkflowExecution = { ...rest, status, completedAt };
        if (errorMessage === null) delete next.errorMessage;
        if (errorMessage === 'late') next.errorMessage = errorMessage;
        model.executions.set(id, withDuration(next));
      },
      toString: () => `updateExecution(#${which}, ${status}, +${took}, ${errorMessage})`,
    })),
  fc.tuple(fc.nat(), fc.constantFrom('success' as const, 'error' as const, 'skipped' as const), fc.nat(100)).map(([which, status, took]): Command => ({
    check: (model) => model.steps.size > 0,
    async run(model, real) {
      const id = pick(model.steps, which);
      const current = model.steps.get(id)!;
      await real.store.updateStep(id, { status, completedAt: current.startedAt + took });
      const { durationMs: _, ...rest } = current;
      model.steps.set(id, withDuration({ ...rest, status, completedAt: current.startedAt + took }));
    },
    toString: () => `updateStep(#${which}, ${status}, +${took})`,
  })),
  fc.nat().map((which): Command => ({
    check: (model) => model.executions.size > 0,
    async run(model, real) {
      const id = pick(model.executions, which);
      expect(await real.store.deleteExecution(id)).toBe(true);
      deleteWithSteps(model, id);
    },
    toString: () => `deleteExecution(#${which})`,
  })),
  fc.tuple(fc.nat(5), fc.option(fc.constantFrom(...WORKFLOWS), { nil: undefined })).map(([keep, workflowId]): Command => ({
    check: () => true,
    async run(model, real) {
      const newestFirst = modelQuery(model, { workflowId, limit: Number.MAX_SAFE_INTEGER });
      const doomed = newestFirst.slice(keep).filter((row) => row.status !== 'running');
      expect(await real.store.cleanupByCount(keep, workflowId)).toBe(doomed.length);
      for (const row of doomed) deleteWithSteps(model, row.id);
    },
    toString: () => `cleanupByCount(${keep}, ${workflowId})`,
  })),
  fc.integer({ min: 800, max: 2000 }).map((maxAge): Command => ({
    check: () => true,
    async run(model, real) {
      const doomed = [...model.executions.values()].filter((row) => row.status !== 'running' && row.startedAt < NOW - maxAge);
      expect(await real.store.cleanupOldExecutions(maxAge)).toBe(doomed.length);
      for (const row of doomed) deleteWithSteps(model, row.id);
    },
    toString: () => `cleanupOldExecutions(${maxAge})`,
  })),
  time.map((startedBefore): Command => ({
    check: () => true,
    async run(model, real) {
      const interrupted = [...model.executions.values()].filter((row) => row.status === 'running' && row.startedAt < startedBefore);
      let steps = 0;
      for (const row of interrupted) {
        const own = stepsOf(model, row.id);
        const lastHeard = Math.max(row.startedAt, ...own.map((step) => step.completedAt ?? step.startedAt));
        model.executions.set(row.id, { ...row, status: 'error', errorMessage: INTERRUPTED_EXECUTION_MESSAGE, completedAt: lastHeard, durationMs: lastHeard - row.startedAt });
        for (const step of own.filter((step) => step.status === 'running')) {
          model.steps.set(step.id, { ...step, status: 'error', errorMessage: INTERRUPTED_STEP_MESSAGE });
          steps++;
        }
      }
      expect(await real.store.recoverInterruptedExecutions({ startedBefore })).toEqual({ executions: interrupted.length, steps });
    },
    toString: () => `recoverInterruptedExecutions(${startedBefore})`,
  })),
];

const query = fc.record(
  {
    workflowId: fc.constantFrom(...WORKFLOWS),
    status: fc.constantFrom('running' as const, 'success' as const, 'error' as const),
    triggerType: fc.constantFrom(...TRIGGERS),
    startedAfter: time,
    startedBefore: time,
    orderBy: fc.constantFrom('started_at' as const, 'duration_ms' as const),
    orderDir: fc.constantFrom('asc' as const, 'desc' as const),
    limit: fc.integer({ min: 1, max: 20 }),
    offset: fc.nat(5),
  },
  { requiredKeys: [] },
);

async function expectSameAnswers(model: Model, store: ExecutionStore, queries: ExecutionQuery[]) {
  for (const id of sortedIds(model.executions)) expect(await store.getExecutionWithSteps(id)).toEqual(modelWithSteps(model, id));
  for (const q of queries) expect(await store.queryExecutions(q), JSON.stringify(q)).toEqual(modelQuery(model, q));
  for (const workflowId of [undefined, ...WORKFLOWS]) expect(await store.getExecutionStats(workflowId)).toEqual(modelStats(model, { workflowId }));
  for (const { workflowId, triggerType, startedAfter, startedBefore } of queries) {
    const filter = present({ workflowId, triggerType, startedAfter, startedBefore });
    expect(await store.getExecutionStats(filter), `stats of ${JSON.stringify(filter)}`).toEqual(modelStats(model, filter));
  }
  // Cursor pages of 3, walked to the end, give exactly the whole ordered result.
  for (const { limit: _, offset: __, ...q } of queries) {
    const walked: WorkflowExecution[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.queryExecutionsPage({ ...q, limit: 3, cursor });
      walked.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(walked, `pages of ${JSON.stringify(q)}`).toEqual(modelQuery(model, { ...q, limit: Number.MAX_SAFE_INTEGER }));
  }
  expect(await store.queryExecutions({ limit: 1000 })).toEqual(modelQuery(model, { limit: Number.MAX_SAFE_INTEGER }));
}

/**
 * A fresh database per sequence, which a second connection can read (for the recount): a file on SQLite (':memory:'
 * would be the store's alone), a database cloned from the migrated template on PostgreSQL. Removed after the sequence.
 */
function freshDatabase(backend: TestBackend): () => Promise<{ target: string; remove: () => Promise<void> }> {
  if (backend.name === 'postgres') {
    return async () => {
      const target = await clonePostgresDatabase();
      return { target, remove: () => dropPostgresDatabase(target) };
    };
  }
  let dir: string | undefined;
  let made = 0;
  return async () => {
    dir ??= tempDir(); // one folder for the test (removed after it), one file per sequence
    const target = join(dir, `history-${++made}.db`);
    return { target, remove: async () => { for (const suffix of ['', '-wal', '-shm']) rmSync(target + suffix, { force: true }); } };
  };
}

const RUNS = { sqlite: { numRuns: 300, maxCommands: 60 }, postgres: { numRuns: 20, maxCommands: 30 } } as const;

forEachBackend((backend) => {
  describe('the store against a model of it', () => {
    const { numRuns, maxCommands } = RUNS[backend.name];
    it(`answers every query as the model does after random sequences of calls, and its totals and rollups equal a recount (${numRuns} runs)`, { timeout: 150_000 }, async () => {
      const fresh = freshDatabase(backend);
      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands }), fc.array(query, { minLength: 5, maxLength: 5 }), async (sequence, queries) => {
          const { target, remove } = await fresh();
          try {
            const store = await openExecutionStore(target, { now: () => NOW, insights: { outliveDeletes: false } });
            try {
              const model: Model = { executions: new Map(), steps: new Map() };
              await fc.asyncModelRun(() => ({ model, real: { store } }), sequence);
              await expectSameAnswers(model, store, queries);
              expect(await storedRollupsOf(target), 'rollups against a recount of the rows').toEqual(await recountedRollupsOf(target));
            } finally {
              await store.close();
            }
          } finally {
            await remove();
          }
        }),
        { numRuns },
      );
    });
  });
});
