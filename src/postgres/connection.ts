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
/**
 * How long one statement may wait for its answer before the call fails with UNAVAILABLE: long enough for the longest
 * statement the store sends (a vacuum of a large table, a day recounted), short enough that a server gone silent is
 * noticed. The server keeps running a statement the client stopped waiting for until it ends.
 */
export const DEFAULT_QUERY_TIMEOUT_MS = 300_000;

export interface PostgresPoolSettings {
  poolSize: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
}

/** Drizzle on a pool. Queries are sent unnamed (no server-side prepared statements), so PgBouncer's transaction mode works. */
export function postgresDatabase(pool: Pool): PostgresDatabase {
  return drizzle({ client: pool, schema });
}

/** Opens the store's own pool for a URL (the store ends it on close). */
export async function openPool(url: string, { poolSize, connectTimeoutMs, queryTimeoutMs }: PostgresPoolSettings): Promise<Pool> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
    // Idle connections go after a while, and none keeps the process alive on its own.
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    // A server that stops answering without closing the connection (a network partition, a frozen host) is noticed
    // by TCP keep-alive instead of leaving a call waiting for ever.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    query_timeout: queryTimeoutMs,
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

const ignore = () => undefined;

/**
 * Runs work on a client checked out of the pool. While a client is checked out the pool stops listening to its
 * 'error' events, and a server that goes away mid-call (a restart: 57P01) makes the client emit one, which, unheard,
 * ends the process; the call itself fails anyway, with the error the caller gets as UNAVAILABLE. `release` gets the
 * error when the connection is broken, so that the pool drops it instead of handing it out again.
 */
export async function withClient<T>(pool: Pool, work: (client: PoolClient, broken: (error: Error) => void) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  client.on('error', ignore);
  let brokenBy: Error | undefined;
  try {
    return await work(client, (error) => {
      brokenBy ??= error;
    });
  } finally {
    client.off('error', ignore);
    client.release(brokenBy);
  }
}

export type { Pool, PoolClient };
