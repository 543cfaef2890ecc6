// Realistic simulated history, written through the store's own API: the benchmark's dataset (the CLI's `demo` records
// its own through the recorder, ./demo-history.ts, and borrows random() from here). Executions over 50 workflows, about 10 steps each, 30 days of start times, ~90% success / 8% error / 2% running,
// payloads mostly 200 B–2 KB with a few over the truncation limit. Deterministic (seeded), so every benchmark run
// measures the same data.
import type { ExecutionStore } from '../store.js';
import type { ExecutionStatus, NewExecution, RunStep, StepStatus } from '../core/types.js';

export const SCALES = { small: 10_000, medium: 100_000, large: 1_000_000 } as const;
export type Scale = keyof typeof SCALES;

export const WORKFLOW_COUNT = 50;
export const DAY = 24 * 60 * 60 * 1000;
export const HISTORY_DAYS = 30;
/** The history ends here; a fixed instant so that runs are comparable. */
export const HISTORY_END = Date.UTC(2026, 10, 1);
export const HISTORY_START = HISTORY_END - HISTORY_DAYS * DAY;
/** Every this many executions, one has 100 steps (the large runs the with-steps benchmark reads). */
export const HUNDRED_STEP_EVERY = 1000;
/** Payloads over the store's 64 KiB limit: one step in this many. */
const OVERSIZED_EVERY = 2000;

const NODE_TYPES = ['webhook', 'http_request', 'function', 'condition', 'db_query', 'email', 'transform', 'respond'];
const NODE_NAMES: Record<string, string> = {
  webhook: 'Receive webhook',
  http_request: 'Call partner API',
  function: 'Compute totals',
  condition: 'Check result',
  db_query: 'Query database',
  email: 'Send email',
  transform: 'Map fields',
  respond: 'Respond',
};
const WORKFLOW_NAMES = ['Sync orders', 'Send invoices', 'Import leads', 'Nightly report', 'Refund requests', 'Shipment updates', 'Customer onboarding', 'Inventory check', 'Support alerts', 'Payment reconciliation'];
/** Workflow 0 is "Sync orders", workflow 10 "Sync orders 2", and so on. */
const workflowName = (workflow: number) =>
  `${WORKFLOW_NAMES[workflow % WORKFLOW_NAMES.length]}${workflow >= WORKFLOW_NAMES.length ? ` ${Math.floor(workflow / WORKFLOW_NAMES.length) + 1}` : ''}`;
const TRIGGERS = ['webhook', 'schedule', 'manual', 'db_change', 'internal_event'] as const;

/** mulberry32: a small, fast, seeded PRNG. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = 'order customer invoice payment shipment refund item price total status created updated note'.split(' ');

function payload(next: () => number, bytes: number): Record<string, unknown> {
  const fields: Record<string, unknown> = { id: Math.floor(next() * 1e9), ok: next() < 0.95 };
  let text = '';
  while (text.length < bytes - 60) text += `${WORDS[Math.floor(next() * WORDS.length)]} `;
  fields.text = text;
  return fields;
}

function payloadBytes(next: () => number): number {
  if (next() < 1 / OVERSIZED_EVERY) return 80_000;
  return 200 + Math.floor(next() * next() * 1800); // skewed towards small, up to 2 KB
}

export interface Run {
  execution: NewExecution;
  steps: RunStep[];
}

/** The i-th of n runs, of a history that ends at `historyEnd`. */
export function makeRun(i: number, n: number, next: () => number, historyEnd = HISTORY_END): Run {
  const workflow = i % WORKFLOW_COUNT;
  const startedAt = historyEnd - HISTORY_DAYS * DAY + Math.floor((i * HISTORY_DAYS * DAY) / n);
  const roll = next();
  const status: ExecutionStatus = roll < 0.02 ? 'running' : roll < 0.1 ? 'error' : 'success';
  const stepCount = i % HUNDRED_STEP_EVERY === 7 ? 100 : 8 + Math.floor(next() * 5);
  const steps: RunStep[] = [];
  let clock = startedAt;
  for (let stepIndex = 0; stepIndex < stepCount; stepIndex++) {
    const last = stepIndex === stepCount - 1;
    const stepStatus: StepStatus =
      last && status !== 'success' ? status : next() < 0.05 ? 'skipped' : 'success';
    const durationMs = stepStatus === 'skipped' ? 0 : Math.floor(1 + next() * next() * 400);
    steps.push({
      nodeId: `wf${workflow}-node${stepIndex}`,
      nodeType: NODE_TYPES[(workflow + stepIndex) % NODE_TYPES.length] as string,
      nodeName: `${NODE_NAMES[NODE_TYPES[(workflow + stepIndex) % NODE_TYPES.length] as string]} ${stepIndex + 1}`,
      stepIndex,
      startedAt: clock,
      completedAt: stepStatus === 'running' ? undefined : clock + durationMs,
      status: stepStatus,
      inputData: payload(next, payloadBytes(next)),
      outputData: stepStatus === 'skipped' ? undefined : payload(next, payloadBytes(next)),
      errorMessage: stepStatus === 'error' ? `HTTP 502 from upstream for item ${i}` : undefined,
    });
    clock += durationMs;
  }
  return {
    execution: {
      workflowId: `wf-${workflow}`,
      workflowName: workflowName(workflow),
      triggerType: TRIGGERS[workflow % TRIGGERS.length] as (typeof TRIGGERS)[number],
      triggerData: payload(next, 300),
      status,
      startedAt,
      completedAt: status === 'running' ? undefined : clock + 2,
      errorMessage: status === 'error' ? `HTTP 502 from upstream for item ${i}` : undefined,
      metadata: { host: `worker-${i % 4}` },
    },
    steps,
  };
}

/**
 * Writes n runs through recordExecution (one transaction per run, as a runtime buffering a run would). With
 * `inFlight` above 1, that many calls are under way at once, as as many runtimes would: on PostgreSQL their commits
 * share the WAL's flushes over the store's pool. The runs are the same whatever it is; only their commit order varies.
 */
export async function generate(
  store: ExecutionStore,
  n: number,
  onProgress: (done: number) => void,
  historyEnd = HISTORY_END,
  inFlight = 1,
): Promise<void> {
  const next = random(42);
  const pending = new Set<Promise<unknown>>();
  for (let i = 0; i < n; i++) {
    const { execution, steps } = makeRun(i, n, next, historyEnd);
    const call: Promise<unknown> = store.recordExecution(execution, steps).finally(() => pending.delete(call));
    pending.add(call);
    // Handled here so that a call failing while not raced is no unhandled rejection; the race or the final wait below
    // still rejects with its error, which stops the generation as one awaited at a time would.
    call.catch(() => undefined);
    if (pending.size >= inFlight) await Promise.race(pending);
    if (i % 1000 === 999) onProgress(i + 1);
  }
  await Promise.all(pending);
  onProgress(n);
}
