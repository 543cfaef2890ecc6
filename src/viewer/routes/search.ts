// GET /api/search: the runs whose stored payloads hold a key with a value (key=orderId&equals=1002) or a text
// (text=ord_1002), newest first, through the store's searchExecutions: each request reads at most its bound of steps
// and says where to go on (nextCursor) and how much it read (scanned).
import { MAX_SEARCH_LIMIT, PAYLOAD_FIELDS } from '../../core/constants.js';
import { searchValueOf } from '../../core/search-value.js';
import type { ExecutionSearch, PayloadField } from '../../core/types.js';
import { badParameter } from '../http/api-error.js';
import { queryOf } from '../http/query-params.js';
import { oneWorkflowId } from '../runs/one-workflow.js';
import { runListItem } from '../runs/run-shapes.js';
import type { RouteContext, ViewerApp } from './route-context.js';

const PARAMETERS = ['key', 'equals', 'text', 'in', 'workflow', 'status', 'from', 'to', 'limit', 'cursor'] as const;

export function registerSearch(app: ViewerApp, { store, now }: RouteContext): void {
  app.get('/api/search', async (c) => {
    const query = queryOf(c.req.url, PARAMETERS);
    const search: ExecutionSearch = {};
    const key = query.string('key');
    const equals = query.raw('equals');
    const text = query.string('text');
    // What is searched for: the store's validation words the rest (both ways, neither, a key without a value).
    if (key !== undefined) search.key = key;
    if (equals !== undefined) search.equals = searchValueOf(equals);
    if (text !== undefined) search.text = text;
    const fields = query.list('in', PAYLOAD_FIELDS.length);
    if (fields !== undefined) {
      const unknown = fields.find((field) => !(PAYLOAD_FIELDS as readonly string[]).includes(field));
      if (unknown !== undefined) throw badParameter('in', `comma-separated payload fields: ${PAYLOAD_FIELDS.join(', ')}`, query.raw('in') as string);
      search.in = fields as PayloadField[];
    }
    const workflow = query.string('workflow');
    if (workflow !== undefined) search.workflowId = await oneWorkflowId(store, workflow, 'workflow', now());
    const status = query.oneOf('status', ['running', 'success', 'error'] as const);
    if (status !== undefined) search.status = status;
    const from = query.time('from');
    if (from !== undefined) search.startedAfter = from;
    const to = query.time('to');
    if (to !== undefined) search.startedBefore = to;
    const limit = query.integer('limit', 1, MAX_SEARCH_LIMIT);
    if (limit !== undefined) search.limit = limit;
    const cursor = query.string('cursor');
    if (cursor !== undefined) search.cursor = cursor;
    const result = await store.searchExecutions(search);
    return c.json({
      items: result.items.map(({ execution, hits }) => ({ run: runListItem(execution), hits })),
      scanned: result.scanned,
      nextCursor: result.nextCursor,
    });
  });
}
