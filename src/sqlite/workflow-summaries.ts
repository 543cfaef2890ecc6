// One row per workflow for an overview screen: its latest run, and how it did over a time range.
import { and, count, desc, eq, gt, gte, lt, sql } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { DurationCounts } from '../core/histogram.js';
import type { RollupSpan } from '../core/rollup-spans.js';
import { spansWhere } from './spans-where.js';
import { ALL_WORKFLOWS, executionCounts, workflowExecutions as executions, workflowRollups } from './schema.js';
import type { WorkflowSummary } from '../core/types.js';

interface Totals {
  workflowName: string;
  latestBucket: number;
  success: number;
  error: number;
  durationCount: number;
  durationSum: number;
  durations: DurationCounts;
}

export function getWorkflowSummaries(db: HistoryDatabase, spans: RollupSpan[]): WorkflowSummary[] {
  const totals = new Map<string, Totals>();
  const rows =
    spans.length === 0
      ? []
      : db
          .select()
          .from(workflowRollups)
          .where(and(gt(workflowRollups.workflowId, ALL_WORKFLOWS), spansWhere(workflowRollups, spans)))
          .all();
  for (const row of rows) {
    let workflow = totals.get(row.workflowId);
    if (workflow === undefined) {
      workflow = { workflowName: row.workflowName, latestBucket: row.bucketStart, durations: new DurationCounts(), success: 0, error: 0, durationCount: 0, durationSum: 0 };
      totals.set(row.workflowId, workflow);
    }
    if (row.bucketStart >= workflow.latestBucket) {
      workflow.latestBucket = row.bucketStart;
      workflow.workflowName = row.workflowName;
    }
    workflow.success += row.success;
    workflow.error += row.error;
    workflow.durationCount += row.durationCount;
    workflow.durationSum += row.durationSum;
    workflow.durations.addStored(row.histogram);
  }
  // Workflows with stored executions but no run in the range belong on an overview too. (Those with running
  // executions are among the stored ones.)
  const stored = db.selectDistinct({ workflowId: executionCounts.workflowId }).from(executionCounts).all();
  const ids = new Set([...totals.keys(), ...stored.map((row) => row.workflowId)]);
  // Running executions are not in the rollups. Counted per workflow on the (workflow_id, status, started_at) index,
  // which answers from the index alone; one query over all workflows had to read every running row for its workflow.
  const runningOf = db
    .select({ count: count() })
    .from(executions)
    .where(
      and(
        eq(executions.workflowId, sql.placeholder('workflowId')),
        eq(executions.status, 'running'),
        gte(executions.startedAt, sql.placeholder('from')),
        lt(executions.startedAt, sql.placeholder('to')),
      ),
    )
    .prepare();
  const from = spans[0]?.from ?? 0;
  const to = spans.at(-1)?.to ?? 0;
  const latestRun = db
    .select({ id: executions.id, status: executions.status, startedAt: executions.startedAt, workflowName: executions.workflowName })
    .from(executions)
    .where(eq(executions.workflowId, sql.placeholder('workflowId')))
    .orderBy(desc(executions.startedAt), desc(executions.id))
    .limit(1)
    .prepare();

  const summaries = [...ids].map((workflowId): WorkflowSummary => {
    const last = latestRun.get({ workflowId });
    const workflow = totals.get(workflowId);
    const runningNow = spans.length === 0 ? 0 : (runningOf.get({ workflowId, from, to })?.count ?? 0);
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
