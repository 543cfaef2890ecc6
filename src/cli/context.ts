// What every command starts from: the global options (--db, --json, --no-color) and the store they point at.
import { existsSync } from 'node:fs';
import { DATABASE_PATH_ENV, DEFAULT_DATABASE_PATH, databaseUrlProblem } from '../core/database-path.js';
import { isPostgresUrl, postgresUrlWithoutPassword } from '../core/postgres-url.js';
import type { ExecutionStore } from '../store.js';
import { CliError, EXIT } from './cli-error.js';
import { type Io, Terminal } from './terminal.js';

export interface GlobalOptions {
  db?: string;
  json?: boolean;
  color?: boolean;
}

export class Context {
  readonly terminal: Terminal;
  readonly json: boolean;
  /** The database (a file or a postgres:// URL): --db, else the environment variable, else the library's default. */
  readonly dbPath: string;
  /** The database as messages show it: a file path, or a URL with its password masked. */
  readonly dbName: string;
  /** Whether --db names a PostgreSQL database rather than a SQLite file. */
  readonly isPostgres: boolean;

  constructor(
    readonly io: Io,
    options: GlobalOptions,
  ) {
    this.terminal = new Terminal(io, options.color !== false);
    this.json = options.json === true;
    this.dbPath = options.db ?? io.env[DATABASE_PATH_ENV] ?? DEFAULT_DATABASE_PATH;
    this.isPostgres = isPostgresUrl(this.dbPath);
    this.dbName = this.isPostgres ? postgresUrlWithoutPassword(this.dbPath) : this.dbPath;
  }

  /** Opens the history, which must exist: reading commands never create an empty file by mistake. */
  async openExisting(): Promise<ExecutionStore> {
    this.requireFile();
    return this.open();
  }

  /**
   * Throws the error every command gives when the database file is missing, with how to create one. A PostgreSQL
   * database is never created by the store (only its tables are), so a URL passes here.
   */
  requireFile(): void {
    this.requirePath();
    if (this.isPostgres || existsSync(this.dbPath)) return;
    throw new CliError(
      `no history database at ${this.dbPath}.\n` +
        `Point --db or ${DATABASE_PATH_ENV} at yours, or create one: "execution-history demo" fills one with sample history, "execution-history migrate" makes an empty one.`,
    );
  }

  /** A URL of a database this package cannot open is a bad argument, named as the user gave it. */
  private requirePath(): void {
    const problem = databaseUrlProblem(this.dbPath);
    if (problem !== undefined) throw new CliError(`--db (or ${DATABASE_PATH_ENV}): ${problem}`, EXIT.usage);
  }

  /** Opens the history, creating the file and applying migrations as the library does. */
  async open(): Promise<ExecutionStore> {
    // Loaded here, not at start-up: the store brings drizzle and zod, which `--help` does without (and `doctor`, drizzle).
    this.requirePath();
    const { openExecutionStore } = await import('../store.js');
    return openExecutionStore(this.dbPath, { now: this.io.now });
  }
}

/** Runs a command's work with the store open, and closes it however the work ends. */
export async function withStore<T>(open: Promise<ExecutionStore>, work: (store: ExecutionStore) => Promise<T>): Promise<T> {
  const store = await open;
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
