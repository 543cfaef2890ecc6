// Recounting the rollups from the stored rows: for history recorded before the rollups existed (a file that
// predates migration 0001), or after a tool other than the store changed rows. One UTC day per transaction, so
// other writers wait for one day's recount at most.
import { and, asc, eq, gte, inArray, lt, max, min } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { DAY, RollupChanges } from '../core/rollup-changes.js';
import { type Rollups, stepFactColumns } from './rollups.js';
import { weekOf } from './rollup-weeks.js';
import { executionSteps as steps, nodeRollups, workflowExecutions as executions, workflowRollups } from './schema.js';
import type { RebuildProgress, RebuiltInsights } from '../core/types.js';

export function rebuildRollups(
  db: HistoryDatabase,
  rollups: Rollups,
  inWriteTransaction: <T>(work: () => T) => T,
  onProgress?: (progress: RebuildProgress) => void,
): RebuiltInsights {
  const range = db.select({ first: min(executions.startedAt), last: max(executions.startedAt) }).from(executions).get();
  if (range?.first == null || range.last == null) return { days: 0, executions: 0 };
  const firstDay = Math.floor(range.first / DAY) * DAY;
  const totalDays = Math.floor(range.last / DAY) - firstDay / DAY + 1;
  let executionsCounted = 0;
  let days = 0;
  for (let day = firstDay; day <= range.last; day += DAY) {
    // Running executions too: their finished steps are in the node rollups, as the write path counts them (only the
    // steps and executions still running are left out, by RollupChanges).
    const inDay = and(gte(executions.startedAt, day), lt(executions.startedAt, day + DAY));
    executionsCounted += inWriteTransaction(() => {
      const started = db.select({ id: executions.id, status: executions.status }).from(executions).where(inDay).all();
      if (started.length === 0) return 0;
      // The day's rollup rows (its hours and the day itself) are replaced by a recount; its week's rows go until the
      // week is compacted again from its days.
      rollups.weeks.uncompact(weekOf(day));
      for (const table of [workflowRollups, nodeRollups]) {
        db.delete(table)
          .where(and(inArray(table.grain, ['hour', 'day']), gte(table.bucketStart, day), lt(table.bucketStart, day + DAY)))
          .run();
      }
      const changes = new RollupChanges(true, false);
      for (const facts of rollups.executionFacts(started.map((row) => row.id))) changes.execution(facts, 1);
      const stepsOfDay = db
        .select(stepFactColumns)
        .from(executions)
        .innerJoin(steps, eq(steps.executionId, executions.id))
        .where(inDay)
        // In order of completion, so that each row's latest name is the latest step's.
        .orderBy(asc(stepFactColumns.at))
        .all(); // a day of the benchmark's largest scale: 330,000 small rows, ~70 MB for a moment
      for (const facts of stepsOfDay) changes.step(facts, 1);
      rollups.apply(changes);
      return started.filter((execution) => execution.status !== 'running').length;
    });
    days += 1;
    onProgress?.({ days, totalDays, executions: executionsCounted });
  }
  return { days: totalDays, executions: executionsCounted };
}
