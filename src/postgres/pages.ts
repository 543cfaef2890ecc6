// Pages of executions: filtered, sorted, optionally continuing after a cursor, in the order SQLite gives them
// (src/sqlite/pages.ts). Ties are broken by id in byte order (COLLATE "C"), as SQLite compares text, so that a cursor
// names the same position on either backend whatever the database's collation. Built per call and sent unnamed:
// PostgreSQL plans an unnamed statement with its values, LIMIT included, and the pool keeps no prepared statements.
import { and, asc, desc, eq, gt, gte, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { PageRequest } from '../backend.js';
import type { CursorPosition } from '../core/cursor.js';
import type { ExecutionOrderBy, OrderDirection } from '../core/types.js';
import { inByteOrder } from './byte-order.js';
import type { PostgresQueries } from './connection.js';
import { durationSortKey, workflowExecutions as executions } from './schema.js';

type ExecutionRow = typeof executions.$inferSelect;

/** What a page is sorted by; ties are broken by id so that every row has one place. */
const SORT_KEYS: Record<ExecutionOrderBy, SQL> = {
  started_at: sql`${executions.startedAt}`,
  duration_ms: durationSortKey(executions.durationMs),
};

const id = inByteOrder(executions.id);

/** Rows strictly after (key, id) in the page order, written so that PostgreSQL can range-scan the sort key's index. */
function after(orderBy: ExecutionOrderBy, orderDir: OrderDirection, position: CursorPosition): SQL | undefined {
  const key = SORT_KEYS[orderBy];
  return orderDir === 'desc'
    ? and(lte(key, position.key), or(lt(key, position.key), lt(id, position.id)))
    : and(gte(key, position.key), or(gt(key, position.key), gt(id, position.id)));
}

/** Up to `limit` whole rows in the page's order, after `offset` rows or after the cursor's position. */
export async function pageRows(db: PostgresQueries, request: PageRequest): Promise<ExecutionRow[]> {
  const direction = request.orderDir === 'desc' ? desc : asc;
  return db
    .select()
    .from(executions)
    .where(
      and(
        request.workflowId === undefined ? undefined : eq(executions.workflowId, request.workflowId),
        request.status === undefined ? undefined : eq(executions.status, request.status),
        request.triggerType === undefined ? undefined : eq(executions.triggerType, request.triggerType),
        request.startedAfter === undefined ? undefined : gte(executions.startedAt, request.startedAfter),
        request.startedBefore === undefined ? undefined : lt(executions.startedAt, request.startedBefore),
        request.after === undefined ? undefined : after(request.orderBy, request.orderDir, request.after),
      ),
    )
    .orderBy(direction(SORT_KEYS[request.orderBy]), direction(id))
    .limit(request.limit)
    .offset(request.offset);
}
