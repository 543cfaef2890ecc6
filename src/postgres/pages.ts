// Pages of executions: filtered, sorted, optionally continuing after a cursor, in the order SQLite gives them
// (src/sqlite/pages.ts). Ties are broken by id in byte order (COLLATE "C"), as SQLite compares text, so that a cursor
// names the same position on either backend whatever the database's collation. Each combination of filters and sort
// is built once, with placeholders (Drizzle's building costs more than the query on this hot path), and sent unnamed
// (src/postgres/reads.ts): PostgreSQL plans an unnamed statement with its values, LIMIT included, and the pool keeps no
// prepared statements.
import { and, asc, desc, eq, gt, gte, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Pool } from 'pg';
import type { PageRequest } from '../backend.js';
import type { ExecutionOrderBy, OrderDirection } from '../core/types.js';
import { inByteOrder } from './byte-order.js';
import { domainFields, type ExecutionRow, queryBuilder, rowsOf, type Statement, statement } from './reads.js';
import { durationSortKey, workflowExecutions as executions } from './schema.js';

type Filter = 'workflowId' | 'status' | 'triggerType' | 'startedAfter' | 'startedBefore';

const p = sql.placeholder;

const FILTERS: Record<Filter, SQL | undefined> = {
  workflowId: eq(executions.workflowId, p('workflowId')),
  status: eq(executions.status, p('status')),
  triggerType: eq(executions.triggerType, p('triggerType')),
  startedAfter: gte(executions.startedAt, p('startedAfter')),
  startedBefore: lt(executions.startedAt, p('startedBefore')),
};
const FILTER_NAMES = Object.keys(FILTERS) as Filter[];

/** What a page is sorted by; ties are broken by id so that every row has one place. */
const SORT_KEYS: Record<ExecutionOrderBy, SQL> = {
  started_at: sql`${executions.startedAt}`,
  duration_ms: durationSortKey(executions.durationMs),
};

const id = inByteOrder(executions.id);
const FIELDS = domainFields(executions);

/** Rows strictly after (key, id) in the page order, written so that PostgreSQL can range-scan the sort key's index. */
function after(orderBy: ExecutionOrderBy, orderDir: OrderDirection): SQL | undefined {
  const key = SORT_KEYS[orderBy];
  const afterKey = p('afterKey');
  const afterId = p('afterId');
  return orderDir === 'desc'
    ? and(lte(key, afterKey), or(lt(key, afterKey), lt(id, afterId)))
    : and(gte(key, afterKey), or(gt(key, afterKey), gt(id, afterId)));
}

/** One statement per shape of request; there are at most 2^5 filter sets × 2 sort keys × 2 directions × 2. */
const statements = new Map<string, Statement>();

function pageStatement(filters: Filter[], orderBy: ExecutionOrderBy, orderDir: OrderDirection, continues: boolean): Statement {
  const direction = orderDir === 'desc' ? desc : asc;
  return statement(
    queryBuilder
      .select(FIELDS)
      .from(executions)
      .where(and(...filters.map((name) => FILTERS[name]), continues ? after(orderBy, orderDir) : undefined))
      .orderBy(direction(SORT_KEYS[orderBy]), direction(id))
      .limit(p('limit'))
      .offset(p('offset')),
  );
}

/** Up to `limit` whole rows in the page's order, after `offset` rows or after the cursor's position. */
export async function pageRows(pool: Pool, request: PageRequest): Promise<ExecutionRow[]> {
  const filters = FILTER_NAMES.filter((name) => request[name] !== undefined);
  const shape = `${filters.join(',')}|${request.orderBy}|${request.orderDir}|${request.after ? 'after' : ''}`;
  let page = statements.get(shape);
  if (page === undefined) {
    page = pageStatement(filters, request.orderBy, request.orderDir, request.after !== undefined);
    statements.set(shape, page);
  }
  const values: Record<string, unknown> = { limit: request.limit, offset: request.offset };
  for (const name of filters) values[name] = request[name];
  if (request.after) {
    values.afterKey = request.after.key;
    values.afterId = request.after.id;
  }
  return rowsOf<ExecutionRow>(pool, page, values);
}
