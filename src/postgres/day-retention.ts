// Retention that drops instead of deleting: the day partitions (src/postgres/partitions.ts) that lie wholly before the
// cut go whole, their space back to the disk at once, instead of a DELETE leaving dead rows that only vacuum makes
// reusable. What is left (the partial day at the cut, a day that cannot go whole) is deleted in short batches, as
// before.
//
// One day, in one transaction with a short lock timeout (tried again while a lock is not granted at once):
// 1. its two partitions are locked in SHARE mode: nothing writes to that day meanwhile, readers go on;
// 2. a day still holding a running execution, or an execution moved to start at or after the cut, does not go
//    whole: it is left to the batched delete, which never deletes a running one;
// 3. what the day's executions count in the totals is summed by SQL, and what its steps leave behind in the node
//    rollups (longest duration, last error) is kept there, as every delete does when insights outlive deletes;
// 4. the two tables are locked (ACCESS EXCLUSIVE, waiting at most the lock timeout), the sums taken out of the totals
//    and the partitions detached: the only moment writers wait, a few milliseconds;
// 5. after the commit, the detached tables are dropped.
// The order matters: every writer updates the totals while holding the tables' lock, so a transaction that updated
// totals rows before asking for the tables' lock would wait for writers that wait for it, until the lock timeout.
// A crash between 4 and 5 leaves detached tables that the next clean-up drops (dropDetachedDays).
import type { Pool, PoolClient } from 'pg';
import { DeletedStepsSummary } from '../core/deleted-steps.js';
import { RollupChanges } from '../core/rollup-changes.js';
import type { ExecutionStatus, TriggerType } from '../core/types.js';
import { attachedPartitions, type Partition, PARTITIONED_TABLES, timeOfBound, withShortLocks } from './partitions.js';
import type { Rollups } from './rollups.js';
import { transactionOn } from './transactions.js';

/** A day (or the legacy range): the partitions of both tables holding one range of ids. */
interface DayPartitions {
  from: string | null;
  to: string;
  executions: string;
  steps: string;
}

export interface DroppedDay {
  /** The executions the day held. */
  executions: number;
  ms: number;
}

/** Days whose whole range of ids lies before `cut`, oldest first, with both tables' partitions. */
function daysBefore(partitions: Partition[], cut: number): DayPartitions[] {
  const byRange = new Map<string, Partial<DayPartitions> & { from: string | null; to: string }>();
  for (const partition of partitions) {
    if (!(timeOfBound(partition.to) <= cut)) continue; // (the last day a uuid holds runs to MAXVALUE: never before a cut)
    const key = `${partition.from ?? ''}:${partition.to}`;
    const day = byRange.get(key) ?? { from: partition.from, to: partition.to };
    day[partition.table === 'workflow_executions' ? 'executions' : 'steps'] = partition.name;
    byRange.set(key, day);
  }
  return [...byRange.values()].filter((day): day is DayPartitions => day.executions !== undefined && day.steps !== undefined);
}

/**
 * Drops the days wholly before `cut` that hold no running execution and no execution starting at or after the cut,
 * taking them out of the totals and keeping what their steps leave in the rollups; `onDropped` after each. Days that
 * cannot go whole, or whose locks stay taken, are left for the batched delete; so is everything when insights do not
 * outlive deletes (each delete then takes its runs out of the rollups, which needs their rows).
 */
export async function dropDaysBefore(
  pool: Pool,
  cut: number,
  rollups: Rollups,
  outliveDeletes: () => Promise<boolean>,
  onDropped: (day: DroppedDay) => void,
): Promise<number> {
  await dropDetachedDays(pool);
  const days = daysBefore(await attachedPartitions(pool), cut);
  // Asked only when there is a day to drop: asking pins the default setting, as a delete does.
  if (days.length === 0 || !(await outliveDeletes())) return 0;
  let dropped = 0;
  for (const day of days) {
    const started = performance.now();
    let executions: number | null;
    try {
      executions = await withShortLocks(pool, (client) => detachDay(client, day, cut, rollups));
    } catch (error) {
      if ((error as { code?: string }).code === '55P03') continue; // readers kept the tables busy: the batched delete takes it
      throw error;
    }
    if (executions === null) continue;
    await pool.query(`DROP TABLE IF EXISTS "${day.steps}", "${day.executions}"`);
    dropped += executions;
    onDropped({ executions, ms: performance.now() - started });
  }
  return dropped;
}

/** Steps 1 to 4 for one day; null when the day cannot go whole. */
async function detachDay(client: PoolClient, day: DayPartitions, cut: number, rollups: Rollups): Promise<number | null> {
  await client.query(`LOCK TABLE "${day.executions}", "${day.steps}" IN SHARE MODE`);
  const { rows: blocking } = await client.query(`SELECT 1 FROM "${day.executions}" WHERE status = 'running' OR started_at >= $1 LIMIT 1`, [cut]);
  if (blocking.length > 0) return null;

  const changes = new RollupChanges(false); // the totals only: the rollups keep counting what is deleted
  const { rows: totals } = await client.query<{ workflow_id: string; trigger_type: TriggerType; status: ExecutionStatus; n: string; timed: string; total: string | null }>(
    `SELECT workflow_id, trigger_type, status, count(*) AS n, count(duration_ms) AS timed, sum(duration_ms) AS total
     FROM "${day.executions}" GROUP BY workflow_id, trigger_type, status`,
  );
  let executions = 0;
  for (const row of totals) {
    executions += Number(row.n);
    changes.removeTotals({
      workflowId: row.workflow_id,
      triggerType: row.trigger_type,
      status: row.status,
      executions: Number(row.n),
      durationCount: Number(row.timed),
      durationSum: Number(row.total ?? 0),
    });
  }
  // Per node and hour of the run's start: the longest duration and the last error (latest time, then the message
  // that sorts last byte by byte, as isLaterError has it) of the finished steps.
  const { rows: nodes } = await client.query<{ workflow_id: string; hour: string; node_id: string; duration_max: string | null; error_at: string | null; error_message: string | null }>(
    `SELECT e.workflow_id, (e.started_at / 3600000) * 3600000 AS hour, s.node_id, max(s.duration_ms) AS duration_max,
       (array_agg(coalesce(s.completed_at, s.started_at) ORDER BY coalesce(s.completed_at, s.started_at) DESC, s.error_message IS NULL, s.error_message COLLATE "C" DESC)
         FILTER (WHERE s.status = 'error'))[1] AS error_at,
       (array_agg(s.error_message ORDER BY coalesce(s.completed_at, s.started_at) DESC, s.error_message IS NULL, s.error_message COLLATE "C" DESC)
         FILTER (WHERE s.status = 'error'))[1] AS error_message
     FROM "${day.steps}" s JOIN "${day.executions}" e ON e.id = s.execution_id
     WHERE s.status <> 'running'
     GROUP BY 1, 2, 3`,
  );
  const summary = new DeletedStepsSummary();
  for (const row of nodes) {
    const lastError = row.error_at === null ? null : { at: Number(row.error_at), message: row.error_message };
    summary.add(row.workflow_id, Number(row.hour), row.node_id, row.duration_max === null ? null : Number(row.duration_max), lastError);
  }
  const tx = transactionOn(client);
  // The node rollup rows of the day's buckets: no writer of current runs touches them.
  await rollups.retireDeletedSteps(tx, summary.all, { from: day.from, to: day.to });
  // Only now the tables themselves, before the totals, which every writer updates: a writer holding a table's lock
  // never waits here for a totals row this transaction holds (it would, with the totals updated first, until the
  // lock timeout). Writers queue behind these locks for what is left: the totals, two detaches, the commit.
  await client.query('LOCK TABLE "workflow_executions", "execution_steps" IN ACCESS EXCLUSIVE MODE');
  await rollups.apply(tx, changes);
  await client.query(`ALTER TABLE "workflow_executions" DETACH PARTITION "${day.executions}"`);
  await client.query(`ALTER TABLE "execution_steps" DETACH PARTITION "${day.steps}"`);
  return executions;
}

/** Tables a clean-up detached but did not get to drop (it was stopped in between): dropped now. */
async function dropDetachedDays(pool: Pool): Promise<void> {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND NOT c.relispartition
       AND c.relname ~ ('^(' || array_to_string($1::text[], '|') || ')_(p[0-9]{8,}|legacy)$')`,
    [PARTITIONED_TABLES],
  );
  for (const { name } of rows) await pool.query(`DROP TABLE IF EXISTS "${name}"`);
}
