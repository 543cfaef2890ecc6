// A look into a PostgreSQL history database that changes nothing (the store, when it opens one, applies migrations):
// the server's version, the database's and the tables' sizes, the dead rows waiting for a vacuum, which migrations it
// has, its rows and the insight settings it holds. What `doctor` reports and `migrate` compares. All of it is read in
// one read-only transaction: the server refuses any write in it, and the counts describe one moment.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { listInstances } from './instances.js';
import { attachedPartitions } from './partitions.js';
import { ExecutionStoreError } from '../core/errors.js';
import { insightSettingsInForce } from '../core/insight-settings-in-force.js';
import { findMigrationsFolder } from '../core/migrations-folder.js';
import type { InsightSettings, InspectionOptions, PostgresInspection } from '../core/types.js';
import { withClient } from './connection.js';
import { newestApplied } from './migrations.js';
import { HISTORY_TABLES, historyTableBytes } from './space.js';

/** The package's tables' dead rows, by the statistics the server keeps (updated within a second or so of a change). */
const DEAD_ROWS = `SELECT coalesce(sum(n_dead_tup), 0)::text AS value FROM pg_stat_user_tables
  WHERE relid = ANY(SELECT t.relid FROM unnest($1::text[]) AS name, pg_partition_tree(to_regclass(name)) AS t)`;

interface JournalEntry {
  tag: string;
  when: number;
}

/**
 * Reads the database the pool reaches. `options.integrity` asks for nothing here: PostgreSQL has no check of a whole
 * database like SQLite's integrity_check. NOT_FOUND when the database has none of the package's tables; `database`
 * names it in that message (a URL without its password, say).
 */
export async function inspectPostgres(pool: Pool, { runningSince }: InspectionOptions = {}, database = 'the database'): Promise<PostgresInspection> {
  return withClient(pool, async (client, broken) => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      return await inspect(client, runningSince, database);
    } finally {
      // Nothing to keep: it wrote nothing, and a failed statement has aborted it anyway.
      await client.query('ROLLBACK').catch((error: Error) => broken(error));
    }
  });
}

/** What a database without the package's tables (or no database at all) is: as a missing SQLite file, NOT_FOUND. */
export function noHistoryIn(database: string): ExecutionStoreError {
  return new ExecutionStoreError(
    'NOT_FOUND',
    `no execution history in ${database}; expected a database the store has opened or \`npm run db:migrate:postgres\` has migrated`,
  );
}

async function inspect(client: PoolClient, runningSince: number | undefined, database: string): Promise<PostgresInspection> {
  const exists = async (table: string) => (await value(client, 'SELECT to_regclass($1) IS NOT NULL AS value', [`"${table}"`])) === true;
  if (!(await exists('workflow_executions'))) throw noHistoryIn(database);
  const count = async (sql: string, values: unknown[] = []) => Number(await value(client, `SELECT count(*)::text AS value FROM ${sql}`, values));
  return {
    backend: 'postgres',
    serverVersion: String(await value(client, 'SELECT current_setting($1) AS value', ['server_version'])),
    databaseBytes: Number(await value(client, 'SELECT pg_database_size(current_database())::text AS value')),
    tableBytes: await historyTableBytes(client),
    deadRows: Number(await value(client, DEAD_ROWS, [HISTORY_TABLES.map((table) => `"${table}"`)])),
    integrity: null,
    migrations: await migrationState(client),
    rows: {
      executions: await count('workflow_executions'),
      steps: await count('execution_steps'),
      running: await count("workflow_executions WHERE status = 'running'"),
      runningSince: runningSince === undefined ? null : await count("workflow_executions WHERE status = 'running' AND started_at < $1", [runningSince]),
    },
    insights: (await exists('insight_settings')) ? await insightSettingsOf(client) : null,
    instances: (await exists('history_instances')) ? await listInstances(client, '') : null,
    partitions: await partitionsOf(client),
  };
}

/** The executions' day partitions, from their names (`workflow_executions_pYYYYMMDD`); null when not partitioned. */
async function partitionsOf(client: PoolClient): Promise<PostgresInspection['partitions']> {
  const partitioned = await value(client, "SELECT count(*)::int AS value FROM pg_partitioned_table WHERE partrelid = to_regclass('workflow_executions')");
  if (partitioned === 0) return null;
  const partitions = (await attachedPartitions(client)).filter((partition) => partition.table === 'workflow_executions');
  const days = partitions
    .map((partition) => /_p(\d{4,})(\d{2})(\d{2})$/.exec(partition.name))
    .filter((match) => match !== null)
    .map((match) => `${match[1]}-${match[2]}-${match[3]}`)
    .sort();
  return { days: days.length, first: days[0] ?? null, last: days.at(-1) ?? null, legacy: partitions.some((partition) => partition.from === null) };
}

async function value(client: PoolClient, sql: string, values: unknown[] = []): Promise<unknown> {
  const { rows } = await client.query<{ value: unknown }>(sql, values);
  return rows[0]?.value;
}

/** Which of the package's migrations the database has, by drizzle's rule, as src/sqlite/migration-state.ts reads a file's. */
async function migrationState(client: PoolClient): Promise<{ applied: string[]; pending: string[] }> {
  const folder = findMigrationsFolder(import.meta.url, 'postgres');
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: JournalEntry[] };
  const newest = await newestApplied(client);
  const isApplied = (entry: JournalEntry) => newest !== undefined && entry.when <= newest;
  return {
    applied: journal.entries.filter(isApplied).map((entry) => entry.tag),
    pending: journal.entries.filter((entry) => !isApplied(entry)).map((entry) => entry.tag),
  };
}

/** The insight settings the database holds, with the defaults for the others. */
async function insightSettingsOf(client: PoolClient): Promise<InsightSettings> {
  const { rows } = await client.query<{ outlive_deletes: boolean | null; hourly_days: number | null; daily_days: number | null }>(
    'SELECT outlive_deletes, hourly_days, daily_days FROM insight_settings WHERE id = 1',
  );
  const row = rows[0];
  return insightSettingsInForce({
    outliveDeletes: row?.outlive_deletes ?? null,
    hourlyDays: row?.hourly_days ?? null,
    dailyDays: row?.daily_days ?? null,
  });
}
