// Creating a history file: readable and writable by its owner only, with the page size and auto-vacuum mode the
// store relies on, in WAL mode. The store does this on opening a new file; drizzle-kit's config does it before
// `drizzle-kit migrate` creates tables, so that a deploy that migrates first gets the same file. Kept free of the
// migrations and Drizzle, because drizzle-kit loads its config as CommonJS.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { configureIfNew } from './space.js';

/**
 * Creates a file database's folder, and the file itself readable and writable by its owner only: history holds
 * whatever flowed through the workflows. SQLite gives the -wal and -shm files the database file's permissions.
 * An existing file keeps the permissions it has.
 */
export function createPrivateFile(filename: string): void {
  if (filename === ':memory:' || filename === '') return;
  mkdirSync(dirname(resolve(filename)), { recursive: true });
  try {
    closeSync(openSync(filename, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** A new, empty file set up as the store would; an existing file with pages in it is left as it is. */
export function createDatabaseFile(filename: string): void {
  createPrivateFile(filename);
  const sqlite = new Database(filename);
  try {
    configureIfNew(sqlite);
    if (sqlite.pragma('journal_mode', { simple: true }) !== 'wal') sqlite.pragma('journal_mode = WAL');
  } finally {
    sqlite.close();
  }
}
