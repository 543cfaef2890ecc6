// What opening a database file failed on, said in terms of the file: which path, what is wrong with it, what to do.
import { toStoreError, type ExecutionStoreError } from './errors.js';

/** The error openExecutionStore throws when `path` cannot be opened as a history database. */
export function openFailure(path: string, error: unknown): ExecutionStoreError {
  return toStoreError(error, `openExecutionStore("${path}")`);
}
