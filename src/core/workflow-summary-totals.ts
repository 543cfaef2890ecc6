// The overview's one row per workflow (WorkflowSummary) put together from what a backend reads: the workflow rollup
// buckets in the range, added up per workflow (the name of the latest bucket kept), then each workflow's latest
// stored run and running executions. One copy for every backend, so that the rates, averages, names and order of
// the summaries cannot differ between them; the backends only read (SQLite one workflow at a time, PostgreSQL all
// workflows in one query each, a round trip costing more there).
import { DurationCounts } from './histogram.js';
import type { ExecutionStatus, WorkflowSummary } from './types.js';
import { addRollupBucket, type RollupCounts, type WorkflowRollupBucket } from './workflow-rollup-bucket.js';

/** A workflow rollup bucket in the range, as the summaries read it. */
export interface SummaryRollup extends WorkflowRollupBucket {
  workflowId: string;
  workflowName: string;
  bucketStart: number;
}

/** A workflow's latest stored execution. */
export interface LatestRun {
  id: string;
  status: ExecutionStatus;
  startedAt: number;
  workflowName: string;
}

interface Totals extends RollupCounts {
  workflowName: string;
  latestBucket: number;
  durations: DurationCounts;
}

export class WorkflowSummaryTotals {
  private readonly totals = new Map<string, Totals>();

  add(row: SummaryRollup): void {
    let workflow = this.totals.get(row.workflowId);
    if (workflow === undefined) {
      workflow = { workflowName: row.workflowName, latestBucket: row.bucketStart, durations: new DurationCounts(), success: 0, error: 0, durationCount: 0, durationSum: 0 };
      this.totals.set(row.workflowId, workflow);
    }
    if (row.bucketStart >= workflow.latestBucket) {
      workflow.latestBucket = row.bucketStart;
      workflow.workflowName = row.workflowName;
    }
    addRollupBucket(workflow, row);
  }

  /**
   * The workflows to summarise: those with rollups in the range, then those with stored executions but no run in
   * the range, which belong on an overview too. (Those with running executions are among the stored ones.)
   */
  workflowIds(withStoredExecutions: Iterable<string>): string[] {
    return [...new Set([...this.totals.keys(), ...withStoredExecutions])];
  }

  /**
   * The summaries of `workflowIds`, most recently run first. `latestRunOf` and `runningOf` are asked in that order
   * for one workflow after the other.
   */
  summaries(workflowIds: string[], latestRunOf: (workflowId: string) => LatestRun | undefined, runningOf: (workflowId: string) => number): WorkflowSummary[] {
    const summaries = workflowIds.map((workflowId): WorkflowSummary => {
      const last = latestRunOf(workflowId);
      const workflow = this.totals.get(workflowId);
      const runningNow = runningOf(workflowId);
      const success = workflow?.success ?? 0;
      const error = workflow?.error ?? 0;
      const durationCount = workflow?.durationCount ?? 0;
      return {
        workflowId,
        workflowName: last?.workflowName ?? workflow?.workflowName ?? workflowId,
        lastRun: last === undefined ? null : { executionId: last.id, status: last.status, startedAt: last.startedAt },
        runs: runningNow + success + error,
        running: runningNow,
        success,
        error,
        successRate: success + error === 0 ? null : success / (success + error),
        avgDurationMs: durationCount === 0 ? null : (workflow?.durationSum ?? 0) / durationCount,
        p95DurationMs: workflow === undefined ? null : workflow.durations.percentile(95),
      };
    });
    // Most recently run first, like a list of workflows sorted by activity.
    return summaries.sort(
      (a, b) => (b.lastRun?.startedAt ?? -1) - (a.lastRun?.startedAt ?? -1) || a.workflowId.localeCompare(b.workflowId),
    );
  }
}
