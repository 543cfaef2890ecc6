// Several processes on one PostgreSQL database at once, as several runtime instances would be: writers contending on
// the same total and rollup rows, stores opening an empty database together, clean-ups racing over the same history.
// The processes load the built package (dist/), as in tests/concurrency.test.ts.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { type ExecutionStore, openExecutionStore } from '../src/index.js';
import type { NewExecution, RunStep } from '../src/core/types.js';
import { MIGRATIONS_SCHEMA, MIGRATIONS_TABLE } from '../src/postgres/migrations.js';
import { track } from './factories.js';
import { insightAnswers, storedAndRecounted, storedRollups } from './postgres/recount.js';
import { emptyPostgresUrl, freshPostgresUrl, postgresSkipReason } from './postgres/test-database.js';

const fixture = (name: string) => new URL(`./fixtures/postgres/${name}`, import.meta.url).pathname;
const contendingWriter = fixture('contending-writer.mjs');
const openTogether = fixture('open-together.mjs');
const cleanup = fixture('cleanup.mjs');
const MIGRATIONS_FOLDER = new URL('../drizzle/postgres', import.meta.url).pathname;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Deadlocks the server detected in this database so far (retried ones included): for the report, not an assertion. */
async function deadlocksDetected(url: string): Promise<number> {
  return withClient(url, async (client) => {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query('SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()');
    return Number(rows[0]?.deadlocks ?? 0);
  });
}

/**
 * Starts `count` processes, waits until each has said "ready", then says "go" to all at once; resolves with what each
 * wrote once all have exited.
 */
async function startTogether(count: number, args: (index: number) => string[]): Promise<{ code: number | null; stdout: string; stderr: string }[]> {
  const children = Array.from({ length: count }, (_, index) => {
    const child = spawn(process.execPath, args(index), { stdio: ['pipe', 'pipe', 'pipe'] });
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk) => (output.stdout += chunk));
    child.stderr.on('data', (chunk) => (output.stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { child, output, exited };
  });
  const deadline = Date.now() + 60_000;
  while (!children.every(({ output }) => output.stdout.startsWith('ready\n'))) {
    const ended = children.find(({ child }) => child.exitCode !== null);
    if (ended !== undefined) throw new Error(`a process ended before it was ready: ${ended.output.stderr}`);
    if (Date.now() > deadline) throw new Error('the processes were not ready within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  for (const { child } of children) child.stdin.write('go\n');
  return Promise.all(children.map(async ({ output, exited }) => ({ code: await exited, ...output })));
}

/** The JSON a process printed last. */
const lastJsonLine = (result: { stdout: string }): any => JSON.parse(result.stdout.trim().split('\n').at(-1) ?? 'null');

/** The stats of all executions as the running totals give them, and as the rows do (a start filter reads the rows). */
async function statsBothWays(store: ExecutionStore, workflowId?: string) {
  const scope = workflowId === undefined ? {} : { workflowId };
  return { fromTotals: await store.getExecutionStats(scope), fromRows: await store.getExecutionStats({ ...scope, startedAfter: 0 }) };
}

describe.skipIf(postgresSkipReason !== undefined)('PostgreSQL: several processes on one database', () => {
  it('4 processes writing 2,000 steps each into the same workflows lose nothing, surface no error or deadlock, and keep the totals and rollups exact', { timeout: 150_000 }, async () => {
    const url = await freshPostgresUrl();
    const workflows = ['wf-orders', 'wf-billing', 'wf-mail'];
    const results = await startTogether(4, (index) => [contendingWriter, url, String(index + 1), '2000']);
    const reports = results.map(lastJsonLine);
    const deadlocks = await deadlocksDetected(url);
    console.info(
      `4 writers: ${reports.map((report) => `${report.stepsWritten} steps in ${report.ms} ms`).join(', ')}; ` +
        `${deadlocks} deadlock(s) detected by the server and retried inside the store`,
    );

    // No error of any kind reached a caller: in particular no deadlock (40P01) and no serialization failure.
    expect(results.map(({ code, stderr }) => ({ code, stderr }))).toEqual(Array(4).fill({ code: 0, stderr: '' }));
    expect(reports.map((report) => report.errors)).toEqual([{}, {}, {}, {}]);
    expect(JSON.stringify(reports.map((report) => report.errors))).not.toMatch(/deadlock|40P01|40001/);
    for (const report of reports) {
      expect(report.stepsWritten).toBeGreaterThanOrEqual(2000);
      // Every way of writing was used.
      expect(Object.keys(report.calls).sort()).toEqual(['addStep', 'addSteps', 'createExecution', 'recordExecution', 'updateExecution', 'updateStep']);
    }

    // Exactly the rows the processes wrote, each with the status it was last given: nothing lost, nothing extra.
    const reported = {
      executions: Object.assign({}, ...reports.map((report) => report.executions)),
      steps: Object.assign({}, ...reports.map((report) => report.steps)),
    };
    const stored = await withClient(url, async (client) => ({
      executions: Object.fromEntries(
        (await client.query('SELECT id, workflow_id, status FROM workflow_executions')).rows.map((row) => [row.id, { workflowId: row.workflow_id, status: row.status }]),
      ),
      steps: Object.fromEntries(
        (await client.query('SELECT id, execution_id, status FROM execution_steps')).rows.map((row) => [row.id, { executionId: row.execution_id, status: row.status }]),
      ),
    }));
    expect(Object.keys(stored.executions)).toHaveLength(Object.keys(reported.executions).length);
    expect(Object.keys(stored.steps)).toHaveLength(reports.reduce((sum, report) => sum + report.stepsWritten, 0));
    expect(stored).toEqual(reported);

    // The running totals and every rollup row, summed over their shards, are a recount of the stored rows.
    const { stored: rollups, recounted } = await storedAndRecounted(url);
    expect(rollups).toEqual(recounted);

    // What a user reads: the totals agree with the rows, and every insight reads the same after a recount from scratch.
    const store = track(await openExecutionStore(url));
    const executionsStored = Object.values(reported.executions) as { workflowId: string; status: string }[];
    for (const workflowId of [undefined, ...workflows]) {
      const mine = executionsStored.filter((execution) => workflowId === undefined || execution.workflowId === workflowId);
      const { fromTotals, fromRows } = await statsBothWays(store, workflowId);
      expect(fromTotals).toEqual(fromRows);
      expect(fromTotals).toMatchObject({
        total: mine.length,
        running: mine.filter((execution) => execution.status === 'running').length,
        success: mine.filter((execution) => execution.status === 'success').length,
        error: mine.filter((execution) => execution.status === 'error').length,
      });
    }
    const T0 = Date.UTC(2026, 10, 1, 12); // the writers' hours: T0 to T0 + 3 h
    const range = { startedAfter: T0 - DAY, startedBefore: T0 + DAY };
    const before = await insightAnswers(store, range, workflows);
    expect(before.hourly['(all)']?.reduce((sum, entry) => sum + entry.total, 0)).toBe(executionsStored.length);
    await store.rebuildInsights();
    expect(await insightAnswers(store, range, workflows)).toEqual(before);
  });

  it('6 processes opening one empty database at once all succeed, and its migrations are applied exactly once', { timeout: 90_000 }, async () => {
    const journal = JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as { entries: unknown[] };
    const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
    expect(migrations).toHaveLength(journal.entries.length);
    // Three rounds, each on a new empty database: one round may happen to serialize by luck.
    for (let round = 1; round <= 3; round++) {
      const url = await emptyPostgresUrl();
      const results = await startTogether(6, (index) => [openTogether, url, `wf-${index + 1}`]);
      expect(results.map(({ code, stderr }) => ({ code, stderr })), `round ${round}`).toEqual(Array(6).fill({ code: 0, stderr: '' }));
      const outcomes = results.map(lastJsonLine);
      expect(outcomes.map(({ ok, code, message }) => ({ ok, code, message })), `round ${round}`).toEqual(
        Array(6).fill({ ok: true, code: undefined, message: undefined }),
      );
      const applied = await withClient(url, async (client) => ({
        migrations: (await client.query(`SELECT hash, created_at FROM "${MIGRATIONS_SCHEMA}"."${MIGRATIONS_TABLE}" ORDER BY id`)).rows.map((row) => ({
          hash: row.hash,
          createdAt: Number(row.created_at),
        })),
        executions: (await client.query('SELECT workflow_id FROM workflow_executions ORDER BY workflow_id')).rows.map((row) => row.workflow_id),
        settingsRows: Number((await client.query('SELECT count(*) AS n FROM insight_settings')).rows[0].n),
      }));
      // One row per migration of the journal in the package's migrations table, each hash once, in order: none ran twice.
      expect(applied.migrations, `round ${round}`).toEqual(migrations.map((migration) => ({ hash: migration.hash, createdAt: migration.folderMillis })));
      expect(new Set(applied.migrations.map((migration) => migration.hash)).size).toBe(journal.entries.length);
      expect(applied.executions).toEqual(['wf-1', 'wf-2', 'wf-3', 'wf-4', 'wf-5', 'wf-6']);
      expect(applied.settingsRows).toBe(1); // the data migration's one row, inserted once
    }
  });

  it('two processes cleaning up the same 2,400 old executions at once delete each exactly once, with no deadlock, and the totals and insights stay right', { timeout: 120_000 }, async () => {
    const url = await freshPostgresUrl();
    const NOW = Date.UTC(2026, 10, 20, 12);
    const workflows = ['wf-orders', 'wf-billing', 'wf-mail'];
    const store = track(await openExecutionStore(url, { now: () => NOW }));
    const OLD = 2400;
    const runOf = (i: number, startedAt: number, finished: boolean): { execution: NewExecution; steps: RunStep[] } => {
      const workflowId = workflows[i % workflows.length] as string;
      const execution = { workflowId, workflowName: `Workflow ${workflowId}`, triggerType: 'webhook' as const, startedAt };
      if (!finished) return { execution: { ...execution, status: 'running' }, steps: [] };
      const status = i % 7 === 0 ? ('error' as const) : ('success' as const);
      return {
        execution: { ...execution, status, completedAt: startedAt + (i % 997), ...(status === 'error' ? { errorMessage: `failed ${i % 3}` } : {}) },
        steps: [0, 1].map((stepIndex) => ({
          nodeId: `node-${(i + stepIndex) % 4}`, nodeType: 'code', stepIndex, startedAt, completedAt: startedAt + ((i * (stepIndex + 3)) % 500),
          status: status === 'error' && stepIndex === 1 ? ('error' as const) : ('success' as const),
          ...(status === 'error' && stepIndex === 1 ? { errorMessage: `node failed ${i % 5}` } : {}),
        })),
      };
    };
    // 2,400 finished executions 2 to 10 days old, each with 2 steps, go in by SQL with their running totals (recorded
    // one call each, they took most of this test's time); rebuildInsights() below counts them into the rollups.
    const old = Array.from({ length: OLD }, (_, i) => ({ id: uuidv7(), ...runOf(i, NOW - 10 * DAY + Math.floor((i * 8 * DAY) / OLD), true) }));
    const oldSteps = old.flatMap(({ id, steps }) => steps.map((step) => ({ ...step, executionId: id, id: uuidv7() })));
    await withClient(url, async (client) => {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO workflow_executions (id, workflow_id, workflow_name, trigger_type, status, started_at, completed_at, duration_ms, error_message)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::int8[], $8::int8[], $9::text[])`,
        [
          old.map((run) => run.id), old.map((run) => run.execution.workflowId), old.map((run) => run.execution.workflowName),
          old.map((run) => run.execution.triggerType), old.map((run) => run.execution.status), old.map((run) => run.execution.startedAt),
          old.map((run) => run.execution.completedAt), old.map((run) => run.execution.completedAt! - run.execution.startedAt),
          old.map((run) => run.execution.errorMessage ?? null),
        ],
      );
      await client.query(
        `INSERT INTO execution_steps (id, execution_id, node_id, node_type, step_index, started_at, completed_at, duration_ms, status, error_message)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::int8[], $7::int8[], $8::int8[], $9::text[], $10::text[])`,
        [
          oldSteps.map((step) => step.id), oldSteps.map((step) => step.executionId), oldSteps.map((step) => step.nodeId),
          oldSteps.map((step) => step.nodeType), oldSteps.map((step) => step.stepIndex), oldSteps.map((step) => step.startedAt),
          oldSteps.map((step) => step.completedAt), oldSteps.map((step) => step.completedAt! - step.startedAt), oldSteps.map((step) => step.status),
          oldSteps.map((step) => step.errorMessage ?? null),
        ],
      );
      await client.query(
        `INSERT INTO execution_counts (workflow_id, trigger_type, status, shard, executions, duration_count, duration_sum)
         SELECT workflow_id, trigger_type, status, 0, count(*), count(duration_ms), coalesce(sum(duration_ms), 0) FROM workflow_executions GROUP BY 1, 2, 3`,
      );
      await client.query('COMMIT');
    });
    // 60 old executions still running and 90 of the last hours, through the store.
    const seeds: (() => Promise<unknown>)[] = [];
    const write = ({ execution, steps }: ReturnType<typeof runOf>) =>
      execution.status === 'running' ? store.createExecution(execution) : store.recordExecution(execution, steps);
    for (let i = 0; i < 60; i++) seeds.push(() => write(runOf(i, NOW - 9 * DAY + i * HOUR, false)));
    for (let i = 0; i < 90; i++) seeds.push(() => write(runOf(i, NOW - 12 * HOUR + i * 60_000, true)));
    const seeding = async () => {
      for (let next = seeds.shift(); next !== undefined; next = seeds.shift()) await next();
    };
    await Promise.all(Array.from({ length: 4 }, seeding));
    await store.rebuildInsights();
    const seeded = await storedAndRecounted(url);
    expect(seeded.stored).toEqual(seeded.recounted);

    const range = { startedAfter: NOW - 11 * DAY, startedBefore: NOW };
    const insightsBefore = await insightAnswers(store, range, workflows);
    const rollupsBefore = await withClient(url, storedRollups);
    expect(insightsBefore.stats['(all)']).toMatchObject({ total: OLD + 150, running: 60 });

    const results = await startTogether(2, () => [cleanup, url, String(NOW), String(DAY)]);
    const reports = results.map(lastJsonLine);
    console.info(
      `two clean-ups: ${reports.map((report) => `${report.deleted} deleted in ${report.batches.length} batches, ${report.ms} ms`).join('; ')}; ` +
        `${await deadlocksDetected(url)} deadlock(s) detected by the server and retried inside the store`,
    );

    expect(results.map(({ code, stderr }) => ({ code, stderr }))).toEqual(Array(2).fill({ code: 0, stderr: '' }));
    expect(reports.map((report) => report.error)).toEqual([undefined, undefined]); // no deadlock, no error at all
    // Every old finished execution deleted once: the two counts add up to exactly what there was.
    expect(reports[0].deleted + reports[1].deleted).toBe(OLD);
    expect(reports.map((report) => report.deleted > 0)).toEqual([true, true]); // they did run at the same time
    for (const report of reports) {
      expect(report.batches.reduce((sum: number, batch: { batchDeleted: number }) => sum + batch.batchDeleted, 0)).toBe(report.deleted);
    }
    const remaining = await withClient(url, async (client) => ({
      executions: Number((await client.query('SELECT count(*) AS n FROM workflow_executions')).rows[0].n),
      oldFinished: Number((await client.query(`SELECT count(*) AS n FROM workflow_executions WHERE status <> 'running' AND started_at < $1`, [NOW - DAY])).rows[0].n),
      steps: Number((await client.query('SELECT count(*) AS n FROM execution_steps')).rows[0].n),
    }));
    expect(remaining).toEqual({ executions: 150, oldFinished: 0, steps: 90 * 2 });

    // The totals count what is left, exactly: nothing was subtracted twice.
    const { stored, recounted } = await storedAndRecounted(url);
    expect(stored.counts).toEqual(recounted.counts);
    for (const workflowId of [undefined, ...workflows]) {
      const { fromTotals, fromRows } = await statsBothWays(store, workflowId);
      expect(fromTotals).toEqual(fromRows);
    }
    expect(await store.getExecutionStats()).toMatchObject({ total: 150, running: 60 });

    // Insights outlive deletes (the default): every rollup count, and every answer read from them, is unchanged.
    const rollupsAfter = await withClient(url, storedRollups);
    expect(rollupsAfter.workflows).toEqual(rollupsBefore.workflows);
    // (Weekly rows are sums of the days, compacted by rebuildInsights and the clean-ups: their days are compared.)
    const hoursAndDays = (rows: typeof rollupsAfter.nodes) => rows.filter((row) => row.grain !== 'week');
    expect(hoursAndDays(rollupsAfter.nodes)).toEqual(hoursAndDays(rollupsBefore.nodes));
    const insightsAfter = await insightAnswers(store, range, workflows);
    const { stats: _before, ...insightsWithoutStatsBefore } = insightsBefore;
    const { stats: _after, ...insightsWithoutStatsAfter } = insightsAfter;
    expect(insightsWithoutStatsAfter).toEqual(insightsWithoutStatsBefore);
  });
});
