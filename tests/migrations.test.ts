import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ExecutionStore, openExecutionStore } from '../src/index.js';
import { T0, newExecution, newStep, tempDir, track } from './factories.js';

const journal = JSON.parse(readFileSync(new URL('../drizzle/meta/_journal.json', import.meta.url), 'utf8')) as {
  entries: { tag: string }[];
};

function schemaOf(sqlite: Database.Database) {
  return sqlite
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
    .all();
}

describe('migrations', () => {
  it('build the schema on an empty database, with foreign keys on, and the schema is as pinned', async () => {
    const sqlite = new Database(':memory:');
    track(new ExecutionStore(sqlite));

    expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(sqlite.prepare('SELECT count(*) AS applied FROM __drizzle_migrations').get()).toEqual({
      applied: journal.entries.length,
    });
    expect(schemaOf(sqlite)).toMatchSnapshot();
  });

  it('create the database file and its folder on first run, in WAL mode', async () => {
    const file = join(tempDir(), 'nested', 'folder', 'history.db');
    const store = track(await openExecutionStore(file));
    await store.createExecution(newExecution());

    expect(existsSync(file)).toBe(true);
    const sqlite = new Database(file, { readonly: true });
    expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(sqlite.prepare('SELECT count(*) AS n FROM workflow_executions').get()).toEqual({ n: 1 });
    sqlite.close();
  });

  it('keep data across close and reopen without applying anything twice', async () => {
    const file = join(tempDir(), 'history.db');
    const first = await openExecutionStore(file);
    const executionId = await first.createExecution(newExecution({ status: 'success', completedAt: T0 + 10 }));
    const stepId = await first.addStep(newStep(executionId, { status: 'success', completedAt: T0 + 5 }));
    first.close();

    const second = track(await openExecutionStore(file));
    expect(await second.getExecutionWithSteps(executionId)).toEqual({
      ...newExecution({ status: 'success', completedAt: T0 + 10 }),
      id: executionId,
      durationMs: 10,
      steps: [{ ...newStep(executionId, { status: 'success', completedAt: T0 + 5 }), id: stepId, durationMs: 5 }],
    });
    second.close();
    const sqlite = new Database(file, { readonly: true });
    expect(sqlite.prepare('SELECT count(*) AS applied FROM __drizzle_migrations').get()).toEqual({
      applied: journal.entries.length,
    });
    sqlite.close();
  });

  it('applied by drizzle-kit migrate are recognised by the store, which applies nothing again', async () => {
    const file = join(tempDir(), 'deployed.db');
    execFileSync('npx', ['drizzle-kit', 'migrate'], {
      cwd: new URL('..', import.meta.url),
      env: { ...process.env, EXECUTION_HISTORY_DB: file },
      stdio: 'pipe',
    });
    const byKit = new Database(file, { readonly: true });
    const kitSchema = schemaOf(byKit);
    const kitMigrations = byKit.prepare('SELECT hash, created_at FROM __drizzle_migrations ORDER BY id').all();
    byKit.close();
    expect(kitMigrations).toHaveLength(journal.entries.length);

    const store = await openExecutionStore(file);
    await store.createExecution(newExecution());
    store.close();
    const after = new Database(file, { readonly: true });
    expect(after.prepare('SELECT hash, created_at FROM __drizzle_migrations ORDER BY id').all()).toEqual(kitMigrations);
    expect(schemaOf(after)).toEqual(kitSchema);
    // drizzle-kit made the file without auto-vacuum; the store switched it on while the file was still empty.
    expect(after.pragma('auto_vacuum', { simple: true })).toBe(2);
    after.close();
  });

  it('resolve the migrations folder from the package, not the working directory', async () => {
    const previous = process.cwd();
    process.chdir(tempDir());
    try {
      const sqlite = new Database(':memory:');
      track(new ExecutionStore(sqlite));
      expect(sqlite.prepare('SELECT count(*) AS applied FROM __drizzle_migrations').get()).toEqual({
        applied: journal.entries.length,
      });
    } finally {
      process.chdir(previous);
    }
  });
});
