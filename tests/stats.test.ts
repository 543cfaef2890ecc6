import { describe, expect, it } from 'vitest';
import { T0, memoryStore, newExecution } from './factories.js';

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

describe('getExecutionStats', () => {
  it('is all zeros and nulls on an empty database and for an unknown workflow', async () => {
    const store = await memoryStore();
    expect(await store.getExecutionStats()).toEqual(NO_DATA);
    await store.createExecution(newExecution({ workflowId: 'known' }));
    expect(await store.getExecutionStats('unknown')).toEqual(NO_DATA);
  });

  it('computes exact counts, rate, durations and nearest-rank percentiles, overall and per workflow', async () => {
    const store = await memoryStore();
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
    const store = await memoryStore();
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
