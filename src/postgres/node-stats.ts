// Per-node numbers over a time range, from the node rollups: which node is slow, which one fails. Summed in SQL
// (histograms concatenated, as SQLite's group_concat does in src/sqlite/node-stats.ts), so that JavaScript sees one
// row per node, not one per node and day. Compacted weeks are read from their weekly rows. The latest names and the
// last error are packed max()es, as on SQLite. The stats that follow from the sums, and their order, are
// src/core/node-stats-from-rollups.ts, as on SQLite.
// One statement reads the nodes with the settings and compacted weeks they were planned with (see readPlanned): one
// snapshot without a transaction, one round trip.
import { unpackError } from '../core/last-error.js';
import { nodeStatsOf, topNodeStats } from '../core/node-stats-from-rollups.js';
import { type RollupSpan, withWeeks } from '../core/rollup-spans.js';
import type { NodeStats, NodeStatsQuery, NodeStatsSort } from '../core/types.js';
import { numberOrNull, type Queryable, readPlanned, SETTINGS_COLUMN, settingsContext } from './insight-reads.js';
import { packedErrorText } from './packed-error.js';

/**
 * Stats of the nodes in the range, sorted by `sortBy`, at most `limit`.
 * @param spansFrom the rollup spans that cover the range when hourly rows begin at `hoursFrom`.
 */
export async function getNodeStats(
  db: Queryable,
  query: NodeStatsQuery & { sortBy: NodeStatsSort; limit: number },
  spansFrom: (hoursFrom: number) => RollupSpan[],
): Promise<NodeStats[]> {
  return readPlanned(db, (context) => {
    const spans = spansFrom(context.kept.nodeHoursFrom);
    const days = spans.filter((span) => span.grain === 'day');
    // The compacted weeks are listed where the daily spans lie, to check the ones planned with.
    const weeksFrom = days[0]?.from ?? null;
    const weeksTo = days.at(-1)?.to ?? null;
    const read = withWeeks(spans, context.weeks);
    return {
      text: query.workflowId === undefined ? NODES_OF_ALL : NODES_OF_WORKFLOW,
      values: [read.map((span) => span.grain), read.map((span) => span.from), read.map((span) => span.to), weeksFrom, weeksTo, ...(query.workflowId === undefined ? [] : [query.workflowId])],
      rowMode: 'array',
      contextOf: (rows, planned) => {
        const [, settings, listed] = rows.find((row: unknown[]) => row[0] === HEADER) as [number, unknown, number[]];
        const elsewhere = weeksFrom === null ? planned.weeks : planned.weeks.filter((week) => week < weeksFrom || week >= (weeksTo as number));
        return settingsContext(settings, [...elsewhere, ...listed].sort((a, b) => a - b));
      },
      answer: (rows) => {
        const stats: NodeStats[] = [];
        for (const row of rows as NodeRow[]) {
          if (row[0] === HEADER) continue;
          const [, , , workflowId, nodeId, nodeType, nodeName, lastError, success, error, skipped, durationCount, durationSum, maxDurationMs, histograms] = row;
          // The names go after the counts, where SQLite's reader puts them: the same JSON from both backends.
          stats.push(
            nodeStatsOf(
              {
                workflowId,
                nodeId,
                success: Number(success),
                error: Number(error),
                skipped: Number(skipped),
                maxDurationMs: numberOrNull(maxDurationMs),
                nodeType: nodeType.slice(PACKED_TIME),
                nodeName: nodeName[PACKED_TIME] === '1' ? nodeName.slice(PACKED_TIME + 1) : null,
              },
              { durationCount: Number(durationCount), durationSum: Number(durationSum), histograms },
              unpackError(lastError),
            ),
          );
        }
        return topNodeStats(stats, query.sortBy, query.limit);
      },
    };
  });
}

/** The header row (the settings and compacted weeks), before the nodes' rows. */
const HEADER = 0;
/** The bucket start in front of a packed name: 16 digits, as an error's time in src/core/last-error.ts. */
const PACKED_TIME = 16;
/** kind, settings, weeks, then a node's columns as node-postgres reads them (int8 and numeric as text). */
type NodeRow = [number, unknown, unknown, string, string, string, string, string | null, string, string, string, string, string, string | null, string];

/**
 * Parameters: $1–$3 the spans' grains, first and last bucket starts (exclusive), weekly ones where weeks are
 * compacted; $4–$5 where the daily spans begin and end, whose compacted weeks are listed (null for none); $6 the
 * workflow, when one is asked for. One header row (kind 0: the settings and the compacted weeks), then a row per node,
 * as plain columns: as one JSON value, encoding and parsing the nodes' histograms took longer than summing them.
 * A node's names are those of its latest bucket (a node's spans hold each bucket start once), and its last error the
 * one src/core/last-error.ts orders last: each the max() of a text packed so that its byte order is that order, as on
 * SQLite (the type and the name apart: building a JSON array per row cost more than the rest of the aggregate). Plain
 * aggregates let PostgreSQL group by hashing; an ordered array_agg() sorted all the rows first (20,000 of them for 30
 * days of all workflows). Each span is read by a lateral subquery kept apart by OFFSET 0, so that it is an index range
 * scan per span: joined to the spans' unnest(), the planner, which cannot tell how many rows a span holds, chose to
 * scan the whole table in parallel.
 */
function nodesStatement(ofWorkflow: string): string {
  const latest = (value: string) => `max(lpad(r.bucket_start::text, ${PACKED_TIME}, '0') || ${value} COLLATE "C")`;
  return `SELECT ${HEADER} AS kind, ${SETTINGS_COLUMN},
      (SELECT coalesce(json_agg(week_start ORDER BY week_start), '[]') FROM compacted_weeks WHERE week_start >= $4 AND week_start < $5) AS weeks,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    UNION ALL
    SELECT 1, NULL, NULL, r.workflow_id, r.node_id, ${latest('r.node_type')}, ${latest(`coalesce('1' || r.node_name, '0')`)},
      max(${packedErrorText('r.last_error_at', 'r.last_error_message')}),
      sum(r.success), sum(r.error), sum(r.skipped), sum(r.duration_count), sum(r.duration_sum), max(r.duration_max), string_agg(r.histogram, ',')
    FROM unnest($1::text[], $2::int8[], $3::int8[]) AS s(grain, from_, to_)
    CROSS JOIN LATERAL (SELECT * FROM node_rollups r
      WHERE r.grain = s.grain AND r.bucket_start >= s.from_ AND r.bucket_start < s.to_${ofWorkflow} OFFSET 0) AS r
    GROUP BY r.workflow_id, r.node_id`;
}

const NODES_OF_ALL = nodesStatement('');
const NODES_OF_WORKFLOW = nodesStatement(' AND r.workflow_id = $6');
