// Failures grouped by what their messages have in common, per workflow and node: one problem or many. Read from
// the stored rows (not rollups), since a group names example executions that must still exist; grouped by
// src/core/error-grouping.ts.
import { and, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { executionSteps as steps, workflowExecutions as executions } from './schema.js';
import type { ErrorGroup, ErrorGroupsQuery } from '../core/types.js';
import { groupFailures } from '../core/error-grouping.js';

export function getErrorGroups(db: HistoryDatabase, query: ErrorGroupsQuery & { limit: number }): ErrorGroup[] {
  // Failed executions, newest first, each with its failed steps (or none, when it failed outside a step).
  const failures = db
    .select({
      executionId: executions.id,
      workflowId: executions.workflowId,
      workflowName: executions.workflowName,
      nodeId: steps.nodeId,
      nodeType: steps.nodeType,
      nodeName: steps.nodeName,
      message: sql<string | null>`coalesce(${steps.errorMessage}, ${executions.errorMessage})`,
      at: sql<number>`coalesce(${steps.completedAt}, ${steps.startedAt}, ${executions.completedAt}, ${executions.startedAt})`,
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
    .orderBy(desc(executions.startedAt), desc(executions.id))
    .all();

  return groupFailures(failures, query.limit);
}
