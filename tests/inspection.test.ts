// inspectExecutionHistory: a history file as it is, read without changing anything.
import { cpSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { inspectExecutionHistory, openExecutionStore } from '../src/index.js';
import { applyMigrations } from '../src/sqlite/migrations.js';
import { MIGRATIONS_FOLDER } from '../src/sqlite/connection.js';
import { T0, newExecution, newRunStep, tempDir } from './factories.js';

const tags = (JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] }).entries.map(
  (entry) => entry.tag,
);

describe('inspectExecutionHistory', () => {
  it('describes a file the store wrote: pages, integrity, modes, migrations, rows and insight settings', async () => {
    const file = join(tempDir(), 'history.db');
    const store = await openExecutionStore(file, { insights: { hourlyDays: 10 }, instance: { id: 'worker-1', leaseMs: 5_000 } });
    await store.recordExecution(newExecution({ status: 'success', startedAt: T0, completedAt: T0 + 5 }), [newRunStep(), newRunStep({ stepIndex: 1 })]);
    await store.createExecution(newExecution({ status: 'running', startedAt: T0 + 1000 }));
    await store.createExecution(newExecution({ status: 'running', startedAt: T0 + 9000 }));
    store.close();
    const sqlite = new Database(file, { readonly: true });
    const pageCount = sqlite.pragma('page_count', { simple: true });
    sqlite.close();

    expect(await inspectExecutionHistory(file, { runningSince: T0 + 5000 })).toEqual({
      backend: 'sqlite',
      pageSize: 8192,
      pageCount,
      freePages: 0,
      journalMode: 'wal',
      autoVacuum: 'incremental',
      integrity: ['ok'],
      migrations: { applied: tags, pending: [] },
      rows: { executions: 3, steps: 2, running: 2, runningSince: 1 },
      insights: { outliveDeletes: true, hourlyDays: 10, dailyDays: 365, pinned: ['hourlyDays'] },
      instances: [
        {
          id: 'worker-1',
          host: hostname(),
          pid: process.pid,
          startedAt: expect.any(Number),
          heardAt: expect.any(Number),
          leaseMs: 5_000,
          silentMs: expect.any(Number),
          state: 'alive', // closed just now: gone once its lease has passed
          runningExecutions: 2,
          current: false,
        },
      ],
    });
  });

  it('changes nothing: a file with pending migrations keeps them, in its journal mode, byte for byte', async () => {
    const file = join(tempDir(), 'old.db');
    const sqlite = new Database(file);
    // A file from before the last migration, as an older version of the package left it.
    const folder = join(tempDir(), 'drizzle');
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, -1) }));
    applyMigrations(sqlite, folder);
    sqlite.close();
    const before = readFileSync(file);
    const modified = statSync(file).mtimeMs;

    const inspection = await inspectExecutionHistory(file, { integrity: 'none' });
    if (inspection.backend !== 'sqlite') throw new Error(`a file read as ${inspection.backend}`); // narrows to SqliteInspection
    expect(inspection.migrations).toEqual({ applied: tags.slice(0, -1), pending: tags.slice(-1) });
    expect(inspection.integrity).toBeNull();
    expect(inspection.journalMode).toBe('delete');
    expect(inspection.rows).toEqual({ executions: 0, steps: 0, running: 0, runningSince: null });
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(statSync(file).mtimeMs).toBe(modified);
  });

  it('says what was wrong: no such file, a file that is not a database, bad options', async () => {
    const folder = tempDir();
    await expect(inspectExecutionHistory(join(folder, 'missing.db'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `inspectExecutionHistory: no history database at ${join(folder, 'missing.db')}; expected an existing file`,
    });
    const text = join(folder, 'notes.txt');
    writeFileSync(text, 'not a database, only words '.repeat(200));
    await expect(inspectExecutionHistory(text)).rejects.toMatchObject({
      code: 'DATABASE',
      message: `inspectExecutionHistory (${text}) failed in SQLite: SQLITE_NOTADB: file is not a database`,
    });
    await expect(inspectExecutionHistory(text, { integrity: 'thorough' as 'full' })).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});
