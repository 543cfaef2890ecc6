// Which runs are stored and what of them, decided in two steps: when a run starts (is it stored as it goes, or held
// until it ends?) and when it ends (stored, or counted in the insights only). A run sampled out is held in memory
// as it goes, so that one ending in an error, or slower than the threshold, is stored whole all the same.
import type { ExecutionStatus, TriggerType } from '../core/types.js';
import type { SavePolicy, SaveRules } from './options.js';

export interface RunPlan {
  /** Stored as it goes (its steps written as they finish); otherwise held until it ends. */
  live: boolean;
  keepInputs: boolean;
  keepOutputs: boolean;
  rules: Required<Pick<SaveRules, 'error' | 'success'>>;
  manualKept: boolean;
}

/** The rules of a workflow: its own over the policy's. */
function rulesOf(policy: SavePolicy, workflowId: string): SaveRules {
  const own = policy.workflows?.[workflowId];
  return own === undefined ? policy : { ...policy, ...own };
}

export function planRun(policy: SavePolicy, workflowId: string, triggerType: TriggerType, draw: () => number = Math.random): RunPlan {
  const rules = rulesOf(policy, workflowId);
  const success = rules.success ?? 'all';
  const error = rules.error ?? 'all';
  const payloads = rules.payloads ?? 'all';
  const manualKept = triggerType === 'manual' && (rules.keepManual ?? true);
  const drawnIn = typeof success === 'object' ? draw() < success.sampleRate : success === 'all';
  return {
    // A run that may be stored whatever happens goes live; one that is stored only if it fails (or is slow) is held.
    live: manualKept || drawnIn,
    keepInputs: payloads === 'all' || payloads === 'inputs',
    keepOutputs: payloads === 'all' || payloads === 'outputs',
    rules: { error, success },
    manualKept,
  };
}

/** Whether a run that ended so is stored (else it is counted in the insights only). */
export function storedAtEnd(plan: RunPlan, status: ExecutionStatus, durationMs: number): boolean {
  if (plan.manualKept) return true;
  if (status !== 'success') return plan.rules.error === 'all';
  const { success } = plan.rules;
  if (typeof success !== 'object') return success === 'all';
  return plan.live || (success.keepSlowerThanMs !== undefined && durationMs > success.keepSlowerThanMs);
}
