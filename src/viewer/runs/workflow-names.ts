// A workflow as a link names it: its id, or its name as the page shows it. A name can belong to several workflow
// ids (two workflows named alike, or one renamed to another's old name), so a name stands for all of them.
import type { ExecutionStore } from '../../store.js';

/** The ids of the workflows whose id is `given`, else whose name is; empty when no stored run has either. */
export async function workflowIdsNamed(store: ExecutionStore, given: string, now: number): Promise<string[]> {
  // Their summaries over one millisecond: every workflow with stored runs, and no rollup added up.
  const workflows = await store.getWorkflowSummaries({ startedAfter: now, startedBefore: now + 1 });
  if (workflows.some((workflow) => workflow.workflowId === given)) return [given];
  return workflows.filter((workflow) => workflow.workflowName === given).map((workflow) => workflow.workflowId);
}
