// Executions per time bucket, empty buckets included: how a workflow behaves over time. Buckets follow a time zone
// (src/core/timeline-buckets.ts); what answers each part of the range is planned in src/core/timeline-plan.ts: the rollups
// where they are kept and a bucket holds whole UTC hours or days, the stored rows elsewhere, checked against the
// rollups so that a bucket the stored rows cannot answer whole says so instead of coming out silently low.
import type BetterSqlite3 from 'better-sqlite3';
import { and, asc, count, eq, gte, lt, ne, sql } from 'drizzle-orm';
import { type AnySQLiteColumn, SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { HistoryDatabase } from './connection.js';
import { DurationCounts } from '../core/histogram.js';
import type { KeptRollups } from '../core/kept-rollups.js';
import { DAY, HOUR } from '../core/rollup-changes.js';
import { ALL_WORKFLOWS, workflowExecutions as executions, workflowRollups } from './schema.js';
import { prepareDirect } from './statements.js';
import type { TimelineEntry, TimelineQuery } from '../core/types.js';
import { bucketBoundaries } from '../core/timeline-buckets.js';
import { planTimeline, type RowCheck } from '../core/timeline-plan.js';

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

/** A rollup row as the timeline reads it: bucket start, success, error, duration count, sum, histogram. */
type RollupRow = [number, number, number, number, number, string];

const p = sql.placeholder;
const hourOfStart = sql<number>`${executions.startedAt} / ${sql.raw(String(HOUR))}`; // integer division

/**
 * The timeline's rollup reads, prepared once: built by Drizzle on every call, the two queries cost a quarter of a
 * 30-day hourly timeline.
 */
export class Timelines {
  private readonly statements;

  constructor(
    private readonly db: HistoryDatabase,
    sqlite: BetterSqlite3.Database,
  ) {
    const inRange = (column: AnySQLiteColumn) => and(gte(column, p('from')), lt(column, p('to')));
    /**
     * Running executions per UTC hour (every bucket boundary is one on the rollup path), from their starts only,
     * which the (workflow_id, status, started_at) and (status, started_at) indexes hold. One workflow's are few, and
     * grouped by hour. Across all workflows, with 20,000 stuck running in a month (the benchmark's 2%), sorting them
     * into hours took 2.7 ms and a count per hour, one index seek each, 1.3 ms.
     */
    const runningPerHourOfWorkflow = prepareDirect(
      sqlite,
      this.db
        .select({ hour: hourOfStart, count: count() })
        .from(executions)
        .where(and(eq(executions.workflowId, p('workflowId')), eq(executions.status, 'running'), inRange(executions.startedAt)))
        .groupBy(hourOfStart)
        .orderBy(asc(hourOfStart)),
    );
    const hours = sql`with recursive hours(start) as (
        select ${p('from')} union all select start + ${sql.raw(String(HOUR))} from hours where start + ${sql.raw(String(HOUR))} < ${p('to')})`;
    const runningInHour = db
      .select({ count: count() })
      .from(executions)
      .where(and(eq(executions.status, 'running'), gte(executions.startedAt, sql`start`), lt(executions.startedAt, sql`start + ${sql.raw(String(HOUR))}`)));
    const runningPerHour = prepareDirect(sqlite, {
      toSQL: () => new SQLiteSyncDialect().sqlToQuery(sql`${hours} select start / ${sql.raw(String(HOUR))}, (${runningInHour}) from hours`),
    });
    this.statements = {
      rollups: prepareDirect(
        sqlite,
        this.db
          .select({
            bucketStart: workflowRollups.bucketStart,
            success: workflowRollups.success,
            error: workflowRollups.error,
            durationCount: workflowRollups.durationCount,
            durationSum: workflowRollups.durationSum,
            histogram: workflowRollups.histogram,
          })
          .from(workflowRollups)
          .where(and(eq(workflowRollups.grain, p('grain')), eq(workflowRollups.workflowId, p('workflowId')), inRange(workflowRollups.bucketStart)))
          .orderBy(asc(workflowRollups.bucketStart)),
      ),
      runningPerHour,
      runningPerHourOfWorkflow,
      storedRows: prepareDirect(sqlite, storedRows(db)),
      storedRowsOfWorkflow: prepareDirect(sqlite, storedRows(db, eq(executions.workflowId, p('workflowId')))),
      finishedInRange: prepareDirect(sqlite, finishedInRange(db)),
      finishedOfWorkflowInRange: prepareDirect(sqlite, finishedInRange(db, eq(executions.workflowId, p('workflowId')))),
    };
  }

  /**
   * @param kept where the kept rollup rows begin.
   * @param outliveDeletes whether the rollups count deleted executions, which the stored rows then lack.
   */
  get(query: Required<TimelineQuery>, kept: KeptRollups, outliveDeletes: boolean): TimelineEntry[] {
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
    const workflowId = query.workflowId ?? ALL_WORKFLOWS;
    const rollupsOf = (grain: 'hour' | 'day', starts: number[]) =>
      starts.length === 0
        ? new Map<number, RollupRow>()
        : new Map(
            (this.statements.rollups.all({ grain, workflowId, from: starts[0], to: (starts.at(-1) as number) + (grain === 'day' ? DAY : HOUR) }) as RollupRow[]).map(
              (row) => [row[0], row],
            ),
          );
    const checked = (check: RowCheck) => plan.rowHours.filter((hour) => hour.check === check).map((hour) => hour.start);
    const hourRows = rollupsOf('hour', merged(plan.hours, outliveDeletes ? checked('hour') : []));
    const dayRows = rollupsOf('day', merged(plan.days, outliveDeletes ? [...new Set(checked('day').map((hour) => Math.floor(hour / DAY) * DAY))] : []));

    // Whole hours and days from their rollups, and their running executions, which the rollups do not count.
    for (const [grain, starts, rows] of [['hour', plan.hours, hourRows], ['day', plan.days, dayRows]] as const) {
      for (const start of starts) {
        const row = rows.get(start);
        if (row !== undefined) addRollup(buckets[bucketOf(start)] as Bucket, row);
      }
      if (starts.length > 0) this.addRunning(query, grain === 'day' ? DAY : HOUR, starts, buckets, bucketOf);
    }

    // Hours a boundary cuts, or whose rollups are gone, from the stored rows: the whole hour is read so that its
    // finished executions can be compared with what its rollup counted.
    const finishedPerHour = new Map<number, number>();
    for (const range of contiguous(plan.rowHours.map((hour) => hour.start))) {
      const rows = (query.workflowId === undefined
        ? this.statements.storedRows.all(range)
        : this.statements.storedRowsOfWorkflow.all({ ...range, workflowId: query.workflowId })) as [number, 'running' | 'success' | 'error', number | null][];
      for (const [startedAt, status, durationMs] of rows) {
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
      for (const { start, check } of plan.rowHours) {
        if (check === 'none' || !this.lacksExecutions(query, start, check, hourRows, dayRows, finishedPerHour, finishedPerDay)) continue;
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

  /** Whether the stored rows of an hour hold fewer finished executions than its rollup (or its day's) counted. */
  private lacksExecutions(
    query: Required<TimelineQuery>,
    hour: number,
    check: 'hour' | 'day',
    hourRows: Map<number, RollupRow>,
    dayRows: Map<number, RollupRow>,
    finishedPerHour: Map<number, number>,
    finishedPerDay: Map<number, number>,
  ): boolean {
    const counted = (row: RollupRow | undefined) => (row === undefined ? 0 : row[1] + row[2]);
    if (check === 'hour') return (finishedPerHour.get(hour) ?? 0) < counted(hourRows.get(hour));
    const day = Math.floor(hour / DAY) * DAY;
    let stored = finishedPerDay.get(day);
    if (stored === undefined) {
      const range = { from: day, to: day + DAY };
      const [found] = (query.workflowId === undefined
        ? this.statements.finishedInRange.get(range)
        : this.statements.finishedOfWorkflowInRange.get({ ...range, workflowId: query.workflowId })) as [number];
      stored = found;
      finishedPerDay.set(day, stored);
    }
    return stored < counted(dayRows.get(day));
  }

  /** Running executions of the rollup-answered hours or days (`size`), from the per-hour counts of their starts. */
  private addRunning(query: Required<TimelineQuery>, size: number, starts: number[], buckets: Bucket[], bucketOf: (time: number) => number): void {
    const wanted = new Set(starts);
    for (const range of contiguous(starts, size)) {
      const hours =
        query.workflowId === undefined
          ? this.statements.runningPerHour.all(range)
          : this.statements.runningPerHourOfWorkflow.all({ ...range, workflowId: query.workflowId });
      for (const [hourNumber, running] of hours as [number, number][]) {
        const start = hourNumber * HOUR;
        if (running > 0 && wanted.has(Math.floor(start / size) * size)) (buckets[bucketOf(start)] as Bucket).running += running;
      }
    }
  }
}

function addRollup(bucket: Bucket, [, success, error, durationCount, durationSum, histogram]: RollupRow): void {
  bucket.success += success;
  bucket.error += error;
  bucket.durationCount += durationCount;
  bucket.durationSum += durationSum;
  bucket.durations.addStored(histogram);
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
function contiguous(starts: number[], size = HOUR): { from: number; to: number }[] {
  const ranges: { from: number; to: number }[] = [];
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
function storedRows(db: HistoryDatabase, filter?: ReturnType<typeof eq>) {
  return db
    .select({ startedAt: executions.startedAt, status: executions.status, durationMs: executions.durationMs })
    .from(executions)
    .where(and(filter, gte(executions.startedAt, p('from')), lt(executions.startedAt, p('to'))))
    .orderBy(asc(executions.startedAt));
}

/** How many finished executions are stored in a range. */
function finishedInRange(db: HistoryDatabase, filter?: ReturnType<typeof eq>) {
  return db
    .select({ count: count() })
    .from(executions)
    .where(and(filter, ne(executions.status, 'running'), gte(executions.startedAt, p('from')), lt(executions.startedAt, p('to'))));
}
