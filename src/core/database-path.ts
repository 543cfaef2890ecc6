// Where the history lives when nobody says otherwise. Shared by openExecutionStore and drizzle.config.ts so
// that `npm run db:migrate` and `npm run db:studio` look at the same file the store writes.
export const DATABASE_PATH_ENV = 'EXECUTION_HISTORY_DB';
export const DEFAULT_DATABASE_PATH = './data/execution-history.db';

export function resolveDatabasePath(filename?: string): string {
  return filename ?? process.env[DATABASE_PATH_ENV] ?? DEFAULT_DATABASE_PATH;
}
