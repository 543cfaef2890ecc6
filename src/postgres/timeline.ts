// Executions per time bucket, empty buckets included: how a workflow behaves over time. Buckets follow a time zone
// (src/core/timeline-buckets.ts); what answers each part of the range is planned in src/core/timeline-plan.ts: the rollups
// where they are kept and a bucket holds whole UTC hours or days, the stored rows elsewhere, checked against the
// rollups so that a bucket the stored rows cannot answer whole says so instead of coming out silently low. The same
// reads as src/sqlite/timeline.ts, but a rollup bucket is the sum of its shard rows, and one that sums to no
// finished execution does not exist (the shards of a bucket emptied by deletes may be left at +n and -n).
import { and, asc, count, eq, gte, lt, ne, type SQL, sql } from 'drizzle-orm';
import { ALL_WORKFLOWS } from '../core/constants.js';
import { DurationCounts } from '../core/histogram.js';
import type { KeptRollups } from '../core/kept-rollups.js';
import { DAY, HOUR } from '../core/rollup-changes.js';
import { bucketBoundaries } from '../core/timeline-buckets.js';
import { planTimeline, type RowCheck } from '../core/timeline-plan.js';
import type { TimelineEntry, TimelineQuery } from '../core/types.js';
import type { PostgresQueries } from './connection.js';
import { workflowExecutions as executions, workflowRollups } from './schema.js';
import { summed } from './sql-numbers.js';

interface Bucket {
  start: number;
  end: number;
  running: number;
  success: number;
  error: number;
  durationCount: number;
  durationSum: number;
  durations: DurationCounts;
  complete: boolean;
}

/** A rollup bucket as the timeline reads it: its shard rows summed, their histograms as one comma-separated list. */
interface RollupRow {
  bucketStart: number;
  success: number;
  error: number;
  durationCount: number;
  durationSum: number;
  histograms: string;
}

interface Range {
  from: number;
  to: number;
}

/** The hour of an execution's start, as a number of hours (integer division, as on SQLite). Inlined: GROUP BY repeats it. */
const hourOfStart = sql<number>`${executions.startedAt} / ${sql.raw(String(HOUR))}`.mapWith(Number);

/**
 * The timeline of `query`; call in one snapshot (a REPEATABLE READ transaction).
 * @param kept where the kept rollup rows begin.
 * @param outliveDeletes whether the rollups count deleted executions, which the stored rows then lack.
 */
export async function getTimeline(
  db: PostgresQueries,
  query: Required<TimelineQuery>,
  kept: KeptRollups,
  outliveDeletes: boolean,
): Promise<TimelineEntry[]> {
  const boundaries = bucketBoundaries(query);
  const buckets: Bucket[] = boundaries.slice(0, -1).map((start, i) => ({
    start,
    end: boundaries[i + 1] as number,
    running: 0,
    success: 0,
    error: 0,
    durationCount: 0,
    durationSum: 0,
    durations: new DurationCounts(),
    complete: true,
  }));
  const bucketOf = (time: number) => bucketIndex(boundaries, time);
  const plan = planTimeline(boundaries, bucketOf, kept);
  const ofWorkflow = query.workflowId === undefined ? undefined : eq(executions.workflowId, query.workflowId);
  const rollupsOf = async (grain: 'hour' | 'day', starts: number[]) =>
    starts.length === 0
      ? new Map<number, RollupRow>()
      : new Map(
          (await rollupRows(db, grain, query.workflowId ?? ALL_WORKFLOWS, { from: starts[0] as number, to: (starts.at(-1) as number) + (grain === 'day' ? DAY : HOUR) })).map(
            (row) => [row.bucketStart, row],
          ),
        );
  const checked = (check: RowCheck) => plan.rowHours.filter((hour) => hour.check === check).map((hour) => hour.start);
  const hourRows = await rollupsOf('hour', merged(plan.hours, outliveDeletes ? checked('hour') : []));
  const dayRows = await rollupsOf('day', merged(plan.days, outliveDeletes ? [...new Set(checked('day').map((hour) => Math.floor(hour / DAY) * DAY))] : []));

  // Whole hours and days from their rollups, and their running executions, which the rollups do not count.
  for (const [grain, starts, rows] of [['hour', plan.hours, hourRows], ['day', plan.days, dayRows]] as const) {
    for (const start of starts) {
      const row = rows.get(start);
      if (row !== undefined) addRollup(buckets[bucketOf(start)] as Bucket, row);
    }
    if (starts.length > 0) await addRunning(db, ofWorkflow, grain === 'day' ? DAY : HOUR, starts, buckets, bucketOf);
  }

  // Hours a boundary cuts, or whose rollups are gone, from the stored rows: the whole hour is read so that its
  // finished executions can be compared with what its rollup counted.
  const finishedPerHour = new Map<number, number>();
  for (const range of contiguous(plan.rowHours.map((hour) => hour.start))) {
    for (const { startedAt, status, durationMs } of await storedRows(db, ofWorkflow, range)) {
      const hour = Math.floor(startedAt / HOUR) * HOUR;
      if (status !== 'running') finishedPerHour.set(hour, (finishedPerHour.get(hour) ?? 0) + 1);
      if (startedAt < (boundaries[0] as number) || startedAt >= (boundaries.at(-1) as number)) continue;
      const bucket = buckets[bucketOf(startedAt)] as Bucket;
      bucket[status] += 1;
      if (status === 'running' || durationMs === null) continue;
      bucket.durationCount += 1;
      bucket.durationSum += durationMs;
      bucket.durations.addDuration(durationMs);
    }
  }
  if (outliveDeletes) {
    const finishedPerDay = new Map<number, number>();
    /** Whether the stored rows of an hour hold fewer finished executions than its rollup (or its day's) counted. */
    const lacksExecutions = async (hour: number, check: 'hour' | 'day'): Promise<boolean> => {
      const counted = (row: RollupRow | undefined) => (row === undefined ? 0 : row.success + row.error);
      if (check === 'hour') return (finishedPerHour.get(hour) ?? 0) < counted(hourRows.get(hour));
      const day = Math.floor(hour / DAY) * DAY;
      let stored = finishedPerDay.get(day);
      if (stored === undefined) {
        stored = await finishedInRange(db, ofWorkflow, { from: day, to: day + DAY });
        finishedPerDay.set(day, stored);
      }
      return stored < counted(dayRows.get(day));
    };
    for (const { start, check } of plan.rowHours) {
      if (check === 'none' || !(await lacksExecutions(start, check))) continue;
      // The stored rows of this hour lack executions the insights count: every bucket it touches is short.
      const from = Math.max(start, boundaries[0] as number);
      const to = Math.min(start + HOUR, boundaries.at(-1) as number);
      for (let i = bucketOf(from); i <= bucketOf(to - 1); i++) (buckets[i] as Bucket).complete = false;
    }
    for (const { start, check } of plan.rowHours) {
      if (check !== 'none') continue;
      // Older than every kept rollup: nothing tells whether executions were deleted there.
      const from = Math.max(start, boundaries[0] as number);
      const to = Math.min(start + HOUR, boundaries.at(-1) as number);
      for (let i = bucketOf(from); i <= bucketOf(to - 1); i++) (buckets[i] as Bucket).complete = false;
    }
  }
  return buckets.map((bucket) => ({
    start: bucket.start,
    end: bucket.end,
    total: bucket.running + bucket.success + bucket.error,
    running: bucket.running,
    success: bucket.success,
    error: bucket.error,
    avgDurationMs: bucket.durationCount === 0 ? null : bucket.durationSum / bucket.durationCount,
    p95DurationMs: bucket.durations.percentile(95),
    complete: bucket.complete,
  }));
}

/** The rollup buckets of a grain and workflow (ALL_WORKFLOWS for all) starting in a range, each summed over its shards. */
async function rollupRows(db: PostgresQueries, grain: 'hour' | 'day', workflowId: string, range: Range): Promise<RollupRow[]> {
  return db
    .select({
      bucketStart: workflowRollups.bucketStart,
      success: summed(workflowRollups.success),
      error: summed(workflowRollups.error),
      durationCount: summed(workflowRollups.durationCount),
      durationSum: summed(workflowRollups.durationSum),
      histograms: sql<string>`string_agg(${workflowRollups.histogram}, ',')`,
    })
    .from(workflowRollups)
    .where(
      and(
        eq(workflowRollups.grain, grain),
        eq(workflowRollups.workflowId, workflowId),
        gte(workflowRollups.bucketStart, range.from),
        lt(workflowRollups.bucketStart, range.to),
      ),
    )
    .groupBy(workflowRollups.bucketStart)
    .having(sql`sum(${workflowRollups.success}) + sum(${workflowRollups.error}) <> 0`)
    .orderBy(asc(workflowRollups.bucketStart));
}

/**
 * Running executions of the rollup-answered hours or days (`size`), from the per-hour counts of their starts. One
 * grouped query per range on either path: the running rows are few, and the partial index on them
 * (workflow_executions_running_idx) holds their starts, where SQLite sought each hour on (status, started_at).
 */
async function addRunning(
  db: PostgresQueries,
  ofWorkflow: SQL | undefined,
  size: number,
  starts: number[],
  buckets: Bucket[],
  bucketOf: (time: number) => number,
): Promise<void> {
  const wanted = new Set(starts);
  for (const range of contiguous(starts, size)) {
    const hours = await db
      .select({ hour: hourOfStart, running: count() })
      .from(executions)
      .where(and(ofWorkflow, eq(executions.status, 'running'), gte(executions.startedAt, range.from), lt(executions.startedAt, range.to)))
      .groupBy(hourOfStart)
      .orderBy(asc(hourOfStart));
    for (const { hour, running } of hours) {
      const start = hour * HOUR;
      if (running > 0 && wanted.has(Math.floor(start / size) * size)) (buckets[bucketOf(start)] as Bucket).running += running;
    }
  }
}

function addRollup(bucket: Bucket, row: RollupRow): void {
  bucket.success += row.success;
  bucket.error += row.error;
  bucket.durationCount += row.durationCount;
  bucket.durationSum += row.durationSum;
  bucket.durations.addStoredList(row.histograms);
}

/** The index of the bucket holding `time`: the last boundary at or before it. */
function bucketIndex(boundaries: number[], time: number): number {
  let low = 0;
  let high = boundaries.length - 2;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((boundaries[middle] as number) <= time) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** Ascending starts of `size`-long spans merged into contiguous ranges [from, to). */
function contiguous(starts: number[], size = HOUR): Range[] {
  const ranges: Range[] = [];
  for (const start of starts) {
    const last = ranges.at(-1);
    if (last !== undefined && last.to === start) last.to = start + size;
    else ranges.push({ from: start, to: start + size });
  }
  return ranges;
}

/** Two ascending lists as one, without repeats. */
function merged(a: number[], b: number[]): number[] {
  return b.length === 0 ? a : [...new Set([...a, ...b])].sort((x, y) => x - y);
}

/** The stored executions of a range, in order of start, as the timeline counts them. */
async function storedRows(db: PostgresQueries, ofWorkflow: SQL | undefined, range: Range) {
  return db
    .select({ startedAt: executions.startedAt, status: executions.status, durationMs: executions.durationMs })
    .from(executions)
    .where(and(ofWorkflow, gte(executions.startedAt, range.from), lt(executions.startedAt, range.to)))
    .orderBy(asc(executions.startedAt));
}

/** How many finished executions are stored in a range. */
async function finishedInRange(db: PostgresQueries, ofWorkflow: SQL | undefined, range: Range): Promise<number> {
  const [row] = await db
    .select({ count: count() })
    .from(executions)
    .where(and(ofWorkflow, ne(executions.status, 'running'), gte(executions.startedAt, range.from), lt(executions.startedAt, range.to)));
  return row?.count ?? 0;
}
