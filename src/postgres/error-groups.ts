// Failures grouped by what their messages have in common, per workflow and node: one problem or many. Read from
// the stored rows (not rollups), since a group names example executions that must still exist. Grouped as on SQLite
// (src/core/error-grouping.ts), over the failures in the order SQLite reads them, so that the same examples, latest
// message and tie order come out: newest first, ids in byte order (COLLATE "C"), an execution's failed steps in step
// order. One hand-written statement, sent unnamed.
import { type Failure, groupFailures } from '../core/error-grouping.js';
import type { ErrorGroup, ErrorGroupsQuery } from '../core/types.js';
import type { Queryable } from './insight-reads.js';

export async function getErrorGroups(db: Queryable, query: ErrorGroupsQuery & { limit: number }): Promise<ErrorGroup[]> {
  const values: unknown[] = [];
  const and = (condition: string, value: unknown) => {
    values.push(value);
    return ` AND ${condition} $${values.length}`;
  };
  const scope = [
    query.workflowId === undefined ? '' : and('e.workflow_id =', query.workflowId),
    query.startedAfter === undefined ? '' : and('e.started_at >=', query.startedAfter),
    query.startedBefore === undefined ? '' : and('e.started_at <', query.startedBefore),
  ].join('');
  // Failed executions, newest first, each with its failed steps (or none, when it failed outside a step). SQLite
  // leaves an execution's steps in the order of its (execution_id, step_index) index, rows of one index entry in
  // insertion order, which the time-ordered (UUIDv7) step ids follow.
  const { rows } = await db.query(
    `SELECT e.id AS "executionId", e.workflow_id AS "workflowId", e.workflow_name AS "workflowName", s.node_id AS "nodeId",
      s.node_type AS "nodeType", s.node_name AS "nodeName", coalesce(s.error_message, e.error_message) AS message,
      coalesce(s.completed_at, s.started_at, e.completed_at, e.started_at) AS at
    FROM workflow_executions e LEFT JOIN execution_steps s ON s.execution_id = e.id AND s.status = 'error'
    WHERE e.status = 'error'${scope}
    ORDER BY e.started_at DESC, e.id COLLATE "C" DESC, s.step_index ASC, s.id COLLATE "C" ASC`,
    values,
  );
  return groupFailures(
    (rows as (Omit<Failure, 'at'> & { at: string })[]).map((row) => ({ ...row, at: Number(row.at) })),
    query.limit,
  );
}
