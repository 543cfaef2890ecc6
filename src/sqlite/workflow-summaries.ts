// One row per workflow for an overview screen: its latest run, and how it did over a time range. Put together by
// src/core/workflow-summary-totals.ts from what this file reads.
import { and, count, desc, eq, gt, gte, lt, sql } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import type { RollupSpan } from '../core/rollup-spans.js';
import { spansWhere } from './spans-where.js';
import { ALL_WORKFLOWS, executionCounts, workflowExecutions as executions, workflowRollups } from './schema.js';
import type { WorkflowSummary } from '../core/types.js';
import { WorkflowSummaryTotals } from '../core/workflow-summary-totals.js';

export function getWorkflowSummaries(db: HistoryDatabase, spans: RollupSpan[]): WorkflowSummary[] {
  const totals = new WorkflowSummaryTotals();
  const rows =
    spans.length === 0
      ? []
      : db
          .select()
          .from(workflowRollups)
          .where(and(gt(workflowRollups.workflowId, ALL_WORKFLOWS), spansWhere(workflowRollups, spans)))
          .all();
  for (const row of rows) {
    const { workflowId, workflowName, bucketStart, success, error, durationCount, durationSum, histogram } = row;
    totals.add({ workflowId, workflowName, bucketStart, success, error, durationCount, durationSum, histograms: histogram });
  }
  // The workflows with stored executions.
  const stored = db.selectDistinct({ workflowId: executionCounts.workflowId }).from(executionCounts).all();
  const ids = totals.workflowIds(stored.map((row) => row.workflowId));
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

  return totals.summaries(
    ids,
    (workflowId) => latestRun.get({ workflowId }),
    (workflowId) => (spans.length === 0 ? 0 : (runningOf.get({ workflowId, from, to })?.count ?? 0)),
  );
}
