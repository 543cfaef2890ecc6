// A timeline's buckets added up from what a backend reads, and which of them the stored rows cannot answer whole.
// What answers each part of the range is planned in src/core/timeline-plan.ts; this is everything after the plan
// that is not a query, one copy for every backend so that their timelines cannot drift apart. The backend asks the
// tally what to read and hands each answer back, in this order (synchronously on SQLite, awaiting on PostgreSQL):
//   1. rollupRange('hour'), rollupRange('day'): the rollup buckets to read; then for each grain addRollups(), and
//      addRunning() for each hour of runningRanges() (the rollups do not count running executions);
//   2. addStoredExecution() for each execution started in storedRowRanges(), in order of start;
//   3. with outliveDeletes, the finished executions stored in each of daysToCount(), to markIncomplete();
//   4. entries().
import { DurationCounts } from './histogram.js';
import type { KeptRollups } from './kept-rollups.js';
import { DAY, HOUR } from './rollup-changes.js';
import { bucketBoundaries } from './timeline-buckets.js';
import { planTimeline, type RowCheck, type TimelinePlan } from './timeline-plan.js';
import type { ExecutionStatus, TimelineEntry, TimelineQuery } from './types.js';
import { addRollupBucket, type RollupCounts, type WorkflowRollupBucket } from './workflow-rollup-bucket.js';

/** The rollup grains a timeline reads. */
export type TimelineGrain = 'hour' | 'day';

/** A span of time from `from` (inclusive) to `to` (exclusive), in ms since the epoch. */
export interface TimeRange {
  from: number;
  to: number;
}

/** A rollup bucket as a timeline reads it: the bucket's start and what it counted. */
export interface TimelineRollup extends WorkflowRollupBucket {
  bucketStart: number;
}

interface Bucket extends RollupCounts {
  start: number;
  end: number;
  running: number;
  durations: DurationCounts;
  complete: boolean;
}

const sizeOf = (grain: TimelineGrain) => (grain === 'day' ? DAY : HOUR);
const dayOf = (time: number) => Math.floor(time / DAY) * DAY;

export class TimelineTally {
  private readonly boundaries: number[];
  private readonly buckets: Bucket[];
  private readonly plan: TimelinePlan;
  /** The hours and days whose rollups answer buckets whole. */
  private readonly answered: Record<TimelineGrain, Set<number>>;
  /** The rollup buckets read, by start: those that answer buckets, and those stored-row hours are checked against. */
  private readonly rollups: Record<TimelineGrain, Map<number, TimelineRollup>> = { hour: new Map(), day: new Map() };
  private readonly finishedPerHour = new Map<number, number>();

  /**
   * @param kept where the kept rollup rows begin.
   * @param outliveDeletes whether the rollups count deleted executions, which the stored rows then lack.
   */
  constructor(
    query: Required<TimelineQuery>,
    kept: KeptRollups,
    private readonly outliveDeletes: boolean,
  ) {
    const boundaries = bucketBoundaries(query);
    this.boundaries = boundaries;
    this.buckets = boundaries.slice(0, -1).map((start, i) => ({
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
    this.plan = planTimeline(boundaries, (time) => this.bucketOf(time), kept);
    this.answered = { hour: new Set(this.plan.hours), day: new Set(this.plan.days) };
  }

  /** The rollup buckets of a grain to read, as one range of starts; undefined when none is needed. */
  rollupRange(grain: TimelineGrain): TimeRange | undefined {
    const starts = this.rollupStarts(grain);
    if (starts.length === 0) return undefined;
    return { from: starts[0] as number, to: (starts.at(-1) as number) + sizeOf(grain) };
  }

  /** Adds the rollup buckets read for `rollupRange(grain)` (none when it was undefined) to the buckets they answer. */
  addRollups(grain: TimelineGrain, rows: Iterable<TimelineRollup>): void {
    const byStart = this.rollups[grain];
    for (const row of rows) byStart.set(row.bucketStart, row);
    for (const start of grain === 'day' ? this.plan.days : this.plan.hours) {
      const row = byStart.get(start);
      if (row !== undefined) addRollupBucket(this.bucketAt(start), row);
    }
  }

  /** The ranges whose running executions are to be counted per UTC hour of their start, for the rollup-answered `grain`. */
  runningRanges(grain: TimelineGrain): TimeRange[] {
    return contiguous(grain === 'day' ? this.plan.days : this.plan.hours, sizeOf(grain));
  }

  /** Adds the running executions counted in one UTC hour (as a number of hours since the epoch) of `runningRanges(grain)`. */
  addRunning(grain: TimelineGrain, hourNumber: number, running: number): void {
    const start = hourNumber * HOUR;
    const size = sizeOf(grain);
    if (running > 0 && this.answered[grain].has(Math.floor(start / size) * size)) this.bucketAt(start).running += running;
  }

  /**
   * The ranges of stored executions to count: the hours a boundary cuts, or whose rollups are gone. Whole hours,
   * so that their finished executions can be compared with what their rollups counted.
   */
  storedRowRanges(): TimeRange[] {
    return contiguous(this.plan.rowHours.map((hour) => hour.start));
  }

  /** Adds a stored execution started in `storedRowRanges()`. */
  addStoredExecution(startedAt: number, status: ExecutionStatus, durationMs: number | null): void {
    const hour = Math.floor(startedAt / HOUR) * HOUR;
    if (status !== 'running') this.finishedPerHour.set(hour, (this.finishedPerHour.get(hour) ?? 0) + 1);
    if (startedAt < (this.boundaries[0] as number) || startedAt >= (this.boundaries.at(-1) as number)) return;
    const bucket = this.bucketAt(startedAt);
    bucket[status] += 1;
    if (status === 'running' || durationMs === null) return;
    bucket.durationCount += 1;
    bucket.durationSum += durationMs;
    bucket.durations.addDuration(durationMs);
  }

  /** The UTC days whose stored finished executions `markIncomplete` compares with their daily rollups, ascending. */
  daysToCount(): number[] {
    if (!this.outliveDeletes) return [];
    return [...new Set(this.plan.rowHours.filter((hour) => hour.check === 'day').map((hour) => dayOf(hour.start)))];
  }

  /**
   * With outliveDeletes, marks incomplete every bucket that a stored-row hour touches whose stored rows may lack
   * executions the insights count. `finishedPerDay`: the finished executions stored in each of `daysToCount()`.
   */
  markIncomplete(finishedPerDay: ReadonlyMap<number, number>): void {
    if (!this.outliveDeletes) return;
    for (const { start, check } of this.plan.rowHours) {
      // Older than every kept rollup ('none'), nothing tells whether executions were deleted there; else the stored
      // rows of this hour lack executions the insights count.
      if (check !== 'none' && !this.lacksExecutions(start, check, finishedPerDay)) continue;
      const from = Math.max(start, this.boundaries[0] as number);
      const to = Math.min(start + HOUR, this.boundaries.at(-1) as number);
      for (let i = this.bucketOf(from); i <= this.bucketOf(to - 1); i++) (this.buckets[i] as Bucket).complete = false;
    }
  }

  entries(): TimelineEntry[] {
    return this.buckets.map((bucket) => ({
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
  private lacksExecutions(hour: number, check: Exclude<RowCheck, 'none'>, finishedPerDay: ReadonlyMap<number, number>): boolean {
    const counted = (row: TimelineRollup | undefined) => (row === undefined ? 0 : row.success + row.error);
    if (check === 'hour') return (this.finishedPerHour.get(hour) ?? 0) < counted(this.rollups.hour.get(hour));
    const day = dayOf(hour);
    return (finishedPerDay.get(day) ?? 0) < counted(this.rollups.day.get(day));
  }

  /** The starts of the rollup buckets of a grain to read, ascending. */
  private rollupStarts(grain: TimelineGrain): number[] {
    const checked = (check: RowCheck) => this.plan.rowHours.filter((hour) => hour.check === check).map((hour) => hour.start);
    if (grain === 'hour') return merged(this.plan.hours, this.outliveDeletes ? checked('hour') : []);
    return merged(this.plan.days, this.outliveDeletes ? [...new Set(checked('day').map(dayOf))] : []);
  }

  private bucketAt(time: number): Bucket {
    return this.buckets[this.bucketOf(time)] as Bucket;
  }

  /** The index of the bucket holding `time`: the last boundary at or before it. */
  private bucketOf(time: number): number {
    const boundaries = this.boundaries;
    let low = 0;
    let high = boundaries.length - 2;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((boundaries[middle] as number) <= time) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}

/** Ascending starts of `size`-long spans merged into contiguous ranges [from, to). */
function contiguous(starts: number[], size = HOUR): TimeRange[] {
  const ranges: TimeRange[] = [];
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
