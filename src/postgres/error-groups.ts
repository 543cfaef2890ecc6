// Failures grouped by what their messages have in common, per workflow and node: one problem or many. Read from
// the stored rows (not rollups), since a group names example executions that must still exist. The grouping is
// src/sqlite/error-groups.ts's, over the failures in the order SQLite reads them, so that the same examples, latest
// message and tie order come out: newest first, ids in byte order, an execution's failed steps in step order.
import { and, asc, desc, eq, gte, lt, sql } from 'drizzle-orm';
import { compositeKey } from '../core/composite-key.js';
import type { ErrorGroup, ErrorGroupsQuery } from '../core/types.js';
// The masks are the grouping's definition: one copy, shared with SQLite, so both backends group alike.
import { messagePattern } from '../core/message-pattern.js';
import { inByteOrder } from './byte-order.js';
import type { PostgresQueries } from './connection.js';
import { executionSteps as steps, workflowExecutions as executions } from './schema.js';

const EXAMPLES = 3;

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

  const groups = new Map<string, ErrorGroup>();
  for (const failure of failures) {
    const pattern = messagePattern(failure.message ?? '');
    const key = compositeKey(failure.workflowId, failure.nodeId, pattern);
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, {
        workflowId: failure.workflowId,
        workflowName: failure.workflowName,
        nodeId: failure.nodeId,
        nodeType: failure.nodeType,
        nodeName: failure.nodeName,
        pattern,
        lastMessage: failure.message,
        count: 1,
        firstSeenAt: failure.at,
        lastSeenAt: failure.at,
        exampleExecutionIds: [failure.executionId],
      });
      continue;
    }
    group.count += 1;
    group.firstSeenAt = Math.min(group.firstSeenAt, failure.at);
    if (failure.at > group.lastSeenAt) {
      group.lastSeenAt = failure.at;
      group.lastMessage = failure.message;
    }
    const examples = group.exampleExecutionIds;
    if (examples.length < EXAMPLES && !examples.includes(failure.executionId)) examples.push(failure.executionId);
  }
  return [...groups.values()]
    .sort((a, b) => b.lastSeenAt - a.lastSeenAt || b.count - a.count || a.pattern.localeCompare(b.pattern))
    .slice(0, query.limit);
}
