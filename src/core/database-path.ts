// Where the history lives when nobody says otherwise. Shared by openExecutionStore and drizzle.config.ts so
// that `npm run db:migrate` and `npm run db:studio` look at the same file the store writes.
import { isPostgresUrl, postgresUrlWithoutPassword } from './postgres-url.js';

export const DATABASE_PATH_ENV = 'EXECUTION_HISTORY_DB';
export const DEFAULT_DATABASE_PATH = './data/execution-history.db';

export function resolveDatabasePath(filename?: string): string {
  return filename ?? process.env[DATABASE_PATH_ENV] ?? DEFAULT_DATABASE_PATH;
}

/**
 * What is wrong with a database URL this package cannot open (`mysql://…`, `file:…`), or undefined for a file path
 * or a PostgreSQL URL. A URL's password is never repeated back. Without this check such a URL became a SQLite file in
 * a new folder named after its scheme.
 */
export function databaseUrlProblem(target: string): string | undefined {
  if (isPostgresUrl(target)) return undefined;
  // A scheme of two letters or more (a Windows drive letter is one) followed by "//", or any "file:" URL.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(target)?.[1];
  const isUrl = scheme !== undefined && (target.startsWith(`${scheme}://`) || scheme.toLowerCase() === 'file');
  if (!isUrl) return undefined;
  return `"${postgresUrlWithoutPassword(target)}" is a ${scheme} URL, which this package cannot open; expected a SQLite file path, ':memory:', or a postgres:// URL`;
}
