// The writer's items → one HistoryBatch. A run that starts and ends within one batch is inserted finished (no
// update); one sampled out before its start was written is counted only, without a running row ever written.
import { EncodedPayload } from '../core/payload.js';
import { newStepId } from '../core/time-ordered-id.js';
import type { BatchExecution, ExecutionChanges, HistoryBatch } from '../core/types.js';
import type { DroppedMark } from './drops.js';
import type { Item, RunState } from './run-state.js';

export function batchOf(items: Item[]): HistoryBatch {
  const executions: BatchExecution[] = [];
  const batch: Required<HistoryBatch> = { executions, steps: [], updates: [], countedOnly: [] };
  const startedHere = new Map<RunState, BatchExecution>();
  for (const item of items) {
    const { run } = item;
    switch (item.kind) {
      case 'start': {
        // A held run counted only before its running row was written: it never will be. (A live one's row is
        // written all the same, with its steps, and replaced by its count below or in a later batch.)
        if ((run.fate === 'counted' && !run.plan.live) || run.fate === 'lost') break;
        const row: BatchExecution = {
          id: run.id,
          workflowId: run.workflowId,
          workflowName: run.workflowName,
          triggerType: run.triggerType,
          triggerData: run.triggerData as never,
          metadata: run.metadata as never,
          status: 'running',
          startedAt: run.startedAt,
        };
        executions.push(row);
        startedHere.set(run, row);
        break;
      }
      case 'step':
        // Its id is made here, off the workflow's path, once: a batch tried again writes the same ids.
        if (item.step.id === '') item.step.id = newStepId(run.id);
        batch.steps.push(item.step);
        break;
      case 'end': {
        const changes = endChanges(run);
        const row = startedHere.get(run);
        if (row === undefined) batch.updates.push({ id: run.id, changes });
        else Object.assign(row, changes);
        break;
      }
      case 'counted': {
        const end = run.end;
        batch.countedOnly.push({
          // Always its id: its running row may have been committed by a batch whose answer came after the run
          // ended (or was lost); one never written is simply not found.
          id: run.id,
          execution: {
            workflowId: run.workflowId,
            workflowName: run.workflowName,
            triggerType: run.triggerType,
            status: end?.status ?? 'success',
            startedAt: run.startedAt,
            completedAt: end?.completedAt,
            errorMessage: end?.errorMessage,
          },
          steps: item.steps,
        });
        break;
      }
    }
  }
  return batch;
}

/** What a run's end changes on its row: status, end, error, and the mark of what was dropped of it. */
function endChanges(run: RunState): ExecutionChanges {
  const end = run.end;
  const changes: ExecutionChanges = end === undefined ? {} : { status: end.status, completedAt: end.completedAt };
  if (end?.errorMessage !== undefined) changes.errorMessage = end.errorMessage;
  if (end?.errorStack !== undefined) changes.errorStack = end.errorStack;
  const { payloads, steps, reasons } = run.dropped;
  if (payloads > 0 || steps > 0) {
    const mark: DroppedMark = { payloads, steps, reasons: [...reasons] };
    const metadata = run.metadata === undefined ? {} : (JSON.parse(run.metadata.text) as Record<string, unknown>);
    // Still to be redacted when what it was made from was.
    changes.metadata = new EncodedPayload(JSON.stringify({ ...metadata, __dropped: mark }), run.metadata?.redacted ?? true) as never;
  }
  return changes;
}
