// Per-node numbers over a time range, from the node rollups: which node is slow, which one fails. Summed in SQL
// (histograms concatenated), so that JavaScript sees one row per node, not one per node and day: across all
// workflows for 30 days that is 700 rows instead of 20,000 (64 ms instead of 134 at the small scale). Compacted
// weeks are read from their weekly rows (src/sqlite/rollup-weeks.ts). The stats that follow from the sums, and their
// order, are src/core/node-stats-from-rollups.ts.
import { and, asc, eq, gte, lt, max, type SQL, sql, sum } from 'drizzle-orm';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { HistoryDatabase } from './connection.js';
import { unpackError } from '../core/last-error.js';
import { packedError } from './packed-error.js';
import { type RollupSpan, withWeeks } from '../core/rollup-spans.js';
import { spansWhere } from './spans-where.js';
import { compactedWeeks, nodeRollups as rollups } from './schema.js';
import type { NodeStats, NodeStatsQuery, NodeStatsSort } from '../core/types.js';
import { nodeStatsOf, topNodeStats } from '../core/node-stats-from-rollups.js';

const total = (column: AnySQLiteColumn) => sql<number>`coalesce(${sum(column)}, 0)`.mapWith(Number);

/**
 * The values of the row where `time` is largest, as a JSON array: the time zero-padded in front of the JSON makes
 * the largest string the latest row. (SQLite's bare columns would do this for one max() per query only.)
 */
const latest = (time: AnySQLiteColumn, values: SQL) =>
  sql<string | null>`max(case when ${time} is not null then printf('%016d', ${time}) || ${values} end)`;
const unpack = <T>(packed: string | null) => (packed === null ? null : { at: Number(packed.slice(0, 16)), values: JSON.parse(packed.slice(16)) as T });

export function getNodeStats(
  db: HistoryDatabase,
  query: NodeStatsQuery & { sortBy: NodeStatsSort; limit: number },
  spans: RollupSpan[],
): NodeStats[] {
  if (spans.length === 0) return [];
  const days = spans.filter((span) => span.grain === 'day');
  const weeks =
    days.length === 0
      ? []
      : db
          .select({ weekStart: compactedWeeks.weekStart })
          .from(compactedWeeks)
          .where(and(gte(compactedWeeks.weekStart, (days[0] as RollupSpan).from), lt(compactedWeeks.weekStart, (days.at(-1) as RollupSpan).to)))
          .orderBy(asc(compactedWeeks.weekStart))
          .all();
  const where = and(
    query.workflowId === undefined ? undefined : eq(rollups.workflowId, query.workflowId),
    spansWhere(rollups, withWeeks(spans, weeks.map((week) => week.weekStart))),
  );
  const nodes = db
    .select({
      workflowId: rollups.workflowId,
      nodeId: rollups.nodeId,
      names: latest(rollups.bucketStart, sql`json_array(${rollups.nodeType}, ${rollups.nodeName})`),
      lastError: sql<string | null>`max(${packedError(rollups.lastErrorAt, rollups.lastErrorMessage)})`,
      success: total(rollups.success),
      error: total(rollups.error),
      skipped: total(rollups.skipped),
      durationCount: total(rollups.durationCount),
      durationSum: total(rollups.durationSum),
      maxDurationMs: max(rollups.durationMax),
      // Concatenated in SQL and decoded in one pass: a JavaScript aggregate function called once per row was 20%
      // slower on 20,000 rows.
      histograms: sql<string>`group_concat(${rollups.histogram}, ',')`,
    })
    .from(rollups)
    .where(where)
    .groupBy(rollups.workflowId, rollups.nodeId)
    .all();
  const stats = nodes.map(({ names, lastError, durationCount, durationSum, histograms, ...node }) => {
    const [nodeType, nodeName] = unpack<[string, string | null]>(names)?.values ?? ['', null];
    return nodeStatsOf({ ...node, nodeType, nodeName }, { durationCount, durationSum, histograms }, unpackError(lastError));
  });
  return topNodeStats(stats, query.sortBy, query.limit);
}
