// What this store last wrote in the rows a runtime changes next: the counted columns of the executions it created
// and of the steps it added. A runtime records a run from one instance: it creates the execution, adds its steps,
// finishes them and the run. Knowing what a row held lets such a write count its rollup changes before it is sent,
// and so go as one statement that changes the row only if it still holds exactly that (another instance may have
// changed it): one round trip instead of a transaction of four. What is known is a hint, never trusted: a row that
// differs makes the statement change nothing, and the write takes the locking path.
import type { ExecutionFacts, StepFacts } from '../core/rollup-changes.js';

/** Rows remembered per kind; the oldest are forgotten first (a runtime changes the rows it wrote last). */
const REMEMBERED = 10_000;

/** A step's counted columns as stored, with its execution's key (where it is counted). */
export interface KnownStep {
  executionId: string;
  facts: StepFacts;
  startedAt: number;
  completedAt: number | null;
}

/** A Map that forgets its oldest entries beyond a size: insertion order is age, re-setting makes an entry young. */
class Remembered<T> {
  private readonly entries = new Map<string, T>();

  get(id: string): T | undefined {
    return this.entries.get(id);
  }

  set(id: string, value: T): void {
    this.entries.delete(id);
    this.entries.set(id, value);
    if (this.entries.size > REMEMBERED) this.entries.delete(this.entries.keys().next().value as string);
  }

  delete(id: string): void {
    this.entries.delete(id);
  }
}

export class KnownRows {
  readonly executions = new Remembered<ExecutionFacts>();
  readonly steps = new Remembered<KnownStep>();
}

/** The counted columns of an execution after an update of these (encoded) values, or undefined if it moves its steps. */
export function executionFactsAfter(before: ExecutionFacts, values: Record<string, unknown>): ExecutionFacts | undefined {
  if (values.workflowId !== undefined || values.startedAt !== undefined) return undefined;
  return {
    workflowId: before.workflowId,
    workflowName: pick(values.workflowName, before.workflowName) as string,
    triggerType: pick(values.triggerType, before.triggerType) as ExecutionFacts['triggerType'],
    status: pick(values.status, before.status) as ExecutionFacts['status'],
    startedAt: before.startedAt,
    durationMs: durationAfter(before.durationMs, before.startedAt, values),
  };
}

/** A step's counted columns after an update of these (encoded) values; its execution's key does not change. */
export function stepAfter(before: KnownStep, values: Record<string, unknown>): KnownStep {
  const startedAt = pick(values.startedAt, before.startedAt) as number;
  const completedAt = pick(values.completedAt, before.completedAt) as number | null;
  return {
    executionId: before.executionId,
    startedAt,
    completedAt,
    facts: {
      workflowId: before.facts.workflowId,
      executionStartedAt: before.facts.executionStartedAt,
      nodeId: pick(values.nodeId, before.facts.nodeId) as string,
      nodeType: pick(values.nodeType, before.facts.nodeType) as string,
      nodeName: pick(values.nodeName, before.facts.nodeName) as string | null,
      status: pick(values.status, before.facts.status) as StepFacts['status'],
      durationMs: durationAfter(before.facts.durationMs, startedAt, values),
      errorMessage: pick(values.errorMessage, before.facts.errorMessage) as string | null,
      at: completedAt ?? startedAt,
    },
  };
}

/** A value an update sets (null clears it), else the stored one. */
const pick = (given: unknown, stored: unknown) => (given === undefined ? stored : given);

/**
 * The duration as the update leaves it: given, else derived from a completedAt given (and the start, new or stored),
 * else as stored; the same rule as the update's SQL (updateById in postgres-backend.ts).
 */
function durationAfter(stored: number | null, startedAt: number, values: Record<string, unknown>): number | null {
  if (values.durationMs !== undefined) return values.durationMs as number | null;
  if (values.completedAt !== undefined && values.completedAt !== null) return (values.completedAt as number) - startedAt;
  return stored;
}
