// Applies the migrations in drizzle/ and records them in drizzle's own table, so that `drizzle-kit migrate` and the
// store agree on what is applied. Not drizzle's migrator, for two reasons:
// - it reads what is applied before its (deferred) BEGIN, so processes opening a fresh file together both apply
//   the first migration and all but one fail; here the read happens under the write lock (BEGIN IMMEDIATE);
// - it runs with foreign keys on, where `PRAGMA foreign_keys=OFF` inside the transaction is ignored, so a
//   migration that rebuilds workflow_executions (drizzle-kit's create / copy / drop / rename) would cascade-delete
//   every step. Here foreign keys are off during migrations and checked with foreign_key_check before COMMIT.
import type BetterSqlite3 from 'better-sqlite3';
import { readMigrationFiles } from 'drizzle-orm/migrator';

const MIGRATIONS_TABLE = '__drizzle_migrations';

// The same table drizzle-orm's SQLite migrator creates, to the whitespace, so files look alike whoever made them.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (
\t\t\t\tid SERIAL PRIMARY KEY,
\t\t\t\thash text NOT NULL,
\t\t\t\tcreated_at numeric
\t\t\t)`;

type Migration = ReturnType<typeof readMigrationFiles>[number];

/** Applies what is pending; returns how many migrations it applied (0 when another process did it first). */
export function applyMigrations(sqlite: BetterSqlite3.Database, migrationsFolder: string): number {
  const migrations = readMigrationFiles({ migrationsFolder });
  // Most opens find nothing to do; they should not queue for the write lock to learn that.
  if (pendingMigrations(sqlite, migrations).length === 0) return 0;

  const foreignKeys = sqlite.pragma('foreign_keys', { simple: true }) === 1;
  sqlite.pragma('foreign_keys = OFF'); // only takes effect outside a transaction
  try {
    return sqlite.transaction(() => {
      sqlite.exec(CREATE_MIGRATIONS_TABLE);
      const pending = pendingMigrations(sqlite, migrations); // again, now that no one else can be migrating
      const record = sqlite.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" ("hash", "created_at") VALUES (?, ?)`);
      for (const migration of pending) {
        for (const statement of migration.sql) sqlite.exec(statement);
        record.run(migration.hash, migration.folderMillis);
      }
      const violations = sqlite.pragma('foreign_key_check') as unknown[];
      if (violations.length > 0) {
        throw new Error(`migrations would leave ${violations.length} rows with broken foreign keys; rolled back`);
      }
      return pending.length;
    }).immediate();
  } finally {
    if (foreignKeys) sqlite.pragma('foreign_keys = ON');
  }
}

function pendingMigrations(sqlite: BetterSqlite3.Database, migrations: Migration[]): Migration[] {
  const hasTable = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(MIGRATIONS_TABLE);
  if (hasTable === undefined) return migrations;
  // drizzle's rule: a migration is applied when its timestamp is not newer than the newest recorded one.
  const newest = sqlite
    .prepare(`SELECT created_at FROM "${MIGRATIONS_TABLE}" ORDER BY created_at DESC LIMIT 1`)
    .pluck()
    .get() as number | string | undefined;
  return newest === undefined ? migrations : migrations.filter((migration) => Number(newest) < migration.folderMillis);
}
