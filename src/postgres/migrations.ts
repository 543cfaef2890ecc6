// Applies the migrations in drizzle/postgres/ and records them in drizzle's format (id, hash, created_at) in a table
// of the package's own, drizzle.__execution_history_migrations, which drizzle.postgres.config.ts names for
// drizzle-kit too, so that `drizzle-kit migrate` and the store agree on what is applied. Not drizzle's default
// table: a PostgreSQL database is often shared with the runtime's own tables and migrations, and drizzle's rule (a
// migration is applied when it is not newer than the newest recorded one) would take the runtime's newer migrations
// as proof that this package's are applied. Not drizzle's migrator:
// it reads what is applied before its transaction and takes no lock, and with six processes starting at once on a
// fresh database it failed 2 of 10 starts and applied a pending data migration two or three times in 4 (measured).
// Here one transaction takes a transaction-scoped advisory lock first, then reads what is applied and applies the
// rest: the others wait for it and then find nothing to do. Session-level locks would not survive PgBouncer's
// transaction pooling; a transaction-scoped one is released by COMMIT or ROLLBACK wherever the session goes.
import type { Pool } from 'pg';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { withClient } from './connection.js';

export const MIGRATIONS_SCHEMA = 'drizzle';
export const MIGRATIONS_TABLE = '__execution_history_migrations';
const QUALIFIED_TABLE = `"${MIGRATIONS_SCHEMA}"."${MIGRATIONS_TABLE}"`;
/** The advisory lock's key: any fixed 64-bit number; this one spells "exechist" in ASCII. */
const MIGRATION_LOCK = '7309475736519054196';

type Migration = ReturnType<typeof readMigrationFiles>[number];

/** Applies what is pending; returns how many migrations it applied (0 when another process did it first). */
export async function applyMigrations(pool: Pool, migrationsFolder: string): Promise<number> {
  const migrations = readMigrationFiles({ migrationsFolder });
  // Most opens find nothing to do: they should not queue for the lock to learn that.
  if ((await pendingMigrations(pool, migrations)).length === 0) return 0;
  return withClient(pool, async (client, broken) => {
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${MIGRATIONS_SCHEMA}"`);
      // The same table drizzle-orm's PostgreSQL migrator creates, under the package's own name.
      await client.query(`CREATE TABLE IF NOT EXISTS ${QUALIFIED_TABLE} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
      const pending = await pendingMigrations(client, migrations); // again, now that no one else can be migrating
      for (const migration of pending) {
        for (const statement of migration.sql) if (statement.trim() !== '') await client.query(statement);
        await client.query(`INSERT INTO ${QUALIFIED_TABLE} ("hash", "created_at") VALUES ($1, $2)`, [migration.hash, migration.folderMillis]);
      }
      await client.query('COMMIT');
      return pending.length;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => broken(rollbackError));
      throw error;
    }
  });
}

interface Queryable {
  query(text: string): Promise<{ rows: Record<string, unknown>[] }>;
}

/** The migrations not applied yet: drizzle's rule, those newer than the newest one recorded. */
export async function pendingMigrations(db: Queryable, migrations: Migration[]): Promise<Migration[]> {
  const newest = await newestApplied(db);
  return newest === undefined ? migrations : migrations.filter((migration) => newest < migration.folderMillis);
}

/** The timestamp of the newest applied migration; undefined when none is (or the table does not exist). */
export async function newestApplied(db: Queryable): Promise<number | undefined> {
  const { rows } = await db.query(`SELECT to_regclass('${QUALIFIED_TABLE}') IS NOT NULL AS "exists"`);
  if (rows[0]?.exists !== true) return undefined;
  const newest = await db.query(`SELECT created_at FROM ${QUALIFIED_TABLE} ORDER BY created_at DESC LIMIT 1`);
  const value = newest.rows[0]?.created_at;
  return value === undefined || value === null ? undefined : Number(value);
}

/** The hashes of the applied migrations in order, for `migrate` and `doctor`. */
export async function appliedMigrations(db: Queryable): Promise<{ hash: string; createdAt: number }[]> {
  const { rows } = await db.query(`SELECT to_regclass('${QUALIFIED_TABLE}') IS NOT NULL AS "exists"`);
  if (rows[0]?.exists !== true) return [];
  const applied = await db.query(`SELECT hash, created_at FROM ${QUALIFIED_TABLE} ORDER BY id`);
  return applied.rows.map((row) => ({ hash: String(row.hash), createdAt: Number(row.created_at) }));
}
