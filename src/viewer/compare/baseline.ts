// What a run is compared with by default: the last successful run of the same workflow that started before it (of
// two in the same millisecond, the one with the smaller id, as the store orders them).
import type { WorkflowExecution } from '../../core/types.js';
import type { ExecutionStore } from '../../store.js';

export async function lastSuccessBefore(store: ExecutionStore, run: WorkflowExecution): Promise<WorkflowExecution | null> {
  let cursor: string | undefined;
  for (;;) {
    // Up to its own millisecond, newest first: runs of that millisecond with a larger id come first and are passed.
    const page = await store.queryExecutionsPage({
      workflowId: run.workflowId,
      status: 'success',
      startedBefore: run.startedAt + 1,
      limit: 20,
      ...(cursor === undefined ? {} : { cursor }),
    });
    const found = page.items.find((each) => each.startedAt < run.startedAt || (each.id < run.id && each.startedAt === run.startedAt));
    if (found !== undefined) return found;
    if (page.nextCursor === null) return null;
    cursor = page.nextCursor;
  }
}
