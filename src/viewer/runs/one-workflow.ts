// A workflow named where only one may be meant (insights, retention): its id, or the name of exactly one workflow.
import type { ExecutionStore } from '../../store.js';
import { ApiError } from '../http/api-error.js';
import { workflowIdsNamed } from './workflow-names.js';

/**
 * The id of the workflow `given` names. A name two workflows share is refused with their ids; a name or id no stored
 * run has is taken as an id, so that insights still answer for a workflow whose runs were all deleted.
 */
export async function oneWorkflowId(store: ExecutionStore, given: string, parameter: string, now: number): Promise<string> {
  const ids = await workflowIdsNamed(store, given, now);
  if (ids.length > 1) {
    throw new ApiError(400, 'bad_parameter', `${parameter}: "${given}" is the name of ${ids.length} workflows; give one of their ids: ${ids.join(', ')}`, {
      parameter,
      workflowIds: ids,
    });
  }
  return ids[0] ?? given;
}
