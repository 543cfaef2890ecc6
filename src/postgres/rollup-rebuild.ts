// Recounting the rollups from the stored rows, as on SQLite (src/sqlite/rollup-rebuild.ts): one UTC day per
// transaction, so that other writers wait for one day's recount at most.
import { DAY, RollupChanges } from '../core/rollup-changes.js';
import type { RebuildProgress, RebuiltInsights } from '../core/types.js';
import { type Rollups, toExecutionFacts, toStepFacts } from './rollups.js';
import { weekOf } from './rollup-weeks.js';
import type { Transaction, Transactions } from './transactions.js';

export async function rebuildRollups(
  transactions: Transactions,
  rollups: Rollups,
  onProgress?: (progress: RebuildProgress) => void,
): Promise<RebuiltInsights> {
  const range = await transactions.read((tx) => tx.client.query('SELECT min(started_at) AS first, max(started_at) AS last FROM workflow_executions'));
  const row = range.rows[0];
  if (row?.first == null || row.last == null) return { days: 0, executions: 0 };
  const last = Number(row.last);
  const firstDay = Math.floor(Number(row.first) / DAY) * DAY;
  const totalDays = Math.floor(last / DAY) - firstDay / DAY + 1;
  let executionsCounted = 0;
  let days = 0;
  for (let day = firstDay; day <= last; day += DAY) {
    executionsCounted += await transactions.write((tx) => recountDay(tx, rollups, day));
    days += 1;
    onProgress?.({ days, totalDays, executions: executionsCounted });
  }
  return { days: totalDays, executions: executionsCounted };
}

/** Replaces a day's rollup rows (its hours and the day) by a recount of its stored rows; returns its finished executions. */
async function recountDay(tx: Transaction, rollups: Rollups, day: number): Promise<number> {
  // Writers that add to this day's rows while it is recounted would be counted twice (in the rows read and in their
  // own addition to the rows being replaced): SHARE waits for those in flight and holds new ones back until COMMIT.
  await tx.client.query('LOCK TABLE workflow_rollups, node_rollups IN SHARE MODE');
  // Running executions too: their finished steps are in the node rollups, as the write path counts them.
  const { rows: started } = await tx.client.query(
    'SELECT workflow_id, workflow_name, trigger_type, status, started_at, duration_ms FROM workflow_executions WHERE started_at >= $1 AND started_at < $2',
    [day, day + DAY],
  );
  if (started.length === 0) return 0;
  // The day's week loses its weekly rows until it is compacted again from its days.
  await rollups.weeks.uncompact(tx, weekOf(day));
  for (const table of ['workflow_rollups', 'node_rollups']) {
    await tx.client.query(`DELETE FROM ${table} WHERE grain IN ('hour', 'day') AND bucket_start >= $1 AND bucket_start < $2`, [day, day + DAY]);
  }
  const changes = new RollupChanges(true, false);
  for (const execution of started) changes.execution(toExecutionFacts(execution), 1);
  const { rows: steps } = await tx.client.query(
    `SELECT e.workflow_id, e.started_at, s.node_id, s.node_type, s.node_name, s.status, s.duration_ms, s.error_message,
       coalesce(s.completed_at, s.started_at) AS at
     FROM workflow_executions e JOIN execution_steps s ON s.execution_id = e.id
     WHERE e.started_at >= $1 AND e.started_at < $2
     ORDER BY at`, // in order of completion, so that each row's latest name is the latest step's
    [day, day + DAY],
  );
  for (const step of steps) changes.step(toStepFacts(step), 1);
  await rollups.apply(tx, changes);
  return started.filter((execution) => execution.status !== 'running').length;
}
