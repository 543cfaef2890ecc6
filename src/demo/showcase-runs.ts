// Three hand-written runs of realistic workflows, for the CLI's `demo`: the newest executions it writes, so that
// `list` and `show` open on names and payloads a workflow builder recognises.
import type { ExecutionStore } from '../store.js';
import type { ExecutionStatus, JsonObject, StepStatus, TriggerType } from '../core/types.js';

interface SimulatedStep {
  nodeId: string;
  nodeType: string;
  nodeName: string;
  durationMs: number;
  status: StepStatus;
  input?: JsonObject;
  output?: JsonObject;
  error?: string;
}

interface SimulatedRun {
  workflowId: string;
  workflowName: string;
  triggerType: TriggerType;
  triggerData: JsonObject;
  steps: SimulatedStep[];
}

const orderWebhook = (orderId: number, customerId: string): SimulatedRun => ({
  workflowId: 'wf-order-sync',
  workflowName: 'Sync new orders to CRM',
  triggerType: 'webhook',
  triggerData: { method: 'POST', path: '/hooks/orders', body: { orderId, customerId, total: 129.9, currency: 'EUR' } },
  steps: [
    { nodeId: 'n1', nodeType: 'webhook', nodeName: 'Order webhook', durationMs: 2, status: 'success', output: { orderId, customerId } },
    { nodeId: 'n2', nodeType: 'function', nodeName: 'Validate order', durationMs: 4, status: 'success', input: { orderId }, output: { valid: true } },
    {
      nodeId: 'n3',
      nodeType: 'http_request',
      nodeName: 'Fetch customer',
      durationMs: 184,
      status: 'success',
      // The token is redacted before it is stored: the demo prints what the database holds.
      input: { method: 'GET', url: `https://crm.example.com/api/customers/${customerId}`, headers: { authorization: 'Bearer sk_live_51Hx9demo' } },
      output: { status: 200, body: { id: customerId, email: 'ada@example.com', segment: 'pro' } },
    },
    { nodeId: 'n4', nodeType: 'http_request', nodeName: 'Upsert CRM deal', durationMs: 231, status: 'success', input: { orderId, stage: 'won' }, output: { status: 201 } },
    { nodeId: 'n5', nodeType: 'respond', nodeName: 'Respond 200', durationMs: 1, status: 'success', output: { status: 200 } },
  ],
});

const failingOrderWebhook = (orderId: number, customerId: string): SimulatedRun => {
  const run = orderWebhook(orderId, customerId);
  const [trigger, validate, fetchCustomer] = run.steps as [SimulatedStep, SimulatedStep, SimulatedStep];
  const error = 'HTTP 502 Bad Gateway from crm.example.com after 3 retries';
  return {
    ...run,
    steps: [
      trigger,
      validate,
      { ...fetchCustomer, durationMs: 3012, status: 'error', output: { status: 502, body: '<html>Bad gateway</html>' }, error },
    ],
  };
};

const nightlyDigest = (): SimulatedRun => ({
  workflowId: 'wf-invoice-digest',
  workflowName: 'Nightly overdue invoice digest',
  triggerType: 'schedule',
  triggerData: { cron: '0 2 * * *', timezone: 'Europe/Berlin' },
  steps: [
    { nodeId: 'd1', nodeType: 'schedule', nodeName: 'Every night at 02:00', durationMs: 1, status: 'success' },
    { nodeId: 'd2', nodeType: 'db_query', nodeName: 'Find overdue invoices', durationMs: 48, status: 'success', input: { table: 'invoices', where: 'due_at < now()' }, output: { rows: [] } },
    { nodeId: 'd3', nodeType: 'condition', nodeName: 'Any overdue?', durationMs: 1, status: 'success', input: { count: 0 }, output: { branch: 'false' } },
    { nodeId: 'd4', nodeType: 'email', nodeName: 'Email reminder to finance', durationMs: 0, status: 'skipped' },
    { nodeId: 'd5', nodeType: 'log', nodeName: 'Log summary', durationMs: 2, status: 'success', input: { message: 'No overdue invoices' } },
  ],
});

/** Writes one run as the runtime would: the execution when it starts, each step as it runs, then the outcome. */
async function record(store: ExecutionStore, run: SimulatedRun, startedAt: number): Promise<string> {
  const executionId = await store.createExecution({
    workflowId: run.workflowId,
    workflowName: run.workflowName,
    triggerType: run.triggerType,
    triggerData: run.triggerData,
    status: 'running',
    startedAt,
    metadata: { runtimeVersion: '2.4.1', host: 'worker-1' },
  });
  let clock = startedAt;
  let failure: SimulatedStep | undefined;
  for (const [stepIndex, step] of run.steps.entries()) {
    const stepId = await store.addStep({
      executionId,
      nodeId: step.nodeId,
      nodeType: step.nodeType,
      nodeName: step.nodeName,
      stepIndex,
      startedAt: clock,
      status: 'running',
      inputData: step.input,
    });
    clock += step.durationMs;
    await store.updateStep(stepId, { status: step.status, completedAt: clock, outputData: step.output, errorMessage: step.error });
    if (step.status === 'error') failure = step;
  }
  const status: ExecutionStatus = failure ? 'error' : 'success';
  await store.updateExecution(executionId, {
    status,
    completedAt: clock + 3,
    errorMessage: failure?.error,
    errorStack: failure ? `Error: ${failure.error}\n    at HttpRequestNode.execute (nodes/http-request.js:88:13)` : undefined,
  });
  return executionId;
}

/**
 * Records the three showcase runs, ending a little before `now`: a good order sync, one whose CRM call failed
 * (with a token in its input that is stored redacted) and a nightly digest with a skipped step.
 */
export async function recordShowcaseRuns(store: ExecutionStore, now: number): Promise<string[]> {
  return [
    await record(store, orderWebhook(1001, 'cus_17'), now - 120_000),
    await record(store, failingOrderWebhook(1002, 'cus_42'), now - 60_000),
    await record(store, nightlyDigest(), now - 30_000),
  ];
}
