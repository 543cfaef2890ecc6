// Executions per time bucket, empty buckets included: how a workflow behaves over time. Buckets follow a time zone
// (src/core/timeline-buckets.ts); what answers each part of the range is planned in src/core/timeline-plan.ts: the rollups
// where they are kept and a bucket holds whole UTC hours or days, the stored rows elsewhere, checked against the
// rollups so that a bucket the stored rows cannot answer whole says so instead of coming out silently low. The same
// reads as src/sqlite/timeline.ts, but a rollup bucket is the sum of its shard rows, and one that sums to no
// finished execution does not exist (the shards of a bucket emptied by deletes may be left at +n and -n). The
// buckets are added up by src/core/timeline-tally.ts, as on SQLite; this file reads what it asks for.
// Everything the tally asks for is read by one statement: one snapshot without a transaction, and one round trip
// however many edge hours a zone's days cut (India's +5:30 cuts one a day). A header row holds the settings and the
// small parts as JSON; the rollup buckets follow as plain rows (their histograms as JSON cost more than their sums).
import { ALL_WORKFLOWS } from '../core/constants.js';
import { DAY, HOUR } from '../core/rollup-changes.js';
import { type TimelineGrain, type TimelineRollup, TimelineTally } from '../core/timeline-tally.js';
import type { TimelineEntry, TimelineQuery } from '../core/types.js';
import { type Queryable, readPlanned, SETTINGS_COLUMN, settingsContext } from './insight-reads.js';

/** The timeline of `query`, in one statement (two when another instance pruned the rollups since the last one). */
export async function getTimeline(db: Queryable, query: Required<TimelineQuery>): Promise<TimelineEntry[]> {
  return readPlanned(db, (context) => {
    const tally = new TimelineTally(query, context.kept, context.outliveDeletes);
    const hours = tally.rollupRange('hour');
    const days = tally.rollupRange('day');
    const running = GRAINS.flatMap((grain) => tally.runningRanges(grain).map((range) => ({ ...range, grain })));
    const stored = tally.storedRowRanges();
    return {
      text: query.workflowId === undefined ? TIMELINE_OF_ALL : TIMELINE_OF_WORKFLOW,
      values: [
        query.workflowId ?? ALL_WORKFLOWS,
        hours?.from ?? null,
        hours?.to ?? null,
        days?.from ?? null,
        days?.to ?? null,
        running.map((range) => range.from),
        running.map((range) => range.to),
        running.map((range) => GRAINS.indexOf(range.grain)),
        stored.map((range) => range.from),
        stored.map((range) => range.to),
        tally.daysToCount(),
      ],
      rowMode: 'array',
      contextOf: (rows) => settingsContext(headerOf(rows)[1], []),
      answer: (rows) => {
        const [, , running, stored, finished] = headerOf(rows);
        const buckets: Record<TimelineGrain, TimelineRollup[]> = { hour: [], day: [] };
        for (const [kind, , , , , bucketStart, success, error, durationCount, durationSum, histograms] of rows as TimelineRow[]) {
          if (kind === HEADER) continue;
          buckets[GRAINS[kind - 1] as TimelineGrain].push({
            bucketStart: Number(bucketStart),
            success: Number(success),
            error: Number(error),
            durationCount: Number(durationCount),
            durationSum: Number(durationSum),
            histograms,
          });
        }
        tally.addRollups('hour', buckets.hour);
        tally.addRollups('day', buckets.day);
        for (const [grain, hour, count] of running) tally.addRunning(GRAINS[grain] as TimelineGrain, hour, count);
        for (const [startedAt, status, durationMs] of stored) tally.addStoredExecution(startedAt, status, durationMs);
        tally.markIncomplete(new Map(finished));
        return tally.entries();
      },
    };
  });
}

/** The header row (kind 0): the settings, then the running executions, stored rows and finished counts as JSON. */
const HEADER = 0;
type Header = [typeof HEADER, unknown, [number, number, number][], StoredRow[], [number, number][]];
/** A rollup bucket's row: kind 1 (hourly) or 2 (daily), the header's columns empty, then the bucket (int8 and numeric as text). */
type TimelineRow = [number, null, null, null, null, string, string, string, string, string, string];
const headerOf = (rows: unknown[]) => rows.find((row) => (row as unknown[])[0] === HEADER) as Header;

const GRAINS: TimelineGrain[] = ['hour', 'day'];
type StoredRow = [number, Parameters<TimelineTally['addStoredExecution']>[1], number | null];

/**
 * Parameters: $1 the rollups' workflow (ALL_WORKFLOWS for all), $2–$3 and $4–$5 the hourly and daily buckets to read
 * (null for none), $6–$8 the ranges whose running executions are counted per UTC hour and the grain each is for,
 * $9–$10 the ranges of stored executions, $11 the days whose finished executions are counted. Each range is an index
 * range scan of its own (a lateral subquery kept apart by OFFSET 0: the planner cannot tell how many rows a range of
 * an unnest() holds, and may otherwise scan the whole table).
 */
function timelineStatement(ofWorkflow: string): string {
  /** A grain's rollup buckets, each summed over its shards; one summing to no finished execution does not exist. */
  const rollups = (kind: number, grain: TimelineGrain, from: string, to: string) => `SELECT ${kind}, NULL, NULL, NULL, NULL, bucket_start,
      sum(success), sum(error), sum(duration_count), sum(duration_sum), string_agg(histogram, ',')
    FROM workflow_rollups WHERE grain = '${grain}' AND workflow_id = $1 AND bucket_start >= ${from} AND bucket_start < ${to}
    GROUP BY bucket_start HAVING sum(success) + sum(error) <> 0`;
  return `SELECT ${HEADER} AS kind, ${SETTINGS_COLUMN},
    -- Running executions, which the rollups do not count: few, and their partial index holds their starts.
    (SELECT coalesce(json_agg(json_build_array(grain, hour, running)), '[]') FROM (
      SELECT r.grain, e.started_at / ${HOUR} AS hour, count(*) AS running
      FROM unnest($6::int8[], $7::int8[], $8::int4[]) AS r(from_, to_, grain)
      CROSS JOIN LATERAL (SELECT started_at FROM workflow_executions e
        WHERE e.status = 'running' AND e.started_at >= r.from_ AND e.started_at < r.to_${ofWorkflow} OFFSET 0) AS e
      GROUP BY r.grain, hour) AS counted) AS running,
    (SELECT coalesce(json_agg(json_build_array(e.started_at, e.status, e.duration_ms) ORDER BY e.started_at), '[]')
      FROM unnest($9::int8[], $10::int8[]) AS r(from_, to_)
      CROSS JOIN LATERAL (SELECT started_at, status, duration_ms FROM workflow_executions e
        WHERE e.started_at >= r.from_ AND e.started_at < r.to_${ofWorkflow} OFFSET 0) AS e) AS stored,
    (SELECT coalesce(json_agg(json_build_array(d.day, (SELECT count(*) FROM workflow_executions e
        WHERE e.status <> 'running' AND e.started_at >= d.day AND e.started_at < d.day + ${DAY}${ofWorkflow}))), '[]')
      FROM unnest($11::int8[]) AS d(day)) AS finished,
    NULL::int8, NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric, NULL::text
  UNION ALL ${rollups(1, 'hour', '$2', '$3')}
  UNION ALL ${rollups(2, 'day', '$4', '$5')}`;
}

const TIMELINE_OF_ALL = timelineStatement('');
const TIMELINE_OF_WORKFLOW = timelineStatement(' AND e.workflow_id = $1');
