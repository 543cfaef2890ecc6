// PostgreSQL's history partitioned by day of id (migration 0004, src/postgres/partitions.ts, day-retention.ts):
// the migration of a database written by the previous version, the days made and dropped, and the plans that
// partition pruning gives the store's lookups. Expected partition names and bounds are computed here from the uuid
// package (the first 13 characters of a uuid v7 of the day's first ms), not from src/.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';

/** Pools handed to a store: the store first closed (closing twice is harmless), then the pool ended. */
const poolsToEnd: { pool: pg.Pool; store: ExecutionStore }[] = [];
afterEach(async () => {
  for (const { pool, store } of poolsToEnd.splice(0)) {
    await store.close();
    await pool.end();
  }
});
import { type ExecutionStore, openExecutionStore } from '../src/index.js';
import type { ExecutionStatus, TriggerType } from '../src/core/types.js';
import { applyMigrations } from '../src/postgres/migrations.js';
import { EXECUTION_BY_ID, EXECUTION_WITH_STEPS, STEPS_OF_EXECUTION } from '../src/postgres/reads.js';
import { newExecution, newRunStep, newStep, tempDir, track } from './factories.js';
import { databaseNameOf, databaseUrl } from './postgres/database-url.js';
import { withAdminClient } from './postgres/admin-client.js';
import { emptyPostgresUrl, freshPostgresUrl, postgresAdminUrl, postgresSkipReason, trackedPostgresUrl } from './postgres/test-database.js';
import { recountedRollupsOf, storedRollupsOf } from './rollup-rows.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const TABLES = ['workflow_executions', 'execution_steps'] as const;
const MIGRATIONS = fileURLToPath(new URL('../drizzle/postgres/', import.meta.url));

const dayStartOf = (ms: number) => Math.floor(ms / DAY) * DAY;
/** What every id of that ms starts with: the first 13 characters of a uuid v7 made for it. */
const boundAt = (ms: number) => uuidv7({ msecs: ms }).slice(0, 13);
const dayName = (table: string, dayStart: number) => `${table}_p${new Date(dayStart).toISOString().slice(0, 10).replaceAll('-', '')}`;
/** The partition of a day as pg_get_expr prints its bound. */
const dayPartition = (table: string, dayStart: number) => ({
  table,
  name: dayName(table, dayStart),
  bound: `FOR VALUES FROM ('${boundAt(dayStart)}') TO ('${boundAt(dayStart + DAY)}')`,
});

type Row = Record<string, unknown>;

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const rowsOf = (url: string, text: string, values: unknown[] = []) => withClient(url, async (client) => (await client.query(text, values)).rows as Row[]);

/** The partitions attached to the two tables, by table then name, with their bounds as PostgreSQL prints them. */
async function partitionsOf(url: string): Promise<{ table: string; name: string; bound: string }[]> {
  const rows = await rowsOf(
    url,
    `SELECT p.relname AS "table", c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname IN ('workflow_executions', 'execution_steps') ORDER BY 1 DESC, 2`,
  );
  return rows as { table: string; name: string; bound: string }[];
}

/** Every relation of the schema with this name (attached or not); [] once it is dropped. */
const relationExists = async (url: string, name: string) => (await rowsOf(url, 'SELECT to_regclass($1) IS NOT NULL AS e', [name]))[0]?.e === true;

/** The partition a row of a table is stored in. */
async function partitionOfRow(url: string, table: string, id: string): Promise<string> {
  const [row] = await rowsOf(url, `SELECT tableoid::regclass::text AS part FROM ${table} WHERE id = $1`, [id]);
  if (row === undefined) throw new Error(`no row ${id} in ${table}`);
  return row.part as string;
}

/** Every row of both tables, in byte order of id (the snapshot a migration must keep). */
async function allRows(url: string): Promise<{ executions: Row[]; steps: Row[] }> {
  return withClient(url, async (client) => ({
    executions: (await client.query('SELECT * FROM workflow_executions ORDER BY id COLLATE "C"')).rows,
    steps: (await client.query('SELECT * FROM execution_steps ORDER BY id COLLATE "C"')).rows,
  }));
}

const foreignKeysOnSteps = (url: string) =>
  rowsOf(url, `SELECT conname, conrelid::regclass::text AS rel FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text LIKE 'execution_steps%'`);

const partitionedTables = async (url: string) =>
  (await rowsOf(url, 'SELECT partrelid::regclass::text AS t FROM pg_partitioned_table ORDER BY 1')).map((row) => row.t);

/** A database with the package's PostgreSQL migrations up to 0003, as the previous version left it. */
async function databaseBefore0004(): Promise<string> {
  const folder = join(tempDir(), 'drizzle-postgres');
  cpSync(MIGRATIONS, folder, { recursive: true });
  const journalFile = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  journal.entries = journal.entries.filter((entry) => entry.tag < '0004');
  expect(journal.entries.map((entry) => entry.tag)).toEqual(['0000_initial', '0001_insight_settings_row', '0002_finished_duration_indexes', '0003_instances']);
  writeFileSync(journalFile, JSON.stringify(journal));
  const url = await emptyPostgresUrl();
  const pool = new pg.Pool({ connectionString: url });
  try {
    expect(await applyMigrations(pool, folder)).toBe(4);
  } finally {
    await pool.end();
  }
  return url;
}

const TRIGGERS: TriggerType[] = ['webhook', 'schedule', 'manual', 'db_change', 'internal_event'];

interface OldRun {
  execution: Row;
  steps: Row[];
}

/**
 * 300 runs over the 10 UTC days before `today` (30 a day, every 47 minutes), 3 steps each; every 23rd still running
 * (its last step too), every 4th failed (its last step with a message); rows as the previous version wrote them.
 * Ids are left for insert time.
 */
function oldRuns(today: number): OldRun[] {
  const runs: OldRun[] = [];
  for (let i = 0; i < 300; i++) {
    const startedAt = today - (10 - Math.floor(i / 30)) * DAY + (i % 30) * 47 * 60_000 + 13_000 + (i % 7);
    const status: ExecutionStatus = i % 23 === 0 ? 'running' : i % 4 === 0 ? 'error' : 'success';
    const durationMs = 100 + ((i * 37) % 900);
    const finished = status !== 'running';
    const execution: Row = {
      id: null,
      workflow_id: `wf-${'abc'[i % 3]}`,
      workflow_name: `Workflow ${'ABC'[i % 3]}`,
      trigger_type: TRIGGERS[i % 5],
      trigger_data: JSON.stringify({ n: i, body: { orderId: 1000 + i } }),
      status,
      started_at: startedAt,
      completed_at: finished ? startedAt + durationMs : null,
      duration_ms: finished ? durationMs : null,
      error_message: status === 'error' ? `HTTP ${500 + (i % 3)} from upstream for order ${1000 + i}` : null,
      error_stack: status === 'error' ? `Error: HTTP ${500 + (i % 3)}\n    at save (flow.js:${i}:1)` : null,
      metadata: i % 2 === 0 ? JSON.stringify({ region: 'eu', attempt: i % 3 }) : null,
      // Runs recorded before migration 0003 have no instance.
      instance_id: i < 150 ? null : 'old-instance',
    };
    const steps = ['fetch', 'map', 'save'].map((node, s): Row => {
      const last = s === 2;
      const stepStatus = last && status === 'running' ? 'running' : last && status === 'error' ? 'error' : 'success';
      const stepStarted = startedAt + s * 20;
      const stepDuration = 5 + s + (i % 7);
      return {
        id: null,
        execution_id: null,
        node_id: `node-${node}`,
        node_type: node === 'fetch' ? 'http_request' : 'code',
        node_name: s === 1 ? null : `Step ${node}`,
        step_index: s,
        started_at: stepStarted,
        completed_at: stepStatus === 'running' ? null : stepStarted + stepDuration,
        duration_ms: stepStatus === 'running' ? null : stepDuration,
        status: stepStatus,
        input_data: JSON.stringify({ step: s, of: i }),
        output_data: stepStatus === 'success' ? JSON.stringify({ ok: true }) : null,
        error_message: stepStatus === 'error' ? `Step failed: upstream ${500 + (i % 3)} (order ${1000 + i})` : null,
      };
    });
    runs.push({ execution, steps });
  }
  return runs;
}

/** Inserts rows with every column named, in one statement. */
async function insertRows(client: pg.Client, table: string, rows: Row[]): Promise<void> {
  const columns = Object.keys(rows[0] as Row);
  const values: unknown[] = [];
  const tuples = rows.map((row) => `(${columns.map((column) => `$${values.push(row[column])}`).join(', ')})`);
  await client.query(`INSERT INTO ${table} (${columns.map((column) => `"${column}"`).join(', ')}) VALUES ${tuples.join(', ')}`, values);
}

/** As the previous version wrote them: ids uuid v7 of the moment of the insert, then the totals summed. */
async function writeAsBefore(url: string, runs: OldRun[]): Promise<void> {
  await withClient(url, async (client) => {
    await client.query('BEGIN');
    for (const run of runs) {
      run.execution.id = uuidv7();
      for (const step of run.steps) {
        step.id = uuidv7();
        step.execution_id = run.execution.id;
      }
    }
    await insertRows(client, 'workflow_executions', runs.map((run) => run.execution));
    await insertRows(client, 'execution_steps', runs.flatMap((run) => run.steps));
    await client.query(
      `INSERT INTO execution_counts (workflow_id, trigger_type, status, shard, executions, duration_count, duration_sum)
       SELECT workflow_id, trigger_type, status, 0, count(*), count(duration_ms), coalesce(sum(duration_ms), 0)
       FROM workflow_executions GROUP BY 1, 2, 3`,
    );
    await client.query('COMMIT');
  });
}

/** What getExecutionWithSteps answers for an old run: empty columns absent, payloads parsed. */
function asStored(run: OldRun): Row {
  const present = (entries: [string, unknown][]) => Object.fromEntries(entries.filter(([, value]) => value !== null));
  const e = run.execution;
  return {
    ...present([
      ['id', e.id], ['workflowId', e.workflow_id], ['workflowName', e.workflow_name], ['triggerType', e.trigger_type],
      ['triggerData', JSON.parse(e.trigger_data as string)], ['status', e.status], ['startedAt', e.started_at],
      ['completedAt', e.completed_at], ['durationMs', e.duration_ms], ['errorMessage', e.error_message],
      ['errorStack', e.error_stack], ['metadata', e.metadata === null ? null : JSON.parse(e.metadata as string)],
      ['instanceId', e.instance_id],
    ]),
    steps: run.steps.map((s) =>
      present([
        ['id', s.id], ['executionId', s.execution_id], ['nodeId', s.node_id], ['nodeType', s.node_type], ['nodeName', s.node_name],
        ['stepIndex', s.step_index], ['startedAt', s.started_at], ['completedAt', s.completed_at], ['durationMs', s.duration_ms],
        ['status', s.status], ['inputData', JSON.parse(s.input_data as string)],
        ['outputData', s.output_data === null ? null : JSON.parse(s.output_data as string)], ['errorMessage', s.error_message],
      ]),
    ),
  };
}

/** pg_total_relation_size of every partition of both tables, by name. */
async function partitionSizes(url: string): Promise<Map<string, number>> {
  const rows = await rowsOf(
    url,
    `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname IN ('workflow_executions', 'execution_steps')`,
  );
  return new Map(rows.map((row) => [row.name as string, Number(row.bytes)]));
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

/** A copy of a database (no connection may be open on it), dropped after the test. */
async function cloneOf(url: string): Promise<string> {
  const twin = `${databaseNameOf(url)}_twin`;
  await withAdminClient(postgresAdminUrl as string, (client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(twin)} TEMPLATE ${pg.escapeIdentifier(databaseNameOf(url))}`));
  return trackedPostgresUrl(databaseUrl(postgresAdminUrl as string, twin));
}

describe.skipIf(postgresSkipReason !== undefined)('PostgreSQL partitions by day', () => {
  it('migration 0004 on a populated database: every row kept in the legacy partitions, read, written beside, recovered, cleaned up and finally dropped whole', async () => {
    const NOW = Date.now();
    const today = dayStartOf(NOW);
    const url = await databaseBefore0004();
    const runs = oldRuns(today);
    await writeAsBefore(url, runs);
    expect(await foreignKeysOnSteps(url)).toEqual([{ conname: 'execution_steps_execution_id_workflow_executions_id_fk', rel: 'execution_steps' }]);
    expect(await partitionedTables(url)).toEqual([]);
    const before = await allRows(url);
    expect(before.executions).toHaveLength(300);
    expect(before.steps).toHaveLength(900);

    const store = track(await openExecutionStore(url, { now: () => NOW }));

    // Every row as it was, every column (the ids' collation changed, not their values).
    expect(await allRows(url)).toEqual(before);
    expect(await rowsOf(url, `SELECT table_name, collation_name FROM information_schema.columns WHERE column_name IN ('id', 'execution_id')
      AND table_name IN ('workflow_executions', 'execution_steps') ORDER BY 1 DESC, 2`)).toEqual([
      { table_name: 'workflow_executions', collation_name: 'C' },
      { table_name: 'execution_steps', collation_name: 'C' },
      { table_name: 'execution_steps', collation_name: 'C' },
    ]);
    expect(await partitionedTables(url)).toEqual(['execution_steps', 'workflow_executions']);
    const legacyEnd = today + 2 * DAY;
    const daysAhead = Array.from({ length: 6 }, (_, k) => legacyEnd + k * DAY); // the day after tomorrow to 7 days ahead
    const afterMigration = [
      ...TABLES.flatMap((table) => [
        { table, name: `${table}_legacy`, bound: `FOR VALUES FROM (MINVALUE) TO ('${boundAt(legacyEnd)}')` },
        ...daysAhead.map((day) => dayPartition(table, day)),
      ]),
    ].sort((a, b) => (a.table === b.table ? a.name.localeCompare(b.name) : b.table.localeCompare(a.table)));
    expect(await partitionsOf(url)).toEqual(afterMigration);
    expect(await rowsOf(url, 'SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM workflow_executions GROUP BY 1')).toEqual([
      { part: 'workflow_executions_legacy', n: 300 },
    ]);
    expect(await rowsOf(url, 'SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM execution_steps GROUP BY 1')).toEqual([
      { part: 'execution_steps_legacy', n: 900 },
    ]);
    expect(await foreignKeysOnSteps(url)).toEqual([]);

    // Read back whole, every one of them.
    for (const run of runs) expect(await store.getExecutionWithSteps(run.execution.id as string)).toEqual(asStored(run));
    expect(await store.findExecutionIds((runs[17]?.execution.id as string).slice(0, 36))).toEqual([runs[17]?.execution.id]);

    // New runs: one started now lands in the legacy range (it ends the day after tomorrow), one started 3 days ahead in its day.
    const now = await store.recordExecution(newExecution({ startedAt: NOW, status: 'success', completedAt: NOW + 50 }), [
      newRunStep({ startedAt: NOW, status: 'success', completedAt: NOW + 10 }),
    ]);
    const ahead = today + 3 * DAY + 5 * HOUR;
    const later = await store.recordExecution(newExecution({ startedAt: ahead, status: 'error', completedAt: ahead + 70, errorMessage: 'boom' }), [
      newRunStep({ startedAt: ahead, status: 'error', completedAt: ahead + 60, errorMessage: 'step boom' }),
    ]);
    expect(await partitionOfRow(url, 'workflow_executions', now.executionId)).toBe('workflow_executions_legacy');
    expect(await partitionOfRow(url, 'execution_steps', now.stepIds[0] as string)).toBe('execution_steps_legacy');
    expect(await partitionOfRow(url, 'workflow_executions', later.executionId)).toBe(dayName('workflow_executions', today + 3 * DAY));
    expect(await partitionOfRow(url, 'execution_steps', later.stepIds[0] as string)).toBe(dayName('execution_steps', today + 3 * DAY));
    expect(later.executionId.slice(0, 13)).toBe(boundAt(ahead));

    // A step added to an old (still running) execution lands beside it, in the legacy partition.
    const oldRunning = runs.find((run) => run.execution.status === 'running' && (run.execution.started_at as number) >= today - 3 * DAY) as OldRun;
    const oldStarted = oldRunning.execution.started_at as number;
    const addedStep = await store.addStep(newStep(oldRunning.execution.id as string, { stepIndex: 3, startedAt: oldStarted + 100, status: 'success', completedAt: oldStarted + 120, nodeId: 'node-late' }));
    expect(await partitionOfRow(url, 'execution_steps', addedStep)).toBe('execution_steps_legacy');
    expect((await store.getExecutionWithSteps(oldRunning.execution.id as string))?.steps.map((step) => step.id)).toEqual([
      ...oldRunning.steps.map((step) => step.id),
      addedStep,
    ]);

    // Recovery of the old runs still running in the first 3 days; the stats and totals agree with the rows.
    const recoveredBefore = today - 7 * DAY;
    const toRecover = runs.filter((run) => run.execution.status === 'running' && (run.execution.started_at as number) < recoveredBefore);
    expect(toRecover.length).toBeGreaterThan(0);
    expect(await store.recoverInterruptedExecutions({ startedBefore: recoveredBefore })).toEqual({ executions: toRecover.length, steps: toRecover.length });
    for (const run of toRecover) run.execution.status = 'error';
    const [counted] = await rowsOf(url, `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'running')::int AS running,
      count(*) FILTER (WHERE status = 'success')::int AS success, count(*) FILTER (WHERE status = 'error')::int AS error FROM workflow_executions`);
    expect(counted?.total).toBe(302);
    const stats = await store.getExecutionStats();
    expect({ total: stats.total, running: stats.running, success: stats.success, error: stats.error }).toEqual(counted);
    expect((await storedRollupsOf(url)).counts).toEqual((await recountedRollupsOf(url)).counts);

    // Retention with the cut in the middle of the old days: the finished old runs before it go, in batches (the legacy
    // partition holds newer rows: it stays).
    const cut = today - 5 * DAY + 12 * HOUR;
    const doomed = runs.filter((run) => run.execution.status !== 'running' && (run.execution.started_at as number) < cut);
    const doomedIds = doomed.map((run) => run.execution.id as string).sort();
    expect(doomed.length).toBeGreaterThan(100);
    const progress: number[] = [];
    expect(await store.cleanupOldExecutions(NOW - cut, { onProgress: ({ deleted }) => progress.push(deleted) })).toBe(doomed.length);
    expect(progress.at(-1)).toBe(doomed.length);
    const left = await allRows(url);
    const leftIds = new Set(left.executions.map((row) => row.id as string));
    expect(doomedIds.filter((id) => leftIds.has(id))).toEqual([]);
    expect(left.executions).toHaveLength(302 - doomed.length);
    expect(left.steps.filter((step) => !leftIds.has(step.execution_id as string))).toEqual([]);
    expect(left.steps).toHaveLength(903 - doomed.length * 3); // 900 old, 2 new, 1 added to an old run
    expect(await partitionsOf(url)).toEqual(afterMigration);
    expect((await storedRollupsOf(url)).counts).toEqual((await recountedRollupsOf(url)).counts);
    await store.close();

    // Far in the future, with nothing running any more: the legacy partitions go whole, as do the days before the cut.
    const FUTURE = NOW + 400 * DAY;
    const future = track(await openExecutionStore(url, { now: () => FUTURE }));
    const stillRunning = left.executions.filter((row) => row.status === 'running').length;
    expect(stillRunning).toBeGreaterThan(0);
    expect((await future.recoverInterruptedExecutions({ startedBefore: FUTURE })).executions).toBe(stillRunning);
    const remaining = left.executions.length;
    const futureProgress: { deleted: number; batchDeleted: number }[] = [];
    expect(await future.cleanupOldExecutions(30 * DAY, { onProgress: ({ deleted, batchDeleted }) => futureProgress.push({ deleted, batchDeleted }) })).toBe(remaining);
    expect(futureProgress.at(-1)?.deleted).toBe(remaining);
    for (const table of TABLES) expect(await relationExists(url, `${table}_legacy`)).toBe(false);
    expect((await partitionsOf(url)).filter((partition) => partition.name.endsWith('_legacy'))).toEqual([]);
    expect(await allRows(url)).toEqual({ executions: [], steps: [] });
    expect((await storedRollupsOf(url)).counts).toEqual((await recountedRollupsOf(url)).counts);
    expect(await future.getExecutionStats()).toMatchObject({ total: 0, running: 0, success: 0, error: 0 });

    // A run recorded today after that gets today's day partition.
    const again = await future.recordExecution(newExecution({ startedAt: NOW + 1, status: 'success', completedAt: NOW + 2 }));
    expect(await partitionOfRow(url, 'workflow_executions', again.executionId)).toBe(dayName('workflow_executions', today));
  });

  describe('days, made and dropped', () => {
    it('a store opened on a fresh database has the days from yesterday to 7 days ahead', async () => {
      const url = await freshPostgresUrl();
      track(await openExecutionStore(url));
      const today = dayStartOf(Date.now());
      const partitions = await partitionsOf(url);
      for (const table of TABLES) {
        for (let day = today - DAY; day <= today + 7 * DAY; day += DAY) expect(partitions).toContainEqual(dayPartition(table, day));
      }
      // Every partition is a day of its own name, and there is no legacy one.
      for (const partition of partitions) {
        const [, date] = /_p(\d{8})$/.exec(partition.name) ?? [];
        expect(date).toBeDefined();
        const day = Date.UTC(Number(date?.slice(0, 4)), Number(date?.slice(4, 6)) - 1, Number(date?.slice(6, 8)));
        expect(partition).toEqual(dayPartition(partition.table, day));
      }
      expect(await partitionedTables(url)).toEqual(['execution_steps', 'workflow_executions']);
    });

    it('a run recorded two years back gets its day made on demand', async () => {
      const url = await freshPostgresUrl();
      const store = track(await openExecutionStore(url));
      const day = dayStartOf(Date.now()) - 730 * DAY;
      for (const table of TABLES) expect(await relationExists(url, dayName(table, day))).toBe(false);

      const first = await store.recordExecution(newExecution({ startedAt: day, status: 'success', completedAt: day + 30 }), [
        newRunStep({ startedAt: day, status: 'success', completedAt: day + 20 }),
      ]);
      const noon = await store.recordExecution(newExecution({ startedAt: day + 12 * HOUR, status: 'running' }));
      const step = await store.addStep(newStep(noon.executionId, { startedAt: day + 12 * HOUR + 5 }));

      const partitions = await partitionsOf(url);
      for (const table of TABLES) expect(partitions).toContainEqual(dayPartition(table, day));
      expect(first.executionId.slice(0, 13)).toBe(boundAt(day));
      expect(noon.executionId.slice(0, 13)).toBe(boundAt(day + 12 * HOUR));
      expect(await partitionOfRow(url, 'workflow_executions', first.executionId)).toBe(dayName('workflow_executions', day));
      expect(await partitionOfRow(url, 'workflow_executions', noon.executionId)).toBe(dayName('workflow_executions', day));
      expect(await partitionOfRow(url, 'execution_steps', first.stepIds[0] as string)).toBe(dayName('execution_steps', day));
      expect(await partitionOfRow(url, 'execution_steps', step)).toBe(dayName('execution_steps', day));
      expect((await store.getExecutionWithSteps(noon.executionId))?.steps.map((s) => s.id)).toEqual([step]);
    });

    it('cleanupOldExecutions drops the days wholly before the cut (except one holding a running run or a run moved past the cut), deletes the rest, and the answers are those of batched deletes', async () => {
      const NOW = Date.now();
      const today = dayStartOf(NOW);
      const days = Array.from({ length: 6 }, (_, k) => today - (8 - k) * DAY); // 6 consecutive past days
      const cut = (days[4] as number) + 12 * HOUR; // the middle of day 5
      const url = await freshPostgresUrl();
      const options = { now: () => NOW, insights: { outliveDeletes: true, hourlyDays: 60, dailyDays: 400 } };
      let store = track(await openExecutionStore(url, options));

      interface Recorded {
        id: string;
        day: number;
        startedAt: number;
        status: ExecutionStatus;
      }
      const recorded: Recorded[] = [];
      for (const [d, day] of days.entries()) {
        for (const [r, hour] of [2, 6, 10, 14, 18, 22].entries()) {
          const startedAt = day + hour * HOUR + r * 60_000 + 17;
          const running = d === 1 && hour === 18;
          const failed = !running && (d + r) % 3 === 0;
          const status: ExecutionStatus = running ? 'running' : failed ? 'error' : 'success';
          const ends = (offset: number) => (running ? {} : { completedAt: startedAt + offset });
          const { executionId } = await store.recordExecution(
            newExecution({
              workflowId: `wf-${r % 2}`,
              workflowName: `Flow ${r % 2}`,
              triggerType: TRIGGERS[r % 5],
              startedAt,
              status,
              ...ends(400 + d * 10 + r),
              ...(failed ? { errorMessage: `order ${d}${r} failed` } : {}),
            }),
            [
              newRunStep({ nodeId: 'fetch', stepIndex: 0, startedAt, status: 'success', completedAt: startedAt + 50 + r }),
              newRunStep({
                nodeId: 'save',
                stepIndex: 1,
                startedAt: startedAt + 60,
                status: running ? 'running' : failed ? 'error' : 'success',
                ...(running ? {} : { completedAt: startedAt + 100 + d }),
                ...(failed ? { errorMessage: `HTTP 50${d % 3} from upstream` } : {}),
              }),
              newRunStep({ nodeId: 'notify', stepIndex: 2, startedAt: startedAt + 120, status: 'skipped', completedAt: startedAt + 121 }),
            ],
          );
          recorded.push({ id: executionId, day, startedAt, status });
        }
      }
      // On day 3 one run is moved to start after the cut (its row stays in day 3's partition).
      const moved = recorded.find((run) => run.day === days[2] && run.status === 'success') as Recorded;
      await store.updateExecution(moved.id, { startedAt: cut + HOUR, completedAt: cut + HOUR + 500 });
      moved.startedAt = cut + HOUR;
      const running = recorded.find((run) => run.status === 'running') as Recorded;
      expect(running.day).toBe(days[1]);

      for (const run of recorded) {
        expect(await partitionOfRow(url, 'workflow_executions', run.id)).toBe(dayName('workflow_executions', run.day));
      }
      // Weeks compacted first, as the clean-up would: the rollups below then hold what they hold after it.
      await store.compactInsights();
      const rollupsBefore = await storedRollupsOf(url);
      expect(rollupsBefore).toEqual(await recountedRollupsOf(url));
      const insightsBefore = {
        nodes: await store.getNodeStats(),
        timeline: await store.getTimeline({ startedAfter: days[0] as number, startedBefore: today, bucket: 'day' }),
      };
      await store.close();

      // The same database, to be cleaned up by batched deletes only.
      const twinUrl = await cloneOf(url);
      store = track(await openExecutionStore(url, options));
      const twin = track(await openExecutionStore(twinUrl, { ...options, postgres: { dropDays: false } }));

      const sizesBefore = await partitionSizes(url);
      const doomed = recorded.filter((run) => run.status !== 'running' && run.startedAt < cut);
      const droppedDays = [days[0], days[3]] as number[];
      const progress: { deleted: number; batchDeleted: number }[] = [];
      const deleted = await store.cleanupOldExecutions(NOW - cut, { onProgress: ({ deleted, batchDeleted }) => progress.push({ deleted, batchDeleted }) });
      expect(deleted).toBe(doomed.length);
      expect(deleted).toBe(6 + 5 + 5 + 6 + 3);
      // Each dropped day reported as it went, then the batches; cumulative throughout.
      expect(progress.slice(0, 2)).toEqual([{ deleted: 6, batchDeleted: 6 }, { deleted: 12, batchDeleted: 6 }]);
      expect(progress.at(-1)?.deleted).toBe(deleted);
      for (const [i, call] of progress.entries()) expect(call.deleted).toBe(sum(progress.slice(0, i + 1).map((p) => p.batchDeleted)));

      // Days 1 and 4 are gone whole; days 2 and 3 kept (a running run, a moved run), their finished rows deleted.
      const partitions = (await partitionsOf(url)).map((partition) => partition.name);
      for (const table of TABLES) {
        for (const day of droppedDays) {
          expect(partitions).not.toContain(dayName(table, day));
          expect(await relationExists(url, dayName(table, day))).toBe(false);
        }
        for (const day of days.slice(1, 3).concat(days.slice(4))) expect(partitions).toContain(dayName(table, day));
      }
      const kept = (await rowsOf(url, 'SELECT id, tableoid::regclass::text AS part FROM workflow_executions')).map((row) => row.id as string).sort();
      const expectedKept = recorded.filter((run) => !doomed.includes(run)).map((run) => run.id).sort();
      expect(kept).toEqual(expectedKept);
      expect(kept).toContain(running.id);
      expect(kept).toContain(moved.id);
      expect(await rowsOf(url, `SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM workflow_executions
        WHERE tableoid::regclass::text IN ($1, $2) GROUP BY 1 ORDER BY 1`, [dayName('workflow_executions', days[1] as number), dayName('workflow_executions', days[2] as number)])).toEqual([
        { part: dayName('workflow_executions', days[1] as number), n: 1 },
        { part: dayName('workflow_executions', days[2] as number), n: 1 },
      ]);
      // The edge day: before the cut deleted, after it kept.
      const edge = recorded.filter((run) => run.day === days[4]);
      for (const run of edge) expect(kept.includes(run.id)).toBe(run.startedAt >= cut);
      expect(await rowsOf(url, 'SELECT count(*)::int AS orphans FROM execution_steps s WHERE NOT EXISTS (SELECT 1 FROM workflow_executions e WHERE e.id = s.execution_id)')).toEqual([{ orphans: 0 }]);
      expect((await rowsOf(url, 'SELECT count(*)::int AS n FROM execution_steps'))[0]?.n).toBe(expectedKept.length * 3);

      // The totals are the rows'; the rollups (insights outlive deletes) and the insights read from them are unchanged.
      const rollupsAfter = await storedRollupsOf(url);
      expect(rollupsAfter.counts).toEqual((await recountedRollupsOf(url)).counts);
      expect({ workflows: rollupsAfter.workflows, nodes: rollupsAfter.nodes }).toEqual({ workflows: rollupsBefore.workflows, nodes: rollupsBefore.nodes });
      expect(await store.getNodeStats()).toEqual(insightsBefore.nodes);
      expect(await store.getTimeline({ startedAfter: days[0] as number, startedBefore: today, bucket: 'day' })).toEqual(insightsBefore.timeline);

      // The disk: what the dropped partitions held is back at once; the other partitions did not change size.
      const sizesAfter = await partitionSizes(url);
      const droppedNames = TABLES.flatMap((table) => droppedDays.map((day) => dayName(table, day)));
      const droppedBytes = sum(droppedNames.map((name) => sizesBefore.get(name) as number));
      expect(droppedBytes).toBeGreaterThan(0);
      expect([...sizesAfter.keys()].sort()).toEqual([...sizesBefore.keys()].filter((name) => !droppedNames.includes(name)).sort());
      expect(sum(sizesAfter.values())).toBe(sum(sizesBefore.values()) - droppedBytes);

      // Batched deletes of the same database give the same answers and leave the same rows.
      expect(await twin.cleanupOldExecutions(NOW - cut)).toBe(deleted);
      expect(await allRows(twinUrl)).toEqual(await allRows(url));
      expect((await partitionsOf(twinUrl)).filter((p) => droppedNames.includes(p.name))).toHaveLength(droppedNames.length);
      expect(await store.getNodeStats()).toEqual(await twin.getNodeStats());
      expect(await store.getErrorGroups()).toEqual(await twin.getErrorGroups());
      expect(await store.getExecutionStats()).toEqual(await twin.getExecutionStats());
      expect(await store.getWorkflowSummaries()).toEqual(await twin.getWorkflowSummaries());
      expect(await store.getTimeline({ startedAfter: days[0] as number, startedBefore: today, bucket: 'hour' })).toEqual(
        await twin.getTimeline({ startedAfter: days[0] as number, startedBefore: today, bucket: 'hour' }),
      );
      expect(await storedRollupsOf(url)).toEqual(await storedRollupsOf(twinUrl));
    });
  });

  describe('plans with partition pruning', () => {
    type PlanNode = Record<string, unknown> & { 'Node Type': string; Plans?: PlanNode[] };
    const nodesOf = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
    /** The partitions a plan reads (the parent an UPDATE names on its ModifyTable node left out). */
    const relationsOf = (plan: PlanNode) =>
      [...new Set(nodesOf(plan).map((node) => node['Relation Name']).filter((name) => name !== undefined && !(TABLES as readonly unknown[]).includes(name)))].sort() as string[];
    const subplansRemoved = (plan: PlanNode) => sum(nodesOf(plan).map((node) => Number(node['Subplans Removed'] ?? 0)));
    const literal = (value: unknown) => (typeof value === 'number' ? String(value) : pg.escapeLiteral(String(value)));

    /** A database with runs over 5 past days and today, 40 a day, analyzed. */
    async function withHistory() {
      const url = await freshPostgresUrl();
      const executed: { text: string; values: unknown[] }[] = [];
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      pool.on('error', () => undefined); // the database is dropped under idle connections after the test
      // Every statement the store sends, with its values.
      const record = (query: (...args: unknown[]) => unknown) => (...args: unknown[]) => {
        const [first, second] = args;
        const text = typeof first === 'string' ? first : (first as { text: string }).text;
        const values = (Array.isArray(second) ? second : (first as { values?: unknown[] }).values) ?? [];
        executed.push({ text, values });
        return query(...args);
      };
      pool.on('connect', (client) => {
        client.query = record(client.query.bind(client)) as typeof client.query;
      });
      pool.query = record(pool.query.bind(pool)) as typeof pool.query;
      const store = track(await openExecutionStore(pool));
      poolsToEnd.push({ pool, store });
      const today = dayStartOf(Date.now());
      const days = Array.from({ length: 6 }, (_, k) => today - (5 - k) * DAY);
      const ids: { id: string; day: number; stepIds: string[] }[] = [];
      for (const day of days) {
        for (let r = 0; r < 24; r++) {
          const startedAt = day + r * HOUR + 1;
          const { executionId, stepIds } = await store.recordExecution(newExecution({ startedAt, status: 'success', completedAt: startedAt + 100 + r }), [
            newRunStep({ startedAt, status: 'success', completedAt: startedAt + 10 }),
            newRunStep({ nodeId: 'save', stepIndex: 1, startedAt: startedAt + 11, status: 'running' }),
          ]);
          ids.push({ id: executionId, day, stepIds });
        }
      }
      // And 4,000 more a day with a step each, written by SQL (ids uuid v7 of their start), so that the planner sees
      // tables of some size.
      const v7At = (ms: string, salt: string) =>
        `substr(lpad(to_hex(${ms}), 12, '0'), 1, 8) || '-' || substr(lpad(to_hex(${ms}), 12, '0'), 9, 4) || '-7' || substr(md5(${ms}::text || '${salt}'), 1, 3) || '-8' || substr(md5(${ms}::text || '${salt}'), 4, 3) || '-' || substr(md5(${ms}::text || '${salt}'), 7, 12)`;
      for (const day of days) {
        await rowsOf(
          url,
          `INSERT INTO workflow_executions (id, workflow_id, workflow_name, trigger_type, status, started_at, completed_at, duration_ms)
           SELECT ${v7At('ms', 'e')}, 'wf-bulk', 'Bulk', 'schedule', 'success', ms, ms + 10, 10
           FROM generate_series(${day + 7}::bigint, ${day + 7 + 3_999 * 20_000}::bigint, 20000) AS ms;
           INSERT INTO execution_steps (id, execution_id, node_id, node_type, step_index, started_at, completed_at, duration_ms, status)
           SELECT ${v7At('ms', 's')}, ${v7At('ms', 'e')}, 'bulk', 'code', 0, ms, ms + 5, 5, 'success'
           FROM generate_series(${day + 7}::bigint, ${day + 7 + 3_999 * 20_000}::bigint, 20000) AS ms`,
        );
      }
      await rowsOf(url, 'ANALYZE workflow_executions; ANALYZE execution_steps');
      const partitions = await partitionsOf(url);
      /** The JSON plan of a statement with its values: a custom plan (values known), or a generic one (PREPARE/EXECUTE). */
      const planOf = (text: string, values: unknown[], generic = false) =>
        withClient(url, async (client) => {
          if (!generic) return ((await client.query({ text: `EXPLAIN (FORMAT JSON) ${text}`, values })).rows[0]['QUERY PLAN'][0].Plan) as PlanNode;
          await client.query(`PREPARE q AS ${text}`);
          await client.query('SET plan_cache_mode = force_generic_plan');
          const plan = (await client.query(`EXPLAIN (FORMAT JSON) EXECUTE q(${values.map(literal).join(', ')})`)).rows[0]['QUERY PLAN'][0].Plan as PlanNode;
          return plan;
        });
      /** The statements a call of the store sent. */
      const sentBy = async (call: () => Promise<unknown>) => {
        executed.length = 0;
        await call();
        // pool.query runs client.query: each statement recorded twice.
        return executed.filter((s, i) => executed.findIndex((other) => other.text === s.text) === i);
      };
      return { url, store, days, today, ids, partitions, planOf, sentBy, pool };
    }

    const filled = (statement: { text: string; params: unknown[] }, values: Record<string, unknown>) =>
      statement.params.map((param) => values[(param as { name: string }).name]);

    it('a lookup by id reads one partition of each table, in a custom plan and (Subplans Removed) in a generic one', async () => {
      const { days, ids, partitions, planOf, sentBy, store } = await withHistory();
      const day = days[2] as number;
      const target = ids.find((run) => run.day === day && run.id > boundAt(day)) as (typeof ids)[number];
      const executionsPartitions = partitions.filter((p) => p.table === 'workflow_executions').length;
      expect(executionsPartitions).toBeGreaterThanOrEqual(13); // 5 days back to 7 ahead
      const onlyDay = (table: string) => [dayName(table, day)];

      const byId = 'SELECT * FROM workflow_executions WHERE id = $1';
      expect(relationsOf(await planOf(byId, [target.id]))).toEqual(onlyDay('workflow_executions'));
      const genericById = await planOf(byId, [target.id], true);
      expect(relationsOf(genericById)).toEqual(onlyDay('workflow_executions'));
      expect(subplansRemoved(genericById)).toBe(executionsPartitions - 1);

      // The store's own statements, as it sends them.
      const values = filled(EXECUTION_BY_ID, { id: target.id });
      expect(relationsOf(await planOf(EXECUTION_BY_ID.text, values))).toEqual(onlyDay('workflow_executions'));
      expect(subplansRemoved(await planOf(EXECUTION_BY_ID.text, values, true))).toBe(executionsPartitions - 1);
      const sent = await sentBy(() => store.getExecution(target.id));
      expect(sent.map((s) => s.text)).toEqual([EXECUTION_BY_ID.text]);

      // getExecutionWithSteps: its execution half reads one partition of workflow_executions.
      const withSteps = (await sentBy(() => store.getExecutionWithSteps(target.id)))[0]?.values as unknown[];
      expect((await sentBy(() => store.getExecutionWithSteps(target.id))).map((s) => s.text)).toEqual([EXECUTION_WITH_STEPS.text]);
      const ofExecutions = (plan: PlanNode) => relationsOf(plan).filter((name) => name.startsWith('workflow_executions'));
      expect(ofExecutions(await planOf(EXECUTION_WITH_STEPS.text, withSteps))).toEqual(onlyDay('workflow_executions'));
      const genericWithSteps = await planOf(EXECUTION_WITH_STEPS.text, withSteps, true);
      expect(ofExecutions(genericWithSteps)).toEqual(onlyDay('workflow_executions'));
      const executionsAppend = nodesOf(genericWithSteps).find((node) => node['Node Type'] === 'Append' && relationsOf(node).every((name) => name.startsWith('workflow_executions')));
      expect(executionsAppend?.['Subplans Removed']).toBe(executionsPartitions - 1);
    });

    // The steps are found by execution_id, which is not the partition key: the store adds the range of ids they lie in
    // (a step's id holds its execution's time), so that PostgreSQL reads their day's partition alone, not every day's.
    it('the steps of one execution are read from one partition of execution_steps', async () => {
      const { days, ids, partitions, planOf, sentBy, store } = await withHistory();
      const day = days[2] as number;
      const target = ids.find((run) => run.day === day) as (typeof ids)[number];
      const stepsPartitions = partitions.filter((p) => p.table === 'execution_steps').length;
      const ofSteps = (plan: PlanNode) => relationsOf(plan).filter((name) => name.startsWith('execution_steps'));
      const onlyDay = [dayName('execution_steps', day)];
      const calls = [() => store.getExecutionWithSteps(target.id), () => store.getStepsForExecution(target.id)];
      for (const [index, statement] of [EXECUTION_WITH_STEPS, STEPS_OF_EXECUTION].entries()) {
        // The statement as the store sends it, with the values it sends.
        const sent = await sentBy(calls[index] as () => Promise<unknown>);
        expect(sent.map((s) => s.text)).toEqual([statement.text]);
        const values = (sent[0] as { values: unknown[] }).values;
        expect(ofSteps(await planOf(statement.text, values))).toEqual(onlyDay);
        const generic = await planOf(statement.text, values, true);
        expect(ofSteps(generic)).toEqual(onlyDay);
        const stepsAppend = nodesOf(generic).find((node) => ['Append', 'Merge Append'].includes(node['Node Type']) && relationsOf(node).every((name) => name.startsWith('execution_steps')));
        expect(stepsAppend?.['Subplans Removed']).toBe(stepsPartitions - 1);
      }
      // And they are all there: the execution's three steps, in order.
      expect((await store.getStepsForExecution(target.id)).map((step) => step.id)).toEqual(target.stepIds);
    });

    it('an update of a step by id touches one partition', async () => {
      const { days, ids, partitions, planOf } = await withHistory();
      const day = days[4] as number;
      const target = ids.find((run) => run.day === day) as (typeof ids)[number];
      const stepsPartitions = partitions.filter((p) => p.table === 'execution_steps').length;
      const update = "UPDATE execution_steps SET status = 'success', completed_at = started_at + 5 WHERE id = $1";
      const custom = await planOf(update, [target.stepIds[1]]);
      expect(relationsOf(custom)).toEqual([dayName('execution_steps', day)]);
      const generic = await planOf(update, [target.stepIds[1]], true);
      expect(generic['Node Type']).toBe('ModifyTable');
      expect(relationsOf(generic)).toEqual([dayName('execution_steps', day)]);
      expect(subplansRemoved(generic)).toBe(stepsPartitions - 1);
    });

    it('an id-prefix search skips the days before the prefix; a page newest first merges per-partition index scans', async () => {
      const { days, ids, partitions, planOf, sentBy, store } = await withHistory();
      const day = days[3] as number;
      const target = ids.filter((run) => run.day === day)[20] as (typeof ids)[number]; // 10:00, not near the day's bound
      const prefix = target.id.slice(0, 8);
      const sent = await sentBy(() => store.findExecutionIds(prefix));
      const search = sent.find((s) => / like /i.test(s.text)) as (typeof sent)[number];
      expect(search.text).toMatch(/"id" >= \$1 and "workflow_executions"\."id" like \$2/);
      const notBefore = partitions
        .filter((p) => p.table === 'workflow_executions' && (p.bound.match(/TO \('([^']*)'\)/)?.[1] as string) > prefix)
        .map((p) => p.name)
        .sort();
      expect(notBefore).toContain(dayName('workflow_executions', day));
      expect(notBefore).not.toContain(dayName('workflow_executions', days[2] as number));
      expect(relationsOf(await planOf(search.text, search.values))).toEqual(notBefore);
      const generic = await planOf(search.text, search.values, true);
      expect(relationsOf(generic)).toEqual(notBefore);
      expect(subplansRemoved(generic)).toBe(partitions.filter((p) => p.table === 'workflow_executions').length - notBefore.length);

      // A page newest first: a Merge Append of each partition's started_at index read backwards, no Sort of the table.
      const pageSent = await sentBy(() => store.queryExecutionsPage({ limit: 50 }));
      const page = pageSent.find((s) => /order by/i.test(s.text)) as (typeof pageSent)[number];
      expect(page.text).toMatch(/order by "workflow_executions"\."started_at" desc, "workflow_executions"\."id" collate "C" desc limit \$1/);
      const plan = await planOf(page.text, page.values);
      const nodes = nodesOf(plan);
      expect(plan['Node Type']).toBe('Limit');
      expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
      const merge = nodes.find((node) => node['Node Type'] === 'Merge Append') as PlanNode;
      expect(merge).toBeDefined();
      const scans = nodesOf(merge).filter((node) => node['Relation Name'] !== undefined);
      expect(scans.map((node) => node['Relation Name']).sort()).toEqual(partitions.filter((p) => p.table === 'workflow_executions').map((p) => p.name).sort());
      for (const scan of scans) {
        expect(scan['Node Type']).toBe('Index Scan');
        expect(scan['Scan Direction']).toBe('Backward');
        expect(scan['Index Name']).toMatch(/started_at/);
      }
    });
  });
});

