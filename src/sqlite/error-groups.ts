// Failures grouped by what their messages have in common, per workflow and node: one problem or many. Read from
// the stored rows (not rollups), since a group names example executions that must still exist.
import { and, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { executionSteps as steps, workflowExecutions as executions } from './schema.js';
import type { ErrorGroup, ErrorGroupsQuery } from '../core/types.js';
import { compositeKey } from '../core/composite-key.js';
import { messagePattern } from '../core/message-pattern.js';

const EXAMPLES = 3;

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
