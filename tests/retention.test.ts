import { describe, expect, it } from 'vitest';
import type { ExecutionStore } from '../src/index.js';
import { T0, memoryStore, newExecution, newStep } from './factories.js';

const DAY = 24 * 60 * 60 * 1000;

async function idsNewestFirst(store: ExecutionStore): Promise<string[]> {
  return (await store.queryExecutions({ limit: 1000 })).map((execution) => execution.id);
}

describe('cleanupOldExecutions', () => {
  it('deletes finished executions older than maxAge with their steps, keeping running and recent ones', async () => {
    const store = await memoryStore({ now: () => T0 + 30 * DAY });
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
    const store = await memoryStore({ now: () => T0 + DAY });
    for (let i = 0; i < 2500; i++) await store.createExecution(newExecution({ status: 'success', startedAt: T0 + i }));
    const keep = await store.createExecution(newExecution({ status: 'success', startedAt: T0 + DAY - 1 }));
    expect(await store.cleanupOldExecutions(DAY / 2)).toBe(2500);
    expect(await idsNewestFirst(store)).toEqual([keep]);
  });
});

describe('cleanupByCount', () => {
  it('keeps the newest maxCount executions of all workflows and never deletes running ones', async () => {
    const store = await memoryStore();
    const ids = [];
    for (let i = 0; i < 6; i++) {
      const status = i === 1 ? 'running' : 'success';
      ids.push(await store.createExecution(newExecution({ workflowId: i % 2 ? 'wf-a' : 'wf-b', status, startedAt: T0 + i })));
    }
    await store.addStep(newStep(ids[0] as string));

    expect(await store.cleanupByCount(3)).toBe(2);
    expect(await idsNewestFirst(store)).toEqual([ids[5], ids[4], ids[3], ids[1]]);
    expect(await store.getStepsForExecution(ids[0] as string)).toEqual([]);
  });

  it('limits itself to one workflow when given one', async () => {
    const store = await memoryStore();
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
    const store = await memoryStore();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await store.createExecution(newExecution({ status: 'success', startedAt: T0 })));
    expect(await store.cleanupByCount(2)).toBe(3);
    expect(await idsNewestFirst(store)).toEqual([...ids].sort().reverse().slice(0, 2));
  });

  it('deletes every finished execution with maxCount 0 and nothing when under the count', async () => {
    const store = await memoryStore();
    const running = await store.createExecution(newExecution({ status: 'running' }));
    await store.createExecution(newExecution({ status: 'success', startedAt: T0 + 1 }));
    expect(await store.cleanupByCount(10)).toBe(0);
    expect(await store.cleanupByCount(0)).toBe(1);
    expect(await idsNewestFirst(store)).toEqual([running]);
  });
});
