// Where the history lives when nobody says otherwise. Shared by openExecutionStore and drizzle.config.ts so
// that `npm run db:migrate` and `npm run db:studio` look at the same file the store writes.
export const DATABASE_PATH_ENV = 'EXECUTION_HISTORY_DB';
export const DEFAULT_DATABASE_PATH = './data/execution-history.db';

export function resolveDatabasePath(filename?: string): string {
  return filename ?? process.env[DATABASE_PATH_ENV] ?? DEFAULT_DATABASE_PATH;
}

/**
 * What is wrong with a database URL given where a file is expected (`postgres://…`, `file:…`), or undefined for a
 * file path. A URL's password is never repeated back. Without this check such a URL became a SQLite file in a new
 * folder named after its scheme.
 */
export function databaseUrlProblem(target: string): string | undefined {
  // A scheme of two letters or more (a Windows drive letter is one) followed by "//", or any "file:" URL.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(target)?.[1];
  const isUrl = scheme !== undefined && (target.startsWith(`${scheme}://`) || scheme.toLowerCase() === 'file');
  if (!isUrl) return undefined;
  return `"${withoutPassword(target)}" is a ${scheme} URL; this version of the package keeps history in SQLite files only; expected a file path or ':memory:'`;
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}
