// Marking executions whose process died mid-run, as on SQLite. Without this they stay 'running' for ever: counted
// as running in stats, never pruned by retention, and shown to users as still in progress.
import { and, eq, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { INTERRUPTED_EXECUTION_MESSAGE, INTERRUPTED_STEP_MESSAGE } from '../core/interrupted.js';
import type { RecoveredExecutions } from '../core/types.js';
import { inByteOrder } from './byte-order.js';
import type { PostgresQueries } from './connection.js';
import { executionSteps as steps, workflowExecutions as executions } from './schema.js';

/** Executions 'running' since before `startedBefore`, whoever runs them: recovery's scope when given a time. */
export function runningStartedBefore(startedBefore: number): SQL {
  return and(eq(executions.status, 'running'), lt(executions.startedAt, startedBefore)) as SQL;
}

/**
 * The ids of the executions a recovery scope selects (runningStartedBefore, or an instance's:
 * src/postgres/instances.ts), locked (FOR UPDATE) until the transaction ends, in byte order of their ids so that
 * two instances recovering at once lock them in the same order. The backend counts these executions out of the
 * totals before markInterrupted and back in after; another instance recovering at the same time waits for the
 * locks and then finds them no longer running (PostgreSQL checks the row again once it has waited), so none is
 * counted twice.
 */
export async function lockInterrupted(tx: PostgresQueries, scope: SQL): Promise<string[]> {
  const rows = await tx.select({ id: executions.id }).from(executions).where(scope).orderBy(inByteOrder(executions.id)).for('update');
  return rows.map((row) => row.id);
}

/**
 * The executions lockInterrupted locked become 'error', and so do their 'running' steps. Call it in the same write
 * transaction, so that a crash half-way leaves nothing half-marked. Limited to those ids: an execution that becomes
 * one to recover between the two calls is left for the next recovery instead of being marked without being counted.
 */
export async function markInterrupted(tx: PostgresQueries, ids: readonly string[]): Promise<RecoveredExecutions> {
  if (ids.length === 0) return { executions: 0, steps: 0 };
  const interrupted: SQL | undefined = and(eq(executions.status, 'running'), inArray(executions.id, [...ids]));
  const stepsMarked = await tx
    .update(steps)
    .set({ status: 'error', errorMessage: INTERRUPTED_STEP_MESSAGE })
    .where(and(eq(steps.status, 'running'), inArray(steps.executionId, tx.select({ id: executions.id }).from(executions).where(interrupted))));
  // The execution ends when it was last heard of: its latest step start or completion, else its own start. Not
  // "now", which would make a run that died in a second look like one that ran for the whole outage. greatest() is
  // SQLite's two-argument max().
  const lastHeardOf = sql`greatest(${executions.startedAt}, coalesce((
    SELECT max(coalesce(${steps.completedAt}, ${steps.startedAt})) FROM ${steps} WHERE ${steps.executionId} = ${executions.id}
  ), ${executions.startedAt}))`;
  const executionsMarked = await tx
    .update(executions)
    .set({
      status: 'error',
      errorMessage: INTERRUPTED_EXECUTION_MESSAGE,
      completedAt: lastHeardOf,
      durationMs: sql`${lastHeardOf} - ${executions.startedAt}`,
    })
    .where(interrupted);
  return { executions: executionsMarked.rowCount ?? 0, steps: stepsMarked.rowCount ?? 0 };
}
