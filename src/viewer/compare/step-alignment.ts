// Two runs' steps side by side: the same node's first run with the first, its second with the second (a node in a
// loop runs several times), in the compared run's order, then what only the earlier run had, in its order.
import type { ExecutionStep } from '../../core/types.js';

export interface AlignedSteps {
  nodeId: string;
  /** Which run of the node in its run: 0 for its first step, 1 for the second. */
  occurrence: number;
  run: ExecutionStep | null;
  baseline: ExecutionStep | null;
}

export function alignSteps(run: readonly ExecutionStep[], baseline: readonly ExecutionStep[]): AlignedSteps[] {
  const keyed = (steps: readonly ExecutionStep[]) => {
    const seen = new Map<string, number>();
    return steps.map((step) => {
      const occurrence = seen.get(step.nodeId) ?? 0;
      seen.set(step.nodeId, occurrence + 1);
      return { key: `${occurrence}:${step.nodeId}`, occurrence, step };
    });
  };
  const earlier = new Map(keyed(baseline).map((entry) => [entry.key, entry]));
  const aligned: AlignedSteps[] = keyed(run).map(({ key, occurrence, step }) => {
    const match = earlier.get(key);
    earlier.delete(key);
    return { nodeId: step.nodeId, occurrence, run: step, baseline: match?.step ?? null };
  });
  for (const { occurrence, step } of earlier.values()) aligned.push({ nodeId: step.nodeId, occurrence, run: null, baseline: step });
  return aligned;
}
