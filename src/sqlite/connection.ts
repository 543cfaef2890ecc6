// The SQLite-specific set-up of a connection: pragmas, then the package's own migrations.
import type BetterSqlite3 from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { sqliteErrorCode } from './driver-errors.js';
import { applyMigrations } from './migrations.js';
import { findMigrationsFolder } from '../core/migrations-folder.js';
import * as schema from './schema.js';
import { configureIfNew, enableIncrementalVacuumIfEmpty } from './space.js';

export type HistoryDatabase = BetterSQLite3Database<typeof schema> & { $client: BetterSqlite3.Database };

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export const MIGRATIONS_FOLDER = findMigrationsFolder(import.meta.url, 'sqlite');

/** Sets the pragmas the store relies on, applies pending migrations and wraps the handle with Drizzle. */
export function prepareDatabase(sqlite: BetterSqlite3.Database, busyTimeoutMs: number): HistoryDatabase {
  // Another process holding the write lock makes us wait, not fail with SQLITE_BUSY; first, since even reading the
  // page count below waits for a lock (better-sqlite3's own 5 s until this is set).
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
  configureIfNew(sqlite);
  // Cascading deletes of steps depend on this; SQLite has it off by default, per connection.
  sqlite.pragma('foreign_keys = ON');
  if (!sqlite.memory) {
    // Readers do not block the writer and vice versa; NORMAL is durable across application crashes in WAL mode.
    switchToWal(sqlite, busyTimeoutMs);
    sqlite.pragma('synchronous = NORMAL');
  }
  applyMigrations(sqlite, MIGRATIONS_FOLDER);
  enableIncrementalVacuumIfEmpty(sqlite);
  return drizzle(sqlite, { schema });
}

const RETRY_PAUSE_MS = 10;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Switching to WAL needs an exclusive lock, and SQLite does not wait for that one with the busy handler: of
 * several processes opening a fresh file at once, one in a hundred failed with SQLITE_BUSY here. The mode is
 * stored in the file, so once any of them has switched, the others find it set.
 */
function switchToWal(sqlite: BetterSqlite3.Database, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (sqlite.pragma('journal_mode', { simple: true }) !== 'wal') sqlite.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if (sqliteErrorCode(error) !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
      Atomics.wait(sleeper, 0, 0, RETRY_PAUSE_MS); // a synchronous pause: opening is synchronous throughout
    }
  }
}
