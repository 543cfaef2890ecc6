// Aggregate numbers over executions, computed in SQL: nothing here loads rows into JavaScript.
import { and, asc, avg, count, eq, gte, lt, max, min, type SQL, sql } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { durationSortKey, workflowExecutions as executions } from './schema.js';
import type { ExecutionStats, ExecutionStatsQuery } from './types.js';

const countWhereStatus = (status: string) =>
  sql<number>`count(*) filter (where ${executions.status} = ${status})`.mapWith(Number);

export function getExecutionStats(db: HistoryDatabase, query: ExecutionStatsQuery): ExecutionStats {
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
  const finished = stats.success + stats.error;
  return {
    total: stats.total,
    running: stats.running,
    success: stats.success,
    error: stats.error,
    successRate: finished === 0 ? null : stats.success / finished,
    avgDurationMs: stats.avgDurationMs,
    minDurationMs: stats.minDurationMs,
    maxDurationMs: stats.maxDurationMs,
    p50DurationMs: durationPercentile(db, scope, withDuration, 50),
    p95DurationMs: durationPercentile(db, scope, withDuration, 95),
    firstStartedAt: stats.firstStartedAt,
    lastStartedAt: stats.lastStartedAt,
  };
}

/** Nearest-rank percentile: the ceil(p% × n)-th smallest duration. */
function durationPercentile(
  db: HistoryDatabase,
  scope: SQL | undefined,
  withDuration: number,
  percent: number,
): number | null {
  if (withDuration === 0) return null;
  const rank = Math.max(1, Math.ceil((percent * withDuration) / 100));
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
