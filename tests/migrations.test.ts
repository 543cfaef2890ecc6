import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ExecutionStore, openExecutionStore } from '../src/index.js';
import { MIGRATIONS_FOLDER } from '../src/sqlite/connection.js';
import { applyMigrations } from '../src/sqlite/migrations.js';
import { T0, newExecution, newRunStep, newStep, tempDir, track } from './factories.js';

const journal = JSON.parse(readFileSync(new URL('../drizzle/sqlite/meta/_journal.json', import.meta.url), 'utf8')) as {
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
      instanceId: first.instanceId,
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

  describe('0003 on a file written before it', () => {
    const DAY = 86_400_000;
    const HOUR = 3_600_000;
    const now = T0 + 20 * DAY;
    const berlinDays = { startedAfter: T0 - DAY, startedBefore: T0 + 20 * DAY, bucket: 'day' as const, timeZone: 'Europe/Berlin' };

    /**
     * A history as this version writes it (every rollup row there), its answers, and a copy of it at migration 0002 for
     * `age` to prune and delete in as earlier versions did, to which the store then applies 0003.
     */
    async function upgraded(age: (sqlite: Database.Database) => void) {
      const current = join(tempDir(), 'current.db');
      const store = await openExecutionStore(current, { now: () => now });
      for (let i = 0; i < 40; i++) {
        const startedAt = T0 + i * 11 * HOUR + 1_800_000; // every 11 hours, some around Berlin's midnight (23:00 UTC)
        await store.recordExecution(newExecution({ startedAt, status: i % 5 ? 'success' : 'error', completedAt: startedAt + 100 * i }), [
          newRunStep({ startedAt, status: 'success', completedAt: startedAt + 10 + i }),
        ]);
      }
      const expected = { berlin: await store.getTimeline(berlinDays), nodes: await store.getNodeStats() };
      store.close();
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
      // The columns the old schema has (later migrations add more).
      const columnsOf = (table: string) => (sqlite.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[]).join(', ');
      for (const table of ['workflow_executions', 'execution_steps', 'execution_counts', 'workflow_rollups', 'node_rollups']) {
        sqlite.exec(`INSERT INTO ${table} SELECT ${columnsOf(table)} FROM current.${table}`);
      }
      sqlite.exec('DETACH current');
      age(sqlite);
      sqlite.close();
      const migrated = track(await openExecutionStore(old, { now: () => now }));
      const raw = new Database(old, { readonly: true });
      const settings = raw.prepare('SELECT * FROM insight_settings').get();
      raw.close();
      return { expected, migrated, settings, file: old };
    }

    it('finds where hourly rollups are whole (a run recorded late into a pruned day notwithstanding), and timelines in a zone stay exact', async () => {
      const prunedBefore = now - 12 * DAY; // 12:00 UTC: that day keeps its afternoon hours only
      const { expected, migrated, settings } = await upgraded((sqlite) => {
        const lateHour = T0 + 2 * DAY;
        for (const table of ['workflow_rollups', 'node_rollups']) {
          // Clean-ups of earlier versions pruned hourly rows after 35 days; here, after 12. One run recorded late, into
          // a day already pruned, left one hourly row there: keep that one.
          sqlite.prepare(`DELETE FROM ${table} WHERE grain = 'hour' AND bucket_start < ? AND NOT (bucket_start >= ? AND bucket_start < ?)`).run(prunedBefore, lateHour, lateHour + DAY);
        }
      });
      const wholeFrom = Math.floor(prunedBefore / DAY) * DAY + DAY;
      expect(settings).toEqual({
        id: 1, outlive_deletes: null, hourly_days: null, daily_days: null,
        node_hours_kept_from: wholeFrom, workflow_hours_kept_from: wholeFrom, days_kept_from: null,
      });
      expect(await migrated.getTimeline(berlinDays)).toEqual(expected.berlin);
      expect(expected.berlin.every((day) => day.complete)).toBe(true);
      expect(expected.berlin.reduce((total, day) => total + day.total, 0)).toBe(40);
      expect(await migrated.getNodeStats()).toEqual(expected.nodes);
    });

    it("finds pruned daily rows, and that deleted runs were kept counted, and keeps what the emptied buckets' deleted steps were", async () => {
      const daysPrunedBefore = T0 + 3 * DAY - 12 * HOUR; // 00:00 UTC
      let deletedAt = 0;
      const { migrated, settings, file } = await upgraded((sqlite) => {
        sqlite.prepare("DELETE FROM workflow_rollups WHERE grain = 'day' AND bucket_start < ?").run(daysPrunedBefore);
        sqlite.prepare("DELETE FROM node_rollups WHERE grain = 'day' AND bucket_start < ?").run(daysPrunedBefore);
        // A run deleted with its insights kept counting it (the default then, too): its hour is left with no stored run.
        deletedAt = sqlite.prepare('SELECT started_at FROM workflow_executions WHERE started_at >= ? ORDER BY started_at LIMIT 1').pluck().get(T0 + 5 * DAY) as number;
        sqlite.prepare('DELETE FROM workflow_executions WHERE started_at = ?').run(deletedAt);
      });
      expect(settings).toMatchObject({ outlive_deletes: 1, days_kept_from: daysPrunedBefore, workflow_hours_kept_from: daysPrunedBefore });
      await expect(openExecutionStore(file, { insights: { outliveDeletes: false } })).rejects.toMatchObject({ code: 'VALIDATION' });
      const raw = new Database(file, { readonly: true });
      const emptiedHour = raw
        .prepare("SELECT duration_max, deleted_duration_max FROM node_rollups WHERE grain = 'hour' AND bucket_start = ?")
        .get(Math.floor(deletedAt / HOUR) * HOUR) as { duration_max: number; deleted_duration_max: number };
      raw.close();
      expect(emptiedHour.deleted_duration_max).toBe(emptiedHour.duration_max);
      // Days before the kept daily rows are counted from the stored runs, and said to be so.
      const [first] = await migrated.getTimeline({ startedAfter: T0 - 12 * HOUR, startedBefore: T0 + 12 * HOUR, bucket: 'day' });
      expect(first).toMatchObject({ total: 2, success: 1, error: 1, complete: false }); // 12:30 and 23:30 UTC
    });
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
