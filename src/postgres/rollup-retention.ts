// How long insights are kept, as on SQLite: hourly node rollups for weeks (what node figures of the last days read at
// the hour), hourly workflow rollups and daily (and weekly) ones for a year. Hourly workflow rows are few (one per
// workflow and hour) and they are what a timeline's days in a time zone other than UTC are summed from, so they are
// kept as long as the days: a local day is not a UTC day. Workflow rows go with all their shards.
import { and, eq, lt } from 'drizzle-orm';
import type { PostgresQueries } from './connection.js';
import type { SharedInsightSettings } from './insight-settings.js';
import { DAY } from '../core/rollup-changes.js';
import { compactedWeeks, nodeRollups, workflowRollups } from './schema.js';

/**
 * Deletes rollup rows whose bucket started more than the kept days before `now`, and records where they now begin.
 * Call in one write transaction. Two instances pruning at once delete the same rows (the second finds them gone)
 * and record the later cutoff.
 */
export async function pruneRollups(tx: PostgresQueries, settings: SharedInsightSettings, now: number): Promise<void> {
  const keep = await settings.current(tx);
  const hourlyCutoff = now - keep.hourlyDays * DAY;
  const dailyCutoff = now - keep.dailyDays * DAY;
  await tx.delete(nodeRollups).where(and(eq(nodeRollups.grain, 'hour'), lt(nodeRollups.bucketStart, hourlyCutoff)));
  // Weekly rows too: a week that started before the cutoff is losing days, so its remaining days are read instead.
  await tx.delete(nodeRollups).where(and(eq(nodeRollups.grain, 'day'), lt(nodeRollups.bucketStart, dailyCutoff)));
  await tx.delete(nodeRollups).where(and(eq(nodeRollups.grain, 'week'), lt(nodeRollups.bucketStart, dailyCutoff)));
  await tx.delete(compactedWeeks).where(lt(compactedWeeks.weekStart, dailyCutoff));
  await tx.delete(workflowRollups).where(lt(workflowRollups.bucketStart, dailyCutoff));
  await settings.recordPruned(tx, { nodeHoursFrom: hourlyCutoff, workflowHoursFrom: dailyCutoff, daysFrom: dailyCutoff });
}
