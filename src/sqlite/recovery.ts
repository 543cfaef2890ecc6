// Marking executions whose process died mid-run. Without this they stay 'running' for ever: counted as running
// in stats, never pruned by retention, and shown to users as still in progress.
import { and, eq, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { executionSteps as steps, workflowExecutions as executions } from './schema.js';
import type { RecoveredExecutions } from '../core/types.js';
import { INTERRUPTED_EXECUTION_MESSAGE, INTERRUPTED_STEP_MESSAGE } from '../core/interrupted.js';

// Re-exported for the tests that compare with them; the wording itself is the core's, shared with PostgreSQL.
export { INTERRUPTED_EXECUTION_MESSAGE, INTERRUPTED_STEP_MESSAGE };

/** Executions 'running' since before `startedBefore`, whoever runs them: recovery's scope when given a time. */
export function runningStartedBefore(startedBefore: number): SQL {
  return and(eq(executions.status, 'running'), lt(executions.startedAt, startedBefore)) as SQL;
}

/** The ids of the executions a recovery scope selects (they are counted out of the rollups before they change). */
export function interruptedIds(db: HistoryDatabase, interrupted: SQL): string[] {
  return db.select({ id: executions.id }).from(executions).where(interrupted).all().map((row) => row.id);
}

/**
 * Running executions `interrupted` selects (runningStartedBefore, or an instance's: src/sqlite/instances.ts) become
 * 'error', and so do their 'running' steps. Call it inside one write transaction, so that a crash half-way leaves
 * nothing half-marked.
 */
export function markInterrupted(db: HistoryDatabase, interrupted: SQL): RecoveredExecutions {
  const stepsMarked = db
    .update(steps)
    .set({ status: 'error', errorMessage: INTERRUPTED_STEP_MESSAGE })
    .where(and(eq(steps.status, 'running'), inArray(steps.executionId, db.select({ id: executions.id }).from(executions).where(interrupted))))
    .run().changes;
  // The execution ends when it was last heard of: its latest step start or completion, else its own start. Not
  // "now", which would make a run that died in a second look like one that ran for the whole outage.
  const lastHeardOf = sql`max(${executions.startedAt}, coalesce((
    SELECT max(coalesce(${steps.completedAt}, ${steps.startedAt})) FROM ${steps} WHERE ${steps.executionId} = ${executions.id}
  ), ${executions.startedAt}))`;
  const executionsMarked = db
    .update(executions)
    .set({
      status: 'error',
      errorMessage: INTERRUPTED_EXECUTION_MESSAGE,
      completedAt: lastHeardOf,
      durationMs: sql`${lastHeardOf} - ${executions.startedAt}`,
    })
    .where(interrupted)
    .run().changes;
  return { executions: executionsMarked, steps: stepsMarked };
}
