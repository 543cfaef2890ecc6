// `migrate`: applies the package's pending migrations, as the store does when it opens a database, and says which ones
// it applied: creating the file if there is none (SQLite), or the tables in a database that has none (PostgreSQL,
// --db postgres://…; the database itself must exist).
import { existsSync } from 'node:fs';
import { ExecutionStoreError } from '../../core/errors.js';
import { isPostgresUrl, postgresUrlWithoutPassword } from '../../core/postgres-url.js';
import { type Context, withStore } from '../context.js';
import { inspectExecutionHistory } from '../../inspect.js';

type Migrations = { applied: string[]; pending: string[] };

export async function migrate(context: Context): Promise<void> {
  const postgres = isPostgresUrl(context.dbPath);
  const migrationsOf = async () => (await inspectExecutionHistory(context.dbPath, { integrity: 'none' })).migrations;
  const before = postgres ? await migrationsOfDatabase(migrationsOf) : existsSync(context.dbPath) ? await migrationsOf() : undefined;
  const created = before === undefined;
  await withStore(context.open(), async () => {});
  const after = await migrationsOf();
  const applied = after.applied.filter((tag) => !(before?.applied ?? []).includes(tag));
  // A URL is shown without its password, in the JSON too: it ends up in logs.
  const database = postgres ? postgresUrlWithoutPassword(context.dbPath) : context.dbPath;
  if (context.json) return context.terminal.json({ [postgres ? 'database' : 'file']: database, created, applied, pending: after.pending });
  const { terminal } = context;
  if (created) terminal.print(postgres ? `Created the history tables in ${database}.` : `Created ${database}.`);
  terminal.print(applied.length === 0 ? 'No migrations to apply: the schema is current.' : `Applied ${applied.length} migrations: ${applied.join(', ')}.`);
}

/** A database without the package's tables is what a new file is to SQLite: undefined, all to be created. */
async function migrationsOfDatabase(migrationsOf: () => Promise<Migrations>): Promise<Migrations | undefined> {
  try {
    return await migrationsOf();
  } catch (error) {
    if (error instanceof ExecutionStoreError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
}
