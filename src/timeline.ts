// Executions per time bucket, empty buckets included: how a workflow behaves over time. Buckets follow a time zone
// (@date-fns/tz does the calendar: local midnights, 23- and 25-hour days); their counts come from the rollups when
// every boundary is a whole UTC hour, else (minutes, or zones such as India's +5:30) from the stored rows.
import { TZDate } from '@date-fns/tz';
import { addDays, startOfDay, startOfHour, startOfMinute } from 'date-fns';
import { and, asc, count, eq, gte, lt, sql } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { ExecutionStoreError } from './errors.js';
import { DurationCounts } from './histogram.js';
import { DAY, HOUR } from './rollup-changes.js';
import { ALL_WORKFLOWS, workflowExecutions as executions, workflowRollups } from './schema.js';
import type { TimelineEntry, TimelineQuery } from './types.js';
import { MAX_TIMELINE_BUCKETS } from './validation.js';

interface Bucket {
  start: number;
  end: number;
  running: number;
  success: number;
  error: number;
  durationCount: number;
  durationSum: number;
  durations: DurationCounts;
}

const START_OF = { minute: startOfMinute, hour: startOfHour, day: startOfDay };
const MINUTE = 60_000;

/** Bucket boundaries: the start of the bucket holding startedAfter, up to the end of the one holding startedBefore - 1. */
export function bucketBoundaries(query: Required<TimelineQuery>): number[] {
  const first = START_OF[query.bucket](new TZDate(query.startedAfter, query.timeZone));
  // Minutes and hours are fixed lengths of time, so only days need the calendar (and its time zone rules) per step.
  let day = first;
  const next =
    query.bucket === 'day'
      ? () => {
          day = addDays(day, 1);
          return day.getTime();
        }
      : (at: number) => at + (query.bucket === 'hour' ? HOUR : MINUTE);
  let at = first.getTime();
  const boundaries = [at];
  while (at < query.startedBefore) {
    if (boundaries.length > MAX_TIMELINE_BUCKETS) {
      throw new ExecutionStoreError(
        'VALIDATION',
        `getTimeline: invalid input: the range holds more than ${MAX_TIMELINE_BUCKETS} ${query.bucket} buckets; expected a shorter range or a larger bucket`,
      );
    }
    at = next(at);
    boundaries.push(at);
  }
  return boundaries;
}

export function getTimeline(db: HistoryDatabase, query: Required<TimelineQuery>): TimelineEntry[] {
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
  }));
  if (query.bucket !== 'minute' && boundaries.every((boundary) => boundary % HOUR === 0)) {
    fromRollups(db, query, buckets);
    runningFromRows(db, query, buckets); // rollups count finished executions only
  } else {
    fromRows(db, query, buckets);
  }
  return buckets.map(({ durations, durationCount, durationSum, ...bucket }) => ({
    start: bucket.start,
    end: bucket.end,
    total: bucket.running + bucket.success + bucket.error,
    running: bucket.running,
    success: bucket.success,
    error: bucket.error,
    avgDurationMs: durationCount === 0 ? null : durationSum / durationCount,
    p95DurationMs: durations.percentile(95),
  }));
}

function fromRollups(db: HistoryDatabase, query: Required<TimelineQuery>, buckets: Bucket[]): void {
  // UTC days (the only days that are whole UTC days) read the daily rows; everything else sums hourly ones.
  const grain = buckets.every((bucket) => bucket.start % DAY === 0 && bucket.end - bucket.start === DAY) ? 'day' : 'hour';
  const rows = db
    .select()
    .from(workflowRollups)
    .where(
      and(
        eq(workflowRollups.grain, grain),
        eq(workflowRollups.workflowId, query.workflowId ?? ALL_WORKFLOWS),
        gte(workflowRollups.bucketStart, (buckets[0] as Bucket).start),
        lt(workflowRollups.bucketStart, (buckets.at(-1) as Bucket).end),
      ),
    )
    .orderBy(asc(workflowRollups.bucketStart))
    .all();
  const bucketAt = inOrder(buckets);
  for (const row of rows) {
    const bucket = bucketAt(row.bucketStart);
    bucket.success += row.success;
    bucket.error += row.error;
    bucket.durationCount += row.durationCount;
    bucket.durationSum += row.durationSum;
    bucket.durations.addStored(row.histogram);
  }
}

/**
 * Counts the running executions from the stored rows, per UTC hour (every bucket boundary is one on this path).
 * Only their start is read, which the (status, started_at) and (workflow_id, status, started_at) indexes hold: at a
 * million executions with 2% of them stuck running, reading the rows too took 130 ms of random reads; reading
 * 20,000 starts into JavaScript, 20 ms; counting them per hour in SQL, a few.
 */
function runningFromRows(db: HistoryDatabase, query: Required<TimelineQuery>, buckets: Bucket[]): void {
  const hour = sql<number>`${executions.startedAt} / ${sql.raw(String(HOUR))}`; // integer division
  const hours = db
    .select({ hour, count: count() })
    .from(executions)
    .where(
      and(
        query.workflowId === undefined ? undefined : eq(executions.workflowId, query.workflowId),
        eq(executions.status, 'running'),
        gte(executions.startedAt, (buckets[0] as Bucket).start),
        lt(executions.startedAt, (buckets.at(-1) as Bucket).end),
      ),
    )
    .groupBy(hour)
    .orderBy(asc(hour))
    .all();
  const bucketAt = inOrder(buckets);
  for (const { hour: start, count: running } of hours) bucketAt(start * HOUR).running += running;
}

/** Counts the stored executions: for minute buckets, and time zones whose boundaries are not whole UTC hours. */
function fromRows(db: HistoryDatabase, query: Required<TimelineQuery>, buckets: Bucket[]): void {
  const rows = db
    .select({ startedAt: executions.startedAt, status: executions.status, durationMs: executions.durationMs })
    .from(executions)
    .where(
      and(
        query.workflowId === undefined ? undefined : eq(executions.workflowId, query.workflowId),
        gte(executions.startedAt, (buckets[0] as Bucket).start),
        lt(executions.startedAt, (buckets.at(-1) as Bucket).end),
      ),
    )
    .orderBy(asc(executions.startedAt))
    .all();
  const bucketAt = inOrder(buckets);
  for (const row of rows) {
    const bucket = bucketAt(row.startedAt);
    bucket[row.status] += 1;
    if (row.durationMs === null) continue;
    bucket.durationCount += 1;
    bucket.durationSum += row.durationMs;
    bucket.durations.addDuration(row.durationMs);
  }
}

/** The bucket holding a time, for times given in ascending order (the queries sort them): one pass over the buckets. */
function inOrder(buckets: Bucket[]): (time: number) => Bucket {
  let i = 0;
  return (time) => {
    while ((buckets[i] as Bucket).end <= time) i++;
    return buckets[i] as Bucket;
  };
}
