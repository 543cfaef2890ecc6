// One row per workflow for an overview screen: its latest run, and how it did over a time range. The numbers of
// src/sqlite/workflow-summaries.ts, from sharded rollups and totals: a bucket is the sum of its shard rows, named by
// the shard that last counted a named execution, and a bucket (or a total) that sums to nothing does not exist. The
// per-workflow reads are one query each for all workflows, not one per workflow: each would be a round trip here.
// Put together by src/core/workflow-summary-totals.ts, as on SQLite.
import { and, count, desc, eq, gt, gte, lt, sql } from 'drizzle-orm';
import { ALL_WORKFLOWS } from '../core/constants.js';
import type { RollupSpan } from '../core/rollup-spans.js';
import type { WorkflowSummary } from '../core/types.js';
import { type LatestRun, WorkflowSummaryTotals } from '../core/workflow-summary-totals.js';
import { inByteOrder } from './byte-order.js';
import type { PostgresQueries } from './connection.js';
import { executionCounts, workflowExecutions as executions, workflowRollups } from './schema.js';
import { spansWhere } from './spans-where.js';
import { summed } from './sql-numbers.js';

/** Summaries of the workflows with stored executions or runs in the spans, most recently run first; call in one snapshot. */
export async function getWorkflowSummaries(db: PostgresQueries, spans: RollupSpan[]): Promise<WorkflowSummary[]> {
  const totals = new WorkflowSummaryTotals('list');
  for (const row of spans.length === 0 ? [] : await rollupBuckets(db, spans)) totals.add(row);
  // The workflows with stored executions: a workflow's totals are its shard rows summed; all of them at 0 is none.
  const stored = await db
    .select({ workflowId: executionCounts.workflowId })
    .from(executionCounts)
    .groupBy(executionCounts.workflowId)
    .having(sql`sum(${executionCounts.executions}) <> 0`);
  const ids = totals.workflowIds(stored.map((row) => row.workflowId));
  const from = spans[0]?.from ?? 0;
  const to = spans.at(-1)?.to ?? 0;
  const running = spans.length === 0 ? new Map<string, number>() : await runningPerWorkflow(db, from, to);
  const latestRuns = await latestRunOf(db, ids);
  return totals.summaries(
    ids,
    (workflowId) => latestRuns.get(workflowId),
    (workflowId) => running.get(workflowId) ?? 0,
  );
}

/**
 * Each workflow's rollup buckets in the spans, their shard rows summed. The name is that of the shard row that last
 * counted a named execution (for two at the same instant, the greater name, so that the choice is the same
 * whichever shards the writers used).
 */
async function rollupBuckets(db: PostgresQueries, spans: RollupSpan[]) {
  return db
    .select({
      workflowId: workflowRollups.workflowId,
      bucketStart: workflowRollups.bucketStart,
      workflowName: sql<string>`(array_agg(${workflowRollups.workflowName} order by ${workflowRollups.namedAt} desc, ${inByteOrder(workflowRollups.workflowName)} desc))[1]`,
      success: summed(workflowRollups.success),
      error: summed(workflowRollups.error),
      durationCount: summed(workflowRollups.durationCount),
      durationSum: summed(workflowRollups.durationSum),
      histograms: sql<string>`string_agg(${workflowRollups.histogram}, ',')`,
    })
    .from(workflowRollups)
    .where(and(gt(workflowRollups.workflowId, ALL_WORKFLOWS), spansWhere(workflowRollups, spans)))
    .groupBy(workflowRollups.grain, workflowRollups.workflowId, workflowRollups.bucketStart)
    .having(sql`sum(${workflowRollups.success}) + sum(${workflowRollups.error}) <> 0`);
}

/**
 * Running executions per workflow started in [from, to): the rollups do not count them. Few rows, which the partial
 * index on the running executions holds.
 */
async function runningPerWorkflow(db: PostgresQueries, from: number, to: number): Promise<Map<string, number>> {
  const rows = await db
    .select({ workflowId: executions.workflowId, running: count() })
    .from(executions)
    .where(and(eq(executions.status, 'running'), gte(executions.startedAt, from), lt(executions.startedAt, to)))
    .groupBy(executions.workflowId);
  return new Map(rows.map((row) => [row.workflowId, row.running]));
}

/**
 * Each workflow's latest stored execution (ties on the start broken by the greater id in byte order): a lateral
 * subquery per workflow id walks its (workflow_id, started_at) index from the end.
 */
async function latestRunOf(db: PostgresQueries, workflowIds: string[]): Promise<Map<string, LatestRun>> {
  if (workflowIds.length === 0) return new Map();
  const wanted = sql`wanted.workflow_id`;
  const latest = db
    .select({ id: executions.id, status: executions.status, startedAt: executions.startedAt, workflowName: executions.workflowName })
    .from(executions)
    .where(eq(executions.workflowId, wanted))
    .orderBy(desc(executions.startedAt), desc(inByteOrder(executions.id)))
    .limit(1)
    .as('latest');
  const rows = await db
    .select({ workflowId: sql<string>`${wanted}`, id: latest.id, status: latest.status, startedAt: latest.startedAt, workflowName: latest.workflowName })
    .from(sql`unnest(${sql.param(workflowIds)}::text[]) as wanted(workflow_id)`)
    .innerJoinLateral(latest, sql`true`);
  return new Map(rows.map(({ workflowId, ...run }) => [workflowId, run]));
}
