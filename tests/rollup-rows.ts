// The stored rows of a store's database read directly, the same way on both backends: for the contract tests that
// check the rollup tables against a recount (tests/rollup-recount.ts), read the insight settings' row, or change a
// table under the store. A target is what openExecutionStore took: a SQLite file path or a PostgreSQL URL.
//
// On PostgreSQL the tables have SQLite's names and columns, except that execution_counts and workflow_rollups have a
// `shard` in their key (and workflow_rollups a `named_at`): a bucket's figures are the sum over its shards, its
// histogram the shards' histograms added up, and a bucket whose summed figures are all 0 is no row at all (as SQLite
// deletes a row that reaches 0). Read that way they are what SQLite holds, and compare with the same recount.
// Values come back as SQLite gives them: bigint and numeric as numbers, booleans as 1 and 0.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { decodeHistogram, encodeHistogram, type HistogramChange } from '../src/core/histogram.js';
import type { TestBackend } from './backends.js';
import { tempDir } from './factories.js';
import { RECOUNT_QUERIES, recount, recountedRollups, type Snapshot, storedRollups, storedSnapshot } from './rollup-recount.js';

type Row = Record<string, unknown>;

const isPostgres = (target: string) => /^postgres(ql)?:\/\//i.test(target);

/**
 * A fresh, empty database that a test can open more than once (with different options, or after closing it): a file
 * in a temporary folder for SQLite (':memory:' would be a new database at each opening), a new database for
 * PostgreSQL. Removed after the test.
 */
export async function reopenableTarget(backend: TestBackend): Promise<string> {
  return backend.name === 'sqlite' ? join(tempDir(), 'history.db') : backend.target();
}

/**
 * How the store names the database in its messages: the file's path in quotes on SQLite; on PostgreSQL the server's
 * URL with its password masked (src/postgres/open.ts).
 */
export function nameInMessages(target: string): string {
  if (!isPostgres(target)) return `"${target}"`;
  const url = new URL(target);
  if (url.password !== '') url.password = '***';
  return `the PostgreSQL server at ${url.toString()}`;
}

const INT8 = 20;
const NUMERIC = 1700;
const BOOL = 16;

/** Numbers as numbers (every value the tests read is below 2^53), booleans as SQLite stores them. */
const sqliteLikeTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
    if (oid === BOOL) return (value: string) => (value === 't' ? 1 : 0);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

async function withPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, types: sqliteLikeTypes });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function withSqlite<T>(file: string, readonly: boolean, work: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/** The rows a query gives (one connection or handle, opened and closed here). */
export async function queryRows(target: string, query: string): Promise<Row[]> {
  if (isPostgres(target)) return withPostgres(target, async (client) => (await client.query(query)).rows as Row[]);
  return withSqlite(target, true, (db) => db.prepare(query).all() as Row[]);
}

/** The first column of the rows a query gives. */
export async function queryColumn(target: string, query: string): Promise<unknown[]> {
  return (await queryRows(target, query)).map((row) => Object.values(row)[0]);
}

/** Runs statements that change the database under the store (plain SQL both backends run, separated by ';'). */
export async function executeStatements(target: string, statements: string): Promise<void> {
  if (isPostgres(target)) {
    await withPostgres(target, async (client) => {
      await client.query(statements);
    });
    return;
  }
  withSqlite(target, false, (db) => db.exec(statements));
}

/** What the store keeps in the rollup tables, as tests/rollup-recount.ts's storedRollups reads it from a file. */
export async function storedRollupsOf(target: string): Promise<Snapshot> {
  if (!isPostgres(target)) return storedRollups(target);
  return withPostgres(target, async (client) => {
    const counts = (
      await client.query(`SELECT workflow_id, trigger_type, status, sum(executions) AS executions, sum(duration_count) AS duration_count,
        sum(duration_sum) AS duration_sum FROM execution_counts GROUP BY 1, 2, 3`)
    ).rows as Row[];
    const shards = (await client.query('SELECT * FROM workflow_rollups ORDER BY named_at, shard')).rows as Row[];
    const nodes = (await client.query('SELECT * FROM node_rollups')).rows as Row[];
    return storedSnapshot({
      counts: counts.filter((row) => !(row.executions === 0 && row.duration_count === 0 && row.duration_sum === 0)),
      workflows: summedWorkflowRollups(shards),
      nodes,
    });
  });
}

/** The shards of each workflow rollup bucket added up, as SQLite's one row would hold them; emptied buckets left out. */
function summedWorkflowRollups(shards: Row[]): Row[] {
  const buckets = new Map<string, { row: Row; histogram: HistogramChange }>();
  for (const { shard: _, named_at: _namedAt, histogram, ...shard } of shards) {
    const key = `${shard.grain}\u0000${shard.workflow_id}\u0000${shard.bucket_start}`;
    const bucket: { row: Row; histogram: HistogramChange } = buckets.get(key) ?? {
      row: { ...shard, success: 0, error: 0, duration_count: 0, duration_sum: 0 },
      histogram: new Map(),
    };
    for (const field of ['success', 'error', 'duration_count', 'duration_sum']) (bucket.row[field] as number) += shard[field] as number;
    bucket.row.workflow_name = shard.workflow_name; // the latest named shard's (ordered by named_at): left out of the snapshot anyway
    for (const [durationBucket, count] of decodeHistogram(histogram as string)) {
      const next = (bucket.histogram.get(durationBucket) ?? 0) + count;
      if (next === 0) bucket.histogram.delete(durationBucket);
      else bucket.histogram.set(durationBucket, next);
    }
    buckets.set(key, bucket);
  }
  return [...buckets.values()]
    .filter(({ row, histogram }) => !(row.success === 0 && row.error === 0 && row.duration_count === 0 && row.duration_sum === 0 && histogram.size === 0))
    .map(({ row, histogram }) => ({ ...row, histogram: encodeHistogram(histogram) }));
}

/** The rollups recounted from the executions and steps stored now, as tests/rollup-recount.ts's recountedRollups. */
export async function recountedRollupsOf(target: string): Promise<Snapshot> {
  if (!isPostgres(target)) return recountedRollups(target);
  return withPostgres(target, async (client) => {
    const rows = async (query: string) => (await client.query(query)).rows as Row[];
    return recount({
      counts: await rows(RECOUNT_QUERIES.counts),
      executions: await rows(RECOUNT_QUERIES.executions),
      steps: await rows(RECOUNT_QUERIES.steps),
      compactedWeeks: (await rows(RECOUNT_QUERIES.compactedWeeks)).map((row) => row.week_start as number),
    });
  });
}
