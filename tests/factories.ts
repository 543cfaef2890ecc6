// Typed fixture builders with overrides, and fresh stores built by the real migrations.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { type ExecutionStore, type ExecutionStoreOptions, openExecutionStore } from '../src/index.js';
import type { NewExecution, NewStep, RunStep } from '../src/core/types.js';

export const T0 = Date.UTC(2026, 10, 1, 12, 0, 0); // a fixed start time so tests read the same every day

export function newExecution(overrides: Partial<NewExecution> = {}): NewExecution {
  return {
    workflowId: 'wf-orders',
    workflowName: 'Sync orders',
    triggerType: 'webhook',
    triggerData: { body: { orderId: 42 } },
    status: 'running',
    startedAt: T0,
    ...overrides,
  };
}

export function newStep(executionId: string, overrides: Partial<NewStep> = {}): NewStep {
  return {
    executionId,
    nodeId: 'node-http',
    nodeType: 'http_request',
    nodeName: 'Fetch order',
    stepIndex: 0,
    startedAt: T0,
    status: 'running',
    inputData: { url: 'https://example.test/orders/42' },
    ...overrides,
  };
}

/** A step of a run recorded whole by recordExecution, which supplies the execution id. */
export function newRunStep(overrides: Partial<RunStep> = {}): RunStep {
  const { executionId: _, ...step } = newStep('unused', overrides);
  return step;
}

const openStores: ExecutionStore[] = [];
const tempDirs: string[] = [];

afterEach(async () => {
  for (const store of openStores.splice(0)) await store.close();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh in-memory store, closed after the test. */
export async function memoryStore(options?: ExecutionStoreOptions): Promise<ExecutionStore> {
  return track(await openExecutionStore(':memory:', options));
}

/** A temporary folder removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'execution-history-test-'));
  tempDirs.push(dir);
  return dir;
}

/** Closes the store after the test (closing twice is harmless). */
export function track(store: ExecutionStore): ExecutionStore {
  openStores.push(store);
  return store;
}
