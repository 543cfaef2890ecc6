import { describe, expect, it } from 'vitest';
import type { ExecutionStore, WorkflowExecution } from '../src/index.js';
import { forEachBackend } from './backends.js';
import { T0, newExecution } from './factories.js';

const MINUTE = 60_000;

/** Six executions over two workflows, three triggers and all statuses, one minute apart. */
async function seed(store: ExecutionStore): Promise<WorkflowExecution[]> {
  const inputs = [
    newExecution({ workflowId: 'wf-a', triggerType: 'webhook', status: 'success', startedAt: T0, completedAt: T0 + 500 }),
    newExecution({ workflowId: 'wf-a', triggerType: 'schedule', status: 'error', startedAt: T0 + MINUTE, completedAt: T0 + MINUTE + 9000 }),
    newExecution({ workflowId: 'wf-b', triggerType: 'manual', status: 'success', startedAt: T0 + 2 * MINUTE, completedAt: T0 + 2 * MINUTE + 100 }),
    newExecution({ workflowId: 'wf-a', triggerType: 'webhook', status: 'running', startedAt: T0 + 3 * MINUTE }),
    newExecution({ workflowId: 'wf-b', triggerType: 'webhook', status: 'error', startedAt: T0 + 4 * MINUTE, completedAt: T0 + 4 * MINUTE + 2500 }),
    newExecution({ workflowId: 'wf-a', triggerType: 'webhook', status: 'success', startedAt: T0 + 5 * MINUTE, completedAt: T0 + 5 * MINUTE + 700 }),
  ];
  const seeded: WorkflowExecution[] = [];
  for (const input of inputs) {
    const id = await store.createExecution(input);
    const execution = await store.getExecution(id);
    if (execution) seeded.push(execution);
  }
  return seeded;
}

forEachBackend((backend) => {
  describe('queryExecutions', () => {
    it('returns the newest first by default, whole objects', async () => {
      const store = await backend.open();
      const all = await seed(store);
      expect(await store.queryExecutions()).toEqual([...all].reverse());
    });

    it('filters by workflow, status and trigger type, alone and together', async () => {
      const store = await backend.open();
      const [a0, a1, b2, a3, b4, a5] = await seed(store);
      expect(await store.queryExecutions({ workflowId: 'wf-a' })).toEqual([a5, a3, a1, a0]);
      expect(await store.queryExecutions({ status: 'error' })).toEqual([b4, a1]);
      expect(await store.queryExecutions({ triggerType: 'webhook' })).toEqual([a5, b4, a3, a0]);
      expect(await store.queryExecutions({ workflowId: 'wf-b', status: 'success' })).toEqual([b2]);
      expect(await store.queryExecutions({ workflowId: 'wf-a', triggerType: 'webhook', status: 'success' })).toEqual([a5, a0]);
      expect(await store.queryExecutions({ workflowId: 'wf-none' })).toEqual([]);
    });

    it('treats startedAfter as inclusive and startedBefore as exclusive', async () => {
      const store = await backend.open();
      const [, a1, b2, a3] = await seed(store);
      const page = await store.queryExecutions({ startedAfter: T0 + MINUTE, startedBefore: T0 + 4 * MINUTE });
      expect(page).toEqual([a3, b2, a1]);
    });

    it('sorts by duration in both directions, running executions (no duration) last when descending', async () => {
      const store = await backend.open();
      const [a0, a1, b2, a3, b4, a5] = await seed(store);
      expect(await store.queryExecutions({ orderBy: 'duration_ms' })).toEqual([a1, b4, a5, a0, b2, a3]);
      expect(await store.queryExecutions({ orderBy: 'duration_ms', orderDir: 'asc' })).toEqual([a3, b2, a0, a5, b4, a1]);
    });

    it('pages with limit and offset without gaps or repeats', async () => {
      const store = await backend.open();
      const all = (await seed(store)).reverse();
      const pages = [];
      for (let offset = 0; offset < 8; offset += 4) pages.push(await store.queryExecutions({ limit: 4, offset }));
      expect(pages).toEqual([all.slice(0, 4), all.slice(4)]);
      expect(await store.queryExecutions({ limit: 2, offset: 6 })).toEqual([]);
    });

    it('breaks ties on startedAt by id so that pages are stable', async () => {
      const store = await backend.open();
      const ids = [];
      for (let i = 0; i < 7; i++) ids.push(await store.createExecution(newExecution({ startedAt: T0 })));
      const newestFirst = [...ids].sort().reverse();

      const paged = [];
      for (let offset = 0; offset < 7; offset += 3) {
        paged.push(...(await store.queryExecutions({ limit: 3, offset })).map((execution) => execution.id));
      }
      expect(paged).toEqual(newestFirst);
      const ascending = await store.queryExecutions({ orderDir: 'asc' });
      expect(ascending.map((execution) => execution.id)).toEqual([...ids].sort());
    });

    it('defaults to 50 per page and allows at most 1000', async () => {
      const store = await backend.open();
      for (let i = 0; i < 60; i++) await store.createExecution(newExecution({ startedAt: T0 + i }));
      expect(await store.queryExecutions()).toHaveLength(50);
      expect(await store.queryExecutions({ limit: 1000 })).toHaveLength(60);
    });
  });

  describe('findExecutionIds', () => {
    it('finds the executions whose id starts with a prefix, in id order, at most the limit', async () => {
      const store = await backend.open();
      const ids = (await seed(store)).map((execution) => execution.id).sort();
      const first = ids[0] as string;
      expect(await store.findExecutionIds(first)).toEqual([first]);
      expect(await store.findExecutionIds(first.slice(0, 30))).toEqual([first]);
      // uuid v7 ids made in one millisecond share their first 8 characters (the time).
      const shared = first.slice(0, 4);
      expect(await store.findExecutionIds(shared)).toEqual(ids.filter((id) => id.startsWith(shared)));
      expect(await store.findExecutionIds(shared, 2)).toEqual(ids.filter((id) => id.startsWith(shared)).slice(0, 2));
      expect(await store.findExecutionIds('zzz')).toEqual([]);
      await expect(store.findExecutionIds('')).rejects.toThrow('findExecutionIds: invalid input: prefix: expected at least one character of an id (got "")');
    });
  });
});
