// How long insights are kept: hourly node rollups for weeks (what node figures of the last days read at the hour),
// hourly workflow rollups and daily (and weekly) ones for a year. Hourly workflow rows are few (one per workflow and
// hour) and they are what a timeline's days in a time zone other than UTC are summed from, so they are kept as long
// as the days: a local day is not a UTC day.
import { and, eq, lt } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import type { SharedInsightSettings } from './insight-settings.js';
import { DAY } from '../core/rollup-changes.js';
import { compactedWeeks, nodeRollups, workflowRollups } from './schema.js';

/** Deletes rollup rows whose bucket started more than the kept days before `now`, and records where they now begin. */
export function pruneRollups(db: HistoryDatabase, settings: SharedInsightSettings, now: number): void {
  const keep = settings.current();
  const hourlyCutoff = now - keep.hourlyDays * DAY;
  const dailyCutoff = now - keep.dailyDays * DAY;
  db.delete(nodeRollups).where(and(eq(nodeRollups.grain, 'hour'), lt(nodeRollups.bucketStart, hourlyCutoff))).run();
  // Weekly rows too: a week that started before the cutoff is losing days, so its remaining days are read instead.
  db.delete(nodeRollups).where(and(eq(nodeRollups.grain, 'day'), lt(nodeRollups.bucketStart, dailyCutoff))).run();
  db.delete(nodeRollups).where(and(eq(nodeRollups.grain, 'week'), lt(nodeRollups.bucketStart, dailyCutoff))).run();
  db.delete(compactedWeeks).where(lt(compactedWeeks.weekStart, dailyCutoff)).run();
  db.delete(workflowRollups).where(lt(workflowRollups.bucketStart, dailyCutoff)).run();
  settings.recordPruned({ nodeHoursFrom: hourlyCutoff, workflowHoursFrom: dailyCutoff, daysFrom: dailyCutoff });
}
