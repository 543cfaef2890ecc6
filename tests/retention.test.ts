import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type ExecutionStore, openExecutionStore } from '../src/index.js';
import { forEachBackend } from './backends.js';
import { T0, newExecution, newStep, tempDir, track } from './factories.js';

const DAY = 24 * 60 * 60 * 1000;

async function idsNewestFirst(store: ExecutionStore): Promise<string[]> {
  return (await store.queryExecutions({ limit: 1000 })).map((execution) => execution.id);
}

forEachBackend((backend) => {
  describe('cleanupOldExecutions', () => {
    it('with a dry run counts what would go and deletes nothing; with a workflow, only its executions', async () => {
      const store = await backend.open({ now: () => T0 + 30 * DAY });
      const oldA = await store.createExecution(newExecution({ workflowId: 'wf-a', status: 'success', startedAt: T0 }));
      await store.createExecution(newExecution({ workflowId: 'wf-b', status: 'error', startedAt: T0 }));
      await store.createExecution(newExecution({ workflowId: 'wf-a', status: 'running', startedAt: T0 }));
      const recentA = await store.createExecution(newExecution({ workflowId: 'wf-a', status: 'success', startedAt: T0 + 29 * DAY }));
      const before = await idsNewestFirst(store);
      expect(await store.cleanupOldExecutions(14 * DAY, { dryRun: true })).toBe(2);
      expect(await store.cleanupOldExecutions(14 * DAY, { dryRun: true, workflowId: 'wf-a' })).toBe(1);
      expect(await idsNewestFirst(store)).toEqual(before);
      expect(await store.cleanupOldExecutions(14 * DAY, { workflowId: 'wf-a' })).toBe(1);
      expect(await store.getExecution(oldA)).toBeNull();
      expect((await idsNewestFirst(store)).length).toBe(3);
      expect(await store.getExecution(recentA)).not.toBeNull();
    });

    it('deletes finished executions older than maxAge with their steps, keeping running and recent ones', async () => {
      const store = await backend.open({ now: () => T0 + 30 * DAY });
      const oldSuccess = await store.createExecution(newExecution({ status: 'success', startedAt: T0 }));
      const oldError = await store.createExecution(newExecution({ status: 'error', startedAt: T0 + DAY }));
      const oldRunning = await store.createExecution(newExecution({ status: 'running', startedAt: T0 }));
      const atCutoff = await store.createExecution(newExecution({ status: 'success', startedAt: T0 + 16 * DAY }));
      const recent = await store.createExecution(newExecution({ status: 'success', startedAt: T0 + 29 * DAY }));
      await store.addStep(newStep(oldSuccess));
      await store.addStep(newStep(oldError));

      expect(await store.cleanupOldExecutions(14 * DAY)).toBe(2);
      expect(await idsNewestFirst(store)).toEqual([recent, atCutoff, oldRunning]);
      expect(await store.getStepsForExecution(oldSuccess)).toEqual([]);
      expect(await store.getStepsForExecution(oldError)).toEqual([]);
      expect(await store.cleanupOldExecutions(14 * DAY)).toBe(0);
    });

    it('deletes across many batches and counts every execution', async () => {
      const store = await backend.open({ now: () => T0 + DAY });
      for (let i = 0; i < 2500; i++) await store.createExecution(newExecution({ status: 'success', startedAt: T0 + i }));
      const keep = await store.createExecution(newExecution({ status: 'success', startedAt: T0 + DAY - 1 }));
      expect(await store.cleanupOldExecutions(DAY / 2)).toBe(2500);
      expect(await idsNewestFirst(store)).toEqual([keep]);
    });
  });

  describe('cleanupByCount', () => {
    it('keeps the newest maxCount executions of all workflows and never deletes running ones', async () => {
      const store = await backend.open();
      const ids = [];
      for (let i = 0; i < 6; i++) {
        const status = i === 1 ? 'running' : 'success';
        ids.push(await store.createExecution(newExecution({ workflowId: i % 2 ? 'wf-a' : 'wf-b', status, startedAt: T0 + i })));
      }
      await store.addStep(newStep(ids[0] as string));

      const before = await idsNewestFirst(store);
      expect(await store.cleanupByCount(3, undefined, { dryRun: true })).toBe(2);
      expect(await store.cleanupByCount(10, undefined, { dryRun: true })).toBe(0);
      expect(await idsNewestFirst(store)).toEqual(before);
      expect(await store.cleanupByCount(3)).toBe(2);
      expect(await idsNewestFirst(store)).toEqual([ids[5], ids[4], ids[3], ids[1]]);
      expect(await store.getStepsForExecution(ids[0] as string)).toEqual([]);
    });

    it('limits itself to one workflow when given one', async () => {
      const store = await backend.open();
      const a = [];
      const b = [];
      for (let i = 0; i < 4; i++) {
        a.push(await store.createExecution(newExecution({ workflowId: 'wf-a', status: 'success', startedAt: T0 + 2 * i })));
        b.push(await store.createExecution(newExecution({ workflowId: 'wf-b', status: 'error', startedAt: T0 + 2 * i + 1 })));
      }
      expect(await store.cleanupByCount(1, 'wf-a')).toBe(3);
      expect(await idsNewestFirst(store)).toEqual([b[3], a[3], b[2], b[1], b[0]]);
    });

    it('keeps the newest by (startedAt, id) when start times tie', async () => {
      const store = await backend.open();
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await store.createExecution(newExecution({ status: 'success', startedAt: T0 })));
      expect(await store.cleanupByCount(2)).toBe(3);
      expect(await idsNewestFirst(store)).toEqual([...ids].sort().reverse().slice(0, 2));
    });

    it('deletes every finished execution with maxCount 0 and nothing when under the count', async () => {
      const store = await backend.open();
      const running = await store.createExecution(newExecution({ status: 'running' }));
      await store.createExecution(newExecution({ status: 'success', startedAt: T0 + 1 }));
      expect(await store.cleanupByCount(10)).toBe(0);
      expect(await store.cleanupByCount(0)).toBe(1);
      expect(await idsNewestFirst(store)).toEqual([running]);
    });
  });

  describe('clean-up progress and reclaiming space', () => {
    it('reports each batch, whose sizes add up to what was deleted', async () => {
      const store = await backend.open({ now: () => T0 + DAY });
      for (let i = 0; i < 700; i++) await store.createExecution(newExecution({ status: 'success', startedAt: T0 + i }));
      const batches: { deleted: number; batchDeleted: number; batchMs: number }[] = [];
      const deleted = await store.cleanupOldExecutions(0, { onProgress: (progress) => batches.push(progress) });

      expect(deleted).toBe(700);
      expect(batches.length).toBeGreaterThan(1);
      expect(batches.reduce((sum, batch) => sum + batch.batchDeleted, 0)).toBe(700);
      expect(batches.at(-1)?.deleted).toBe(700);
      for (const batch of batches) expect(batch.batchMs).toBeGreaterThanOrEqual(0);
    });
  });
});

// SQLite's own mechanics (auto-vacuum, the file's pages and its WAL): SQLite only.
describe('clean-up progress and reclaiming space', () => {
  it('creates files with incremental auto-vacuum and gives the space of deleted history back to the file system', async () => {
    const file = join(tempDir(), 'history.db');
    const store = track(await openExecutionStore(file, { now: () => T0 + DAY }));
    const payload = { blob: 'x'.repeat(4000) };
    for (let i = 0; i < 300; i++) {
      await store.recordExecution(newExecution({ status: 'success', startedAt: T0 + i }), [
        { nodeId: 'n', nodeType: 't', stepIndex: 0, startedAt: T0 + i, status: 'success', inputData: payload },
      ]);
    }
    expect(await store.cleanupOldExecutions(0)).toBe(300);
    const { bytesBefore, bytesAfter } = await store.reclaimSpace();

    expect(bytesBefore).toBeGreaterThan(300 * 4000);
    expect(bytesAfter).toBeLessThan(bytesBefore / 4);
    expect(statSync(file).size).toBe(bytesAfter);
    expect(statSync(`${file}-wal`).size).toBe(0);
    const sqlite = new Database(file, { readonly: true });
    expect(sqlite.pragma('auto_vacuum', { simple: true })).toBe(2);
    expect(sqlite.pragma('page_size', { simple: true })).toBe(8192);
    sqlite.close();
  });
});
