// Aggregate numbers over executions, computed in SQL: nothing here loads rows into JavaScript. What follows from
// the numbers read is src/core/execution-stats.ts.
import { and, asc, avg, count, desc, eq, gte, lt, max, min, type SQL, sql } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { durationSortKey, executionCounts, workflowExecutions as executions } from './schema.js';
import type { ExecutionStats, ExecutionStatsQuery } from '../core/types.js';
import { answeredByRunningTotals, averageDuration, executionStats, withTotal } from '../core/execution-stats.js';
import { nearestRank } from '../core/nearest-rank.js';

const countWhereStatus = (status: string) =>
  sql<number>`count(*) filter (where ${executions.status} = ${status})`.mapWith(Number);

export function getExecutionStats(db: HistoryDatabase, query: ExecutionStatsQuery): ExecutionStats {
  if (answeredByRunningTotals(query)) return statsFromCounts(db, query.workflowId);
  const scope = and(
    query.workflowId === undefined ? undefined : eq(executions.workflowId, query.workflowId),
    query.triggerType === undefined ? undefined : eq(executions.triggerType, query.triggerType),
    query.startedAfter === undefined ? undefined : gte(executions.startedAt, query.startedAfter),
    query.startedBefore === undefined ? undefined : lt(executions.startedAt, query.startedBefore),
  );
  const totals = db
    .select({
      total: count(),
      running: countWhereStatus('running'),
      success: countWhereStatus('success'),
      error: countWhereStatus('error'),
      withDuration: count(executions.durationMs),
      avgDurationMs: avg(executions.durationMs).mapWith(Number),
      minDurationMs: min(executions.durationMs),
      maxDurationMs: max(executions.durationMs),
      firstStartedAt: min(executions.startedAt),
      lastStartedAt: max(executions.startedAt),
    })
    .from(executions)
    .where(scope)
    .get();
  if (totals === undefined) throw new Error('an aggregate query returned no row');

  const { withDuration, ...stats } = totals;
  return executionStats({
    ...stats,
    p50DurationMs: durationPercentile(db, scope, withDuration, 50),
    p95DurationMs: durationPercentile(db, scope, withDuration, 95),
  });
}

/**
 * All executions, or one workflow's: the counts and duration sum from the running totals, everything else from
 * the ends of an index (duration, start) and a walk along it for the percentiles. The same numbers as the
 * aggregate above, without reading every row.
 */
function statsFromCounts(db: HistoryDatabase, workflowId: string | undefined): ExecutionStats {
  const scope = workflowId === undefined ? undefined : eq(executions.workflowId, workflowId);
  const totals = db
    .select({
      running: sumWhereStatus('running'),
      success: sumWhereStatus('success'),
      error: sumWhereStatus('error'),
      withDuration: sql<number>`coalesce(sum(${executionCounts.durationCount}), 0)`.mapWith(Number),
      durationSum: sql<number>`coalesce(sum(${executionCounts.durationSum}), 0)`.mapWith(Number),
    })
    .from(executionCounts)
    .where(workflowId === undefined ? undefined : eq(executionCounts.workflowId, workflowId))
    .get() ?? { running: 0, success: 0, error: 0, withDuration: 0, durationSum: 0 };
  const durationKey = durationSortKey(executions.durationMs);
  const end = (column: SQL, order: typeof asc, where?: SQL) =>
    db.select({ value: sql<number>`${column}`.mapWith(Number) }).from(executions).where(and(scope, where)).orderBy(order(column)).limit(1).get()?.value ?? null;
  return executionStats({
    ...withTotal(totals),
    avgDurationMs: averageDuration(totals.durationSum, totals.withDuration),
    minDurationMs: totals.withDuration === 0 ? null : end(durationKey, asc, gte(durationKey, 0)),
    maxDurationMs: totals.withDuration === 0 ? null : end(durationKey, desc),
    p50DurationMs: durationPercentile(db, scope, totals.withDuration, 50),
    p95DurationMs: durationPercentile(db, scope, totals.withDuration, 95),
    firstStartedAt: end(sql`${executions.startedAt}`, asc),
    lastStartedAt: end(sql`${executions.startedAt}`, desc),
  });
}

const sumWhereStatus = (status: string) =>
  sql<number>`coalesce(sum(${executionCounts.executions}) filter (where ${executionCounts.status} = ${status}), 0)`.mapWith(Number);

/** Nearest-rank percentile (src/core/nearest-rank.ts) of the durations in scope, walked to on the duration index. */
function durationPercentile(
  db: HistoryDatabase,
  scope: SQL | undefined,
  withDuration: number,
  percent: number,
): number | null {
  if (withDuration === 0) return null;
  const rank = nearestRank(percent, withDuration);
  // The sort key (-1 for no duration) rather than the column, so that its index serves the walk.
  const durationKey = durationSortKey(executions.durationMs);
  const row = db
    .select({ durationMs: executions.durationMs })
    .from(executions)
    .where(and(scope, gte(durationKey, 0)))
    .orderBy(asc(durationKey))
    .limit(1)
    .offset(rank - 1)
    .get();
  return row?.durationMs ?? null;
}
