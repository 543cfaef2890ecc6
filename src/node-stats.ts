// Per-node numbers over a time range, from the node rollups: which node is slow, which one fails.
import { and, eq } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { type Histogram, histogramPercentile, mergeInto, parseHistogram } from './histogram.js';
import { type RollupSpan, spansWhere } from './rollup-spans.js';
import { nodeRollups } from './schema.js';
import type { NodeStats, NodeStatsQuery } from './types.js';

interface NodeTotals extends Omit<NodeStats, 'errorRate' | 'avgDurationMs' | 'p50DurationMs' | 'p95DurationMs'> {
  latestBucket: number;
  durationCount: number;
  durationSum: number;
  histogram: Histogram;
}

export function getNodeStats(db: HistoryDatabase, query: Required<Omit<NodeStatsQuery, 'workflowId' | 'startedAfter' | 'startedBefore'>> & NodeStatsQuery, spans: RollupSpan[]): NodeStats[] {
  if (spans.length === 0) return [];
  const rows = db
    .select()
    .from(nodeRollups)
    .where(and(query.workflowId === undefined ? undefined : eq(nodeRollups.workflowId, query.workflowId), spansWhere(nodeRollups, spans)))
    .all();
  const nodes = new Map<string, NodeTotals>();
  for (const row of rows) {
    const key = `${row.workflowId}\u0000${row.nodeId}`;
    let node = nodes.get(key);
    if (node === undefined) {
      node = {
        workflowId: row.workflowId,
        nodeId: row.nodeId,
        nodeType: row.nodeType,
        nodeName: row.nodeName,
        latestBucket: row.bucketStart,
        runs: 0,
        running: 0,
        success: 0,
        error: 0,
        skipped: 0,
        durationCount: 0,
        durationSum: 0,
        maxDurationMs: null,
        histogram: new Map(),
        lastError: null,
      };
      nodes.set(key, node);
    }
    if (row.bucketStart >= node.latestBucket) {
      node.latestBucket = row.bucketStart;
      node.nodeType = row.nodeType;
      node.nodeName = row.nodeName;
    }
    node.running += row.running;
    node.success += row.success;
    node.error += row.error;
    node.skipped += row.skipped;
    node.runs += row.running + row.success + row.error + row.skipped;
    node.durationCount += row.durationCount;
    node.durationSum += row.durationSum;
    if (row.durationMax !== null) node.maxDurationMs = Math.max(node.maxDurationMs ?? 0, row.durationMax);
    mergeInto(node.histogram, parseHistogram(row.histogram));
    if (row.lastErrorAt !== null && (node.lastError === null || row.lastErrorAt > node.lastError.at)) {
      node.lastError = { message: row.lastErrorMessage, at: row.lastErrorAt };
    }
  }
  const stats = [...nodes.values()].map(({ latestBucket, durationCount, durationSum, histogram, ...node }): NodeStats => {
    const finished = node.success + node.error;
    return {
      ...node,
      errorRate: finished === 0 ? null : node.error / finished,
      avgDurationMs: durationCount === 0 ? null : durationSum / durationCount,
      p50DurationMs: histogramPercentile(histogram, 50, node.maxDurationMs),
      p95DurationMs: histogramPercentile(histogram, 95, node.maxDurationMs),
    };
  });
  const sortKey = { p95: 'p95DurationMs', errorRate: 'errorRate', runs: 'runs' } as const;
  const key = sortKey[query.sortBy];
  stats.sort((a, b) => (b[key] ?? -1) - (a[key] ?? -1) || b.runs - a.runs || a.workflowId.localeCompare(b.workflowId) || a.nodeId.localeCompare(b.nodeId));
  return stats.slice(0, query.limit);
}
