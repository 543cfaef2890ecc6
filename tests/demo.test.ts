import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { openExecutionStore } from '../src/index.js';
import { tempDir, track } from './factories.js';

const demo = fileURLToPath(new URL('../dist/demo.js', import.meta.url));

it('the demo records three realistic runs into a real file and prints them', async () => {
  const file = join(tempDir(), 'demo', 'history.db');
  const output = execFileSync(process.execPath, [demo, file], { encoding: 'utf8' });

  const store = track(await openExecutionStore(file));
  const executions = await store.queryExecutions();
  expect(executions.map(({ workflowId, triggerType, status, errorMessage }) => ({ workflowId, triggerType, status, errorMessage }))).toEqual([
    { workflowId: 'wf-invoice-digest', triggerType: 'schedule', status: 'success', errorMessage: undefined },
    {
      workflowId: 'wf-order-sync',
      triggerType: 'webhook',
      status: 'error',
      errorMessage: 'HTTP 502 Bad Gateway from crm.example.com after 3 retries',
    },
    { workflowId: 'wf-order-sync', triggerType: 'webhook', status: 'success', errorMessage: undefined },
  ]);
  const [digest, failed] = executions;
  const digestSteps = await store.getStepsForExecution(digest?.id ?? '');
  expect(digestSteps.map((step) => step.status)).toEqual(['success', 'success', 'success', 'skipped', 'success']);
  const failedRun = await store.getExecutionWithSteps(failed?.id ?? '');
  expect(failedRun?.steps.map((step) => [step.nodeName, step.status, step.durationMs])).toEqual([
    ['Order webhook', 'success', 2],
    ['Validate order', 'success', 4],
    ['Fetch customer', 'error', 3012],
  ]);
  expect(failedRun?.durationMs).toBe(3021);
  expect(await store.getExecutionStats()).toMatchObject({ total: 3, success: 2, error: 1, running: 0 });

  expect(output).toContain(`Recorded 3 simulated runs in ${file}`);
  expect(output).toContain(`Execution ${failed?.id}: Sync new orders to CRM, error after 3.021 s`);
  expect(output).toContain('Input of the failed step "Fetch customer": {"method":"GET","url":"https://crm.example.com/api/customers/cus_42","headers":{"authorization":"[REDACTED]"}}');
  // The insights tables: the failing node first, and its failure as a group with the numbers masked.
  const [worstNode] = await store.getNodeStats({ sortBy: 'errorRate' });
  expect(worstNode).toMatchObject({ nodeName: 'Fetch customer', runs: 2, error: 1, errorRate: 0.5 });
  expect(output).toMatch(/'Fetch customer'\s*│\s*'http_request'\s*│\s*2\s*│\s*1\s*│\s*'50%'/);
  expect(output).toMatch(/'Sync new orders to CRM'\s*│\s*'Fetch customer'\s*│\s*1\s*│\s*'HTTP <n> Bad Gateway from crm\.example\.com after <n> retries'/);
});
