// `npm run demo`: records a few realistic simulated workflow runs into the default database file and prints
// what a builder would look at: recent executions, the failed one with its steps, and the stats.
import { resolve } from 'node:path';
import { resolveDatabasePath } from './database-path.js';
import { type ExecutionStore, openExecutionStore } from './store.js';
import type { ExecutionStatus, JsonObject, StepStatus, TriggerType } from './types.js';

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

const seconds = (ms: number | undefined) => (ms === undefined ? '' : `${(ms / 1000).toFixed(3)} s`);

async function main(): Promise<void> {
  const file = resolveDatabasePath(process.argv[2]);
  const store = await openExecutionStore(file);
  // What a runtime does at start-up: runs a crashed process left 'running' are marked as interrupted.
  const recovered = await store.recoverInterruptedExecutions();
  if (recovered.executions > 0) console.log(`Marked ${recovered.executions} interrupted executions from an earlier crash`);
  const now = Date.now();
  await record(store, orderWebhook(1001, 'cus_17'), now - 120_000);
  const failedId = await record(store, failingOrderWebhook(1002, 'cus_42'), now - 60_000);
  await record(store, nightlyDigest(), now - 30_000);

  console.log(`Recorded 3 simulated runs in ${resolve(file)}\n`);
  console.log('Recent executions');
  const recent = await store.queryExecutions({ limit: 10 });
  console.table(
    recent.map((execution) => ({
      started: new Date(execution.startedAt).toISOString(),
      workflow: execution.workflowName,
      trigger: execution.triggerType,
      status: execution.status,
      duration: seconds(execution.durationMs),
      error: execution.errorMessage ?? '',
    })),
  );

  const failed = await store.getExecutionWithSteps(failedId);
  if (failed) {
    console.log(`\nExecution ${failed.id}: ${failed.workflowName}, ${failed.status} after ${seconds(failed.durationMs)}`);
    console.table(
      failed.steps.map((step) => ({
        step: step.stepIndex,
        node: step.nodeName ?? step.nodeId,
        type: step.nodeType,
        status: step.status,
        'starts at': `+${seconds(step.startedAt - failed.startedAt)}`,
        duration: seconds(step.durationMs),
        error: step.errorMessage ?? '',
      })),
    );
    const failedStep = failed.steps.find((step) => step.status === 'error');
    if (failedStep) {
      console.log(`Input of the failed step "${failedStep.nodeName}":`, JSON.stringify(failedStep.inputData));
      console.log(`Output of the failed step "${failedStep.nodeName}":`, JSON.stringify(failedStep.outputData));
    }
  }

  console.log('\nStats over all recorded executions');
  console.table(await store.getExecutionStats());

  console.log('\nNodes over the last 24 hours, most failing first');
  const nodes = await store.getNodeStats({ startedAfter: now - 24 * 3_600_000, sortBy: 'errorRate', limit: 5 });
  console.table(
    nodes.map((node) => ({
      node: node.nodeName ?? node.nodeId,
      type: node.nodeType,
      runs: node.runs,
      errors: node.error,
      'error rate': node.errorRate === null ? '' : `${(node.errorRate * 100).toFixed(0)}%`,
      p95: seconds(node.p95DurationMs ?? undefined),
      'last error': node.lastError?.message ?? '',
    })),
  );

  console.log('\nFailures grouped by message');
  console.table(
    (await store.getErrorGroups({ limit: 5 })).map((group) => ({
      workflow: group.workflowName,
      node: group.nodeName ?? group.nodeId ?? '',
      count: group.count,
      pattern: group.pattern,
      'last seen': new Date(group.lastSeenAt).toISOString(),
    })),
  );
  store.close();
}

await main();
