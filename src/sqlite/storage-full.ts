// What a full disk, or a file at its max_page_count, means for the call that met it, and what to do, in terms that
// work when the disk is full. In WAL mode everything written since the last checkpoint is in the -wal file, and
// deleting history writes there too: on a disk with no space left, nothing can be deleted until the database file
// has room to take in what the WAL holds. That room is what the database would grow to (its pages as the latest
// snapshot sees them) less the file's size now; measured on a full 8 MB disk, freeing it was enough for a clean-up
// to run, while the WAL itself was eight times larger (it holds many versions of the same pages).
import { statSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { ExecutionStoreError } from '../core/errors.js';

/** Room for the clean-up's own writes to the WAL once it has been taken in. */
const MARGIN_BYTES = 1024 * 1024;

export interface StorageState {
  /** The database file, or null in memory. */
  file: string | null;
  /** The file reached its max_page_count (a limit set in SQLite), rather than the disk being full. */
  atPageLimit: { pages: number; pageSize: number } | null;
  /** How much the database file must grow to take in the WAL. */
  growthBytes: number;
}

/** Never throws: it runs while a call is already failing. */
export function readStorageState(sqlite: BetterSqlite3.Database): StorageState {
  try {
    const pragma = (name: string) => Number(sqlite.pragma(name, { simple: true }));
    const pages = pragma('page_count');
    const pageSize = pragma('page_size');
    const file = sqlite.memory ? null : sqlite.name;
    const onDisk = file === null ? 0 : (statSync(file, { throwIfNoEntry: false })?.size ?? 0);
    return {
      file,
      atPageLimit: pages >= pragma('max_page_count') ? { pages, pageSize } : null,
      growthBytes: Math.max(0, pages * pageSize - onDisk),
    };
  } catch {
    return { file: null, atPageLimit: null, growthBytes: 0 };
  }
}

/**
 * The STORAGE_FULL error of a call. `committed`: for calls that commit in steps (clean-ups, rebuilding or compacting
 * insights, reclaiming space), how far it got and what calling it again does; absent, nothing of the call was
 * written.
 */
export function storageFullError(what: string, cause: unknown, state: StorageState, committed?: string): ExecutionStoreError {
  const outcome =
    committed === undefined
      ? 'nothing of this call was written and the history so far is intact'
      : `${committed}; nothing of the step that failed was written`;
  const remedy =
    state.atPageLimit !== null
      ? `The file reached its max_page_count (${state.atPageLimit.pages} pages of ${state.atPageLimit.pageSize} bytes). ` +
        'Delete old history with cleanupOldExecutions or cleanupByCount (`execution-history prune`): its pages are reused at ' +
        'once, so writes succeed again; or raise max_page_count'
      : `The disk holding ${state.file === null ? 'the database' : `"${state.file}"`} has no space left. Free at least ` +
        `${megabytes(state.growthBytes + MARGIN_BYTES)} on it (the database file must grow by ${megabytes(state.growthBytes)} to take in ` +
        'what its -wal file holds before anything can be deleted), then delete old history with cleanupOldExecutions or ' +
        'cleanupByCount (`execution-history prune`), then reclaimSpace() to give the freed pages back to the disk';
  return new ExecutionStoreError('STORAGE_FULL', `${what}: the database is full; ${outcome}. ${remedy}`, { cause });
}

function megabytes(bytes: number): string {
  return `${(Math.ceil(bytes / 104_857.6) / 10).toFixed(1)} MiB`;
}
