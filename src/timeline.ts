// Executions per time bucket, empty buckets included: how a workflow behaves over time. Buckets follow a time zone
// (@date-fns/tz does the calendar: local midnights, 23- and 25-hour days); their counts come from the rollups when
// every boundary is a whole UTC hour, else (minutes, or zones such as India's +5:30) from the stored rows.
import type BetterSqlite3 from 'better-sqlite3';
import { and, asc, count, eq, gte, lt, sql } from 'drizzle-orm';
import { type AnySQLiteColumn, SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { HistoryDatabase } from './connection.js';
import { DurationCounts } from './histogram.js';
import { DAY, HOUR } from './rollup-changes.js';
import { ALL_WORKFLOWS, workflowExecutions as executions, workflowRollups } from './schema.js';
import { prepareDirect } from './statements.js';
import type { TimelineEntry, TimelineQuery } from './types.js';
import { bucketBoundaries } from './timeline-buckets.js';

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
    };
  }

  get(query: Required<TimelineQuery>): TimelineEntry[] {
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
      this.fromRollups(query, buckets);
      this.runningFromRows(query, buckets); // rollups count finished executions only
    } else {
      fromRows(this.db, query, buckets);
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

  private fromRollups(query: Required<TimelineQuery>, buckets: Bucket[]): void {
    // UTC days (the only days that are whole UTC days) read the daily rows; everything else sums hourly ones.
    const grain = buckets.every((bucket) => bucket.start % DAY === 0 && bucket.end - bucket.start === DAY) ? 'day' : 'hour';
    const rows = this.statements.rollups.all({ grain, workflowId: query.workflowId ?? ALL_WORKFLOWS, ...rangeOf(buckets) });
    const bucketAt = inOrder(buckets);
    for (const [bucketStart, success, error, durationCount, durationSum, histogram] of rows as [number, number, number, number, number, string][]) {
      const bucket = bucketAt(bucketStart);
      bucket.success += success;
      bucket.error += error;
      bucket.durationCount += durationCount;
      bucket.durationSum += durationSum;
      bucket.durations.addStored(histogram);
    }
  }

  private runningFromRows(query: Required<TimelineQuery>, buckets: Bucket[]): void {
    const range = rangeOf(buckets);
    const hours =
      query.workflowId === undefined
        ? this.statements.runningPerHour.all(range)
        : this.statements.runningPerHourOfWorkflow.all({ ...range, workflowId: query.workflowId });
    const bucketAt = inOrder(buckets);
    for (const [hour, running] of hours as [number, number][]) if (running > 0) bucketAt(hour * HOUR).running += running;
  }
}

const rangeOf = (buckets: Bucket[]) => ({ from: (buckets[0] as Bucket).start, to: (buckets.at(-1) as Bucket).end });

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
