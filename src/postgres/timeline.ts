// Executions per time bucket, empty buckets included: how a workflow behaves over time. Buckets follow a time zone
// (src/core/timeline-buckets.ts); what answers each part of the range is planned in src/core/timeline-plan.ts: the rollups
// where they are kept and a bucket holds whole UTC hours or days, the stored rows elsewhere, checked against the
// rollups so that a bucket the stored rows cannot answer whole says so instead of coming out silently low. The same
// reads as src/sqlite/timeline.ts, but a rollup bucket is the sum of its shard rows, and one that sums to no
// finished execution does not exist (the shards of a bucket emptied by deletes may be left at +n and -n). The
// buckets are added up by src/core/timeline-tally.ts, as on SQLite; this file reads what it asks for.
import { and, asc, count, eq, gte, lt, ne, type SQL, sql } from 'drizzle-orm';
import { ALL_WORKFLOWS } from '../core/constants.js';
import type { KeptRollups } from '../core/kept-rollups.js';
import { DAY, HOUR } from '../core/rollup-changes.js';
import { type TimelineGrain, type TimelineRollup, TimelineTally, type TimeRange } from '../core/timeline-tally.js';
import type { TimelineEntry, TimelineQuery } from '../core/types.js';
import type { PostgresQueries } from './connection.js';
import { workflowExecutions as executions, workflowRollups } from './schema.js';
import { summed } from './sql-numbers.js';

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
  const tally = new TimelineTally(query, kept, outliveDeletes, 'list');
  const ofWorkflow = query.workflowId === undefined ? undefined : eq(executions.workflowId, query.workflowId);
  const rollupsOf = async (grain: TimelineGrain) => {
    const range = tally.rollupRange(grain);
    return range === undefined ? [] : rollupRows(db, grain, query.workflowId ?? ALL_WORKFLOWS, range);
  };
  const hourRows = await rollupsOf('hour');
  const dayRows = await rollupsOf('day');

  // Whole hours and days from their rollups, and their running executions, which the rollups do not count.
  for (const [grain, rows] of [['hour', hourRows], ['day', dayRows]] as const) {
    tally.addRollups(grain, rows);
    for (const range of tally.runningRanges(grain)) {
      for (const { hour, running } of await runningPerHour(db, ofWorkflow, range)) tally.addRunning(grain, hour, running);
    }
  }

  // Hours a boundary cuts, or whose rollups are gone, from the stored rows.
  for (const range of tally.storedRowRanges()) {
    for (const { startedAt, status, durationMs } of await storedRows(db, ofWorkflow, range)) tally.addStoredExecution(startedAt, status, durationMs);
  }
  const finishedPerDay = new Map<number, number>();
  for (const day of tally.daysToCount()) finishedPerDay.set(day, await finishedInRange(db, ofWorkflow, { from: day, to: day + DAY }));
  tally.markIncomplete(finishedPerDay);
  return tally.entries();
}

/** The rollup buckets of a grain and workflow (ALL_WORKFLOWS for all) starting in a range, each summed over its shards. */
async function rollupRows(db: PostgresQueries, grain: TimelineGrain, workflowId: string, range: TimeRange): Promise<TimelineRollup[]> {
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
 * Running executions per UTC hour of their start in a range, as numbers of hours. One grouped query per range on
 * either path: the running rows are few, and the partial index on them (workflow_executions_running_idx) holds their
 * starts, where SQLite sought each hour on (status, started_at).
 */
async function runningPerHour(db: PostgresQueries, ofWorkflow: SQL | undefined, range: TimeRange) {
  return db
    .select({ hour: hourOfStart, running: count() })
    .from(executions)
    .where(and(ofWorkflow, eq(executions.status, 'running'), gte(executions.startedAt, range.from), lt(executions.startedAt, range.to)))
    .groupBy(hourOfStart)
    .orderBy(asc(hourOfStart));
}

/** The stored executions of a range, in order of start, as the timeline counts them. */
async function storedRows(db: PostgresQueries, ofWorkflow: SQL | undefined, range: TimeRange) {
  return db
    .select({ startedAt: executions.startedAt, status: executions.status, durationMs: executions.durationMs })
    .from(executions)
    .where(and(ofWorkflow, gte(executions.startedAt, range.from), lt(executions.startedAt, range.to)))
    .orderBy(asc(executions.startedAt));
}

/** How many finished executions are stored in a range. */
async function finishedInRange(db: PostgresQueries, ofWorkflow: SQL | undefined, range: TimeRange): Promise<number> {
  const [row] = await db
    .select({ count: count() })
    .from(executions)
    .where(and(ofWorkflow, ne(executions.status, 'running'), gte(executions.startedAt, range.from), lt(executions.startedAt, range.to)));
  return row?.count ?? 0;
}
