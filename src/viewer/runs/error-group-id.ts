// An error group as a link can name it: its workflow, node and message pattern (what getErrorGroups groups by),
// packed into one opaque URL-safe id. The runs list takes it as a filter; which runs belong to a group is decided the
// way the store groups them (src/core/error-grouping.ts): a failed run counts under each of its failed steps' nodes,
// or under no node when no step failed, with the step's message (else the run's) masked to its pattern.
import { messagePattern } from '../../core/message-pattern.js';
import type { ErrorGroup, ExecutionStep, WorkflowExecution } from '../../core/types.js';
import { badParameter } from '../http/api-error.js';

export interface ErrorGroupKey {
  workflowId: string;
  nodeId: string | null;
  pattern: string;
}

export function errorGroupId(group: Pick<ErrorGroup, 'workflowId' | 'nodeId' | 'pattern'>): string {
  return Buffer.from(JSON.stringify([group.workflowId, group.nodeId, group.pattern])).toString('base64url');
}

export function parseErrorGroupId(id: string, parameter: string): ErrorGroupKey {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(id, 'base64url').toString('utf8'));
  } catch {
    parts = undefined;
  }
  if (
    !Array.isArray(parts) ||
    parts.length !== 3 ||
    typeof parts[0] !== 'string' ||
    (parts[1] !== null && typeof parts[1] !== 'string') ||
    typeof parts[2] !== 'string' ||
    Buffer.from(id, 'base64url').toString('base64url') !== id
  ) {
    throw badParameter(parameter, 'the id of an error group, as /api/insights/errors lists it', id);
  }
  return { workflowId: parts[0], nodeId: parts[1], pattern: parts[2] };
}

/** Whether the failed run `run`, whose steps are `steps`, is counted in the group. */
export function inErrorGroup(group: ErrorGroupKey, run: WorkflowExecution, steps: readonly ExecutionStep[]): boolean {
  if (run.status !== 'error' || run.workflowId !== group.workflowId) return false;
  const failed = steps.filter((step) => step.status === 'error');
  if (group.nodeId === null) return failed.length === 0 && messagePattern(run.errorMessage ?? '') === group.pattern;
  return failed.some((step) => step.nodeId === group.nodeId && messagePattern(step.errorMessage ?? run.errorMessage ?? '') === group.pattern);
}
