import { describe, expect, it } from 'vitest';
import { forEachBackend } from './backends.js';
import { T0, newExecution } from './factories.js';

const NO_DATA = {
  total: 0,
  running: 0,
  success: 0,
  error: 0,
  successRate: null,
  avgDurationMs: null,
  minDurationMs: null,
  maxDurationMs: null,
  p50DurationMs: null,
  p95DurationMs: null,
  firstStartedAt: null,
  lastStartedAt: null,
};

forEachBackend((backend) => {
  describe('getExecutionStats', () => {
    it('is all zeros and nulls on an empty database and for an unknown workflow', async () => {
      const store = await backend.open();
      expect(await store.getExecutionStats()).toEqual(NO_DATA);
      await store.createExecution(newExecution({ workflowId: 'known' }));
      expect(await store.getExecutionStats('unknown')).toEqual(NO_DATA);
    });

    it('computes exact counts, rate, durations and nearest-rank percentiles, overall and per workflow', async () => {
      const store = await backend.open();
      // wf-a: 20 finished runs with durations 10, 20, …, 200 ms (every fourth an error), and one running.
      for (let i = 1; i <= 20; i++) {
        const status = i % 4 === 0 ? 'error' : 'success';
        await store.createExecution(
          newExecution({ workflowId: 'wf-a', status, startedAt: T0 + i, completedAt: T0 + i + i * 10 }),
        );
      }
      await store.createExecution(newExecution({ workflowId: 'wf-a', status: 'running', startedAt: T0 + 100 }));
      await store.createExecution(
        newExecution({ workflowId: 'wf-b', status: 'error', startedAt: T0 - 5, completedAt: T0 - 5 + 5000 }),
      );

      expect(await store.getExecutionStats('wf-a')).toEqual({
        total: 21,
        running: 1,
        success: 15,
        error: 5,
        successRate: 0.75,
        avgDurationMs: 105,
        minDurationMs: 10,
        maxDurationMs: 200,
        p50DurationMs: 100, // rank ceil(0.5 × 20) = 10
        p95DurationMs: 190, // rank ceil(0.95 × 20) = 19
        firstStartedAt: T0 + 1,
        lastStartedAt: T0 + 100,
      });

      const all = await store.getExecutionStats();
      expect(all).toEqual({
        total: 22,
        running: 1,
        success: 15,
        error: 6,
        successRate: 15 / 21,
        avgDurationMs: (2100 + 5000) / 21,
        minDurationMs: 10,
        maxDurationMs: 5000,
        p50DurationMs: 110, // rank 11 of 21
        p95DurationMs: 200, // rank 20 of 21
        firstStartedAt: T0 - 5,
        lastStartedAt: T0 + 100,
      });
      for (const value of Object.values(all)) expect(typeof value).toBe('number');
    });

    it('handles a single execution and a workflow that only has running executions', async () => {
      const store = await backend.open();
      await store.createExecution(newExecution({ workflowId: 'one', status: 'success', completedAt: T0 + 42 }));
      await store.createExecution(newExecution({ workflowId: 'busy', status: 'running' }));

      expect(await store.getExecutionStats('one')).toMatchObject({
        total: 1,
        successRate: 1,
        avgDurationMs: 42,
        p50DurationMs: 42,
        p95DurationMs: 42,
      });
      expect(await store.getExecutionStats('busy')).toEqual({
        ...NO_DATA,
        total: 1,
        running: 1,
        firstStartedAt: T0,
        lastStartedAt: T0,
      });
    });
  });

  describe('getExecutionStats with a query', () => {
    async function fixture() {
      const store = await backend.open();
      const run = (workflowId: string, triggerType: 'webhook' | 'schedule', at: number, status: 'success' | 'error' | 'running', took?: number) =>
        store.createExecution(newExecution({ workflowId, triggerType, status, startedAt: T0 + at, completedAt: took === undefined ? undefined : T0 + at + took }));
      await run('wf-a', 'webhook', 0, 'success', 10);
      await run('wf-a', 'schedule', 5, 'success', 50);
      await run('wf-a', 'webhook', 10, 'error', 30);
      await run('wf-b', 'webhook', 15, 'success', 20);
      await run('wf-a', 'webhook', 20, 'running');
      return store;
    }

    it('narrows by trigger type', async () => {
      const store = await fixture();
      expect(await store.getExecutionStats({ triggerType: 'webhook' })).toEqual({
        total: 4, running: 1, success: 2, error: 1, successRate: 2 / 3,
        avgDurationMs: 20, minDurationMs: 10, maxDurationMs: 30, p50DurationMs: 20, p95DurationMs: 30,
        firstStartedAt: T0, lastStartedAt: T0 + 20,
      });
    });

    it('narrows by start time, startedAfter inclusive and startedBefore exclusive', async () => {
      const store = await fixture();
      expect(await store.getExecutionStats({ startedAfter: T0 + 5, startedBefore: T0 + 20 })).toEqual({
        total: 3, running: 0, success: 2, error: 1, successRate: 2 / 3,
        avgDurationMs: 100 / 3, minDurationMs: 20, maxDurationMs: 50, p50DurationMs: 30, p95DurationMs: 50,
        firstStartedAt: T0 + 5, lastStartedAt: T0 + 15,
      });
    });

    it('combines workflow, trigger type and time', async () => {
      const store = await fixture();
      expect(await store.getExecutionStats({ workflowId: 'wf-a', triggerType: 'webhook', startedAfter: T0 + 1 })).toEqual({
        total: 2, running: 1, success: 0, error: 1, successRate: 0,
        avgDurationMs: 30, minDurationMs: 30, maxDurationMs: 30, p50DurationMs: 30, p95DurationMs: 30,
        firstStartedAt: T0 + 10, lastStartedAt: T0 + 20,
      });
    });

    it('is all zeros and nulls for an empty range, and a plain workflow id still works', async () => {
      const store = await fixture();
      expect(await store.getExecutionStats({ startedAfter: T0 + 100 })).toEqual(NO_DATA);
      expect(await store.getExecutionStats({})).toEqual(await store.getExecutionStats());
      expect(await store.getExecutionStats('wf-b')).toEqual(await store.getExecutionStats({ workflowId: 'wf-b' }));
      expect(await store.getExecutionStats('wf-b')).toMatchObject({ total: 1, success: 1, avgDurationMs: 20 });
    });

    it('rejects a query that is neither a workflow id nor a query object', async () => {
      const store = await fixture();
      await expect(store.getExecutionStats(42 as never)).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'getExecutionStats: invalid input: query: expected a workflow id, or a query object with workflowId, triggerType, startedAfter and startedBefore (got 42)',
      });
      await expect(store.getExecutionStats({ status: 'error' } as never)).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'getExecutionStats: invalid input: query: Unrecognized key: "status"',
      });
      await expect(store.getExecutionStats({ startedAfter: -1 })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'getExecutionStats: invalid input: startedAfter: expected a non-negative integer (got -1)',
      });
    });
  });
});
