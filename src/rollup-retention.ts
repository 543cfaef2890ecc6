// How long insights are kept: hourly rollups for weeks (what a timeline by hour looks at), daily (and weekly) ones
// for a year.
import { and, eq, lt } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { DAY } from './rollup-changes.js';
import { compactedWeeks, nodeRollups, workflowRollups } from './schema.js';
import type { InsightRetention } from './types.js';

export const DEFAULT_INSIGHT_RETENTION: Required<InsightRetention> = { outliveDeletes: true, hourlyDays: 35, dailyDays: 365 };

/** Deletes rollup rows whose bucket started more than the kept days before `now`. */
export function pruneRollups(db: HistoryDatabase, now: number, keep: Required<InsightRetention>): void {
  for (const [grain, days] of [['hour', keep.hourlyDays], ['day', keep.dailyDays]] as const) {
    const cutoff = now - days * DAY;
    db.delete(workflowRollups).where(and(eq(workflowRollups.grain, grain), lt(workflowRollups.bucketStart, cutoff))).run();
    db.delete(nodeRollups).where(and(eq(nodeRollups.grain, grain), lt(nodeRollups.bucketStart, cutoff))).run();
  }
  // A week that started before the daily cutoff is losing days: its weekly rows go, its remaining days are read.
  const dailyCutoff = now - keep.dailyDays * DAY;
  db.delete(nodeRollups).where(and(eq(nodeRollups.grain, 'week'), lt(nodeRollups.bucketStart, dailyCutoff))).run();
  db.delete(compactedWeeks).where(lt(compactedWeeks.weekStart, dailyCutoff)).run();
}
