import { execFile } from 'node:child_process';
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ExecutionStore, openExecutionStore } from '../src/index.js';
import { T0, memoryStore, newExecution, newRunStep, newStep, tempDir, track } from './factories.js';
import { recountedRollups, storedRollups } from './rollup-recount.js';

const run = promisify(execFile);
const hugePayload = new URL('./fixtures/huge-payload.mjs', import.meta.url).pathname;
const MB = 1024 * 1024;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function counts(sqlite: Database.Database) {
  return sqlite
    .prepare('SELECT (SELECT count(*) FROM workflow_executions) AS executions, (SELECT count(*) FROM execution_steps) AS steps')
    .get();
}

describe('a full disk', () => {
  it("fails a write with STORAGE_FULL, writes nothing of it, keeps the history intact, and recovers once there is room", async () => {
    const sqlite = new Database(join(tempDir(), 'full.db'));
    const store = track(new ExecutionStore(sqlite));
    const stepsOf = (n: number) => Array.from({ length: n }, (_, stepIndex) => ({
      nodeId: `node-${stepIndex}`, nodeType: 'code', stepIndex, startedAt: T0, status: 'success' as const,
      outputData: { blob: 'z'.repeat(2000) + stepIndex },
    }));
    // Simulates the disk filling up: SQLite fails with SQLITE_FULL exactly as when the file system has no room.
    const maxPages = (sqlite.pragma('page_count', { simple: true }) as number) + 40;
    sqlite.pragma(`max_page_count = ${maxPages}`);

    let recorded = 0;
    let failure: unknown;
    while (failure === undefined && recorded < 1000) {
      try {
        await store.recordExecution(newExecution({ startedAt: T0 + recorded, status: 'success', completedAt: T0 + recorded + 10 }), stepsOf(20));
        recorded++;
      } catch (error) {
        failure = error;
      }
    }

    expect(recorded).toBeGreaterThan(0);
    expect(failure).toMatchObject({
      name: 'ExecutionStoreError',
      code: 'STORAGE_FULL',
      message:
        'recordExecution: the database is full; nothing of this call was written and the history so far is intact. ' +
        `The file reached its max_page_count (${maxPages} pages of 8192 bytes). Delete old history with cleanupOldExecutions ` +
        'or cleanupByCount (`execution-history prune`): its pages are reused at once, so writes succeed again; or raise max_page_count',
    });
    expect(counts(sqlite)).toEqual({ executions: recorded, steps: recorded * 20 });
    await expect(store.createExecution(newExecution({ triggerData: { big: 'q'.repeat(60_000) } }))).rejects.toMatchObject({ code: 'STORAGE_FULL' });
    expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');

    // Its advice, followed on the full file: the clean-up works, and so does the write after it.
    expect(await store.cleanupByCount(recorded - 2)).toBe(2);
    await store.recordExecution(newExecution({ startedAt: T0 + 5000 }), stepsOf(20));
    expect(counts(sqlite)).toEqual({ executions: recorded - 1, steps: (recorded - 1) * 20 });
    expect(await store.queryExecutions({ limit: 1000 })).toHaveLength(recorded - 1);
    expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  /** A store whose file holds a few days of history and has no free page left, with its clock a week later. */
  async function fullFile(options: { dropRollups?: boolean } = {}) {
    const sqlite = new Database(join(tempDir(), 'full.db'));
    let clock = T0 + 9 * DAY;
    const store = track(new ExecutionStore(sqlite, { now: () => clock }));
    for (let i = 0; i < 60; i++) {
      const startedAt = T0 - 6 * DAY + i * 2 * HOUR;
      await store.recordExecution(newExecution({ startedAt, status: 'success', completedAt: startedAt + 100 }),
        Array.from({ length: 8 }, (_, stepIndex) => newRunStep({ nodeId: `node-${i % 7}-${stepIndex}`, stepIndex, startedAt, status: 'success', completedAt: startedAt + stepIndex })));
    }
    if (options.dropRollups) sqlite.exec('DELETE FROM workflow_rollups; DELETE FROM node_rollups; DELETE FROM compacted_weeks;');
    sqlite.pragma('incremental_vacuum'); // no free page left for what comes next
    sqlite.pragma(`max_page_count = ${sqlite.pragma('page_count', { simple: true }) as number}`);
    return { sqlite, store, setClock: (time: number) => (clock = time) };
  }

  it('lets a clean-up that deletes little finish, leaving the weekly compaction for when there is room', async () => {
    const { sqlite, store } = await fullFile();
    expect(await store.cleanupOldExecutions(15 * DAY - 4 * HOUR)).toBe(2); // the two oldest
    expect(sqlite.prepare('SELECT count(*) FROM compacted_weeks').pluck().get()).toBe(0);
    await expect(store.compactInsights()).rejects.toMatchObject({
      code: 'STORAGE_FULL',
      message: expect.stringMatching(/^compactInsights: the database is full; nothing of this call was written and the history so far is intact\. The file reached its max_page_count/),
    });
    sqlite.pragma('max_page_count = 1000000');
    expect(await store.compactInsights()).toEqual({ weeks: 2 }); // the history's two weeks, both over
  });

  it('says how far rebuildInsights got, each day whole, and calling it again finishes the recount', async () => {
    const { sqlite, store } = await fullFile({ dropRollups: true });
    const failure = await store.rebuildInsights().then(() => undefined, (error: unknown) => error);
    const message = (failure as Error).message;
    expect(failure).toMatchObject({ code: 'STORAGE_FULL' });
    const [, days, totalDays] = /^rebuildInsights: the database is full; this call had recounted (\d+) of (\d+) days, each committed whole, and the insights are consistent; calling rebuildInsights again recounts every day \(the first \1 are right already\); nothing of the step that failed was written\. The file reached its max_page_count/.exec(message) ?? [];
    expect(Number(days)).toBeGreaterThan(0);
    expect(Number(days)).toBeLessThan(Number(totalDays));
    // The days it finished are there whole; none after them.
    const recountedDays = sqlite.prepare("SELECT count(DISTINCT bucket_start) FROM workflow_rollups WHERE grain = 'day'").pluck().get();
    expect(recountedDays).toBe(Number(days));
    sqlite.pragma('max_page_count = 1000000');
    await store.rebuildInsights();
    sqlite.close();
    const file = sqlite.name;
    expect(storedRollups(file)).toEqual(recountedRollups(file));
  });

  it('says how many executions a clean-up had deleted when the disk filled between its batches', async () => {
    const sqlite = new Database(join(tempDir(), 'filling.db'));
    const store = track(new ExecutionStore(sqlite, { now: () => T0 + DAY }));
    const total = 500;
    for (let i = 0; i < total; i++) {
      await store.recordExecution(newExecution({ startedAt: T0 + i, status: 'success', completedAt: T0 + i + 5 }), [newRunStep({ startedAt: T0 + i, status: 'success', completedAt: T0 + i + 5 })]);
    }
    // The disk fills after 250 executions are deleted: SQLite's own SQLITE_FULL, raised inside the batch that passes
    // it, as the driver raises it when a write finds no room.
    let deletions = 0;
    sqlite.function('disk_has_room', () => {
      if (++deletions <= 250) return 1;
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    });
    sqlite.exec('CREATE TEMP TRIGGER fill_disk AFTER DELETE ON workflow_executions BEGIN SELECT disk_has_room(); END');
    const progress: number[] = [];
    const failure = await store.cleanupOldExecutions(0, { onProgress: ({ deleted }) => progress.push(deleted) }).then(() => undefined, (error: unknown) => error);
    const committed = progress.at(-1) as number;
    expect(committed).toBeGreaterThan(0); // at least one batch went through whole
    expect(committed).toBeLessThanOrEqual(250);
    expect(failure).toMatchObject({
      code: 'STORAGE_FULL',
      message: expect.stringMatching(
        new RegExp(`^cleanupOldExecutions: the database is full; this call had deleted ${committed} executions in ${progress.length} batch\\(es\\), each committed whole with what it took from the insights; calling cleanupOldExecutions again goes on from there; nothing of the step that failed was written\\. The disk holding "`),
      ),
    });
    expect(counts(sqlite)).toEqual({ executions: total - committed, steps: total - committed });
    sqlite.exec('DROP TRIGGER fill_disk');
    expect(await store.cleanupOldExecutions(0)).toBe(total - committed);
    expect(await store.getExecutionStats()).toMatchObject({ total: 0 });
  });
});

describe('damaged rows', () => {
  it('come back as markers in steps too, and the execution with its other steps reads normally', async () => {
    const sqlite = new Database(':memory:');
    const store = track(new ExecutionStore(sqlite));
    const executionId = await store.createExecution(newExecution({ metadata: { tenant: 't1' } }));
    const [good, bad] = await store.addSteps([newStep(executionId, { stepIndex: 0 }), newStep(executionId, { stepIndex: 1 })]);
    sqlite.prepare('UPDATE execution_steps SET output_data = ? WHERE id = ?').run('\u0000not json', bad);
    sqlite.prepare('UPDATE workflow_executions SET metadata = ? WHERE id = ?').run('[1, 2', executionId);

    const found = await store.getExecutionWithSteps(executionId);
    expect(found?.metadata).toMatchObject({ __unreadable: true, preview: '[1, 2' });
    expect(found?.steps).toEqual([
      { ...newStep(executionId, { stepIndex: 0 }), id: good },
      { ...newStep(executionId, { stepIndex: 1 }), id: bad, outputData: { __unreadable: true, reason: expect.any(String), preview: '\u0000not json' } },
    ]);
    expect(await store.getExecutionStats()).toMatchObject({ total: 1, running: 1 });
  });
});

describe('huge and deep payloads', () => {
  it.each(['string', 'object'])('truncates a 50 MB %s payload with memory bounded by a few times its size', { timeout: 60_000 }, async (shape) => {
    // A 512 MB heap: the payload (200 MB as 500,000 objects) and its recording must fit in it, or the child dies.
    const { stdout } = await run(process.execPath, ['--max-old-space-size=512', hugePayload, join(tempDir(), 'huge.db'), shape]);
    const { peakBefore, peakAfter, stored } = JSON.parse(stdout);
    expect(stored).toEqual({ truncated: true, originalBytes: expect.any(Number), previewLength: 64 * 1024 });
    expect(stored.originalBytes).toBeGreaterThan(50 * MB);
    // Serialising needs the JSON text once and the work around it; nothing grows without bound. Measured: 154–170
    // MB for the string, 270–330 MB for 500,000 small objects.
    expect(peakAfter - peakBefore).toBeLessThan(8 * stored.originalBytes);
  });

  it('cuts 10,000 levels of nested arrays and objects in steps without overflowing the stack', async () => {
    const store = await memoryStore();
    let deepArray: unknown = ['bottom'];
    let deepObject: Record<string, unknown> = { bottom: true };
    for (let level = 0; level < 10_000; level++) {
      deepArray = [deepArray];
      deepObject = { level, child: deepObject };
    }
    const executionId = await store.createExecution(newExecution());
    const stepId = await store.addStep(newStep(executionId, { inputData: { deepArray }, outputData: deepObject }));
    const [step] = await store.getStepsForExecution(executionId);
    expect(step?.id).toBe(stepId);
    expect(JSON.stringify(step?.inputData)).toMatch(/^\{"deepArray":\[\[\[.*"\[Array\]".*\]\]\]\}$/);
    expect(JSON.stringify(step?.outputData)).not.toContain('bottom');
  });

  it('reads back a 10,000-level row written by hand without overflowing the stack', async () => {
    const sqlite = new Database(':memory:');
    const store = track(new ExecutionStore(sqlite));
    const id = await store.createExecution(newExecution());
    sqlite.prepare('UPDATE workflow_executions SET trigger_data = ? WHERE id = ?').run(`{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, id);
    const triggerData = (await store.getExecution(id))?.triggerData as { a: unknown };
    expect(Array.isArray(triggerData.a)).toBe(true);
  });
});

describe('numbers outside the safe integer range', () => {
  const unsafe = 2 ** 53;
  it.each([
    ['createExecution startedAt', (store: ExecutionStore) => store.createExecution(newExecution({ startedAt: unsafe })), 'startedAt'],
    ['createExecution durationMs', (store: ExecutionStore) => store.createExecution(newExecution({ durationMs: 1e300 })), 'durationMs'],
    ['addStep stepIndex', (store: ExecutionStore) => store.addStep(newStep('e', { stepIndex: unsafe })), 'stepIndex'],
    ['updateStep completedAt', (store: ExecutionStore) => store.updateStep('s', { completedAt: -unsafe }), 'completedAt'],
    ['queryExecutions startedAfter', (store: ExecutionStore) => store.queryExecutions({ startedAfter: unsafe }), 'startedAfter'],
    ['queryExecutions offset', (store: ExecutionStore) => store.queryExecutions({ offset: unsafe }), 'offset'],
    ['cleanupOldExecutions maxAgeMs', (store: ExecutionStore) => store.cleanupOldExecutions(unsafe), 'maxAgeMs'],
    ['cleanupByCount maxCount', (store: ExecutionStore) => store.cleanupByCount(unsafe), 'maxCount'],
    ['recoverInterruptedExecutions startedBefore', (store: ExecutionStore) => store.recoverInterruptedExecutions({ startedBefore: unsafe }), 'startedBefore'],
  ])('%s is rejected with VALIDATION', async (_what, call, field) => {
    const store = await memoryStore();
    await expect(call(store)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining(`${field}: `) });
    expect(await store.queryExecutions()).toEqual([]);
  });
});

describe('database files', () => {
  it('are created readable and writable by their owner only (.db, -wal and -shm)', async () => {
    const file = join(tempDir(), 'private', 'history.db');
    const store = track(await openExecutionStore(file));
    await store.createExecution(newExecution());
    const modes = ['', '-wal', '-shm'].map((suffix) => (statSync(file + suffix).mode & 0o777).toString(8));
    expect(modes).toEqual(['600', '600', '600']);
  });

  it('keep the permissions they already had', async () => {
    const file = join(tempDir(), 'shared.db');
    closeSync(openSync(file, 'w'));
    chmodSync(file, 0o640);
    track(await openExecutionStore(file));
    expect((statSync(file).mode & 0o777).toString(8)).toBe('640');
  });
});
