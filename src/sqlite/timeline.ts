// Executions per time bucket, empty buckets included: how a workflow behaves over time. Buckets follow a time zone
// (src/core/timeline-buckets.ts); what answers each part of the range is planned in src/core/timeline-plan.ts: the rollups
// where they are kept and a bucket holds whole UTC hours or days, the stored rows elsewhere, checked against the
// rollups so that a bucket the stored rows cannot answer whole says so instead of coming out silently low. The
// buckets are added up by src/core/timeline-tally.ts; this file reads what it asks for.
import type BetterSqlite3 from 'better-sqlite3';
import { and, asc, count, eq, gte, lt, ne, sql } from 'drizzle-orm';
import { type AnySQLiteColumn, SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { HistoryDatabase } from './connection.js';
import type { KeptRollups } from '../core/kept-rollups.js';
import { DAY, HOUR } from '../core/rollup-changes.js';
import { ALL_WORKFLOWS, workflowExecutions as executions, workflowRollups } from './schema.js';
import { prepareDirect } from './statements.js';
import type { ExecutionStatus, TimelineEntry, TimelineQuery } from '../core/types.js';
import { type TimelineGrain, type TimelineRollup, TimelineTally } from '../core/timeline-tally.js';

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
    const tally = new TimelineTally(query, kept, outliveDeletes);
    const workflowId = query.workflowId ?? ALL_WORKFLOWS;
    const rollupsOf = (grain: TimelineGrain): TimelineRollup[] => {
      const range = tally.rollupRange(grain);
      if (range === undefined) return [];
      return (this.statements.rollups.all({ grain, workflowId, ...range }) as RollupRow[]).map(
        ([bucketStart, success, error, durationCount, durationSum, histograms]) => ({ bucketStart, success, error, durationCount, durationSum, histograms }),
      );
    };
    const hourRows = rollupsOf('hour');
    const dayRows = rollupsOf('day');

    // Whole hours and days from their rollups, and their running executions, which the rollups do not count.
    for (const [grain, rows] of [['hour', hourRows], ['day', dayRows]] as const) {
      tally.addRollups(grain, rows);
      for (const range of tally.runningRanges(grain)) {
        const hours =
          query.workflowId === undefined
            ? this.statements.runningPerHour.all(range)
            : this.statements.runningPerHourOfWorkflow.all({ ...range, workflowId: query.workflowId });
        for (const [hourNumber, running] of hours as [number, number][]) tally.addRunning(grain, hourNumber, running);
      }
    }

    // Hours a boundary cuts, or whose rollups are gone, from the stored rows.
    for (const range of tally.storedRowRanges()) {
      const rows = (query.workflowId === undefined
        ? this.statements.storedRows.all(range)
        : this.statements.storedRowsOfWorkflow.all({ ...range, workflowId: query.workflowId })) as [number, ExecutionStatus, number | null][];
      for (const [startedAt, status, durationMs] of rows) tally.addStoredExecution(startedAt, status, durationMs);
    }
    const finishedPerDay = new Map<number, number>();
    for (const day of tally.daysToCount()) {
      const range = { from: day, to: day + DAY };
      const [finished] = (query.workflowId === undefined
        ? this.statements.finishedInRange.get(range)
        : this.statements.finishedOfWorkflowInRange.get({ ...range, workflowId: query.workflowId })) as [number];
      finishedPerDay.set(day, finished);
    }
    tally.markIncomplete(finishedPerDay);
    return tally.entries();
  }
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
