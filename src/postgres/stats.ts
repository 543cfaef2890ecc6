// Aggregate numbers over executions, computed in SQL: nothing here loads rows into JavaScript. The same numbers as
// src/sqlite/stats.ts: counts and sums come back from node-postgres as strings and are read as numbers, and the
// average is the float division SQLite's avg() does (a double sum over a double count; the sum is below 2^53), not
// PostgreSQL's numeric one. What follows from the numbers read is src/core/execution-stats.ts, as on SQLite.
// Each query is one hand-written statement, sent unnamed: one statement is one snapshot, so the counts and the
// percentiles describe the same executions without a transaction, and the call is one round trip.
import { answeredByRunningTotals, averageDuration, executionStats, withTotal } from '../core/execution-stats.js';
import type { ExecutionStats, ExecutionStatsQuery } from '../core/types.js';
import { type Queryable, numberOrNull } from './insight-reads.js';

/** Stats of the executions in the query's scope, in one statement. */
export async function getExecutionStats(db: Queryable, query: ExecutionStatsQuery): Promise<ExecutionStats> {
  if (answeredByRunningTotals(query)) {
    const ofWorkflow = query.workflowId !== undefined;
    return statsOf((await db.query(ofWorkflow ? STATS_OF_WORKFLOW : STATS_OF_ALL, ofWorkflow ? [query.workflowId] : [])).rows[0]);
  }
  const values: unknown[] = [];
  const where = (condition: string, value: unknown) => {
    values.push(value);
    return `${condition} $${values.length}`;
  };
  const scope = [
    query.workflowId === undefined ? undefined : where('workflow_id =', query.workflowId),
    query.triggerType === undefined ? undefined : where('trigger_type =', query.triggerType),
    query.startedAfter === undefined ? undefined : where('started_at >=', query.startedAfter),
    query.startedBefore === undefined ? undefined : where('started_at <', query.startedBefore),
  ].filter((condition) => condition !== undefined);
  return statsOf((await db.query(statsOfRows(scope), values)).rows[0]);
}

/** The stats of a row of either statement below: the running totals have no total of their own (see withTotal). */
function statsOf(row: Record<string, unknown> | undefined): ExecutionStats {
  if (row === undefined) throw new Error('an aggregate query returned no row');
  const counts = { running: Number(row.running), success: Number(row.success), error: Number(row.error) };
  return executionStats({
    ...(row.total === undefined ? withTotal(counts) : { ...counts, total: Number(row.total) }),
    avgDurationMs: averageDuration(Number(row.duration_sum), Number(row.with_duration)),
    minDurationMs: numberOrNull(row.min_duration),
    maxDurationMs: numberOrNull(row.max_duration),
    p50DurationMs: numberOrNull(row.p50),
    p95DurationMs: numberOrNull(row.p95),
    firstStartedAt: numberOrNull(row.first_started_at),
    lastStartedAt: numberOrNull(row.last_started_at),
  });
}

/**
 * The nearest-rank percentile (src/core/nearest-rank.ts: the ceil(p% × n)-th smallest, at least the first) of the
 * durations in scope, `n` of them as the CTE `counted` says, walked to on a duration index from whichever end is
 * nearer: the 95th of 100,000 is 5,000 entries from the top. PostgreSQL runs a subquery in a CASE branch only when
 * the branch is taken. `and` is the scope's conditions each followed by AND.
 */
function percentile(percent: number, and: string) {
  const rank = `greatest(1, ceil(${percent} * n / 100.0))`;
  const walk = (order: 'ASC' | 'DESC', offset: string) =>
    `(SELECT duration_ms FROM workflow_executions WHERE ${and}duration_ms IS NOT NULL ORDER BY duration_ms ${order}
      LIMIT 1 OFFSET (SELECT ${offset} FROM counted))`;
  return `(SELECT CASE WHEN n = 0 THEN NULL WHEN ${rank} - 1 <= n - ${rank} THEN ${walk('ASC', `${rank} - 1`)}
      ELSE ${walk('DESC', `n - ${rank}`)} END FROM counted)`;
}

/** The first value of a column in an order, among the executions in scope: one end of an index. */
const end = (column: string, order: 'ASC' | 'DESC', and: string) =>
  `(SELECT ${column} FROM workflow_executions WHERE ${and}${column} IS NOT NULL ORDER BY ${column} ${order} LIMIT 1)`;

/**
 * All executions or one workflow's: the counts and the duration sum from the running totals (summed over their
 * shards), everything else from the ends of indexes (duration_ms where it is set, started_at) and walks along the
 * duration one for the percentiles. The same numbers as an aggregate over the rows, without reading every row.
 */
function statsOfCounts(workflowScope: string) {
  const and = workflowScope === '' ? '' : `${workflowScope} AND `;
  return `WITH counted AS (
    SELECT coalesce(sum(executions) FILTER (WHERE status = 'running'), 0) AS running,
      coalesce(sum(executions) FILTER (WHERE status = 'success'), 0) AS success,
      coalesce(sum(executions) FILTER (WHERE status = 'error'), 0) AS error,
      coalesce(sum(duration_count), 0) AS n, coalesce(sum(duration_sum), 0) AS duration_sum
    FROM execution_counts ${workflowScope === '' ? '' : `WHERE ${workflowScope}`})
  SELECT running, success, error, n AS with_duration, duration_sum,
    ${end('duration_ms', 'ASC', and)} AS min_duration, ${end('duration_ms', 'DESC', and)} AS max_duration,
    ${percentile(50, and)} AS p50, ${percentile(95, and)} AS p95,
    ${end('started_at', 'ASC', and)} AS first_started_at, ${end('started_at', 'DESC', and)} AS last_started_at
  FROM counted`;
}

const STATS_OF_ALL = statsOfCounts('');
const STATS_OF_WORKFLOW = statsOfCounts('workflow_id = $1');

/** Any other scope (a trigger type, a time range): an aggregate over the rows in scope, then the percentiles. */
function statsOfRows(scope: string[]) {
  const and = scope.map((condition) => `${condition} AND `).join('');
  return `WITH counted AS (
    SELECT count(*) AS total, count(*) FILTER (WHERE status = 'running') AS running,
      count(*) FILTER (WHERE status = 'success') AS success, count(*) FILTER (WHERE status = 'error') AS error,
      count(duration_ms) AS n, coalesce(sum(duration_ms), 0) AS duration_sum,
      min(duration_ms) AS min_duration, max(duration_ms) AS max_duration,
      min(started_at) AS first_started_at, max(started_at) AS last_started_at
    FROM workflow_executions ${scope.length === 0 ? '' : `WHERE ${scope.join(' AND ')}`})
  SELECT total, running, success, error, n AS with_duration, duration_sum, min_duration, max_duration,
    ${percentile(50, and)} AS p50, ${percentile(95, and)} AS p95, first_started_at, last_started_at
  FROM counted`;
}
