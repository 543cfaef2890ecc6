// Weekly node rollups: the daily rows of a past week summed into one row per workflow and node, so that node stats
// over a month read about 12 rows per node (days at the edges, weeks inside) instead of 30. A week is compacted
// once it is over, by the clean-up calls (compactInsights, cleanupOldExecutions, cleanupByCount, rebuildInsights);
// from then on a change to one of its days is applied to its weekly row as well, in the same transaction, so the
// weekly row always equals the sum of its days. Only the weeks listed in compacted_weeks have weekly rows; readers
// use the days of every other week.
import type BetterSqlite3 from 'better-sqlite3';
import { and, asc, eq, gte, lt, max, min, sql } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { DurationCounts } from '../core/histogram.js';
import { isLaterError } from '../core/last-error.js';
import { bucketStartOf, type NodeRollupChange, WEEK } from '../core/rollup-changes.js';
import { compactedWeeks, nodeRollups } from './schema.js';
import { allColumnPlaceholders, prepareDirect } from './statements.js';

const p = sql.placeholder;
export const weekOf = (time: number) => bucketStartOf(time, WEEK);
const EARLIEST = Number.MIN_SAFE_INTEGER;

export class WeeklyNodeRollups {
  private readonly statements;

  /**
   * @param dailySince where the kept daily rows start (older ones are pruned): a week is compacted only if all of
   *   its days are kept, so that its row is the sum of its days.
   * @param applyNode writes a change to a node rollup row (an upsert), as for the daily rows.
   */
  constructor(
    db: HistoryDatabase,
    sqlite: BetterSqlite3.Database,
    private readonly dailySince: () => number,
    private readonly applyNode: (change: NodeRollupChange) => void,
  ) {
    const daysFrom = (from: unknown, before: unknown) =>
      and(eq(nodeRollups.grain, 'day'), gte(nodeRollups.bucketStart, from as number), lt(nodeRollups.bucketStart, before as number));
    this.statements = {
      isCompacted: prepareDirect(
        sqlite,
        db.select({ weekStart: compactedWeeks.weekStart }).from(compactedWeeks).where(eq(compactedWeeks.weekStart, p('weekStart'))),
      ),
      latestCompacted: prepareDirect(sqlite, db.select({ weekStart: max(compactedWeeks.weekStart) }).from(compactedWeeks)),
      firstDayToCompact: prepareDirect(
        sqlite,
        db.select({ bucketStart: min(nodeRollups.bucketStart) }).from(nodeRollups).where(daysFrom(p('from'), p('before'))),
      ),
      daysOfWeek: prepareDirect(
        sqlite,
        db
          .select({
            workflowId: nodeRollups.workflowId,
            nodeId: nodeRollups.nodeId,
            nodeType: nodeRollups.nodeType,
            nodeName: nodeRollups.nodeName,
            success: nodeRollups.success,
            error: nodeRollups.error,
            skipped: nodeRollups.skipped,
            durationCount: nodeRollups.durationCount,
            durationSum: nodeRollups.durationSum,
            durationMax: nodeRollups.durationMax,
            histogram: nodeRollups.histogram,
            lastErrorMessage: nodeRollups.lastErrorMessage,
            lastErrorAt: nodeRollups.lastErrorAt,
          })
          .from(nodeRollups)
          .where(daysFrom(p('weekStart'), p('weekEnd')))
          .orderBy(asc(nodeRollups.workflowId), asc(nodeRollups.nodeId), asc(nodeRollups.bucketStart)),
      ),
      deleteWeek: prepareDirect(sqlite, db.delete(nodeRollups).where(and(eq(nodeRollups.grain, 'week'), eq(nodeRollups.bucketStart, p('weekStart'))))),
      unmarkWeek: prepareDirect(sqlite, db.delete(compactedWeeks).where(eq(compactedWeeks.weekStart, p('weekStart')))),
      insert: prepareDirect(sqlite, db.insert(nodeRollups).values(allColumnPlaceholders(nodeRollups) as never)),
      markWeek: prepareDirect(sqlite, db.insert(compactedWeeks).values({ weekStart: p('weekStart') as never })),
    };
  }

  /**
   * Compacts the earliest week that has ended before `now`'s week and is not compacted yet (after the latest
   * compacted one, with all its days kept); returns it, or null when there is none. Call it in a write
   * transaction of its own, again until it returns null: a week at a million executions (4,900 daily rows) took
   * ~45 ms warm and several hundred cold, which is why the clean-up calls do it and recording never does.
   */
  compactNext(now: number): number | null {
    const latest = this.statements.latestCompacted.get({})?.[0] as number | null;
    const keptWeeks = Math.ceil(this.dailySince() / WEEK) * WEEK;
    const from = Math.max(latest === null ? EARLIEST : latest + WEEK, keptWeeks);
    const first = this.statements.firstDayToCompact.get({ from, before: weekOf(now) })?.[0] as number | null;
    if (first === null) return null;
    this.compact(weekOf(first));
    return weekOf(first);
  }

  /** Applies the changes to daily rows of compacted weeks to their weekly rows as well. */
  mirror(dailyChanges: NodeRollupChange[]): void {
    const compacted = new Map<number, boolean>();
    for (const change of dailyChanges) {
      const week = weekOf(change.bucketStart);
      let isCompacted = compacted.get(week);
      if (isCompacted === undefined) {
        isCompacted = this.statements.isCompacted.get({ weekStart: week }) !== undefined;
        compacted.set(week, isCompacted);
      }
      if (isCompacted) this.applyNode({ ...change, grain: 'week', bucketStart: week });
    }
  }

  /** Drops a week's weekly rows, for a recount of its days; its days are read instead until it is compacted again. */
  uncompact(week: number): void {
    this.statements.deleteWeek.run({ weekStart: week });
    this.statements.unmarkWeek.run({ weekStart: week });
  }

  /** Sums the week's daily rows into weekly ones, one insert per workflow and node (its weekly rows are gone). */
  private compact(week: number): void {
    const days = this.statements.daysOfWeek.all({ weekStart: week, weekEnd: week + WEEK });
    this.statements.deleteWeek.run({ weekStart: week }); // none, unless a tool edited the table by hand
    const durations = new DurationCounts(); // reused: one typed array for every node, cleared between them
    let sum: WeeklyRow | undefined;
    const insert = (row: WeeklyRow) => this.statements.insert.run({ ...row, histogram: durations.encode() });
    for (const day of days) {
      const [workflowId, nodeId, nodeType, nodeName, success, error, skipped, durationCount, durationSum, durationMax, histogram, lastErrorMessage, lastErrorAt] =
        day as [string, string, string, string | null, number, number, number, number, number, number | null, string, string | null, number | null];
      if (sum === undefined || sum.workflowId !== workflowId || sum.nodeId !== nodeId) {
        if (sum !== undefined) insert(sum);
        durations.clear();
        // Weekly rows keep no deleted_* of their own: a week's maximum and last error are recounted from its days.
        sum = {
          grain: 'week', workflowId, bucketStart: week, nodeId, nodeType, nodeName, success: 0, error: 0, skipped: 0, durationCount: 0, durationSum: 0,
          durationMax: null, lastErrorMessage: null, lastErrorAt: null, deletedDurationMax: null, deletedLastErrorMessage: null, deletedLastErrorAt: null,
        };
      }
      sum.success += success;
      sum.error += error;
      sum.skipped += skipped;
      sum.durationCount += durationCount;
      sum.durationSum += durationSum;
      // The days come in order: the last one's names are the latest.
      sum.nodeType = nodeType;
      sum.nodeName = nodeName;
      sum.durationMax = larger(sum.durationMax, durationMax);
      if (lastErrorAt !== null && isLaterError({ at: lastErrorAt, message: lastErrorMessage }, errorOf(sum.lastErrorAt, sum.lastErrorMessage))) {
        sum.lastErrorAt = lastErrorAt;
        sum.lastErrorMessage = lastErrorMessage;
      }
      durations.addStored(histogram);
    }
    if (sum !== undefined) insert(sum);
    this.statements.markWeek.run({ weekStart: week });
  }
}

const larger = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
const errorOf = (at: number | null, message: string | null) => (at === null ? null : { at, message });

/** A weekly node rollup row being summed, all its columns but the histogram. */
type WeeklyRow = Required<Omit<typeof nodeRollups.$inferInsert, 'histogram'>>;
