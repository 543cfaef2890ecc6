// The SQLite-specific set-up of a connection: pragmas, then the package's own migrations.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';
import { configureIfNew, enableIncrementalVacuumIfEmpty } from './space.js';

export type HistoryDatabase = BetterSQLite3Database<typeof schema> & { $client: BetterSqlite3.Database };

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Resolved from this module, never the working directory: `src/` and `dist/` both sit beside `drizzle/`. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Sets the pragmas the store relies on, applies pending migrations and wraps the handle with Drizzle. */
export function prepareDatabase(sqlite: BetterSqlite3.Database, busyTimeoutMs: number): HistoryDatabase {
  configureIfNew(sqlite);
  // Cascading deletes of steps depend on this; SQLite has it off by default, per connection.
  sqlite.pragma('foreign_keys = ON');
  // Another process holding the write lock makes us wait, not fail with SQLITE_BUSY.
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
  if (!sqlite.memory) {
    // Readers do not block the writer and vice versa; NORMAL is durable across application crashes in WAL mode.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
  }
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  enableIncrementalVacuumIfEmpty(sqlite);
  return db;
}

/** Creates the folder of a file database so that opening it cannot fail for a missing directory. */
export function ensureParentFolder(filename: string): void {
  if (filename === ':memory:' || filename === '') return;
  mkdirSync(dirname(resolve(filename)), { recursive: true });
}
