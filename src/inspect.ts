// Looking at a history database without opening a store on it: opening applies pending migrations, which a health
// check or a deploy's "what would migrate do" must not. Each backend reads its own kind of database.
import { databaseUrlProblem, resolveDatabasePath } from './core/database-path.js';
import { ExecutionStoreError } from './core/errors.js';
import { isPostgresUrl, postgresUrlWithoutPassword } from './core/postgres-url.js';
import type { HistoryInspection, InspectionOptions, PostgresInspection } from './core/types.js';
import { validate, inspectionOptionsSchema } from './core/validation.js';
import { inspectSqliteFile } from './sqlite/inspection.js';
import { toStoreError } from './sqlite/driver-errors.js';
import { postgresErrorCode, toStoreError as toPostgresStoreError } from './postgres/driver-errors.js';
import { existsSync } from 'node:fs';

/** How long an inspection waits for the PostgreSQL server to take its connection. */
const CONNECT_TIMEOUT_MS = 5_000;
/** invalid_catalog_name: the URL names a database the server does not have. */
const NO_SUCH_DATABASE = '3D000';

/**
 * Reads a history database as it is, changing nothing: a SQLite file (pages, integrity, journal and auto-vacuum
 * modes) or a PostgreSQL database named by a postgres:// URL (server version, sizes, dead rows), with the migrations
 * applied and pending, row counts and insight settings. NOT_FOUND when there is no such file, or no history in the
 * database; UNAVAILABLE when the PostgreSQL server cannot be reached.
 */
export async function inspectExecutionHistory(target?: string, options?: InspectionOptions): Promise<HistoryInspection> {
  const what = 'inspectExecutionHistory';
  const valid = validate(inspectionOptionsSchema, options, what, 'options');
  const path = resolveDatabasePath(target);
  // Before the check that refuses URLs where a file is expected: a PostgreSQL URL is a database this reads.
  if (isPostgresUrl(path)) return inspectPostgresUrl(path, valid ?? {}, what);
  const urlProblem = databaseUrlProblem(path);
  if (urlProblem !== undefined) throw new ExecutionStoreError('VALIDATION', `${what}: invalid input: ${urlProblem}`);
  if (path === ':memory:' || !existsSync(path)) {
    throw new ExecutionStoreError('NOT_FOUND', `${what}: no history database at ${path}; expected an existing file`);
  }
  try {
    return inspectSqliteFile(path, valid ?? {});
  } catch (error) {
    throw toStoreError(error, `${what} (${path})`);
  }
}

/** One connection, for this call only; pg and the PostgreSQL modules are loaded here, so SQLite users never load them. */
async function inspectPostgresUrl(url: string, options: InspectionOptions, what: string): Promise<PostgresInspection> {
  const shown = postgresUrlWithoutPassword(url);
  const [{ default: pg }, { inspectPostgres, noHistoryIn }] = await Promise.all([import('pg'), import('./postgres/inspection.js')]);
  try {
    const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'execution-history' });
    // A connection the server drops while idle in the pool must not end the process; the call's own error is thrown.
    pool.on('error', () => undefined);
    try {
      return await inspectPostgres(pool, options, shown);
    } finally {
      await pool.end();
    }
  } catch (error) {
    if (error instanceof ExecutionStoreError && error.code === 'NOT_FOUND') throw new ExecutionStoreError('NOT_FOUND', `${what}: ${error.message}`);
    // A database the server does not have holds no history either: the same as a file that is not there.
    if (postgresErrorCode(error) === NO_SUCH_DATABASE) throw new ExecutionStoreError('NOT_FOUND', `${what}: ${noHistoryIn(shown).message}`, { cause: error });
    throw toPostgresStoreError(error, `${what} (${shown})`);
  }
}
