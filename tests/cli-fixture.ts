// A small known history for the CLI tests, and the built binary run on it as a user would run it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openExecutionStore } from '../src/index.js';
import { T0, newExecution, newRunStep, tempDir } from './factories.js';

export const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const HOUR = 3_600_000;
/** The CLI's clock in these tests: four hours after T0 (2026-11-01 12:00 UTC). */
export const NOW = T0 + 4 * HOUR;

export interface Fixture {
  file: string;
  /** The executions by name: ok (success), failed (error), running, report (another workflow). */
  ids: { ok: string; failed: string; running: string; report: string };
}

/**
 * Four executions of two workflows: a success in 1.2 s over three steps, a failure after 3 s (with its stack and
 * metadata) whose second step failed and third was skipped, one still running, and a scheduled report whose output
 * was too large to keep whole.
 */
export async function fixture(): Promise<Fixture> {
  const file = join(tempDir(), 'history.db');
  const store = await openExecutionStore(file, { now: () => NOW });
  const step = (nodeId: string, nodeName: string, nodeType: string, stepIndex: number, from: number, to: number | undefined, status: 'success' | 'error' | 'skipped' | 'running', extra = {}) =>
    newRunStep({ nodeId, nodeName, nodeType, stepIndex, startedAt: from, completedAt: to, status, ...extra });
  const { executionId: ok } = await store.recordExecution(newExecution({ status: 'success', startedAt: T0, completedAt: T0 + 1200 }), [
    step('trigger', 'Order webhook', 'webhook', 0, T0, T0 + 10, 'success'),
    step('fetch', 'Fetch order', 'http_request', 1, T0 + 10, T0 + 1010, 'success', { outputData: { status: 200, token: 'secret-value' } }),
    step('save', 'Save order', 'db_query', 2, T0 + 1010, T0 + 1200, 'success'),
  ]);
  const failedAt = T0 + HOUR;
  const { executionId: failed } = await store.recordExecution(
    newExecution({
      status: 'error',
      startedAt: failedAt,
      completedAt: failedAt + 3000,
      errorMessage: 'HTTP 502 from api.example.test',
      errorStack: 'Error: HTTP 502 from api.example.test\n    at fetchOrder (nodes/fetch.js:12:9)',
      metadata: { worker: 'worker-2', attempt: 1 },
    }),
    [
      step('trigger', 'Order webhook', 'webhook', 0, failedAt, failedAt + 2, 'success'),
      step('fetch', 'Fetch order', 'http_request', 1, failedAt + 2, failedAt + 3000, 'error', { errorMessage: 'HTTP 502 from api.example.test' }),
      step('save', 'Save order', 'db_query', 2, failedAt + 3000, failedAt + 3000, 'skipped'),
    ],
  );
  const { executionId: running } = await store.recordExecution(newExecution({ triggerType: 'manual', startedAt: T0 + 2 * HOUR }), [
    step('trigger', 'Order webhook', 'webhook', 0, T0 + 2 * HOUR, undefined, 'running'),
  ]);
  const reportAt = T0 + 3 * HOUR;
  const { executionId: report } = await store.recordExecution(
    newExecution({ workflowId: 'wf-report', workflowName: 'Nightly report', triggerType: 'schedule', status: 'success', startedAt: reportAt, completedAt: reportAt + 450 }),
    // Its output is over the 64 KiB payload limit: stored truncated.
    [step('query', 'Query sales', 'db_query', 0, reportAt, reportAt + 450, 'success', { outputData: { rows: 'x'.repeat(70_000) } })],
  );
  store.close();
  return { file, ids: { ok, failed, running, report } };
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built binary: UTC, 100 columns, the fixed clock, no colour unless `env` asks. */
export function cli(args: string[], env: Record<string, string | undefined> = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC', COLUMNS: '100', EXECUTION_HISTORY_NOW: String(NOW), NO_COLOR: undefined, FORCE_COLOR: undefined, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
