// ExecutionStats put together from the numbers a backend reads. Which way a query is answered (from the running
// totals, or from an aggregate over the rows in scope) and how the figures that are not read (the total from the
// running totals, the success rate, the average from a sum) follow from the ones that are, decided once for every
// backend, so that their stats cannot drift apart; the backends only read.
import type { ExecutionStats, ExecutionStatsQuery } from './types.js';

/** Executions per status, as a backend counts them. */
export interface StatusCounts {
  running: number;
  success: number;
  error: number;
}

/**
 * Whether the running totals answer the query: all executions or one workflow's, with no trigger or time filter.
 * Then the counts and the duration sum come from the totals, everything else from the ends of indexes, without
 * reading every row.
 */
export function answeredByRunningTotals(query: ExecutionStatsQuery): boolean {
  return query.triggerType === undefined && query.startedAfter === undefined && query.startedBefore === undefined;
}

/** The running totals' counts with their total: every execution counted there is running or finished. */
export function withTotal(counts: StatusCounts): StatusCounts & { total: number } {
  return { total: counts.running + (counts.success + counts.error), running: counts.running, success: counts.success, error: counts.error };
}

/** The average of `withDuration` durations that add up to `durationSum`; null for none. */
export function averageDuration(durationSum: number, withDuration: number): number | null {
  return withDuration === 0 ? null : durationSum / withDuration;
}

/** The stats of what was read, with the success rate worked out: success / (success + error), null when nothing has finished. */
export function executionStats(read: Omit<ExecutionStats, 'successRate'>): ExecutionStats {
  const finished = read.success + read.error;
  return {
    total: read.total,
    running: read.running,
    success: read.success,
    error: read.error,
    successRate: finished === 0 ? null : read.success / finished,
    avgDurationMs: read.avgDurationMs,
    minDurationMs: read.minDurationMs,
    maxDurationMs: read.maxDurationMs,
    p50DurationMs: read.p50DurationMs,
    p95DurationMs: read.p95DurationMs,
    firstStartedAt: read.firstStartedAt,
    lastStartedAt: read.lastStartedAt,
  };
}
