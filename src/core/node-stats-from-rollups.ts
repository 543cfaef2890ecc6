// NodeStats from a node's rollups summed over a range, and the order a node stats query returns them in. Each backend
// sums the rollups in its own SQL (and picks the latest names and the last error in its own way); the numbers that
// follow from the sums (runs, error rate, average, percentiles from the histograms) and the ranking are worked out
// here once, so that the backends cannot drift apart.
import { DurationCounts } from './histogram.js';
import type { LastError } from './last-error.js';
import type { NodeStats, NodeStatsSort } from './types.js';

/** What a node's stats are read as besides its sums: who it is, its counts and its longest duration. */
export type NodeOfRollups = Pick<NodeStats, 'workflowId' | 'nodeId' | 'nodeType' | 'nodeName' | 'success' | 'error' | 'skipped' | 'maxDurationMs'>;

/** A node's durations summed over its rollups: their count, their sum and its histograms separated by commas. */
export interface NodeDurationSums {
  durationCount: number;
  durationSum: number;
  histograms: string;
}

/** The stats of a node: `node`'s fields as given (in their order), then those worked out from them. */
export function nodeStatsOf(node: NodeOfRollups, sums: NodeDurationSums, lastError: LastError | null): NodeStats {
  const durations = new DurationCounts();
  durations.addStoredList(sums.histograms);
  const finished = node.success + node.error;
  return {
    ...node,
    runs: node.success + node.error + node.skipped,
    errorRate: finished === 0 ? null : node.error / finished,
    avgDurationMs: sums.durationCount === 0 ? null : sums.durationSum / sums.durationCount,
    p50DurationMs: durations.percentile(50, node.maxDurationMs),
    p95DurationMs: durations.percentile(95, node.maxDurationMs),
    lastError,
  };
}

const SORT_KEYS = { p95: 'p95DurationMs', errorRate: 'errorRate', runs: 'runs' } as const;

/** The first `limit` of the stats, largest `sortBy` first (none counting lowest), then most runs, then by id. */
export function topNodeStats(stats: NodeStats[], sortBy: NodeStatsSort, limit: number): NodeStats[] {
  const key = SORT_KEYS[sortBy];
  stats.sort(
    (a, b) =>
      (b[key] ?? -1) - (a[key] ?? -1) || b.runs - a.runs || a.workflowId.localeCompare(b.workflowId) || a.nodeId.localeCompare(b.nodeId),
  );
  return stats.slice(0, limit);
}
