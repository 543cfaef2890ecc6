// The demo's simulated workflow engine, read back as a user reads the history: a workflow of async nodes run through
// the recorder on a simulated clock stores exactly its steps, with the times the engine gave them; a failing node
// fails the run and ends it there; a seeded demo records the same history twice.
import { describe, expect, it } from 'vitest';
import { type ExecutionStore, type Recorder, REDACTED, createRecorder } from '../src/index.js';
import { recordSimulatedHistory } from '../src/demo/demo-history.js';
import { recordShowcaseRuns } from '../src/demo/showcase-runs.js';
import { random } from '../src/demo/simulated-history.js';
import { NodeError, type RunOptions, type WorkflowDefinition, runWorkflow } from '../src/demo/workflow-engine.js';
import { forEachBackend } from './backends.js';
import { T0, memoryStore } from './factories.js';

const FETCH_MS = 180;
const BACKOFF_MS = 100;

/**
 * Five nodes: a webhook, an HTTP call that fails with a 502 the first `failures` times (retried twice, after 100 and
 * 200 ms), a condition, an email skipped for orders under 500 EUR, and a save that reads two earlier nodes' outputs.
 */
function ordersWorkflow(failures: number): WorkflowDefinition {
  let failed = 0;
  return {
    id: 'wf-orders',
    name: 'Sync orders',
    triggerType: 'webhook',
    nodes: [
      {
        id: 'trigger',
        type: 'webhook',
        name: 'Order webhook',
        run: async (input, context) => {
          await context.wait(2);
          return { orderId: (input.body as { orderId: number }).orderId };
        },
      },
      {
        id: 'fetch',
        type: 'http_request',
        name: 'Fetch order',
        input: (previous) => ({ url: `https://example.test/orders/${String(previous.orderId)}` }),
        retry: { times: 2, backoffMs: BACKOFF_MS },
        run: async (_input, context) => {
          await context.wait(FETCH_MS);
          if (failed < failures) {
            failed += 1;
            throw new NodeError('HTTP 502 Bad Gateway from example.test', { output: { status: 502 }, retryable: true });
          }
          return { status: 200, total: 129.9 };
        },
      },
      {
        id: 'check',
        type: 'condition',
        name: 'Large order?',
        run: async (input, context) => {
          await context.wait(1);
          return { branch: (input.total as number) >= 500 ? 'large' : 'small' };
        },
      },
      {
        id: 'notify',
        type: 'email',
        name: 'Announce large order',
        skip: (input) => (input.branch === 'small' ? 'orders under 500 EUR are not announced' : undefined),
        run: async () => ({ sent: true }),
      },
      {
        id: 'save',
        type: 'db_query',
        name: 'Save order',
        input: (_previous, outputs) => ({ orderId: outputs.trigger?.orderId, total: outputs.fetch?.total }),
        run: async (_input, context) => {
          await context.wait(12);
          return { rows: 1 };
        },
      },
    ],
  };
}

const START: Omit<RunOptions, 'random'> = { triggerData: { body: { orderId: 42 } }, metadata: { host: 'worker-1' }, startedAt: T0 };
const RUN = { workflowId: 'wf-orders', workflowName: 'Sync orders', triggerType: 'webhook', triggerData: { body: { orderId: 42 } }, metadata: { host: 'worker-1' } };
const NODE = {
  trigger: { nodeId: 'trigger', nodeType: 'webhook', nodeName: 'Order webhook', stepIndex: 0 },
  fetch: { nodeId: 'fetch', nodeType: 'http_request', nodeName: 'Fetch order', stepIndex: 1 },
  check: { nodeId: 'check', nodeType: 'condition', nodeName: 'Large order?', stepIndex: 2 },
  notify: { nodeId: 'notify', nodeType: 'email', nodeName: 'Announce large order', stepIndex: 3 },
  save: { nodeId: 'save', nodeType: 'db_query', nodeName: 'Save order', stepIndex: 4 },
};
/** A step as stored, from the times the engine gave it. */
const at = (startedAt: number, completedAt: number) => ({ id: expect.any(String), startedAt: T0 + startedAt, completedAt: T0 + completedAt, durationMs: completedAt - startedAt });

/** Closes the recorder as the demo does, once all is written (a loaded machine's PostgreSQL may take longer than close's 5 s). */
async function closed(recorder: Recorder): Promise<void> {
  await recorder.flush();
  await recorder.close();
  const { dropped, writeErrors, lastError } = recorder.stats();
  expect({ dropped: dropped.total, writeErrors, lastError }).toEqual({ dropped: 0, writeErrors: 0, lastError: null });
}

forEachBackend((backend) => {
  describe('the demo engine', () => {
    it('stores each node as a step on the previous output, timed by the simulated delays, a retried call and a skipped node included', async () => {
      const store = await backend.open();
      const recorder = createRecorder(store);
      const outcome = await runWorkflow(recorder, ordersWorkflow(1), { ...START, random: random(1) });
      await closed(recorder);

      // The fetch failed once: 180 ms, 100 ms of backoff, 180 ms again.
      const fetched = 2 + FETCH_MS + BACKOFF_MS + FETCH_MS;
      expect(outcome).toEqual({ id: expect.any(String), status: 'success', startedAt: T0, completedAt: T0 + fetched + 1 + 12, error: undefined });
      expect(await store.getExecutionWithSteps(outcome.id)).toEqual({
        id: outcome.id,
        ...RUN,
        status: 'success',
        startedAt: T0,
        completedAt: T0 + fetched + 13,
        durationMs: fetched + 13,
        instanceId: store.instanceId,
        steps: [
          { ...NODE.trigger, executionId: outcome.id, status: 'success', ...at(0, 2), inputData: { body: { orderId: 42 } }, outputData: { orderId: 42 } },
          { ...NODE.fetch, executionId: outcome.id, status: 'success', ...at(2, fetched), inputData: { url: 'https://example.test/orders/42' }, outputData: { status: 200, total: 129.9 } },
          { ...NODE.check, executionId: outcome.id, status: 'success', ...at(fetched, fetched + 1), inputData: { status: 200, total: 129.9 }, outputData: { branch: 'small' } },
          // Skipped: no time, its reason as its output; the node after it gets what it would have.
          { ...NODE.notify, executionId: outcome.id, status: 'skipped', ...at(fetched + 1, fetched + 1), inputData: { branch: 'small' }, outputData: { reason: 'orders under 500 EUR are not announced' } },
          { ...NODE.save, executionId: outcome.id, status: 'success', ...at(fetched + 1, fetched + 13), inputData: { orderId: 42, total: 129.9 }, outputData: { rows: 1 } },
        ],
      });
    });

    it('fails the run with the error of the node that failed after its retries; the nodes after it are neither run nor stored', async () => {
      const store = await backend.open();
      const recorder = createRecorder(store);
      const outcome = await runWorkflow(recorder, ordersWorkflow(Number.POSITIVE_INFINITY), { ...START, random: random(1) });
      await closed(recorder);

      const message = 'HTTP 502 Bad Gateway from example.test after 2 retries';
      const failedAt = 2 + FETCH_MS + BACKOFF_MS + FETCH_MS + 2 * BACKOFF_MS + FETCH_MS;
      expect(outcome).toEqual({ id: expect.any(String), status: 'error', startedAt: T0, completedAt: T0 + failedAt, error: expect.objectContaining({ message }) });
      expect(await store.getExecutionWithSteps(outcome.id)).toEqual({
        id: outcome.id,
        ...RUN,
        status: 'error',
        startedAt: T0,
        completedAt: T0 + failedAt,
        durationMs: failedAt,
        errorMessage: message,
        errorStack: outcome.error?.stack,
        instanceId: store.instanceId,
        steps: [
          { ...NODE.trigger, executionId: outcome.id, status: 'success', ...at(0, 2), inputData: { body: { orderId: 42 } }, outputData: { orderId: 42 } },
          // What the last try got back is the failed step's output.
          { ...NODE.fetch, executionId: outcome.id, status: 'error', ...at(2, failedAt), inputData: { url: 'https://example.test/orders/42' }, outputData: { status: 502 }, errorMessage: message },
        ],
      });
    });

    it('leaves a run whose worker died mid-node running, with the steps that had ended, as a crash would', async () => {
      const store = await backend.open();
      const recorder = createRecorder(store);
      const outcome = await runWorkflow(recorder, ordersWorkflow(0), { ...START, random: random(1), crashAt: 2 });
      await closed(recorder);

      const fetched = 2 + FETCH_MS;
      expect(outcome).toEqual({ id: expect.any(String), status: 'running', startedAt: T0, completedAt: undefined, error: undefined });
      expect(await store.getExecutionWithSteps(outcome.id)).toEqual({
        id: outcome.id,
        ...RUN,
        status: 'running',
        startedAt: T0,
        instanceId: store.instanceId,
        steps: [
          { ...NODE.trigger, executionId: outcome.id, status: 'success', ...at(0, 2), inputData: { body: { orderId: 42 } }, outputData: { orderId: 42 } },
          { ...NODE.fetch, executionId: outcome.id, status: 'success', ...at(2, fetched), inputData: { url: 'https://example.test/orders/42' }, outputData: { status: 200, total: 129.9 } },
        ],
      });
    });

    it('records a seeded demo of N runs as N + 3 showcase executions, the same statuses, data and steps every time', async () => {
      const N = 40;
      /** Every execution of a seeded demo, oldest first, without the ids each recording makes anew. */
      const demoHistory = async (store: ExecutionStore) => {
        const recorder = createRecorder(store);
        const summary = await recordSimulatedHistory(recorder, { executions: N, seed: 7, end: T0 });
        const showcase = await recordShowcaseRuns(recorder, { now: T0 + 10 * 60_000, seed: 7 });
        await closed(recorder);
        const { items, nextCursor } = await store.queryExecutionsPage({ limit: 1000, orderDir: 'asc' });
        expect(nextCursor).toBeNull();
        const executions = await Promise.all(
          items.map(async ({ id }) => {
            const { id: _id, instanceId: _instance, steps, ...execution } = (await store.getExecutionWithSteps(id)) as NonNullable<Awaited<ReturnType<ExecutionStore['getExecutionWithSteps']>>>;
            // An error's stack ends in the frames of whoever ran the demo, which differ by call: its first line is the error.
            if (execution.errorStack !== undefined) execution.errorStack = execution.errorStack.split('\n')[0] as string;
            return { ...execution, steps: steps.map(({ id: _step, executionId: _execution, ...step }) => step) };
          }),
        );
        return { summary, showcase: showcase.map(({ id: _id, ...outcome }) => ({ ...outcome, error: outcome.error?.message })), executions };
      };
      const first = await demoHistory(await backend.open());
      const second = await demoHistory(await backend.open());

      expect(first.executions).toHaveLength(N + 3);
      const statuses = first.executions.map((execution) => execution.status);
      const counted = (status: string) => statuses.filter((each) => each === status).length;
      // What the engine said of the runs (the showcase's three aside) is what the database holds.
      expect({ success: counted('success') - 2, error: counted('error') - 1, running: counted('running') }).toEqual(first.summary);
      expect(second).toEqual(first);

      // The newest three are the showcase: a good order sync, the failed one `show` is suggested for, the digest.
      const [ok, failed, digest] = first.executions.slice(-3);
      expect(first.showcase).toEqual([
        { status: 'success', startedAt: T0 + 8 * 60_000, completedAt: ok?.completedAt, error: undefined },
        { status: 'error', startedAt: T0 + 9 * 60_000, completedAt: failed?.completedAt, error: 'HTTP 502 Bad Gateway from crm.example.com after 3 retries' },
        { status: 'success', startedAt: T0 + 9.5 * 60_000, completedAt: digest?.completedAt, error: undefined },
      ]);
      expect(failed?.steps.map(({ nodeName, status, errorMessage }) => ({ nodeName, status, errorMessage }))).toEqual([
        { nodeName: 'Order webhook', status: 'success', errorMessage: undefined },
        { nodeName: 'Validate order', status: 'success', errorMessage: undefined },
        { nodeName: 'Fetch customer', status: 'error', errorMessage: 'HTTP 502 Bad Gateway from crm.example.com after 3 retries' },
      ]);
      // The CRM token in the call's input is stored redacted.
      expect(failed?.steps[2]?.inputData).toEqual({ method: 'GET', url: 'https://crm.example.com/api/customers/cus_42', headers: { authorization: REDACTED } });
      expect(digest?.steps.map(({ nodeName, status, outputData }) => ({ nodeName, status, ...(status === 'skipped' ? { outputData } : {}) }))).toEqual([
        { nodeName: 'Every night at 02:00', status: 'success' },
        { nodeName: 'Find overdue invoices', status: 'success' },
        { nodeName: 'Any overdue?', status: 'success' },
        { nodeName: 'Email reminder to finance', status: 'skipped', outputData: { reason: 'no overdue invoices' } },
        { nodeName: 'Log summary', status: 'success' },
      ]);
    });
  });
});

it("a demo's status mix is a real history's: about 90% succeed, 8% fail and 2% are left running", async () => {
  const recorder = createRecorder(await memoryStore());
  const summary = await recordSimulatedHistory(recorder, { executions: 1000, seed: 42, end: T0 });
  await closed(recorder);
  expect(summary.success + summary.error + summary.running).toBe(1000);
  expect({ success: summary.success / 1000 > 0.86 && summary.success / 1000 < 0.94, error: summary.error / 1000 > 0.04 && summary.error / 1000 < 0.12, running: summary.running / 1000 > 0.005 && summary.running / 1000 < 0.04 }).toEqual({
    success: true,
    error: true,
    running: true,
  });
});
