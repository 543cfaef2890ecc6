// The recorder, as a workflow runtime uses it: synchronous calls that never throw while runs go on, and a background
// writer whose batches read back as the runs happened. Times come from the recorder's own clock, so each test reads
// them back from the store, checks they hang together, and then compares the whole stored objects.
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  type ExecutionStep,
  type ExecutionStore,
  type RecorderDrop,
  type RecorderOptions,
  type RecorderStats,
  REDACTED,
  createRecorder,
  openExecutionStore,
} from '../src/index.js';
import { forEachBackend } from './backends.js';
import { tempDir, track } from './factories.js';

const ORDERS = { workflowId: 'wf-orders', workflowName: 'Sync orders', triggerType: 'webhook', triggerData: { body: { orderId: 42 } } } as const;
const DIGEST = { workflowId: 'wf-digest', workflowName: 'Nightly digest', triggerType: 'schedule', triggerData: { cron: '0 * * * *' } } as const;
const FETCH = { nodeId: 'node-http', nodeType: 'http_request', nodeName: 'Fetch order', input: { url: 'https://example.test/orders/42' } };
const SAVE = { nodeId: 'node-save', nodeType: 'db_query', nodeName: 'Save order', input: { table: 'orders' } };
const NOTIFY = { nodeId: 'node-notify', nodeType: 'email', nodeName: 'Notify', input: { to: 'team@example.test' } };

const NO_DROPS: RecorderStats['dropped'] = {
  'buffer-full': 0, 'storage-full': 0, invalid: 0, 'execution-missing': 0, 'write-failed': 0, closed: 0, misuse: 0, total: 0,
};
const HOUR = 3_600_000;
/** What the buffer counts an item besides its payload texts (documented with buffer.maxBytes). */
const ITEM_BYTES = 640;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` until `done` holds, or fails after `ms`: the writer works on its own time. */
async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, ms = 1_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${ms} ms; last read: ${JSON.stringify(value)}`);
    await sleep(10);
  }
}

/** A stored row's times, once checked to hang together: ended no earlier than started, durationMs between them. */
function timesOf(row: { startedAt: number; completedAt?: number }) {
  expect(typeof row.completedAt).toBe('number');
  expect(row.completedAt).toBeGreaterThanOrEqual(row.startedAt);
  return { startedAt: row.startedAt, completedAt: row.completedAt as number, durationMs: (row.completedAt as number) - row.startedAt };
}

/** A stored step as expected: its id is the recorder's, its times read back (and checked). */
function finishedStep(stored: ExecutionStep | undefined, expected: Omit<ExecutionStep, 'id' | 'startedAt' | 'completedAt' | 'durationMs'>) {
  return { id: expect.any(String), ...expected, ...timesOf(stored as ExecutionStep) };
}

/** The insights' counts of every run, stored or not, around now. */
async function insightCounts(store: ExecutionStore) {
  const now = Date.now();
  const timeline = await store.getTimeline({ startedAfter: now - 2 * HOUR, startedBefore: now + HOUR, bucket: 'hour' });
  return {
    summaries: (await store.getWorkflowSummaries())
      .map(({ workflowId, runs, running, success, error }) => ({ workflowId, runs, running, success, error }))
      .sort((x, y) => x.workflowId.localeCompare(y.workflowId)),
    nodes: (await store.getNodeStats())
      .map(({ workflowId, nodeId, runs, success, error, skipped }) => ({ workflowId, nodeId, runs, success, error, skipped }))
      .sort((x, y) => `${x.workflowId}/${x.nodeId}`.localeCompare(`${y.workflowId}/${y.nodeId}`)),
    timelineTotal: timeline.reduce((sum, bucket) => sum + bucket.total, 0),
  };
}

/** A run of one step that ends as told; its step succeeds either way. */
function recordRun(recorder: ReturnType<typeof createRecorder>, start: Parameters<ReturnType<typeof createRecorder>['startExecution']>[0], ends: 'success' | 'error') {
  const run = recorder.startExecution(start);
  run.startStep(FETCH).succeed({ status: 200 });
  if (ends === 'success') run.succeed();
  else run.fail(new Error('HTTP 502'));
  return run.id;
}

/** A run's start whose `key` throws when read, as a proxy or a getter of the runtime's may. */
const throwingOn = (key: string) =>
  Object.defineProperty({ ...ORDERS }, key, { enumerable: true, get: () => { throw new Error(`no ${key}`); } }) as typeof ORDERS;

const idsOf = async (store: ExecutionStore) => (await store.queryExecutions({ orderDir: 'asc' })).map(({ id, status }) => ({ id, status }));

forEachBackend((backend) => {
  describe('recorder', () => {
    it('records a run that reads back whole: status, times, step indexes, payloads, errors and the instance', async () => {
      const store = await backend.open();
      const recorder = createRecorder(store);
      const before = Date.now();
      const run = recorder.startExecution({ ...ORDERS, metadata: { attempt: 1 } });
      run.startStep(FETCH).succeed({ status: 200 });
      run.startStep(SAVE).fail(new Error('Deadlock on row 17'));
      run.startStep(NOTIFY).skip('nothing to send');
      const failure = new Error('Deadlock on row 17');
      run.fail(failure);
      const after = Date.now();
      await recorder.flush();

      const stored = await store.getExecutionWithSteps(run.id);
      const steps = stored?.steps ?? [];
      expect(stored?.startedAt).toBeGreaterThanOrEqual(before - 1);
      expect(stored?.completedAt).toBeLessThanOrEqual(after + 1);
      expect(stored).toEqual({
        id: run.id,
        ...ORDERS,
        metadata: { attempt: 1 },
        status: 'error',
        ...timesOf(stored as { startedAt: number }),
        errorMessage: 'Deadlock on row 17',
        errorStack: failure.stack,
        instanceId: store.instanceId,
        steps: [
          finishedStep(steps[0], { executionId: run.id, nodeId: 'node-http', nodeType: 'http_request', nodeName: 'Fetch order', stepIndex: 0, status: 'success', inputData: FETCH.input, outputData: { status: 200 } }),
          finishedStep(steps[1], { executionId: run.id, nodeId: 'node-save', nodeType: 'db_query', nodeName: 'Save order', stepIndex: 1, status: 'error', inputData: SAVE.input, errorMessage: 'Deadlock on row 17' }),
          finishedStep(steps[2], { executionId: run.id, nodeId: 'node-notify', nodeType: 'email', nodeName: 'Notify', stepIndex: 2, status: 'skipped', inputData: NOTIFY.input, outputData: { reason: 'nothing to send' } }),
        ],
      });
      // One clock for the run and its steps: each step starts after the one before ended, and the run ends last.
      expect(steps[1]?.startedAt).toBeGreaterThanOrEqual(steps[0]?.completedAt as number);
      expect(steps[2]?.startedAt).toBeGreaterThanOrEqual(steps[1]?.completedAt as number);
      expect(steps[0]?.startedAt).toBeGreaterThanOrEqual(stored?.startedAt as number);
      expect(stored?.completedAt).toBeGreaterThanOrEqual(steps[2]?.completedAt as number);
      expect(recorder.stats().dropped).toEqual(NO_DROPS);
    });

    it('captures payloads when they are handed over, redacted as the store redacts them', async () => {
      const store = await backend.open();
      const recorder = createRecorder(store);
      const triggerData = { body: { orderId: 42 }, apiKey: 'sk-live-1' };
      const run = recorder.startExecution({ ...ORDERS, triggerData });
      const input = { url: 'https://example.test/orders/42', password: 'hunter2', headers: { accept: 'json' } };
      const step = run.startStep({ ...FETCH, input });
      // The workflow goes on using its objects: what was handed over must not follow.
      input.url = 'https://example.test/changed';
      input.headers.accept = 'xml';
      triggerData.body.orderId = 43;
      const output = { status: 200, rows: [1, 2] };
      step.succeed(output);
      output.status = 500;
      output.rows.push(3);
      run.succeed();
      await recorder.flush();

      const stored = await store.getExecutionWithSteps(run.id);
      expect(stored).toEqual({
        id: run.id,
        ...ORDERS,
        triggerData: { body: { orderId: 42 }, apiKey: REDACTED },
        status: 'success',
        ...timesOf(stored as { startedAt: number }),
        instanceId: store.instanceId,
        steps: [
          finishedStep(stored?.steps[0], {
            executionId: run.id, nodeId: 'node-http', nodeType: 'http_request', nodeName: 'Fetch order', stepIndex: 0, status: 'success',
            inputData: { url: 'https://example.test/orders/42', password: '[REDACTED]', headers: { accept: 'json' } },
            outputData: { status: 200, rows: [1, 2] },
          }),
        ],
      });
    });

    it('redacts a run\'s metadata that carries the mark of a drop, in batches and step by step', async () => {
      for (const durability of ['batch', 'step'] as const) {
        const store = await backend.open();
        const recorder = createRecorder(store, { durability });
        const run = recorder.startExecution({ ...ORDERS, metadata: { tenant: 'acme', token: 't0k3n', note: 'Bearer abc.def' } });
        run.startStep({ nodeId: '', nodeType: 'code' }).succeed();
        run.succeed();
        await recorder.flush();
        expect((await store.getExecution(run.id))?.metadata).toEqual({
          tenant: 'acme', token: REDACTED, note: `Bearer ${REDACTED}`, __dropped: { payloads: 0, steps: 1, reasons: ['invalid'] },
        });
        await recorder.close();
      }
    });

    it('run.step() returns what the work returns, keeps a non-object under result, and rethrows the very error', async () => {
      const store = await backend.open();
      const recorder = createRecorder(store);
      const run = recorder.startExecution(ORDERS);
      const boom = new Error('HTTP 503');

      expect(await run.step(FETCH, async () => ({ status: 200 }))).toEqual({ status: 200 });
      expect(await run.step(SAVE, () => 42)).toBe(42);
      const thrown = await run.step(NOTIFY, async () => {
        throw boom;
      }).catch((error: unknown) => error);
      expect(thrown).toBe(boom);
      run.fail(boom);
      await recorder.flush();

      const stored = await store.getExecutionWithSteps(run.id);
      const steps = stored?.steps ?? [];
      expect(stored).toEqual({
        id: run.id,
        ...ORDERS,
        status: 'error',
        ...timesOf(stored as { startedAt: number }),
        errorMessage: 'HTTP 503',
        errorStack: boom.stack,
        instanceId: store.instanceId,
        steps: [
          finishedStep(steps[0], { executionId: run.id, nodeId: 'node-http', nodeType: 'http_request', nodeName: 'Fetch order', stepIndex: 0, status: 'success', inputData: FETCH.input, outputData: { status: 200 } }),
          finishedStep(steps[1], { executionId: run.id, nodeId: 'node-save', nodeType: 'db_query', nodeName: 'Save order', stepIndex: 1, status: 'success', inputData: SAVE.input, outputData: { result: 42 } }),
          finishedStep(steps[2], { executionId: run.id, nodeId: 'node-notify', nodeType: 'email', nodeName: 'Notify', stepIndex: 2, status: 'error', inputData: NOTIFY.input, errorMessage: 'HTTP 503' }),
        ],
      });
    });

    it('stores the times a runtime gives (a replay, a simulated clock) exactly, steps left open ending with their run', async () => {
      const store = await backend.open();
      const recorder = createRecorder(store);
      const t0 = Date.UTC(2026, 10, 3, 9, 0, 0);
      const run = recorder.startExecution({ ...ORDERS, startedAt: t0 });
      run.startStep({ ...FETCH, startedAt: t0 + 5 }).succeed({ status: 200 }, { completedAt: t0 + 405 });
      run.startStep({ ...SAVE, startedAt: t0 + 410 }).fail(new Error('Deadlock on row 17'), { output: { attempted: 1 }, completedAt: t0 + 1_410 });
      run.startStep({ ...NOTIFY, startedAt: t0 + 1_420 }).skip('nothing to send', { completedAt: t0 + 1_420 });
      run.startStep({ nodeId: 'node-wait', nodeType: 'wait', startedAt: t0 + 1_500 });
      const failure = new Error('Deadlock on row 17');
      run.fail(failure, { completedAt: t0 + 2_000 });
      await recorder.flush();

      const step = (at: number, ends: number) => ({ id: expect.any(String), executionId: run.id, startedAt: t0 + at, completedAt: t0 + ends, durationMs: ends - at });
      expect(await store.getExecutionWithSteps(run.id)).toEqual({
        id: run.id, ...ORDERS, status: 'error', startedAt: t0, completedAt: t0 + 2_000, durationMs: 2_000,
        errorMessage: 'Deadlock on row 17', errorStack: failure.stack, instanceId: store.instanceId,
        steps: [
          { ...step(5, 405), nodeId: 'node-http', nodeType: 'http_request', nodeName: 'Fetch order', stepIndex: 0, status: 'success', inputData: FETCH.input, outputData: { status: 200 } },
          { ...step(410, 1_410), nodeId: 'node-save', nodeType: 'db_query', nodeName: 'Save order', stepIndex: 1, status: 'error', inputData: SAVE.input, outputData: { attempted: 1 }, errorMessage: 'Deadlock on row 17' },
          { ...step(1_420, 1_420), nodeId: 'node-notify', nodeType: 'email', nodeName: 'Notify', stepIndex: 2, status: 'skipped', inputData: NOTIFY.input, outputData: { reason: 'nothing to send' } },
          { ...step(1_500, 2_000), nodeId: 'node-wait', nodeType: 'wait', stepIndex: 3, status: 'error', errorMessage: 'still running when its run ended' },
        ],
      });
      expect(recorder.stats().dropped).toEqual(NO_DROPS);
    });

    describe("durability: 'step'", () => {
      it('writes each call before its written promise resolves: the running rows, then each end onto them', async () => {
        const store = await backend.open();
        const recorder = createRecorder(store, { durability: 'step' });
        const run = recorder.startExecution(ORDERS);
        await run.written;
        const started = await store.getExecutionWithSteps(run.id);
        const { startedAt } = started as { startedAt: number };
        expect(started).toEqual({ id: run.id, ...ORDERS, status: 'running', startedAt, instanceId: store.instanceId, steps: [] });

        const fetch = run.startStep(FETCH);
        await fetch.written;
        const [running] = await store.getStepsForExecution(run.id);
        expect(running).toEqual({ id: expect.any(String), executionId: run.id, nodeId: 'node-http', nodeType: 'http_request', nodeName: 'Fetch order', stepIndex: 0, status: 'running', startedAt: running?.startedAt, inputData: FETCH.input });

        fetch.succeed({ status: 200 });
        await fetch.written;
        const [fetched] = await store.getStepsForExecution(run.id);
        expect(fetched).toEqual({ ...running, status: 'success', outputData: { status: 200 }, ...timesOf(fetched as ExecutionStep) });

        run.startStep(SAVE).fail(new Error('HTTP 502'));
        run.fail(new Error('HTTP 502'));
        await run.written;
        const done = await store.getExecutionWithSteps(run.id);
        expect(done).toMatchObject({ status: 'error', errorMessage: 'HTTP 502', steps: [fetched, { nodeId: 'node-save', status: 'error', errorMessage: 'HTTP 502' }] });
        // start, 2 step rows, 2 step ends, the run's end: one transaction each.
        expect(recorder.stats()).toMatchObject({ queued: 0, written: { batches: 6, executions: 1, steps: 2, updates: 1 }, dropped: NO_DROPS, writeErrors: 0 });
      });

      it('a run sampled out is written as it goes and replaced by its count when it ends; the insights count every run', async () => {
        const store = await backend.open();
        const recorder = createRecorder(store, { durability: 'step', policy: { success: 'none' } });
        const kept = recordRun(recorder, ORDERS, 'error');
        const run = recorder.startExecution(ORDERS);
        run.startStep(FETCH);
        await run.written;
        // While it goes it is stored, so that a crash leaves it to recovery like any other run.
        expect(await idsOf(store)).toEqual([{ id: kept, status: 'error' }, { id: run.id, status: 'running' }]);
        run.succeed();
        await recorder.flush();

        expect(await idsOf(store)).toEqual([{ id: kept, status: 'error' }]);
        expect(await store.getStepsForExecution(run.id)).toEqual([]);
        expect(await insightCounts(store)).toEqual({
          summaries: [{ workflowId: 'wf-orders', runs: 2, running: 0, success: 1, error: 1 }],
          nodes: [{ workflowId: 'wf-orders', nodeId: 'node-http', runs: 2, success: 1, error: 1, skipped: 0 }],
          timelineTotal: 2,
        });
        expect(recorder.stats()).toMatchObject({ queued: 0, written: { counted: 1 }, dropped: NO_DROPS, writeErrors: 0 });
      });

      it('a run sampled out that ends before its first write is written and counted all the same', async () => {
        const store = await backend.open();
        const drops: RecorderDrop[] = [];
        const recorder = createRecorder(store, { durability: 'step', policy: { success: 'none' }, onDrop: (drop) => drops.push(drop) });
        // No await between the calls: the run has ended (and been decided counted only) before its start's turn.
        recordRun(recorder, ORDERS, 'success');
        await recorder.flush();

        expect(drops).toEqual([]);
        expect(await idsOf(store)).toEqual([]);
        expect(await insightCounts(store)).toEqual({
          summaries: [{ workflowId: 'wf-orders', runs: 1, running: 0, success: 1, error: 0 }],
          nodes: [{ workflowId: 'wf-orders', nodeId: 'node-http', runs: 1, success: 1, error: 0, skipped: 0 }],
          timelineTotal: 1,
        });
        expect(recorder.stats()).toMatchObject({ queued: 0, writeErrors: 0, dropped: NO_DROPS });
      });

      it('a start the store refuses: each later part of the run is dropped as naming a run not stored, as in batches', async () => {
        const store = await backend.open();
        const drops: RecorderDrop[] = [];
        const recorder = createRecorder(store, { durability: 'step', onDrop: (drop) => drops.push(drop) });
        const run = recorder.startExecution({ ...ORDERS, workflowId: 'w'.repeat(300) });
        run.startStep(FETCH).succeed({ status: 200 });
        run.succeed();
        await recorder.flush();

        const of = { executionId: run.id, workflowId: 'w'.repeat(300) };
        expect(drops).toEqual([
          { reason: 'invalid', part: 'start', ...of, detail: expect.stringContaining('workflowId: expected at most 256 characters') },
          { reason: 'execution-missing', part: 'step', ...of, nodeId: 'node-http' },
          { reason: 'execution-missing', part: 'end', ...of },
        ]);
        expect(await idsOf(store)).toEqual([]);
      });

      it('never throws: what the store refuses is dropped as invalid and told, the rest of the run written', async () => {
        const store = await backend.open();
        const drops: RecorderDrop[] = [];
        const recorder = createRecorder(store, { durability: 'step', onDrop: (drop) => drops.push(drop) });
        const run = recorder.startExecution(ORDERS);
        run.startStep({ nodeId: 42 as never, nodeType: 'code' }).succeed({ ok: true });
        run.startStep(FETCH).succeed({ status: 200 });
        run.succeed();
        await recorder.flush();

        expect(drops).toEqual([
          // Its end is not written onto a row that is not there, nor told a second time.
          { reason: 'invalid', part: 'step', executionId: run.id, workflowId: 'wf-orders', nodeId: 42, detail: expect.stringContaining('nodeId') },
        ]);
        const stored = await store.getExecutionWithSteps(run.id);
        expect(stored?.steps.map(({ nodeId, stepIndex, status }) => ({ nodeId, stepIndex, status }))).toEqual([{ nodeId: 'node-http', stepIndex: 1, status: 'success' }]);
        expect(stored?.status).toBe('success');
        expect(stored?.metadata).toEqual({ __dropped: { payloads: 0, steps: 1, reasons: ['invalid'] } });
        expect(recorder.stats()).toMatchObject({ queued: 0, dropped: { ...NO_DROPS, invalid: 1, total: 1 } });
      });
    });

    describe('save policies', () => {
      it("success: 'none' stores only failed runs, and the insights count every run", async () => {
        const store = await backend.open();
        const recorder = createRecorder(store, { policy: { success: 'none' } });
        recordRun(recorder, ORDERS, 'success');
        const failed = recordRun(recorder, ORDERS, 'error');
        recordRun(recorder, ORDERS, 'success');
        await recorder.flush();

        expect(await idsOf(store)).toEqual([{ id: failed, status: 'error' }]);
        expect(await store.getExecutionStats()).toMatchObject({ total: 1, running: 0, success: 0, error: 1 });
        expect(await insightCounts(store)).toEqual({
          summaries: [{ workflowId: 'wf-orders', runs: 3, running: 0, success: 2, error: 1 }],
          nodes: [{ workflowId: 'wf-orders', nodeId: 'node-http', runs: 3, success: 3, error: 0, skipped: 0 }],
          timelineTotal: 3,
        });
        expect(recorder.stats()).toMatchObject({ queued: 0, written: { executions: 1, steps: 1, counted: 2 }, dropped: NO_DROPS });
      });

      it('a sample of successes keeps the slow ones whatever the draw; a failed run sampled out is stored whole', async () => {
        const store = await backend.open();
        const recorder = createRecorder(store, { policy: { success: { sampleRate: 0, keepSlowerThanMs: 1_000 } } });
        recordRun(recorder, ORDERS, 'success');
        const slow = recordRun(recorder, { ...ORDERS, startedAt: Date.now() - 2_000 }, 'success');
        const run = recorder.startExecution(DIGEST);
        run.startStep(FETCH).succeed({ status: 200 });
        run.startStep(SAVE).fail(new Error('Deadlock on row 17'));
        run.fail(new Error('Deadlock on row 17'));
        await recorder.flush();

        expect(await idsOf(store)).toEqual([{ id: slow, status: 'success' }, { id: run.id, status: 'error' }]);
        const slowRun = await store.getExecutionWithSteps(slow);
        expect(slowRun?.durationMs).toBeGreaterThan(1_000);
        expect(slowRun?.steps.map(({ nodeId, stepIndex, status, inputData, outputData }) => ({ nodeId, stepIndex, status, inputData, outputData }))).toEqual([
          { nodeId: 'node-http', stepIndex: 0, status: 'success', inputData: FETCH.input, outputData: { status: 200 } },
        ]);
        const failed = await store.getExecutionWithSteps(run.id);
        expect(failed).toEqual({
          id: run.id,
          ...DIGEST,
          status: 'error',
          ...timesOf(failed as { startedAt: number }),
          errorMessage: 'Deadlock on row 17',
          errorStack: expect.any(String),
          instanceId: store.instanceId,
          steps: [
            finishedStep(failed?.steps[0], { executionId: run.id, nodeId: 'node-http', nodeType: 'http_request', nodeName: 'Fetch order', stepIndex: 0, status: 'success', inputData: FETCH.input, outputData: { status: 200 } }),
            finishedStep(failed?.steps[1], { executionId: run.id, nodeId: 'node-save', nodeType: 'db_query', nodeName: 'Save order', stepIndex: 1, status: 'error', inputData: SAVE.input, errorMessage: 'Deadlock on row 17' }),
          ],
        });
        expect(await insightCounts(store)).toEqual({
          summaries: [
            { workflowId: 'wf-digest', runs: 1, running: 0, success: 0, error: 1 },
            { workflowId: 'wf-orders', runs: 2, running: 0, success: 2, error: 0 },
          ],
          nodes: [
            { workflowId: 'wf-digest', nodeId: 'node-http', runs: 1, success: 1, error: 0, skipped: 0 },
            { workflowId: 'wf-digest', nodeId: 'node-save', runs: 1, success: 0, error: 1, skipped: 0 },
            { workflowId: 'wf-orders', nodeId: 'node-http', runs: 2, success: 2, error: 0, skipped: 0 },
          ],
          timelineTotal: 3,
        });
      });

      it("error: 'none' stores only successes", async () => {
        const store = await backend.open();
        const recorder = createRecorder(store, { policy: { error: 'none' } });
        const kept = recordRun(recorder, ORDERS, 'success');
        recordRun(recorder, ORDERS, 'error');
        await recorder.flush();

        expect(await idsOf(store)).toEqual([{ id: kept, status: 'success' }]);
        expect(await store.getExecutionStats()).toMatchObject({ total: 1, success: 1, error: 0 });
        expect((await insightCounts(store)).summaries).toEqual([{ workflowId: 'wf-orders', runs: 2, running: 0, success: 1, error: 1 }]);
      });

      it('keeps manual runs whatever the rules say, unless keepManual is false', async () => {
        const store = await backend.open();
        const manual = { ...ORDERS, triggerType: 'manual' } as const;
        const keeping = createRecorder(store, { policy: { success: 'none', error: 'none' } });
        const keptSuccess = recordRun(keeping, manual, 'success');
        const keptError = recordRun(keeping, manual, 'error');
        recordRun(keeping, ORDERS, 'success');
        await keeping.flush();
        const notKeeping = createRecorder(store, { policy: { success: 'none', error: 'none', keepManual: false } });
        recordRun(notKeeping, manual, 'success');
        recordRun(notKeeping, manual, 'error');
        await notKeeping.flush();

        expect(await idsOf(store)).toEqual([{ id: keptSuccess, status: 'success' }, { id: keptError, status: 'error' }]);
        expect((await store.getExecutionWithSteps(keptSuccess))?.steps.map(({ nodeId, status }) => ({ nodeId, status }))).toEqual([{ nodeId: 'node-http', status: 'success' }]);
        expect((await insightCounts(store)).summaries).toEqual([{ workflowId: 'wf-orders', runs: 5, running: 0, success: 3, error: 2 }]);
      });

      it("a workflow's own rules override the policy's", async () => {
        const store = await backend.open();
        const recorder = createRecorder(store, { policy: { success: 'none', workflows: { 'wf-digest': { success: 'all', error: 'none' } } } });
        recordRun(recorder, ORDERS, 'success');
        const ordersFailed = recordRun(recorder, ORDERS, 'error');
        const digestKept = recordRun(recorder, DIGEST, 'success');
        recordRun(recorder, DIGEST, 'error');
        await recorder.flush();

        expect(await idsOf(store)).toEqual([{ id: ordersFailed, status: 'error' }, { id: digestKept, status: 'success' }]);
        expect((await insightCounts(store)).summaries).toEqual([
          { workflowId: 'wf-digest', runs: 2, running: 0, success: 1, error: 1 },
          { workflowId: 'wf-orders', runs: 2, running: 0, success: 1, error: 1 },
        ]);
      });

      it("payloads 'none', 'inputs', 'outputs': stored steps lack the others; a skipped step keeps its reason", async () => {
        const store = await backend.open();
        const recorder = createRecorder(store, {
          policy: { workflows: { none: { payloads: 'none' }, inputs: { payloads: 'inputs' }, outputs: { payloads: 'outputs' } } },
        });
        const stepsOf = async (workflowId: string) => {
          const run = recorder.startExecution({ ...ORDERS, workflowId });
          run.startStep(FETCH).succeed({ status: 200 });
          run.startStep(NOTIFY).skip('nothing to send');
          run.succeed();
          await recorder.flush();
          return (await store.getExecutionWithSteps(run.id))?.steps.map(({ nodeId, inputData, outputData }) => ({ nodeId, inputData, outputData }));
        };

        expect(await stepsOf('none')).toEqual([
          { nodeId: 'node-http', inputData: undefined, outputData: undefined },
          { nodeId: 'node-notify', inputData: undefined, outputData: { reason: 'nothing to send' } },
        ]);
        expect(await stepsOf('inputs')).toEqual([
          { nodeId: 'node-http', inputData: FETCH.input, outputData: undefined },
          { nodeId: 'node-notify', inputData: NOTIFY.input, outputData: { reason: 'nothing to send' } },
        ]);
        expect(await stepsOf('outputs')).toEqual([
          { nodeId: 'node-http', inputData: undefined, outputData: { status: 200 } },
          { nodeId: 'node-notify', inputData: undefined, outputData: { reason: 'nothing to send' } },
        ]);
        expect(await stepsOf('everything')).toEqual([
          { nodeId: 'node-http', inputData: FETCH.input, outputData: { status: 200 } },
          { nodeId: 'node-notify', inputData: NOTIFY.input, outputData: { reason: 'nothing to send' } },
        ]);
      });
    });

    it('writes a running run and its finished steps while it goes, appending steps without rewriting the row', async () => {
      const store = await backend.open();
      const recorder = createRecorder(store, { flush: { intervalMs: 50 } });
      const run = recorder.startExecution(ORDERS);
      run.startStep(FETCH).succeed({ status: 200 });
      const save = run.startStep(SAVE);

      const first = await until(() => store.getExecutionWithSteps(run.id), (read) => read?.steps.length === 1);
      const { startedAt } = first as { startedAt: number };
      expect(first).toEqual({
        id: run.id, ...ORDERS, status: 'running', startedAt, instanceId: store.instanceId,
        steps: [finishedStep(first?.steps[0], { executionId: run.id, nodeId: 'node-http', nodeType: 'http_request', nodeName: 'Fetch order', stepIndex: 0, status: 'success', inputData: FETCH.input, outputData: { status: 200 } })],
      });

      save.succeed({ saved: true });
      const second = await until(() => store.getExecutionWithSteps(run.id), (read) => read?.steps.length === 2);
      expect(second).toEqual({
        ...first,
        steps: [
          first?.steps[0], // the same row, id and all
          finishedStep(second?.steps[1], { executionId: run.id, nodeId: 'node-save', nodeType: 'db_query', nodeName: 'Save order', stepIndex: 1, status: 'success', inputData: SAVE.input, outputData: { saved: true } }),
        ],
      });
      // The running row went in once; nothing updated it while the run went on.
      expect(recorder.stats().written).toMatchObject({ executions: 1, steps: 2, updates: 0 });

      run.succeed();
      await recorder.flush();
      const done = await store.getExecutionWithSteps(run.id);
      expect(done).toEqual({ ...second, status: 'success', ...timesOf(done as { startedAt: number }), startedAt });
      expect(recorder.stats().written).toMatchObject({ executions: 1, steps: 2, updates: 1 });
    });

    it('stats() counts what was queued, written and dropped after a known sequence', async () => {
      const store = await backend.open();
      // Only flush() writes here: the interval is longer than the test.
      const recorder = createRecorder(store, { flush: { intervalMs: 60_000 }, policy: { workflows: { 'wf-digest': { success: { sampleRate: 0 } } } } });
      const payloadBytes = (value: object) => JSON.stringify(value).length * 2;

      const a = recorder.startExecution(ORDERS);
      a.startStep(FETCH).succeed({ status: 200 });
      a.startStep(SAVE).succeed();
      a.succeed();
      expect(recorder.stats()).toEqual({
        queued: 4,
        bufferBytes: 4 * ITEM_BYTES + payloadBytes(ORDERS.triggerData) + payloadBytes(FETCH.input) + payloadBytes({ status: 200 }) + payloadBytes(SAVE.input),
        written: { batches: 0, executions: 0, steps: 0, updates: 0, counted: 0 },
        dropped: NO_DROPS,
        writeErrors: 0,
        lastError: null,
      });
      await recorder.flush();
      const b = recorder.startExecution(ORDERS);
      b.startStep(FETCH).succeed({ status: 200 });
      await recorder.flush();
      b.succeed();
      await recorder.flush();
      // Sampled out: counted in the insights only, its step with it.
      recordRun(recorder, DIGEST, 'success');
      await recorder.flush();

      expect(recorder.stats()).toEqual({
        queued: 0,
        bufferBytes: 0,
        written: { batches: 4, executions: 2, steps: 3, updates: 1, counted: 1 },
        dropped: NO_DROPS,
        writeErrors: 0,
        lastError: null,
      });
      expect(await store.getExecutionStats()).toMatchObject({ total: 2, success: 2 });
      await recorder.close();
    });

    it('never throws on bad input or misuse: bad parts are dropped, counted and told, good runs stored exactly', async () => {
      const store = await backend.open();
      const drops: RecorderDrop[] = [];
      const errors: Error[] = [];
      const recorder = createRecorder(store, { onDrop: (drop) => drops.push(drop), onError: (error) => errors.push(error) });
      const circular: Record<string, unknown> = { name: 'loop' };
      circular.self = circular;

      const calls = () => {
        const before = recorder.startExecution(ORDERS);
        before.startStep(FETCH).succeed({ status: 200 });
        before.succeed();

        recorder.startExecution(undefined as never).succeed();
        recorder.startExecution(null as never).startStep(FETCH).succeed();
        recorder.startExecution(42 as never); // no workflowId: refused when written
        recorder.startExecution(throwingOn('triggerData')).fail('x');

        const misused = recorder.startExecution(DIGEST);
        misused.startStep(null as never).succeed();
        misused.startStep({ ...FETCH, get input(): never { throw new Error('no input'); } }).succeed();
        const twice = misused.startStep({ ...FETCH, input: circular });
        twice.succeed(7 as never);
        twice.succeed();
        twice.fail(new Error('late'));
        const late = misused.startStep(SAVE);
        misused.fail(undefined);
        misused.succeed();
        late.succeed();
        misused.startStep(NOTIFY).skip(3 as never);
        return { before: before.id, misused: misused.id };
      };
      let ids: { before: string; misused: string } | undefined;
      expect(() => {
        ids = calls();
      }).not.toThrow();
      await recorder.flush();
      await recorder.close();
      expect(() => {
        const after = recorder.startExecution(ORDERS);
        after.startStep(FETCH).succeed();
        after.succeed();
      }).not.toThrow();

      const before = await store.getExecutionWithSteps(ids?.before as string);
      expect(before).toEqual({
        id: ids?.before, ...ORDERS, status: 'success', ...timesOf(before as { startedAt: number }), instanceId: store.instanceId,
        steps: [finishedStep(before?.steps[0], { executionId: ids?.before as string, nodeId: 'node-http', nodeType: 'http_request', nodeName: 'Fetch order', stepIndex: 0, status: 'success', inputData: FETCH.input, outputData: { status: 200 } })],
      });
      const misused = await store.getExecutionWithSteps(ids?.misused as string);
      const steps = misused?.steps ?? [];
      // Soft: the drops below are checked whatever this says.
      expect.soft(misused).toEqual({
        id: ids?.misused, ...DIGEST, status: 'error', ...timesOf(misused as { startedAt: number }), errorMessage: 'undefined', instanceId: store.instanceId,
        // Two steps were handed over unreadable: a person looking at the run is told steps are missing (src/recorder/drops.ts).
        metadata: { __dropped: { payloads: 0, steps: 2, reasons: ['invalid'] } },
        steps: [
          // The recorder numbers the steps it records 0, 1, … (RecordedStepStart.stepIndex); the unreadable ones are not recorded.
          finishedStep(steps[0], {
            executionId: ids?.misused as string, nodeId: 'node-http', nodeType: 'http_request', nodeName: 'Fetch order', stepIndex: 0, status: 'success',
            inputData: { name: 'loop', self: '[Circular]' }, outputData: { __unserializable: true, reason: 'its JSON was not an object (7) when it was written' },
          }),
          // Still going when its run ended: failed by the run's end; its own late end is a misuse.
          finishedStep(steps[1], {
            executionId: ids?.misused as string, nodeId: 'node-save', nodeType: 'db_query', nodeName: 'Save order', stepIndex: 1, status: 'error',
            inputData: SAVE.input, errorMessage: 'still running when its run ended',
          }),
        ],
      });
      expect(await store.getExecutionStats()).toMatchObject({ total: 2, success: 1, error: 1 });

      expect(drops.map(({ reason, part, workflowId }) => ({ reason, part, workflowId }))).toEqual([
        { reason: 'invalid', part: 'run', workflowId: '' }, // undefined
        { reason: 'invalid', part: 'run', workflowId: '' }, // null
        { reason: 'invalid', part: 'run', workflowId: 'wf-orders' }, // triggerData's getter threw
        { reason: 'invalid', part: 'step', workflowId: 'wf-digest' }, // startStep(null)
        { reason: 'invalid', part: 'step', workflowId: 'wf-digest' }, // input's getter threw
        { reason: 'misuse', part: 'step', workflowId: 'wf-digest' }, // succeed twice
        { reason: 'misuse', part: 'step', workflowId: 'wf-digest' }, // fail after succeed
        { reason: 'misuse', part: 'end', workflowId: 'wf-digest' }, // the run's second end
        { reason: 'misuse', part: 'step', workflowId: 'wf-digest' }, // the step the run's end had failed, ended again
        { reason: 'misuse', part: 'step', workflowId: 'wf-digest' }, // skipped after the run ended
        { reason: 'invalid', part: 'start', workflowId: undefined }, // 42, refused by the store's validation when written
        { reason: 'closed', part: 'run', workflowId: 'wf-orders' }, // after close
      ]);
      expect(recorder.stats().dropped).toEqual({ ...NO_DROPS, invalid: 6, misuse: 5, closed: 1, total: 12 });
      // The refused batch (each try is told) and the start dropped from it.
      expect(errors.map(({ message }) => message)).toEqual([
        expect.stringContaining('writeBatch: invalid input: '),
        expect.stringContaining(`the recorder dropped a start of run `),
      ]);
    });

    it('a step index the store refuses drops that step only: the steps after it are numbered on', async () => {
      const store = await backend.open();
      const drops: RecorderDrop[] = [];
      const recorder = createRecorder(store, { onDrop: (drop) => drops.push(drop) });
      const run = recorder.startExecution(ORDERS);
      run.startStep(FETCH).succeed();
      run.startStep({ ...SAVE, stepIndex: 1.5 }).succeed();
      run.startStep(NOTIFY).succeed();
      run.succeed();
      await recorder.flush();

      // Refused when its batch was written (what was wrong goes to onError), then dropped alone.
      expect(drops).toEqual([{ reason: 'invalid', part: 'step', executionId: run.id, workflowId: 'wf-orders', nodeId: 'node-save' }]);
      expect((await store.getStepsForExecution(run.id)).map(({ nodeId, stepIndex }) => ({ nodeId, stepIndex }))).toEqual([
        { nodeId: 'node-http', stepIndex: 0 },
        { nodeId: 'node-notify', stepIndex: 1 },
      ]);
    });

    it('never throws when every read of the start throws, its workflowId included', async () => {
      const store = await backend.open();
      const drops: RecorderDrop[] = [];
      const recorder = createRecorder(store, { onDrop: (drop) => drops.push(drop) });
      expect(() => recorder.startExecution(throwingOn('workflowId')).succeed()).not.toThrow();
      const kept = recordRun(recorder, ORDERS, 'success');
      await recorder.flush();
      expect(drops).toEqual([{ reason: 'invalid', part: 'run', executionId: '', workflowId: '', detail: 'no workflowId' }]);
      expect(await idsOf(store)).toEqual([{ id: kept, status: 'success' }]);
    });

    it('close() writes everything buffered under load and leaves nothing queued', async () => {
      const store = await backend.open();
      const recorder = createRecorder(store, { flush: { intervalMs: 60_000 } });
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) {
        const run = recorder.startExecution({ ...ORDERS, triggerData: { body: { orderId: i } } });
        run.startStep(FETCH).succeed({ status: 200 });
        run.startStep(SAVE).succeed({ saved: i });
        if (i % 10 === 0) run.fail(new Error(`order ${i} refused`));
        else run.succeed();
        ids.push(run.id);
      }
      const closing = Date.now();
      await recorder.close({ timeoutMs: 4_000 });
      expect(Date.now() - closing).toBeLessThan(4_000);

      // All 800 items fit one batch (the default flush.maxItems is 1,000): each run is inserted finished.
      expect(recorder.stats()).toEqual({
        queued: 0, bufferBytes: 0, written: { batches: 1, executions: 200, steps: 400, updates: 0, counted: 0 }, dropped: NO_DROPS, writeErrors: 0, lastError: null,
      });
      expect(await store.getExecutionStats()).toMatchObject({ total: 200, running: 0, success: 180, error: 20 });
      // Runs started in the same millisecond have no order among them: compared as sets.
      expect((await store.queryExecutions({ limit: 1000 })).map(({ id }) => id).sort()).toEqual([...ids].sort());
      const last = await store.getExecutionWithSteps(ids[199] as string);
      expect(last?.triggerData).toEqual({ body: { orderId: 199 } });
      expect(last?.steps.map(({ stepIndex, outputData }) => ({ stepIndex, outputData }))).toEqual([
        { stepIndex: 0, outputData: { status: 200 } },
        { stepIndex: 1, outputData: { saved: 199 } },
      ]);
    });

    it('flush.maxHoldMs sizes batches down after one held the loop longer, to 50 items at the fewest; all written', async () => {
      const store = await backend.open();
      // Only flush() writes here; 1 ms is shorter than any batch of 1,000 items takes.
      const recorder = createRecorder(store, { flush: { intervalMs: 60_000, maxHoldMs: 1 } });
      for (let i = 0; i < 1_000; i++) recordRun(recorder, ORDERS, 'success'); // 3 items each: start, step, end
      await recorder.flush();

      const { written } = recorder.stats();
      // The first batch is whole (1,000 items); the next ones hold 1 ms of work, and at least 50 items each.
      expect(written.batches).toBeGreaterThan(3);
      expect(written.batches).toBeLessThanOrEqual(1 + 2_000 / 50);
      expect(written).toMatchObject({ executions: 1_000, steps: 1_000 });
      expect(await store.getExecutionStats()).toMatchObject({ total: 1_000, success: 1_000 });

      const unbounded = createRecorder(store, { flush: { intervalMs: 60_000 } });
      for (let i = 0; i < 1_000; i++) recordRun(unbounded, ORDERS, 'success');
      await unbounded.flush();
      expect(unbounded.stats().written).toMatchObject({ batches: 3, executions: 1_000, steps: 1_000 });
      await recorder.close();
      await unbounded.close();
    });

    it('drops an incoming step at maxItems once: shedding its payloads frees no item, so no payload drop is told', async () => {
      const store = await backend.open();
      const drops: RecorderDrop[] = [];
      // Nothing is written during the test: the buffer alone decides.
      const recorder = createRecorder(store, { buffer: { maxItems: 2 }, flush: { intervalMs: 60_000 }, onDrop: (drop) => drops.push(drop) });
      const a = recorder.startExecution(ORDERS);
      recorder.startExecution(DIGEST);
      a.startStep(FETCH).succeed({ status: 200 });

      expect(drops).toEqual([{ reason: 'buffer-full', part: 'step', executionId: a.id, workflowId: 'wf-orders', nodeId: 'node-http' }]);
      expect(recorder.stats().dropped).toEqual({ ...NO_DROPS, 'buffer-full': 1, total: 1 });
    });

    // Holding the database's write lock from another connection is what makes a database that cannot keep up, and
    // only SQLite lets a test hold it without the store's own connection pool in the way (PostgreSQL would need
    // table locks the store's reads then wait on). The buffer's shedding is the same whatever the backend.
    describe.runIf(backend.name === 'sqlite')('with the database locked by another connection', () => {
      /** A store on a file, and a second connection on it that can take the write lock. */
      async function lockedStore(options: RecorderOptions) {
        const path = join(tempDir(), 'history.db');
        // A short busy timeout: better-sqlite3 waits for a lock synchronously, holding the whole event loop.
        const store = track(await openExecutionStore(path, { busyTimeoutMs: 5 }));
        const other = new BetterSqlite3(path);
        other.exec('BEGIN IMMEDIATE');
        const drops: RecorderDrop[] = [];
        const recorder = createRecorder(store, { ...options, onDrop: (drop) => drops.push(drop) });
        const release = () => {
          if (!other.open) return;
          other.exec('ROLLBACK');
          other.close();
        };
        return { store, recorder, drops, release };
      }

      it('sheds step payloads first, then step rows, keeping starts and ends; counted, told and marked on the run', async () => {
        // 5,000 bytes: room for a start (640) and three steps of 1,140 bytes (640 + 500 of payload) at most, or 7
        // items without payloads.
        const { store, recorder, drops, release } = await lockedStore({ buffer: { maxBytes: 5_000 }, flush: { intervalMs: 20 } });
        try {
          const a = recorder.startExecution({ workflowId: 'wf-orders', workflowName: 'Sync orders', triggerType: 'webhook' });
          // The writer has tried and failed: the database is not keeping up.
          await until(() => recorder.stats().writeErrors, (failures) => failures >= 1);
          const input = { n: 'x'.repeat(242) }; // '{"n":"x…x"}' is 250 characters: 500 bytes in memory
          for (let i = 0; i < 6; i++) a.startStep({ nodeId: `node-${i}`, nodeType: 'code', input }).succeed();
          a.succeed();
          const b = recorder.startExecution({ workflowId: 'wf-digest', workflowName: 'Nightly digest', triggerType: 'schedule' });
          b.succeed();

          // Each step's payloads went, oldest first, before any row; then the oldest step rows made room for a's end
          // and b's start and end.
          const dropped = (part: string, nodeId: string) => ({ reason: 'buffer-full', part, executionId: a.id, workflowId: 'wf-orders', nodeId });
          expect(drops).toEqual([
            ...[0, 1, 2, 3, 4, 5].map((i) => dropped('payload', `node-${i}`)),
            ...[0, 1, 2].map((i) => dropped('step', `node-${i}`)),
          ]);
          expect(recorder.stats()).toMatchObject({ queued: 7, bufferBytes: 7 * ITEM_BYTES, dropped: { ...NO_DROPS, 'buffer-full': 9, total: 9 } });
          expect(await store.getExecutionStats()).toMatchObject({ total: 0 });

          release();
          await recorder.flush();
          const storedA = await store.getExecutionWithSteps(a.id);
          expect(storedA).toEqual({
            id: a.id, workflowId: 'wf-orders', workflowName: 'Sync orders', triggerType: 'webhook', status: 'success',
            ...timesOf(storedA as { startedAt: number }),
            metadata: { __dropped: { payloads: 6, steps: 3, reasons: ['buffer-full'] } },
            instanceId: store.instanceId,
            steps: [3, 4, 5].map((i, at) => finishedStep(storedA?.steps[at], {
              executionId: a.id, nodeId: `node-${i}`, nodeType: 'code', stepIndex: i, status: 'success', inputData: { __dropped: 'buffer-full' },
            })),
          });
          const storedB = await store.getExecutionWithSteps(b.id);
          expect(storedB).toEqual({
            id: b.id, workflowId: 'wf-digest', workflowName: 'Nightly digest', triggerType: 'schedule', status: 'success',
            ...timesOf(storedB as { startedAt: number }), instanceId: store.instanceId, steps: [],
          });
          expect(recorder.stats()).toMatchObject({ queued: 0, bufferBytes: 0, written: { executions: 2, steps: 3 }, dropped: { ...NO_DROPS, 'buffer-full': 9, total: 9 } });
        } finally {
          release();
        }
      });

      it('at maxItems drops step rows (their payloads would not free an item), then, with none left, an incoming start', async () => {
        const { store, recorder, drops, release } = await lockedStore({ buffer: { maxItems: 4 }, flush: { intervalMs: 20 } });
        try {
          const a = recorder.startExecution(ORDERS);
          await until(() => recorder.stats().writeErrors, (failures) => failures >= 1);
          for (let i = 0; i < 3; i++) a.startStep({ nodeId: `node-${i}`, nodeType: 'code', input: { i } }).succeed({ done: i });
          a.succeed();
          const b = recorder.startExecution(DIGEST);
          b.succeed();
          // Only starts and ends are left: the new run's start goes, and with it the whole run, silently after that.
          const c = recorder.startExecution({ ...DIGEST, workflowId: 'wf-late' });
          c.startStep(FETCH).succeed();
          c.succeed();

          const stepDropped = (i: number) => ({ reason: 'buffer-full', part: 'step', executionId: a.id, workflowId: 'wf-orders', nodeId: `node-${i}` });
          expect(drops).toEqual([stepDropped(0), stepDropped(1), stepDropped(2), { reason: 'buffer-full', part: 'start', executionId: c.id, workflowId: 'wf-late' }]);
          // Held: the two runs' starts (with their trigger data, two bytes a character) and ends.
          const triggerBytes = (JSON.stringify(ORDERS.triggerData).length + JSON.stringify(DIGEST.triggerData).length) * 2;
          expect(recorder.stats()).toMatchObject({ queued: 4, bufferBytes: 4 * ITEM_BYTES + triggerBytes, dropped: { ...NO_DROPS, 'buffer-full': 4, total: 4 } });

          release();
          await recorder.flush();
          const storedA = await store.getExecutionWithSteps(a.id);
          expect(storedA).toEqual({
            id: a.id, ...ORDERS, status: 'success', ...timesOf(storedA as { startedAt: number }),
            metadata: { __dropped: { payloads: 0, steps: 3, reasons: ['buffer-full'] } },
            instanceId: store.instanceId,
            steps: [],
          });
          expect(await idsOf(store)).toEqual([{ id: a.id, status: 'success' }, { id: b.id, status: 'success' }]);
          expect(recorder.stats()).toMatchObject({ queued: 0, bufferBytes: 0, written: { executions: 2, steps: 0 }, dropped: { ...NO_DROPS, 'buffer-full': 4, total: 4 } });
        } finally {
          release();
        }
      });

      it("durability 'step': close() with a timeout drops every write still waiting as closed, at once, counted and told", async () => {
        const { store, recorder, drops, release } = await lockedStore({ durability: 'step' });
        try {
          const run = recorder.startExecution(ORDERS);
          run.startStep(FETCH).succeed({ status: 200 });
          run.succeed();
          // The start's write is being tried and retried: the file is locked.
          await until(() => recorder.stats().writeErrors, (failures) => failures >= 1);
          const closing = Date.now();
          await recorder.close({ timeoutMs: 200 });
          expect(Date.now() - closing).toBeLessThan(2_000);

          const of = { reason: 'closed', executionId: run.id, workflowId: 'wf-orders' };
          // The step's end is not told again once its running row was: one step, one drop.
          expect(drops).toEqual([{ ...of, part: 'start' }, { ...of, part: 'step', nodeId: 'node-http' }, { ...of, part: 'end' }]);
          expect(recorder.stats()).toMatchObject({ queued: 0, written: { batches: 0 }, dropped: { ...NO_DROPS, closed: 3, total: 3 } });
          release();
          expect(await store.getExecutionStats()).toMatchObject({ total: 0 });
        } finally {
          release();
        }
      });

      it('close() with a tiny timeout drops what it could not write as closed, and returns in time', async () => {
        const { store, recorder, drops, release } = await lockedStore({ flush: { intervalMs: 20 } });
        try {
          const ids: string[] = [];
          for (let i = 0; i < 3; i++) ids.push(recordRun(recorder, ORDERS, 'success'));
          await until(() => recorder.stats().writeErrors, (failures) => failures >= 1);

          const closing = Date.now();
          await recorder.close({ timeoutMs: 100 });
          // The timeout, plus a write under way that waits out its busy timeout.
          expect(Date.now() - closing).toBeLessThan(600);

          expect(drops.map(({ reason, part, executionId }) => ({ reason, part, executionId }))).toEqual(
            ids.flatMap((executionId) => [
              { reason: 'closed', part: 'start', executionId },
              { reason: 'closed', part: 'step', executionId },
              { reason: 'closed', part: 'end', executionId },
            ]),
          );
          expect(recorder.stats()).toMatchObject({ queued: 0, bufferBytes: 0, written: { batches: 0 }, dropped: { ...NO_DROPS, closed: 9, total: 9 } });
          release();
          expect(await store.getExecutionStats()).toMatchObject({ total: 0 });
        } finally {
          release();
        }
      });
    });
  });
});
