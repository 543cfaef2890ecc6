// Failures grouped by what their messages have in common, per workflow and node: one problem or many. Read from
// the stored rows (not rollups), since a group names example executions that must still exist. Grouped as on SQLite
// (src/core/error-grouping.ts), over the failures in the order SQLite reads them, so that the same examples, latest
// message and tie order come out: newest first, ids in byte order, an execution's failed steps in step order.
import { and, asc, desc, eq, gte, lt, sql } from 'drizzle-orm';
import { groupFailures } from '../core/error-grouping.js';
import type { ErrorGroup, ErrorGroupsQuery } from '../core/types.js';
import { inByteOrder } from './byte-order.js';
import type { PostgresQueries } from './connection.js';
import { executionSteps as steps, workflowExecutions as executions } from './schema.js';

export async function getErrorGroups(db: PostgresQueries, query: ErrorGroupsQuery & { limit: number }): Promise<ErrorGroup[]> {
  // Failed executions, newest first, each with its failed steps (or none, when it failed outside a step).
  const failures = await db
    .select({
      executionId: executions.id,
      workflowId: executions.workflowId,
      workflowName: executions.workflowName,
      nodeId: steps.nodeId,
      nodeType: steps.nodeType,
      nodeName: steps.nodeName,
      message: sql<string | null>`coalesce(${steps.errorMessage}, ${executions.errorMessage})`,
      at: sql<number>`coalesce(${steps.completedAt}, ${steps.startedAt}, ${executions.completedAt}, ${executions.startedAt})`.mapWith(Number),
    })
    .from(executions)
    .leftJoin(steps, and(eq(steps.executionId, executions.id), eq(steps.status, 'error')))
    .where(
      and(
        eq(executions.status, 'error'),
        query.workflowId === undefined ? undefined : eq(executions.workflowId, query.workflowId),
        query.startedAfter === undefined ? undefined : gte(executions.startedAt, query.startedAfter),
        query.startedBefore === undefined ? undefined : lt(executions.startedAt, query.startedBefore),
      ),
    )
    // SQLite leaves an execution's steps in the order of its (execution_id, step_index) index, rows of one index
    // entry in insertion order, which the time-ordered (UUIDv7) step ids follow.
    .orderBy(desc(executions.startedAt), desc(inByteOrder(executions.id)), asc(steps.stepIndex), asc(inByteOrder(steps.id)));

  return groupFailures(failures, query.limit);
}
