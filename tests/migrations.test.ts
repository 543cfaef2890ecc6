import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ExecutionStore, openExecutionStore } from '../src/index.js';
import { MIGRATIONS_FOLDER } from '../src/connection.js';
import { applyMigrations } from '../src/migrations.js';
import { T0, newExecution, newRunStep, newStep, tempDir, track } from './factories.js';

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

  it('0003 finds where a file kept hourly rollups from, and a timeline in a time zone reads the days before from the stored rows', async () => {
    const DAY = 86_400_000;
    const now = T0 + 20 * DAY;
    // The history as this version writes it: every hourly rollup row there.
    const current = join(tempDir(), 'current.db');
    const store = await openExecutionStore(current, { now: () => now });
    for (let i = 0; i < 40; i++) {
      const startedAt = T0 + i * 11 * 3_600_000 + 1_800_000; // every 11 hours, some around Berlin's midnight (23:00 UTC)
      await store.recordExecution(newExecution({ startedAt, status: i % 5 ? 'success' : 'error', completedAt: startedAt + 100 * i }), [
        newRunStep({ startedAt, status: 'success', completedAt: startedAt + 10 }),
      ]);
    }
    const berlinDays = { startedAfter: T0 - DAY, startedBefore: T0 + 20 * DAY, bucket: 'day' as const, timeZone: 'Europe/Berlin' };
    const expected = await store.getTimeline(berlinDays);
    store.close();
    // The same history in a file of migration 0002, whose clean-ups pruned hourly rows older than 12 days.
    const before0003 = join(tempDir(), 'drizzle');
    cpSync(MIGRATIONS_FOLDER, before0003, { recursive: true });
    const journalFile = join(before0003, 'meta', '_journal.json');
    const oldJournal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
    oldJournal.entries = oldJournal.entries.filter((entry) => entry.tag < '0003');
    writeFileSync(journalFile, JSON.stringify(oldJournal));
    const old = join(tempDir(), 'old.db');
    const sqlite = new Database(old);
    applyMigrations(sqlite, before0003);
    sqlite.exec(`ATTACH '${current}' AS current`);
    for (const table of ['workflow_executions', 'execution_steps', 'execution_counts', 'workflow_rollups']) sqlite.exec(`INSERT INTO ${table} SELECT * FROM current.${table}`);
    const nodeColumns = (sqlite.prepare("SELECT name FROM pragma_table_info('node_rollups')").pluck().all() as string[]).join(', ');
    sqlite.exec(`INSERT INTO node_rollups SELECT ${nodeColumns} FROM current.node_rollups`);
    sqlite.exec('DETACH current');
    const prunedBefore = now - 12 * DAY;
    for (const table of ['workflow_rollups', 'node_rollups']) sqlite.prepare(`DELETE FROM ${table} WHERE grain = 'hour' AND bucket_start < ?`).run(prunedBefore);
    const keptFrom = sqlite.prepare("SELECT min(bucket_start) FROM workflow_rollups WHERE grain = 'hour'").pluck().get() as number;
    sqlite.close();
    expect(keptFrom).toBeGreaterThanOrEqual(prunedBefore);

    const migrated = track(await openExecutionStore(old, { now: () => now }));
    const settings = new Database(old, { readonly: true });
    expect(settings.prepare('SELECT * FROM insight_settings').get()).toEqual({
      id: 1, outlive_deletes: null, hourly_days: null, daily_days: null,
      node_hours_kept_from: keptFrom, workflow_hours_kept_from: keptFrom, days_kept_from: null,
    });
    settings.close();
    expect(await migrated.getTimeline(berlinDays)).toEqual(expected);
    expect(expected.every((day) => day.complete)).toBe(true);
    expect(expected.reduce((total, day) => total + day.total, 0)).toBe(40);
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
