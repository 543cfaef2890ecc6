// Opening the PostgreSQL backend: the pool (the store's own for a URL, or the runtime's), the migrations, then the
// backend. Loaded by openExecutionStore only for PostgreSQL, so that SQLite users never load node-postgres.
import type { Pool } from 'pg';
import { ExecutionStoreError } from '../core/errors.js';
import { findMigrationsFolder } from '../core/migrations-folder.js';
import { postgresUrlWithoutPassword } from '../core/postgres-url.js';
import type { InstanceIdentity } from '../core/instance.js';
import type { Encoding } from '../core/rows.js';
import type { ExecutionStoreOptions, PostgresOptions } from '../core/types.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_POOL_SIZE, DEFAULT_QUERY_TIMEOUT_MS, ignoreIdleErrors, openPool } from './connection.js';
import { toStoreError } from './driver-errors.js';
import { applyMigrations } from './migrations.js';
import { PostgresBackend } from './postgres-backend.js';

export const MIGRATIONS_FOLDER = findMigrationsFolder(import.meta.url, 'postgres');

export interface PostgresOpenSettings {
  encoding: Encoding;
  now: () => number;
  insights: ExecutionStoreOptions['insights'];
  postgres: PostgresOptions;
  instance: InstanceIdentity;
}

/** A backend on a URL's database (through a pool of its own) or on a pool handed in; applies pending migrations. */
export async function openPostgresBackend(target: string | Pool, settings: PostgresOpenSettings): Promise<PostgresBackend> {
  const ownsPool = typeof target === 'string';
  const name = ownsPool ? `the PostgreSQL server at ${postgresUrlWithoutPassword(target)}` : 'the PostgreSQL server of the given pool';
  const pool = ownsPool
    ? await openPool(target, {
        poolSize: settings.postgres.poolSize ?? DEFAULT_POOL_SIZE,
        connectTimeoutMs: settings.postgres.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        queryTimeoutMs: DEFAULT_QUERY_TIMEOUT_MS,
      })
    : target;
  ignoreIdleErrors(pool);
  try {
    await applyMigrations(pool, MIGRATIONS_FOLDER);
    return await PostgresBackend.open(pool, { ...settings, ownsPool, name, dropDays: settings.postgres.dropDays ?? true });
  } catch (error) {
    if (ownsPool) await pool.end().catch(() => undefined);
    if (error instanceof ExecutionStoreError) throw error;
    throw toStoreError(error, `openExecutionStore: opening the execution history (migrations) on ${name}`, name);
  }
}
