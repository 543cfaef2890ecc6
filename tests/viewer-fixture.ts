// A known history for the viewer's tests, on a real SQLite file or a real PostgreSQL database, and the viewer's
// application on it, asked in-process (app.request) as a browser or a client would ask the server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExecutionStore, type ExecutionStoreOptions, newExecutionId, newStepId, openExecutionStore } from '../src/index.js';
import type { NewExecution, RunStep } from '../src/core/types.js';
import { createViewerApp } from '../src/viewer/app.js';
import type { AccessPolicy } from '../src/viewer/security/access.js';
import type { TestBackend } from './backends.js';
import { newRunStep, T0 } from './factories.js';
import { clonePostgresDatabase, dropPostgresDatabase, freshPostgresUrl } from './postgres/test-database.js';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
export const TOKEN = 'test-token-0123456789';
/** The clock of the viewer and of the stores in these tests. */
export const NOW = T0 + 8 * HOUR;
/** Big payloads are stored whole up to this size, so that the viewer's 100 KB summaries can be tested. */
export const MAX_PAYLOAD_BYTES = 1_000_000;

export interface ModelRun extends NewExecution {
  name: string;
  id: string;
  steps: RunStep[];
}

/** A database of the backend's kind, and how to remove it: a SQLite file in a folder of its own, or a PostgreSQL database. */
export async function databaseOn(backend: TestBackend, outlivesTest: boolean): Promise<{ target: string; remove: () => Promise<void> }> {
  if (backend.name === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'execution-history-viewer-'));
    return { target: join(dir, 'history.db'), remove: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (outlivesTest) {
    const url = await clonePostgresDatabase();
    return { target: url, remove: () => dropPostgresDatabase(url) };
  }
  return { target: await freshPostgresUrl(), remove: async () => {} };
}

export async function openOn(target: string, options: ExecutionStoreOptions = {}): Promise<ExecutionStore> {
  return openExecutionStore(target, { now: () => NOW, maxPayloadBytes: MAX_PAYLOAD_BYTES, ...options });
}

const step = (nodeId: string, stepIndex: number, from: number, ms: number | undefined, status: RunStep['status'], extra: Partial<RunStep> = {}): RunStep =>
  newRunStep({ nodeId, nodeName: `Node ${nodeId}`, nodeType: 'http_request', stepIndex, startedAt: from, completedAt: ms === undefined ? undefined : from + ms, status, inputData: undefined, ...extra });

export const REPORT_ROWS = Array.from({ length: 10_000 }, (_, i) => ({ i, name: `row-${i}` }));

/** The runs, oldest first; `steps` as recorded. */
function definitions(): Omit<ModelRun, 'id'>[] {
  const orders = { workflowId: 'wf-orders', workflowName: 'Sync orders' };
  const runs: Omit<ModelRun, 'id'>[] = [];
  // 60 bulk runs in the hour before T0: every third failed (outside any step), durations spread.
  for (let i = 0; i < 60; i++) {
    const startedAt = T0 - HOUR + i * MINUTE;
    const durationMs = ((i * 37) % 1000) + 10;
    runs.push({
      name: `bulk-${i}`,
      workflowId: 'wf-bulk',
      workflowName: 'Bulk import',
      triggerType: i % 2 === 0 ? 'manual' : 'schedule',
      status: i % 3 === 0 ? 'error' : 'success',
      ...(i % 3 === 0 ? { errorMessage: `Row ${i} rejected` } : {}),
      startedAt,
      completedAt: startedAt + durationMs,
      steps: [],
    });
  }
  runs.push({
    name: 'ok',
    ...orders,
    triggerType: 'webhook',
    triggerData: { body: { orderId: 1 } },
    status: 'success',
    startedAt: T0,
    completedAt: T0 + 1200,
    steps: [
      step('trigger', 0, T0, 10, 'success', { outputData: { orderId: 1 } }),
      step('fetch', 1, T0 + 10, 1000, 'success', { inputData: { url: 'https://api.example.test/orders/1', retries: 0 }, outputData: { status: 200, body: { id: 1, items: [1, 2, 3] } } }),
      step('save', 2, T0 + 1010, 190, 'success', { inputData: { id: 1 } }),
    ],
  });
  runs.push({
    name: 'report',
    workflowId: 'wf-report',
    workflowName: 'Nightly report',
    triggerType: 'schedule',
    status: 'success',
    startedAt: T0 + 30 * MINUTE,
    completedAt: T0 + 30 * MINUTE + 450,
    steps: [
      step('query', 0, T0 + 30 * MINUTE, 300, 'success', { nodeType: 'db_query', outputData: { rows: REPORT_ROWS, count: REPORT_ROWS.length } }),
      // Over the store's maxPayloadBytes: stored as the truncation marker, itself over the viewer's 100 KB.
      step('dump', 1, T0 + 30 * MINUTE + 300, 150, 'success', { outputData: { blob: 'y'.repeat(MAX_PAYLOAD_BYTES + 200_000) } }),
    ],
  });
  const failedAt = T0 + HOUR;
  runs.push({
    name: 'failed',
    ...orders,
    triggerType: 'webhook',
    triggerData: { body: { orderId: 2 } },
    metadata: { worker: 'worker-2', attempt: 1 },
    status: 'error',
    startedAt: failedAt,
    completedAt: failedAt + 3000,
    errorMessage: 'HTTP 502 from api.example.test',
    errorStack: 'Error: HTTP 502 from api.example.test\n    at fetchOrder (nodes/fetch.js:12:9)',
    steps: [
      step('trigger', 0, failedAt, 10, 'success', { outputData: { orderId: 2 } }),
      step('fetch', 1, failedAt + 10, 2990, 'error', {
        inputData: { url: 'https://api.example.test/orders/2', retries: 0, headers: { authorization: 'Bearer abc.def' } },
        errorMessage: 'HTTP 502 from api.example.test',
      }),
      step('save', 2, failedAt + 3000, 0, 'skipped'),
    ],
  });
  runs.push({ name: 'same-a', workflowId: 'wf-same-a', workflowName: 'Same name', triggerType: 'manual', status: 'success', startedAt: T0 + 90 * MINUTE, completedAt: T0 + 90 * MINUTE + 50, steps: [] });
  runs.push({ name: 'same-b', workflowId: 'wf-same-b', workflowName: 'Same name', triggerType: 'manual', status: 'success', startedAt: T0 + 100 * MINUTE, completedAt: T0 + 100 * MINUTE + 70, steps: [] });
  runs.push({
    name: 'running',
    ...orders,
    triggerType: 'manual',
    status: 'running',
    startedAt: T0 + 2 * HOUR,
    steps: [step('trigger', 0, T0 + 2 * HOUR, undefined, 'running')],
  });
  const failed2At = T0 + 3 * HOUR;
  runs.push({
    name: 'failed2',
    ...orders,
    triggerType: 'webhook',
    status: 'error',
    startedAt: failed2At,
    completedAt: failed2At + 5000,
    errorMessage: 'HTTP 504 from api.example.test',
    steps: [
      step('trigger', 0, failed2At, 10, 'success'),
      step('fetch', 1, failed2At + 10, 4990, 'error', { errorMessage: 'HTTP 504 from api.example.test' }),
    ],
  });
  runs.push({
    name: 'timeout',
    ...orders,
    triggerType: 'schedule',
    status: 'error',
    startedAt: T0 + 4 * HOUR,
    completedAt: T0 + 4 * HOUR + 30_000,
    errorMessage: 'Timed out after 30000 ms',
    steps: [step('trigger', 0, T0 + 4 * HOUR, 10, 'success')],
  });
  return runs;
}

/** Records the known history in one batch (one transaction: a fraction of a second on PostgreSQL); returns its model. */
export async function recordHistory(store: ExecutionStore): Promise<ModelRun[]> {
  const model = definitions().map((run) => ({ ...run, id: newExecutionId(run.startedAt) }));
  await store.writeBatch({
    executions: model.map(({ name: _name, steps: _steps, ...execution }) => execution),
    steps: model.flatMap((run) => run.steps.map((step) => ({ ...step, id: newStepId(run.id), executionId: run.id }))),
  });
  return model;
}

/** The model's runs in the list's default order: newest first. */
export const newestFirst = (runs: ModelRun[]) => [...runs].sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1));

export const durationOf = (run: NewExecution) => (run.completedAt === undefined ? undefined : run.completedAt - run.startedAt);

export function policy(overrides: Partial<AccessPolicy> = {}): AccessPolicy {
  return { token: TOKEN, writes: false, exposed: false, tokenForReads: false, allowedHosts: () => ['localhost'], cookieName: 'execution-history-test', ...overrides };
}

export function viewerOn(store: ExecutionStore, access: Partial<AccessPolicy> = {}, staticRoot?: string) {
  return createViewerApp({
    store,
    access: policy(access),
    database: { backend: 'sqlite', name: 'test' },
    now: () => NOW,
    instance: 'test-instance',
    ...(staticRoot === undefined ? {} : { staticRoot }),
    log: () => {},
  });
}

export type ViewerApp = ReturnType<typeof viewerOn>;

/** GETs a path; the answer's status and JSON body. */
export async function getJson(app: ViewerApp, path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await app.request(path, init);
  return { status: response.status, body: await response.json() };
}
