import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../src/sqlite/connection.js';
import { openExecutionStore } from '../src/index.js';
import { applyMigrations } from '../src/sqlite/migrations.js';
import { T0, newExecution, newRunStep, tempDir } from './factories.js';

const run = promisify(execFile);
const openTogether = new URL('./fixtures/open-together.mjs', import.meta.url).pathname;
const rebuildSql = new URL('./fixtures/rebuild-migration/0001_rebuild_executions.sql', import.meta.url).pathname;

/**
 * The committed migrations plus one that rebuilds workflow_executions, exactly as `drizzle-kit generate` wrote it
 * for a new status value (create __new_ table, copy, drop, rename), except its last line: drizzle-kit 0.31 wraps
 * the duration expression index in backticks, which SQLite reads as a column name, so that line is fixed by hand.
 */
function foldersWithRebuild(): string {
  const folder = join(tempDir(), 'migrations');
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  copyFileSync(rebuildSql, join(folder, '0001_rebuild_executions.sql'));
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8'));
  const last = journal.entries.at(-1);
  journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1000, tag: '0001_rebuild_executions' });
  writeFileSync(journalPath, JSON.stringify(journal, null, 2));
  return folder;
}

/** A database file with 20 executions of 3 steps each, recorded by the store. */
async function populatedFile(): Promise<string> {
  const file = join(tempDir(), 'populated.db');
  const store = await openExecutionStore(file);
  for (let i = 0; i < 20; i++) {
    await store.recordExecution(
      newExecution({ startedAt: T0 + i, status: 'success', completedAt: T0 + i + 30 }),
      [0, 1, 2].map((stepIndex) => newRunStep({ stepIndex, status: 'success', completedAt: T0 + i + 9 })),
    );
  }
  store.close();
  return file;
}

function contents(sqlite: Database.Database) {
  return {
    executions: sqlite.prepare('SELECT * FROM workflow_executions ORDER BY id').all(),
    steps: sqlite.prepare('SELECT * FROM execution_steps ORDER BY id').all(),
  };
}

describe('a later migration that rebuilds workflow_executions', () => {
  it('keeps every step when the store applies it to a populated copy', async () => {
    const original = await populatedFile();
    const copy = join(tempDir(), 'copy.db');
    copyFileSync(original, copy);
    const sqlite = new Database(copy);
    const before = contents(sqlite);
    expect(before.steps).toHaveLength(60);

    expect(applyMigrations(sqlite, foldersWithRebuild())).toBe(1);

    expect(contents(sqlite)).toEqual(before);
    expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1); // back on afterwards
    expect(sqlite.pragma('foreign_key_check')).toEqual([]);
    expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    // The migration did apply: the new status value passes the rebuilt CHECK, and deleting still cascades.
    const id = (before.executions[0] as { id: string }).id;
    sqlite.prepare("UPDATE workflow_executions SET status = 'cancelled' WHERE id = ?").run(id);
    sqlite.prepare('DELETE FROM workflow_executions WHERE id = ?').run(id);
    expect(sqlite.prepare('SELECT count(*) AS n FROM execution_steps').get()).toEqual({ n: 57 });
    sqlite.close();
  });

  it("loses every step through drizzle's own migrator, which is why the store does not use it", async () => {
    const sqlite = new Database(await populatedFile());
    migrate(drizzle(sqlite), { migrationsFolder: foldersWithRebuild() });
    expect(sqlite.prepare('SELECT (SELECT count(*) FROM workflow_executions) AS executions, (SELECT count(*) FROM execution_steps) AS steps').get())
      .toEqual({ executions: 20, steps: 0 });
    sqlite.close();
  });
});

/**
 * The migrations of a folder that lose steps when drizzle's migrator (what `drizzle-kit migrate` runs) applies each
 * of them to a database populated at the version before it.
 */
function migrationsLosingStepsUnderDrizzle(source: string): string[] {
  const folder = join(tempDir(), 'migrations');
  cpSync(source, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8'));
  const losing: string[] = [];
  for (let upTo = 1; upTo < journal.entries.length; upTo++) {
    writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, upTo) }));
    const sqlite = new Database(':memory:');
    applyMigrations(sqlite, folder);
    sqlite.prepare("INSERT INTO workflow_executions (id, workflow_id, workflow_name, trigger_type, status, started_at) VALUES ('e', 'w', 'W', 'manual', 'success', 1)").run();
    sqlite.prepare("INSERT INTO execution_steps (id, execution_id, node_id, node_type, step_index, started_at, status) VALUES ('s', 'e', 'n', 't', 0, 1, 'success')").run();
    writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, upTo + 1) }));
    migrate(drizzle(sqlite), { migrationsFolder: folder });
    if (sqlite.prepare('SELECT count(*) FROM execution_steps').pluck().get() !== 1) losing.push(journal.entries[upTo].tag);
    sqlite.close();
  }
  return losing;
}

describe('migrations deployed with drizzle-kit migrate (as CI does)', () => {
  it('the check finds a migration that would lose steps', () => {
    expect(migrationsLosingStepsUnderDrizzle(foldersWithRebuild())).toEqual(['0001_rebuild_executions']);
  });

  it('no committed migration loses steps', () => {
    expect(migrationsLosingStepsUnderDrizzle(MIGRATIONS_FOLDER)).toEqual([]);
  });
});

describe('processes opening a fresh database file at the same moment', () => {
  it('apply the migrations exactly once, and none of them fails (4 processes, 25 fresh files)', { timeout: 60_000 }, async () => {
    const folder = tempDir();
    const files = 25;
    const startAt = Date.now() + 800; // after every process has loaded
    const results = await Promise.all(
      ['p1', 'p2', 'p3', 'p4'].map((workflowId) =>
        run(process.execPath, [openTogether, folder, String(files), String(startAt), '120', workflowId]),
      ),
    );

    expect(results.map((result) => result.stderr)).toEqual(['', '', '', '']);
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'));
    for (let index = 0; index < files; index++) {
      const sqlite = new Database(join(folder, `fresh-${index}.db`), { readonly: true });
      expect({
        migrations: sqlite.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get(),
        executions: sqlite.prepare('SELECT workflow_id FROM workflow_executions ORDER BY workflow_id').pluck().all(),
        integrity: sqlite.pragma('integrity_check', { simple: true }),
        journalMode: sqlite.pragma('journal_mode', { simple: true }),
        pageSize: sqlite.pragma('page_size', { simple: true }),
        autoVacuum: sqlite.pragma('auto_vacuum', { simple: true }),
      }).toEqual({
        migrations: journal.entries.length,
        executions: ['p1', 'p2', 'p3', 'p4'],
        integrity: 'ok',
        journalMode: 'wal',
        pageSize: 8192,
        autoVacuum: 2,
      });
      sqlite.close();
    }
  });
});
