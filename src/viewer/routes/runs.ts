// GET /api/runs: the runs a filter selects, a cursor page at a time; GET /api/runs/refresh: the current state of
// runs the page shows (the running ones it polls).
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../core/constants.js';
import { badParameter } from '../http/api-error.js';
import { queryOf } from '../http/query-params.js';
import { FILTER_PARAMETERS, planScan, readRunFilter } from '../runs/run-filter.js';
import { scanRuns } from '../runs/run-scan.js';
import { runListItem } from '../runs/run-shapes.js';
import type { RouteContext, ViewerApp } from './route-context.js';

/** Runs examined per request when a filter tests runs one by one (a tenth when it reads their steps). */
export const LIST_BUDGET = 5000;
export const MAX_REFRESH_IDS = 100;

export function registerRuns(app: ViewerApp, { store, now }: RouteContext): void {
  app.get('/api/runs', async (c) => {
    const query = queryOf(c.req.url, [...FILTER_PARAMETERS, 'sort', 'order', 'limit', 'cursor']);
    const filter = readRunFilter(query);
    const orderBy = query.oneOf('sort', ['started', 'duration'] as const) === 'duration' ? 'duration_ms' : 'started_at';
    const orderDir = query.oneOf('order', ['desc', 'asc'] as const) ?? 'desc';
    const limit = query.integer('limit', 1, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
    const cursor = query.string('cursor');
    const plan = await planScan(store, filter, { orderBy, orderDir }, now());
    const page = await scanRuns(store, plan, { orderBy, orderDir, limit, cursor, budget: LIST_BUDGET });
    return c.json({ items: page.items.map(runListItem), nextCursor: page.nextCursor, examined: page.examined });
  });

  app.get('/api/runs/refresh', async (c) => {
    const query = queryOf(c.req.url, ['ids']);
    const ids = query.list('ids', MAX_REFRESH_IDS);
    if (ids === undefined) throw badParameter('ids', `1 to ${MAX_REFRESH_IDS} comma-separated run ids`);
    const runs = await Promise.all(ids.map((id) => store.getExecution(id)));
    return c.json({
      items: runs.flatMap((run) => (run === null ? [] : [runListItem(run)])),
      missing: ids.filter((_, index) => runs[index] === null),
    });
  });
}
