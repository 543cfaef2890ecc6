// Part 12, PostgreSQL only: retention by whole days against retention by batched DELETE, on identical copies of the
// generated dataset. The oldest 3 days and a quarter of the 30 (10.8% of the executions: 3 whole days and the edge, a
// quarter of the 4th day) go by cleanupOldExecutions(maxAge) on
//   (a) a store with the default options, which drops the days wholly before the cut and deletes the edge in batches;
//   (b) a store with `postgres: { dropDays: false }`, which deletes everything in batches;
//   (c) raw SQL, for reference: batches of 1000 executions, each one transaction deleting their steps, then them;
//   (a0) the default store again, on the copy as generated: the dataset leaves 2% of its runs `running` on every day,
//        and a day holding a running execution is never dropped whole, so (a0) shows what happens then.
// Copies (CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY) are taken of the dataset right after it is generated,
// before any other part changes it. For (a), (b) and (c) the runs left `running` before the cut are first marked
// interrupted (recoverInterruptedExecutions, untimed), as a deployment's recovery would have done with weeks-old runs.
// While each runs, a second process (this file run as a script) records realistic runs of now, one after another
// with a short pause, timing each call; this process samples pg_locks every few ms for lock requests not granted.
// No VACUUM FULL anywhere: sizes after are as the clean-up left them (autovacuum may run; the part says whether it did).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openExecutionStore } from '../../../src/index.js';
import { DAY, HISTORY_END, HISTORY_START, makeRun, random } from '../../dataset.js';
import { percentile, type Row } from '../../measure.js';

const PART = '12 day retention';
/** The cut: 3 whole days and a quarter of the 4th after the start of the history. */
export const DAY_RETENTION_CUT = HISTORY_START + 3.25 * DAY;
/** The recording process's pause between two runs: a busy runtime, not a tight loop that would take a core alone. */
const WRITER_PAUSE_MS = 5;
/** How often pg_locks is sampled. */
const SAMPLE_EVERY_MS = 5;
const WRITER_APP = 'bench-day-retention-writer';
const SELF = fileURLToPath(import.meta.url);

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function onServer<T>(serverUrl: string, database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const target = new URL(serverUrl);
  target.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: target.toString(), application_name: 'execution-history-bench-admin' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const urlOf = (serverUrl: string, database: string, applicationName?: string) => {
  const target = new URL(serverUrl);
  target.pathname = `/${database}`;
  // node-postgres lets the connection string's parameters win over its config: the store's connections get this name.
  if (applicationName !== undefined) target.searchParams.set('application_name', applicationName);
  return target.toString();
};

/** CREATE DATABASE … TEMPLATE …, copying the files (PostgreSQL 15+; older servers copy as they do by default). */
async function cloneDatabase(serverUrl: string, from: string, to: string): Promise<void> {
  await onServer(serverUrl, 'postgres', async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoted(to)} WITH (FORCE)`);
    const version = Number((await client.query('SHOW server_version_num')).rows[0]?.server_version_num);
    const strategy = version >= 150000 ? ' STRATEGY = FILE_COPY' : '';
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${quoted(to)} TEMPLATE ${quoted(from)}${strategy}`);
        return;
      } catch (error) {
        // 55006: the template is being accessed (an autovacuum worker, a connection still closing).
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await sleep(500);
      }
    }
  });
}

async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  await onServer(serverUrl, 'postgres', (client) => client.query(`DROP DATABASE IF EXISTS ${quoted(database)} WITH (FORCE)`));
}

/** The pristine copy of the dataset the cases are cloned from, taken right after generation. */
export const dayRetentionTemplate = (datasetDatabase: string) => `${datasetDatabase}_days`;

/** Takes the pristine copy; call it while nothing is connected to the dataset's database. */
export async function prepareDayRetention(serverUrl: string, datasetDatabase: string): Promise<string> {
  const template = dayRetentionTemplate(datasetDatabase);
  await cloneDatabase(serverUrl, datasetDatabase, template);
  return template;
}

interface Sizes {
  database: number;
  executions: number;
  steps: number;
  /** The two tables' partitions of the generated history's days (the second process writes in today's, later). */
  history: number;
}

interface Counts {
  /** Finished executions started before the cut, and their steps: what the clean-up is to remove. */
  executions: number;
  steps: number;
  /** Every execution and step of the generated history (the writer's runs are later). */
  historyExecutions: number;
  historySteps: number;
  running: number;
}

async function sizes(client: pg.Client): Promise<Sizes> {
  const { rows } = await client.query(
    `SELECT pg_database_size(current_database()) AS database,
       (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('workflow_executions')) AS executions,
       (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('execution_steps')) AS steps,
       (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM
          (SELECT relid FROM pg_partition_tree('workflow_executions') UNION ALL SELECT relid FROM pg_partition_tree('execution_steps')) t
        WHERE substring(relid::regclass::text from '_p([0-9]{8})"?$') < $1) AS history`,
    [new Date(HISTORY_END).toISOString().slice(0, 10).replaceAll('-', '')],
  );
  const row = rows[0];
  return { database: Number(row.database), executions: Number(row.executions), steps: Number(row.steps), history: Number(row.history) };
}

async function counts(client: pg.Client): Promise<Counts> {
  const { rows } = await client.query(
    `SELECT (SELECT count(*) FROM workflow_executions WHERE started_at < $1 AND status <> 'running') AS executions,
       (SELECT count(*) FROM execution_steps s JOIN workflow_executions e ON e.id = s.execution_id
          WHERE e.started_at < $1 AND e.status <> 'running') AS steps,
       (SELECT count(*) FROM workflow_executions WHERE started_at < $2) AS history_executions,
       (SELECT count(*) FROM execution_steps s JOIN workflow_executions e ON e.id = s.execution_id WHERE e.started_at < $2) AS history_steps,
       (SELECT count(*) FROM workflow_executions WHERE started_at < $1 AND status = 'running') AS running`,
    [DAY_RETENTION_CUT, HISTORY_END],
  );
  const row = rows[0];
  return {
    executions: Number(row.executions),
    steps: Number(row.steps),
    historyExecutions: Number(row.history_executions),
    historySteps: Number(row.history_steps),
    running: Number(row.running),
  };
}

/** Day partitions of the two tables lying wholly before the cut. */
async function daysBeforeCut(client: pg.Client): Promise<number> {
  const { rows } = await client.query(
    `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname IN ('workflow_executions', 'execution_steps') AND c.relname ~ '_p[0-9]{8}$'`,
  );
  const cutDay = new Date(Math.floor(DAY_RETENTION_CUT / DAY) * DAY).toISOString().slice(0, 10).replaceAll('-', '');
  return rows.filter((row) => (/_p([0-9]{8})$/.exec(row.relname as string)?.[1] ?? '99999999') < cutDay).length;
}

interface LockWait {
  ms: number;
  application: string;
  mode: string;
  relation: string;
  query: string;
  /** Who held it up: application and statement of each blocking backend. */
  blockers: string;
}

/** Samples pg_locks for requests not granted until stopped; the longest wait seen per application. */
function sampleLocks(url: string): { stop: () => Promise<{ longest: Map<string, LockWait>; samples: number }> } {
  const client = new pg.Client({ connectionString: url, application_name: 'execution-history-bench-sampler' });
  const longest = new Map<string, LockWait>();
  let running = true;
  let samples = 0;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query(
        `SELECT a.application_name AS application, l.mode, coalesce(l.relation::regclass::text, l.locktype) AS relation,
           extract(epoch FROM clock_timestamp() - l.waitstart) * 1000 AS ms, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 90) AS query,
           (SELECT string_agg(b.application_name || ': ' || left(regexp_replace(b.query, '\\s+', ' ', 'g'), 70), '; ')
              FROM pg_stat_activity b WHERE b.pid = ANY(pg_blocking_pids(a.pid))) AS blockers
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE NOT l.granted AND l.waitstart IS NOT NULL`,
      );
      samples++;
      for (const row of rows) {
        const wait: LockWait = { ms: Number(row.ms), application: row.application, mode: row.mode, relation: row.relation, query: row.query, blockers: row.blockers ?? '' };
        if (wait.ms > (longest.get(wait.application)?.ms ?? -1)) longest.set(wait.application, wait);
      }
      await sleep(SAMPLE_EVERY_MS);
    }
    await client.end();
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { longest, samples };
    },
  };
}

interface WriterOutput {
  /** [start, ms] of each call, start in ms since the epoch. */
  calls: [number, number][];
  failures: number;
  firstFailure?: string;
}

async function startWriter(url: string, seed: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, url, String(seed)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = once(child, 'exit');
  while (!output.includes('ready\n')) {
    if (child.exitCode !== null) throw new Error(`the recording process (${SELF}) exited with ${child.exitCode} before it was ready`);
    await sleep(20);
  }
  return {
    stop: async (): Promise<WriterOutput> => {
      child.stdin.end('stop\n');
      await exited;
      return JSON.parse(output.split('\n').filter(Boolean).at(-1) as string) as WriterOutput;
    },
  };
}

type Case = 'a0' | 'a' | 'b' | 'c';

interface Measured {
  ms: number;
  /** What the call returned (executions); for raw SQL, the rows its DELETEs reported. */
  returned: number;
  removedExecutions: number;
  removedSteps: number;
  before: Sizes;
  after: Sizes;
  countsBefore: Counts;
  countsAfter: Counts;
  daysBefore: number;
  daysAfter: number;
  /** Whole days dropped (the call's progress events of whole days). */
  daysDropped: number;
  batches: number;
  longestStepMs: number;
  writer: { calls: number; p50: number; p99: number; max: number; failures: number; firstFailure?: string };
  waits: { samples: number; writer: LockWait | undefined; others: LockWait[] };
  autovacuumed: string[];
}

async function measureCase(serverUrl: string, database: string, which: Case, seed: number, log: (message: string) => void): Promise<Measured> {
  const url = urlOf(serverUrl, database);
  const admin = new pg.Client({ connectionString: url, application_name: 'execution-history-bench-admin' });
  await admin.connect();
  try {
    await admin.query('CHECKPOINT').catch(() => undefined);
    const before = await sizes(admin);
    const countsBefore = await counts(admin);
    const daysBefore = await daysBeforeCut(admin);
    const maxAge = HISTORY_END - DAY_RETENTION_CUT;
    const store =
      which === 'c'
        ? undefined
        : await openExecutionStore(urlOf(serverUrl, database, `bench-day-retention-${which}`), {
            now: () => HISTORY_END,
            ...(which === 'b' ? { postgres: { dropDays: false } } : {}),
          });
    const rawPool = which === 'c' ? new pg.Pool({ connectionString: url, max: 4, application_name: 'bench-day-retention-c' }) : undefined;
    // Connections open before the clock starts.
    await (store ? store.queryExecutions({ limit: 1 }) : rawPool?.query('SELECT 1'));

    const writer = await startWriter(urlOf(serverUrl, database, WRITER_APP), seed);
    await sleep(1000); // the writer's first calls (its JIT, its connections) are not what is measured
    const sampler = sampleLocks(url);
    await sleep(50);
    let batches = 0;
    let longestStepMs = 0;
    let returned = 0;
    const startedAt = Date.now();
    const started = performance.now();
    if (store) {
      returned = await store.cleanupOldExecutions(maxAge, {
        onProgress: ({ batchMs }) => {
          // A whole day dropped and a batch deleted each report once; the days are counted from the partitions below.
          batches++;
          longestStepMs = Math.max(longestStepMs, batchMs);
        },
      });
    } else if (rawPool) {
      for (;;) {
        const batchStarted = performance.now();
        const client = await rawPool.connect();
        let deleted = 0;
        try {
          await client.query('BEGIN');
          const { rows } = await client.query(
            `SELECT id FROM workflow_executions WHERE started_at < $1 AND status <> 'running' LIMIT 1000 FOR UPDATE`,
            [DAY_RETENTION_CUT],
          );
          const ids = rows.map((row) => row.id as string);
          if (ids.length > 0) {
            await client.query('DELETE FROM execution_steps WHERE execution_id = ANY($1::text[])', [ids]);
            deleted = (await client.query('DELETE FROM workflow_executions WHERE id = ANY($1::text[])', [ids])).rowCount ?? 0;
          }
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        } finally {
          client.release();
        }
        batches++;
        returned += deleted;
        longestStepMs = Math.max(longestStepMs, performance.now() - batchStarted);
        if (deleted < 1000) break;
      }
    }
    const ms = performance.now() - started;
    const endedAt = Date.now();
    await sleep(50);
    const { longest, samples } = await sampler.stop();
    const written = await writer.stop();
    await store?.close();
    await rawPool?.end();

    const after = await sizes(admin);
    const countsAfter = await counts(admin);
    const daysAfter = await daysBeforeCut(admin);
    const daysDropped = (daysBefore - daysAfter) / 2;
    batches -= daysDropped;
    const { rows: vacuumed } = await admin.query(
      `SELECT relname FROM pg_stat_user_tables
       WHERE (relname LIKE 'workflow_executions%' OR relname LIKE 'execution_steps%')
         AND greatest(last_autovacuum, last_autoanalyze) >= to_timestamp($1 / 1000.0)`,
      [startedAt],
    );
    // The writer's calls that ran, at least partly, while the clean-up did.
    const during = written.calls.filter(([start, callMs]) => start < endedAt && start + callMs > startedAt).map(([, callMs]) => callMs);
    const writerWait = longest.get(WRITER_APP);
    const others = [...longest.values()].filter((wait) => wait.application !== WRITER_APP);
    const measured: Measured = {
      ms,
      returned,
      removedExecutions: countsBefore.historyExecutions - countsAfter.historyExecutions,
      removedSteps: countsBefore.historySteps - countsAfter.historySteps,
      before,
      after,
      countsBefore,
      countsAfter,
      daysBefore,
      daysAfter,
      daysDropped,
      batches,
      longestStepMs,
      writer: {
        calls: during.length,
        p50: percentile(during, 50),
        p99: percentile(during, 99),
        max: Math.max(...during),
        failures: written.failures,
        ...(written.firstFailure === undefined ? {} : { firstFailure: written.firstFailure }),
      },
      waits: { samples, writer: writerWait, others },
      autovacuumed: vacuumed.map((row) => row.relname as string),
    };
    log(`  (${which}) ${(ms / 1000).toFixed(1)} s, ${measured.removedExecutions} executions and ${measured.removedSteps} steps removed, ` +
      `writer p99 ${measured.writer.p99.toFixed(1)} ms max ${measured.writer.max.toFixed(1)} ms, longest writer lock wait ${writerWait?.ms.toFixed(1) ?? 'none seen'} ms`);
    return measured;
  } finally {
    await admin.end();
  }
}

/**
 * Runs the cases one after another, each on a fresh copy of the template dropped before the next is made (so that
 * the disk holds the template and one copy at most), and drops the template.
 */
export async function dayRetentionPart(
  serverUrl: string,
  template: string,
  log: (message: string) => void,
  { asGenerated }: { asGenerated: boolean },
): Promise<{ rows: Row[]; lines: string[] }> {
  const results = new Map<Case, Measured>();
  const copy = (which: Case) => `${template}_${which}`;
  try {
    // A deployment's earlier clean-ups have compacted the past weeks' rollups and pruned the old hourly ones; the first
    // clean-up of a generated history does it all in its call (the weeks under a SHARE lock on node_rollups, which
    // holds writers back for seconds). A clean-up whose cut lies before the history deletes nothing and does just that.
    const settleStarted = performance.now();
    const settler = await openExecutionStore(urlOf(serverUrl, template), { now: () => HISTORY_END });
    await settler.cleanupOldExecutions(HISTORY_END - HISTORY_START + DAY);
    await settler.close();
    const settleMs = performance.now() - settleStarted;
    // (a0): the copy as generated, running runs left on every day.
    if (asGenerated) {
      log('  copying the dataset for (a0) …');
      await cloneDatabase(serverUrl, template, copy('a0'));
      await onServer(serverUrl, copy('a0'), (client) => client.query('VACUUM (ANALYZE)'));
      log('  (a0) …');
      results.set('a0', await measureCase(serverUrl, copy('a0'), 'a0', 7, log));
      await dropDatabase(serverUrl, copy('a0'));
    }
    // The runs left running before the cut marked interrupted on the template, then a copy for each of (a), (b), (c).
    const recovery = await openExecutionStore(urlOf(serverUrl, template), { now: () => HISTORY_END });
    const recovered = await recovery.recoverInterruptedExecutions({ startedBefore: DAY_RETENTION_CUT });
    await recovery.close();
    await onServer(serverUrl, template, (client) => client.query('VACUUM (ANALYZE)'));
    log(`  ${recovered.executions} runs left running before the cut marked interrupted`);

    // b before a, so that the default store does not get the first turn on each server's state; c, the reference, last.
    for (const [i, which] of (['b', 'a', 'c'] as const).entries()) {
      log(`  copying the dataset for (${which}) …`);
      await cloneDatabase(serverUrl, template, copy(which));
      log(`  (${which}) …`);
      results.set(which, await measureCase(serverUrl, copy(which), which, 8 + i, log));
      await dropDatabase(serverUrl, copy(which));
    }
    return report(results, recovered.executions, settleMs);
  } finally {
    for (const which of ['a0', 'a', 'b', 'c'] as const) await dropDatabase(serverUrl, copy(which)).catch(() => undefined);
    await dropDatabase(serverUrl, template).catch(() => undefined);
  }
}

function report(results: Map<Case, Measured>, recovered: number, settleMs: number): { rows: Row[]; lines: string[] } {
  const [a, b, c] = (['a', 'b', 'c'] as const).map((which) => results.get(which) as Measured) as [Measured, Measured, Measured];
  const a0 = results.get('a0');
  /** A note on (a0), when it was measured. */
  const asGenerated = (note: (m: Measured) => string) => (a0 === undefined ? '' : note(a0));
  const mib = (bytes: number) => bytes / 1024 / 1024;
  const tables = (s: Sizes) => s.executions + s.steps;
  const rate = (m: Measured, n: number) => n / (m.ms / 1000);
  const wait = (m: Measured) => m.waits.writer?.ms ?? 0;
  const waitNote = (m: Measured) =>
    m.waits.writer === undefined ? 'none seen' : `${m.waits.writer.ms.toFixed(0)} ms for ${m.waits.writer.mode} on ${m.waits.writer.relation} (${m.waits.writer.query}), held up by ${m.waits.writer.blockers || '?'}`;
  const row = (name: string, va: number, vb: number, note: string, extra: Partial<Row> = {}): Row => ({
    part: PART,
    name,
    store: va,
    raw: vb,
    ratio: va / vb,
    target: Number.NaN,
    pass: true,
    note,
    ...extra,
  });
  const f1 = (value: number) => value.toFixed(1);
  const rows: Row[] = [
    row('wall time of cleanupOldExecutions, s', a.ms / 1000, b.ms / 1000,
      `store column: (a) default, drops whole days; raw column: (b) dropDays: false, batched DELETE only; ratio a/b. (c) raw SQL batches ${f1(c.ms / 1000)} s${asGenerated((a0) => `; (a0) default on the data as generated ${f1(a0.ms / 1000)} s`)}`),
    row('executions removed', a.removedExecutions, b.removedExecutions,
      `must be equal: ${a.removedExecutions === b.removedExecutions && a.returned === b.returned ? 'equal' : '**differ**'}; returned by the call a ${a.returned}, b ${b.returned}; (c) ${c.removedExecutions}${asGenerated((a0) => `; (a0) ${a0.removedExecutions}`)}`,
      { pass: a.removedExecutions === b.removedExecutions && a.returned === b.returned && a.removedExecutions === a.returned }),
    row('steps removed', a.removedSteps, b.removedSteps, `(c) ${c.removedSteps}${asGenerated((a0) => `; (a0) ${a0.removedSteps}`)}`, { pass: a.removedSteps === b.removedSteps }),
    row('executions removed per s (higher is better)', rate(a, a.removedExecutions), rate(b, b.removedExecutions),
      `(c) ${rate(c, c.removedExecutions).toFixed(0)}${asGenerated((a0) => `; (a0) ${rate(a0, a0.removedExecutions).toFixed(0)}`)}`, { higherIsBetter: true }),
    row('steps removed per s (higher is better)', rate(a, a.removedSteps), rate(b, b.removedSteps),
      `(c) ${rate(c, c.removedSteps).toFixed(0)}${asGenerated((a0) => `; (a0) ${rate(a0, a0.removedSteps).toFixed(0)}`)}`, { higherIsBetter: true }),
    row('whole days dropped (of those wholly before the cut)', a.daysDropped, Number.NaN,
      `(b) drops none by design; day partitions (both tables) before the cut: a ${a.daysBefore} before, ${a.daysAfter} after; b ${b.daysBefore} → ${b.daysAfter}${asGenerated((a0) => `; (a0) ${a0.daysDropped} days dropped, ${a0.daysBefore} → ${a0.daysAfter} partitions`)}`),
    row('pg_database_size after, MiB (before: same copy)', mib(a.after.database), mib(b.after.database),
      `before: a ${mib(a.before.database).toFixed(0)}, b ${mib(b.before.database).toFixed(0)}; freed a ${mib(a.before.database - a.after.database).toFixed(0)}, b ${mib(b.before.database - b.after.database).toFixed(0)}, (c) ${mib(c.before.database - c.after.database).toFixed(0)}${asGenerated((a0) => `, (a0) ${mib(a0.before.database - a0.after.database).toFixed(0)}`)} MiB; no VACUUM FULL`),
    row('the two tables over their partitions after, MiB (pg_total_relation_size)', mib(tables(a.after)), mib(tables(b.after)),
      `before: a ${mib(tables(a.before)).toFixed(0)}, b ${mib(tables(b.before)).toFixed(0)}; freed a ${mib(tables(a.before) - tables(a.after)).toFixed(0)}, b ${mib(tables(b.before) - tables(b.after)).toFixed(0)}, (c) ${mib(tables(c.before) - tables(c.after)).toFixed(0)}${asGenerated((a0) => `, (a0) ${mib(tables(a0.before) - tables(a0.after)).toFixed(0)}`)} MiB; these and pg_database_size include what the second process wrote meanwhile`),
    row("the history's day partitions of the two tables after, MiB (the second process's rows left out)", mib(a.after.history), mib(b.after.history),
      `before: a ${mib(a.before.history).toFixed(0)}, b ${mib(b.before.history).toFixed(0)}; freed a ${mib(a.before.history - a.after.history).toFixed(0)}, b ${mib(b.before.history - b.after.history).toFixed(0)}, (c) ${mib(c.before.history - c.after.history).toFixed(0)}${asGenerated((a0) => `, (a0) ${mib(a0.before.history - a0.after.history).toFixed(0)}`)} MiB`),
    row("second process's recordExecution p99 during the clean-up, ms", a.writer.p99, b.writer.p99,
      `calls during it: a ${a.writer.calls}, b ${b.writer.calls}; p50 a ${f1(a.writer.p50)}, b ${f1(b.writer.p50)}; failed a ${a.writer.failures}, b ${b.writer.failures}${a.writer.firstFailure ? ` (${a.writer.firstFailure})` : ''}; (c) p99 ${f1(c.writer.p99)}${asGenerated((a0) => `, (a0) p99 ${f1(a0.writer.p99)}`)}`,
      { pass: a.writer.failures === 0 && b.writer.failures === 0 }),
    row("second process's slowest recordExecution during the clean-up, ms", a.writer.max, b.writer.max,
      `(c) ${f1(c.writer.max)}${asGenerated((a0) => `; (a0) ${f1(a0.writer.max)}`)}; an upper bound of any lock wait in that call`),
    row('longest lock wait the second process was seen in (pg_locks), ms', wait(a), wait(b),
      `target: (a) at most 100 ms. a: ${waitNote(a)}; b: ${waitNote(b)}; (c) ${waitNote(c)}${asGenerated((a0) => `; (a0) ${waitNote(a0)}`)}; pg_locks sampled every ~${SAMPLE_EVERY_MS} ms (a: ${a.waits.samples} samples), so a wait can be longer than seen by a sample's interval`,
      { target: 100, pass: wait(a) <= 100 }),
    row('longest step of the call (a whole day, or a batch), ms', a.longestStepMs, b.longestStepMs,
      `batches: a ${a.batches} (the edge and any day not dropped; a failed attempt at a day is not a step), b ${b.batches}, (c) ${c.batches} of 1000 (longest ${f1(c.longestStepMs)} ms)${asGenerated((a0) => `; (a0) ${a0.batches} batches, longest ${f1(a0.longestStepMs)} ms`)}`),
  ];
  const detail = (m: Measured) =>
    `${(m.ms / 1000).toFixed(1)} s, ${m.removedExecutions} executions + ${m.removedSteps} steps, db ${mib(m.before.database).toFixed(0)} → ${mib(m.after.database).toFixed(0)} MiB, tables ${mib(tables(m.before)).toFixed(0)} → ${mib(tables(m.after)).toFixed(0)} MiB (history's days ${mib(m.before.history).toFixed(0)} → ${mib(m.after.history).toFixed(0)}), writer ${m.writer.calls} calls p99 ${f1(m.writer.p99)} max ${f1(m.writer.max)} ms, lock waits of others: ${m.waits.others.map((w) => `${w.application} ${w.ms.toFixed(0)} ms (${w.mode} on ${w.relation})`).join(', ') || 'none seen'}; autovacuum/analyze during or right after: ${m.autovacuumed.length === 0 ? 'none' : m.autovacuumed.join(', ')}`;
  const lines = [
    `12 day retention: cut at ${new Date(DAY_RETENTION_CUT).toISOString()} (3 whole days and a quarter of the 4th of the 30), maxAge ${(HISTORY_END - DAY_RETENTION_CUT) / DAY} days from ${new Date(HISTORY_END).toISOString()}; ` +
      `${a.countsBefore.executions} finished executions with ${a.countsBefore.steps} steps before the cut. Each case on its own copy of the generated dataset (CREATE DATABASE … TEMPLATE, file copy), CHECKPOINT before it. ` +
      `Before copying, untimed, a clean-up with its cut before the history (deleting nothing) compacted the past weeks' rollups and pruned the old hourly ones, as a deployment's earlier clean-ups would have: ${(settleMs / 1000).toFixed(1)} s. ` +
      `For (a), (b), (c) the ${recovered} runs the dataset left running before the cut were marked interrupted first (untimed)${asGenerated((a0) => `; (a0) is (a) on the copy as generated, ${a0.countsBefore.running} runs running before the cut`)}. ` +
      `Second process: recordExecution of realistic runs of now (~10 steps, 200 B–2 KB payloads), ${WRITER_PAUSE_MS} ms apart; pg_locks sampled every ${SAMPLE_EVERY_MS} ms by the benchmark process. Order: ${a0 === undefined ? '' : 'a0, '}b, a, c.`,
    `(a) ${detail(a)}`,
    `(b) ${detail(b)}`,
    `(c) ${detail(c)}`,
    ...(a0 === undefined ? [] : [`(a0) ${detail(a0)}`]),
  ];
  return { rows, lines };
}

// ---------------------------------------------------------------------------------------------------------------
// Run as a script: the second process. Usage: node --import tsx bench/postgres/parts/retention-drop.ts <url> <seed>
// Records runs of now one after another (WRITER_PAUSE_MS apart) until a line on stdin, then prints each call's start
// and duration as JSON.
async function writerMain(url: string, seed: number): Promise<void> {
  const store = await openExecutionStore(url);
  const next = random(seed);
  const RUNS = 200;
  const runs = Array.from({ length: RUNS }, (_, i) => makeRun(i, RUNS, next));
  await store.queryExecutions({ limit: 1 });
  let stop = false;
  const lines = createInterface({ input: process.stdin });
  lines.once('line', () => {
    stop = true;
    lines.close();
  });
  process.stdout.write('ready\n');
  const calls: [number, number][] = [];
  const failures: string[] = [];
  for (let i = 0; !stop; i++) {
    const run = runs[i % RUNS] as (typeof runs)[number];
    // The run moved to start now: a runtime records what runs now, in today's partitions.
    const shift = Date.now() - run.execution.startedAt;
    const at = (ms: number | undefined) => (ms === undefined ? undefined : ms + shift);
    const execution = { ...run.execution, startedAt: run.execution.startedAt + shift, completedAt: at(run.execution.completedAt) };
    const steps = run.steps.map((step) => ({ ...step, startedAt: step.startedAt + shift, completedAt: at(step.completedAt) }));
    const start = Date.now();
    const callStarted = performance.now();
    try {
      await store.recordExecution(execution, steps);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
    calls.push([start, performance.now() - callStarted]);
    await sleep(WRITER_PAUSE_MS);
  }
  await store.close();
  process.stdout.write(`${JSON.stringify({ calls, failures: failures.length, firstFailure: failures[0] })}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === SELF) {
  const [url, seed] = process.argv.slice(2) as [string, string];
  await writerMain(url, Number(seed));
}
