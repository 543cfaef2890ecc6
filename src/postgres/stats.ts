// Aggregate numbers over executions, computed in SQL: nothing here loads rows into JavaScript. The same numbers as
// src/sqlite/stats.ts: counts and sums come back from node-postgres as strings and are read as numbers, and the
// average is the float division SQLite's avg() does, not PostgreSQL's numeric one. What follows from the numbers
// read is src/core/execution-stats.ts, as on SQLite.
import { and, asc, count, desc, eq, gte, lt, max, min, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { answeredByRunningTotals, averageDuration, executionStats, withTotal } from '../core/execution-stats.js';
import { nearestRank } from '../core/nearest-rank.js';
import type { ExecutionStats, ExecutionStatsQuery } from '../core/types.js';
import type { PostgresQueries } from './connection.js';
import { durationSortKey, executionCounts, workflowExecutions as executions } from './schema.js';

const countWhereStatus = (status: string) =>
  sql<number>`count(*) filter (where ${executions.status} = ${status})`.mapWith(Number);

/**
 * sum / count in double precision, as SQLite's avg() computes it: PostgreSQL's avg() of a bigint is numeric, rounded
 * to 16 or 20 decimal places, which read as a double can differ from SQLite's in the last bit. The sum is below 2^53,
 * so it converts to float8 exactly.
 */
const average = (column: AnyPgColumn) =>
  sql<number | null>`sum(${column})::float8 / nullif(count(${column}), 0)`.mapWith(Number);

/** Stats of the executions in the query's scope; call in one snapshot (a REPEATABLE READ transaction). */
export async function getExecutionStats(db: PostgresQueries, query: ExecutionStatsQuery): Promise<ExecutionStats> {
  if (answeredByRunningTotals(query)) return statsFromCounts(db, query.workflowId);
  const scope = and(
    query.workflowId === undefined ? undefined : eq(executions.workflowId, query.workflowId),
    query.triggerType === undefined ? undefined : eq(executions.triggerType, query.triggerType),
    query.startedAfter === undefined ? undefined : gte(executions.startedAt, query.startedAfter),
    query.startedBefore === undefined ? undefined : lt(executions.startedAt, query.startedBefore),
  );
  const [totals] = await db
    .select({
      total: count(),
      running: countWhereStatus('running'),
      success: countWhereStatus('success'),
      error: countWhereStatus('error'),
      withDuration: count(executions.durationMs),
      avgDurationMs: average(executions.durationMs),
      minDurationMs: min(executions.durationMs),
      maxDurationMs: max(executions.durationMs),
      firstStartedAt: min(executions.startedAt),
      lastStartedAt: max(executions.startedAt),
    })
    .from(executions)
    .where(scope);
  if (totals === undefined) throw new Error('an aggregate query returned no row');

  const { withDuration, ...stats } = totals;
  return executionStats({
    ...stats,
    p50DurationMs: await durationPercentile(db, scope, withDuration, 50),
    p95DurationMs: await durationPercentile(db, scope, withDuration, 95),
  });
}

/**
 * All executions, or one workflow's: the counts and duration sum from the running totals (summed over their shards),
 * everything else from the ends of an index (duration, start) and a walk along it for the percentiles. The same
 * numbers as the aggregate above, without reading every row.
 */
async function statsFromCounts(db: PostgresQueries, workflowId: string | undefined): Promise<ExecutionStats> {
  const scope = workflowId === undefined ? undefined : eq(executions.workflowId, workflowId);
  const [totals = { running: 0, success: 0, error: 0, withDuration: 0, durationSum: 0 }] = await db
    .select({
      running: sumWhereStatus('running'),
      success: sumWhereStatus('success'),
      error: sumWhereStatus('error'),
      withDuration: sql<number>`coalesce(sum(${executionCounts.durationCount}), 0)`.mapWith(Number),
      durationSum: sql<number>`coalesce(sum(${executionCounts.durationSum}), 0)`.mapWith(Number),
    })
    .from(executionCounts)
    .where(workflowId === undefined ? undefined : eq(executionCounts.workflowId, workflowId));
  const durationKey = durationSortKey(executions.durationMs);
  const end = async (column: SQL, order: typeof asc, where?: SQL) => {
    const [row] = await db
      .select({ value: sql<number>`${column}`.mapWith(Number) })
      .from(executions)
      .where(and(scope, where))
      .orderBy(order(column))
      .limit(1);
    return row?.value ?? null;
  };
  const withDuration = totals.withDuration;
  return executionStats({
    ...withTotal(totals),
    avgDurationMs: averageDuration(totals.durationSum, withDuration),
    minDurationMs: withDuration === 0 ? null : await end(durationKey, asc, gte(durationKey, 0)),
    maxDurationMs: withDuration === 0 ? null : await end(durationKey, desc),
    p50DurationMs: await durationPercentile(db, scope, withDuration, 50),
    p95DurationMs: await durationPercentile(db, scope, withDuration, 95),
    firstStartedAt: await end(sql`${executions.startedAt}`, asc),
    lastStartedAt: await end(sql`${executions.startedAt}`, desc),
  });
}

const sumWhereStatus = (status: string) =>
  sql<number>`coalesce(sum(${executionCounts.executions}) filter (where ${executionCounts.status} = ${status}), 0)`.mapWith(Number);

/** Nearest-rank percentile (src/core/nearest-rank.ts) of the durations in scope, walked to on the duration index. */
async function durationPercentile(
  db: PostgresQueries,
  scope: SQL | undefined,
  withDuration: number,
  percent: number,
): Promise<number | null> {
  if (withDuration === 0) return null;
  const rank = nearestRank(percent, withDuration);
  // The sort key (-1 for no duration) rather than the column, so that its index serves the walk.
  const durationKey = durationSortKey(executions.durationMs);
  const [row] = await db
    .select({ durationMs: executions.durationMs })
    .from(executions)
    .where(and(scope, gte(durationKey, 0)))
    .orderBy(asc(durationKey))
    .limit(1)
    .offset(rank - 1);
  return row?.durationMs ?? null;
}
