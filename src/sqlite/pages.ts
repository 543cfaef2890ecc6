// Pages of executions: filtered, sorted, optionally continuing after a cursor. Each combination of filters and sort
// is built once as a prepared statement (Drizzle query building costs more than the query itself on a hot path),
// with LIMIT bound as a parameter so that SQLite keeps the plan that reads the index in order.
import { and, asc, desc, eq, gt, gte, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import type { CursorPosition } from '../core/cursor.js';
import { durationSortKey, workflowExecutions as executions } from './schema.js';
import type { ExecutionOrderBy, ExecutionQuery, OrderDirection } from '../core/types.js';

type ExecutionRow = typeof executions.$inferSelect;
type Filters = Pick<ExecutionQuery, 'workflowId' | 'status' | 'triggerType' | 'startedAfter' | 'startedBefore'>;

export interface PageRequest extends Filters {
  orderBy: ExecutionOrderBy;
  orderDir: OrderDirection;
  limit: number;
  offset: number;
  after?: CursorPosition;
}

const placeholder = (name: string) => sql.placeholder(name);

const FILTERS: Record<keyof Filters, SQL | undefined> = {
  workflowId: eq(executions.workflowId, placeholder('workflowId')),
  status: eq(executions.status, placeholder('status')),
  triggerType: eq(executions.triggerType, placeholder('triggerType')),
  startedAfter: gte(executions.startedAt, placeholder('startedAfter')),
  startedBefore: lt(executions.startedAt, placeholder('startedBefore')),
};
const FILTER_NAMES = Object.keys(FILTERS) as (keyof Filters)[];

/** What a page is sorted by; ties are broken by id so that every row has one place. */
export const SORT_KEYS: Record<ExecutionOrderBy, SQL> = {
  started_at: sql`${executions.startedAt}`,
  duration_ms: durationSortKey(executions.durationMs),
};


/** Rows strictly after (key, id) in the page order, written so that SQLite can range-scan the sort key's index. */
function after(orderBy: ExecutionOrderBy, orderDir: OrderDirection): SQL | undefined {
  const key = SORT_KEYS[orderBy];
  const afterKey = placeholder('afterKey');
  const afterId = placeholder('afterId');
  return orderDir === 'desc'
    ? and(lte(key, afterKey), or(lt(key, afterKey), lt(executions.id, afterId)))
    : and(gte(key, afterKey), or(gt(key, afterKey), gt(executions.id, afterId)));
}

export class PageQueries {
  private readonly statements = new Map<string, { all(values: Record<string, unknown>): ExecutionRow[] }>();

  constructor(private readonly db: HistoryDatabase) {}

  rows(request: PageRequest): ExecutionRow[] {
    const filters = FILTER_NAMES.filter((name) => request[name] !== undefined);
    const shape = `${filters.join(',')}|${request.orderBy}|${request.orderDir}|${request.after ? 'after' : ''}`;
    let statement = this.statements.get(shape);
    if (statement === undefined) {
      statement = this.prepare(filters, request.orderBy, request.orderDir, request.after !== undefined);
      this.statements.set(shape, statement);
    }
    const values: Record<string, unknown> = { limit: request.limit, offset: request.offset };
    for (const name of filters) values[name] = request[name];
    if (request.after) {
      values.afterKey = request.after.key;
      values.afterId = request.after.id;
    }
    return statement.all(values);
  }

  private prepare(filters: (keyof Filters)[], orderBy: ExecutionOrderBy, orderDir: OrderDirection, continues: boolean) {
    const direction = orderDir === 'desc' ? desc : asc;
    return this.db
      .select()
      .from(executions)
      .where(and(...filters.map((name) => FILTERS[name]), continues ? after(orderBy, orderDir) : undefined))
      .orderBy(direction(SORT_KEYS[orderBy]), direction(executions.id))
      .limit(placeholder('limit'))
      .offset(placeholder('offset'))
      .prepare();
  }
}
