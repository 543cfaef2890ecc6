// Which of the package's migrations a file has, read without applying any: by drizzle's rule, a migration is
// applied when its timestamp is not newer than the newest one recorded in __drizzle_migrations.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
// Not connection.js's MIGRATIONS_FOLDER: connection.js brings drizzle, which an inspection does without.
import { findMigrationsFolder } from '../core/migrations-folder.js';

interface JournalEntry {
  tag: string;
  when: number;
}

export interface MigrationState {
  applied: string[];
  pending: string[];
}

export function migrationState(sqlite: BetterSqlite3.Database): MigrationState {
  const journal = JSON.parse(readFileSync(join(findMigrationsFolder(import.meta.url, 'sqlite'), 'meta', '_journal.json'), 'utf8')) as { entries: JournalEntry[] };
  const hasTable = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get() !== undefined;
  const newest = hasTable ? (sqlite.prepare('SELECT max(created_at) FROM "__drizzle_migrations"').pluck().get() as number | string | null) : null;
  const isApplied = (entry: JournalEntry) => newest !== null && entry.when <= Number(newest);
  return {
    applied: journal.entries.filter(isApplied).map((entry) => entry.tag),
    pending: journal.entries.filter((entry) => !isApplied(entry)).map((entry) => entry.tag),
  };
}
