// Per-node numbers over a time range, from the node rollups: which node is slow, which one fails. Summed in SQL
// (histograms concatenated, as SQLite's group_concat does in src/sqlite/node-stats.ts), so that JavaScript sees one
// row per node, not one per node and day. Compacted weeks are read from their weekly rows. The latest names and the
// last error are the first of an ordered array_agg: PostgreSQL has no bare columns and no printf() for SQLite's
// packed max(), and the order says the rule of src/core/last-error.ts outright. The stats that follow from the sums,
// and their order, are src/core/node-stats-from-rollups.ts, as on SQLite.
import { and, asc, eq, gte, lt, max, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { nodeStatsOf, topNodeStats } from '../core/node-stats-from-rollups.js';
import { type RollupSpan, withWeeks } from '../core/rollup-spans.js';
import type { NodeStats, NodeStatsQuery, NodeStatsSort } from '../core/types.js';
import { inByteOrder } from './byte-order.js';
import type { PostgresQueries } from './connection.js';
import { compactedWeeks, nodeRollups as rollups } from './schema.js';
import { spansWhere } from './spans-where.js';
import { numberOrNull, summed } from './sql-numbers.js';

/** The value of the row with the latest bucket: a (workflow, node)'s spans hold each bucket start once. */
const ofLatestBucket = <T>(column: AnyPgColumn) => sql<T>`(array_agg(${column} order by ${rollups.bucketStart} desc))[1]`;

/**
 * The value of the row holding the last error: the latest, and for two in the same millisecond the greater message
 * in byte order, a missing message counting lowest (isLaterError in src/core/last-error.ts).
 */
const ofLastError = <T>(column: AnyPgColumn) =>
  sql<T>`(array_agg(${column} order by ${rollups.lastErrorAt} desc, ${inByteOrder(rollups.lastErrorMessage)} desc nulls last)
    filter (where ${rollups.lastErrorAt} is not null))[1]`;

/** Stats of the nodes in the spans, sorted by `sortBy`, at most `limit`; call in one snapshot. */
export async function getNodeStats(
  db: PostgresQueries,
  query: NodeStatsQuery & { sortBy: NodeStatsSort; limit: number },
  spans: RollupSpan[],
): Promise<NodeStats[]> {
  if (spans.length === 0) return [];
  const days = spans.filter((span) => span.grain === 'day');
  const weeks =
    days.length === 0
      ? []
      : await db
          .select({ weekStart: compactedWeeks.weekStart })
          .from(compactedWeeks)
          .where(and(gte(compactedWeeks.weekStart, (days[0] as RollupSpan).from), lt(compactedWeeks.weekStart, (days.at(-1) as RollupSpan).to)))
          .orderBy(asc(compactedWeeks.weekStart));
  const where = and(
    query.workflowId === undefined ? undefined : eq(rollups.workflowId, query.workflowId),
    spansWhere(rollups, withWeeks(spans, weeks.map((week) => week.weekStart))),
  );
  const nodes = await db
    .select({
      workflowId: rollups.workflowId,
      nodeId: rollups.nodeId,
      nodeType: ofLatestBucket<string>(rollups.nodeType),
      nodeName: ofLatestBucket<string | null>(rollups.nodeName),
      lastErrorAt: numberOrNull(ofLastError(rollups.lastErrorAt)),
      lastErrorMessage: ofLastError<string | null>(rollups.lastErrorMessage),
      success: summed(rollups.success),
      error: summed(rollups.error),
      skipped: summed(rollups.skipped),
      durationCount: summed(rollups.durationCount),
      durationSum: summed(rollups.durationSum),
      maxDurationMs: max(rollups.durationMax),
      histograms: sql<string>`string_agg(${rollups.histogram}, ',')`,
    })
    .from(rollups)
    .where(where)
    .groupBy(rollups.workflowId, rollups.nodeId);
  // The names go after the counts, where SQLite's reader puts them: the same JSON from both backends.
  const stats = nodes.map(({ nodeType, nodeName, lastErrorAt, lastErrorMessage, durationCount, durationSum, histograms, ...node }) =>
    nodeStatsOf({ ...node, nodeType, nodeName }, { durationCount, durationSum, histograms }, lastErrorAt === null ? null : { at: lastErrorAt, message: lastErrorMessage }),
  );
  return topNodeStats(stats, query.sortBy, query.limit);
}
