// A PostgreSQL connection pool for the store: node-postgres through Drizzle, sized small, never waiting forever for
// a connection, and never crashing the process when the server drops an idle connection.
import type { Pool, PoolClient } from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import * as schema from './schema.js';

export type PostgresDatabase = NodePgDatabase<typeof schema>;
/** The database or a transaction on it: what query functions take, so that a caller decides about transactions. */
export type PostgresQueries = Pick<PostgresDatabase, 'select' | 'insert' | 'update' | 'delete' | 'execute' | 'selectDistinct' | '$with'>;

/** A pool of this size serves one runtime instance: writes are short transactions, and the server's own limit is shared. */
export const DEFAULT_POOL_SIZE = 4;
/** How long a call waits for a connection (server unreachable, pool exhausted) before failing with UNAVAILABLE. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export interface PostgresPoolSettings {
  poolSize: number;
  connectTimeoutMs: number;
}

/** Drizzle on a pool. Queries are sent unnamed (no server-side prepared statements), so PgBouncer's transaction mode works. */
export function postgresDatabase(pool: Pool): PostgresDatabase {
  return drizzle({ client: pool, schema });
}

/** Opens the store's own pool for a URL (the store ends it on close). */
export async function openPool(url: string, { poolSize, connectTimeoutMs }: PostgresPoolSettings): Promise<Pool> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
    // Idle connections go after a while, and none keeps the process alive on its own.
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    application_name: 'execution-history',
  });
  ignoreIdleErrors(pool);
  return pool;
}

/**
 * A server restart or a dropped connection makes an idle pooled client emit 'error', which, unheard, ends the process.
 * The pool discards that client on its own; the next call connects afresh (or fails with UNAVAILABLE).
 */
export function ignoreIdleErrors(pool: Pool): void {
  if (pool.listenerCount('error') === 0) pool.on('error', () => undefined);
}

export type { Pool, PoolClient };
