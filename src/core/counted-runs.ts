// Runs counted in the insights without being stored (HistoryBatch.countedOnly): what a save policy sampled out.
// Their execution is counted in the rollups alone (the totals count what is stored), their steps in the node
// rollups as stored steps are, and their steps' maxima and last errors kept as deleted steps' are (a maximum
// recounted later from the stored rows must still see them); the same on every backend.
import type { DeletedStepsSummary } from './deleted-steps.js';
import { derivedDuration } from './derived-duration.js';
import { type ExecutionFacts, type RollupChanges, stepFactsOf } from './rollup-changes.js';
import type { ValidBatch } from './validation.js';

export function countUnstoredRun(changes: RollupChanges, kept: DeletedStepsSummary, run: ValidBatch['countedOnly'][number], what: string): void {
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
    const facts = stepFactsOf({ ...step, durationMs, nodeName: step.nodeName ?? null, errorMessage: step.errorMessage ?? null, completedAt: step.completedAt ?? null }, key);
    changes.step(facts, 1);
    if (facts.status === 'running') continue;
    kept.add(key.workflowId, key.startedAt, facts.nodeId, durationMs, facts.status === 'error' ? { message: facts.errorMessage, at: facts.at } : null);
  }
}
