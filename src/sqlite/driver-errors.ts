// What better-sqlite3 and Drizzle throw, in the store's terms: the SQLite result code decides the error code.
import { ExecutionStoreError } from '../core/errors.js';

/** The SQLite result code of a driver error, looking through Drizzle's wrapper (`DrizzleQueryError.cause`). */
export function sqliteErrorCode(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
  }
  return undefined;
}

/** Turns whatever a database call threw into an ExecutionStoreError; `context` says which call it was. */
export function toStoreError(error: unknown, context: string): ExecutionStoreError {
  if (error instanceof ExecutionStoreError) return error;
  const code = sqliteErrorCode(error);
  const detail = code ?? (error instanceof Error ? error.message : String(error));
  if (code === 'SQLITE_CONSTRAINT_CHECK') {
    const message = rootMessage(error);
    const explanation = message.includes('duration_check')
      ? 'durationMs would be negative; expected completedAt >= startedAt'
      : 'a value is outside what the column allows';
    return new ExecutionStoreError('VALIDATION', `${context}: invalid input: ${explanation} (${message})`, {
      cause: error,
    });
  }
  if (code === 'SQLITE_FULL') {
    // The store says more (src/sqlite/storage-full.ts): this is for calls made without it.
    return new ExecutionStoreError('STORAGE_FULL', `${context}: the database is full (no space left on the disk, or the file reached its max_page_count)`, {
      cause: error,
    });
  }
  return new ExecutionStoreError('DATABASE', `${context} failed in SQLite: ${detail}: ${rootMessage(error)}`, {
    cause: error,
  });
}

function rootMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
