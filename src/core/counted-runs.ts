// Runs counted in the insights without being stored (HistoryBatch.countedOnly): what a save policy sampled out.
// Their execution is counted in the rollups alone (the totals count what is stored), their steps in the node
// rollups as stored steps are; the same on every backend.
import { derivedDuration } from './derived-duration.js';
import { type ExecutionFacts, type RollupChanges, stepFactsOf } from './rollup-changes.js';
import type { ValidBatch } from './validation.js';

export function countUnstoredRun(changes: RollupChanges, run: ValidBatch['countedOnly'][number], what: string): void {
  const { execution } = run;
  const facts: ExecutionFacts = {
    workflowId: execution.workflowId,
    workflowName: execution.workflowName,
    triggerType: execution.triggerType,
    status: execution.status,
    startedAt: execution.startedAt,
    durationMs: execution.durationMs ?? derivedDuration(execution.startedAt, execution.completedAt, what) ?? null,
  };
  changes.unstoredExecution(facts);
  const key = { workflowId: execution.workflowId, startedAt: execution.startedAt };
  for (const step of run.steps) {
    const durationMs = step.durationMs ?? derivedDuration(step.startedAt, step.completedAt, what) ?? null;
    changes.step(stepFactsOf({ ...step, durationMs, nodeName: step.nodeName ?? null, errorMessage: step.errorMessage ?? null, completedAt: step.completedAt ?? null }, key), 1);
  }
}
