// How workflows behave over time, from the store's insight methods: GET /api/workflows (one row per workflow),
// /api/insights/stats, /api/insights/timeline, /api/insights/nodes and /api/insights/errors, each for one workflow
// (?workflow=) or all, over a time range (?from=&to=, the last 24 hours by default).
import { TRIGGER_TYPES } from '../../core/constants.js';
import type { NodeStatsSort, TimelineBucket } from '../../core/types.js';
import { isTimeZone } from '../../core/validation.js';
import type { ExecutionStore } from '../../store.js';
import { ApiError, badParameter } from '../http/api-error.js';
import { type QueryParams, queryOf } from '../http/query-params.js';
import { errorGroupId } from '../runs/error-group-id.js';
import { oneWorkflowId } from '../runs/one-workflow.js';
import type { RouteContext, ViewerApp } from './route-context.js';

const DAY = 86_400_000;
/** Up to this span the timeline is by hour, beyond it by day, unless ?bucket= says. */
const HOURLY_UP_TO = 2 * DAY;
const MAX_INSIGHT_ROWS = 1000;
const RANGE = ['workflow', 'from', 'to'];

export function registerInsights(app: ViewerApp, { store, now }: RouteContext): void {
  app.get('/api/workflows', async (c) => {
    const query = queryOf(c.req.url, ['from', 'to']);
    const { from, to } = range(query, now());
    return c.json({ from, to, items: await store.getWorkflowSummaries({ startedAfter: from, startedBefore: to }) });
  });

  app.get('/api/insights/stats', async (c) => {
    const query = queryOf(c.req.url, [...RANGE, 'trigger']);
    const { from, to } = range(query, now());
    const workflowId = await workflowOf(store, query, now());
    const triggerType = query.oneOf('trigger', TRIGGER_TYPES);
    return c.json({ from, to, workflowId: workflowId ?? null, stats: await store.getExecutionStats({ workflowId, triggerType, startedAfter: from, startedBefore: to }) });
  });

  app.get('/api/insights/timeline', async (c) => {
    const query = queryOf(c.req.url, [...RANGE, 'bucket', 'timeZone']);
    const { from, to } = range(query, now());
    const workflowId = await workflowOf(store, query, now());
    const bucket: TimelineBucket = query.oneOf('bucket', ['minute', 'hour', 'day'] as const) ?? (to - from <= HOURLY_UP_TO ? 'hour' : 'day');
    const timeZone = query.string('timeZone') ?? 'UTC';
    if (!isTimeZone(timeZone)) {
      throw badParameter(
        'timeZone',
        'an IANA time zone such as "Europe/Berlin" or "UTC" (a browser knows its own: Intl.DateTimeFormat().resolvedOptions().timeZone); an offset such as +02:00 does not say when daylight saving time changes it',
        timeZone,
      );
    }
    const items = await store.getTimeline({ workflowId, startedAfter: from, startedBefore: to, bucket, timeZone });
    return c.json({ from, to, workflowId: workflowId ?? null, bucket, timeZone, items });
  });

  app.get('/api/insights/nodes', async (c) => {
    const query = queryOf(c.req.url, [...RANGE, 'sort', 'limit']);
    const { from, to } = range(query, now());
    const workflowId = await workflowOf(store, query, now());
    const sortBy: NodeStatsSort = query.oneOf('sort', ['p95', 'errorRate', 'runs'] as const) ?? 'runs';
    const limit = query.integer('limit', 1, MAX_INSIGHT_ROWS) ?? 50;
    return c.json({ from, to, workflowId: workflowId ?? null, sort: sortBy, items: await store.getNodeStats({ workflowId, startedAfter: from, startedBefore: to, sortBy, limit }) });
  });

  app.get('/api/insights/errors', async (c) => {
    const query = queryOf(c.req.url, [...RANGE, 'limit']);
    const { from, to } = range(query, now());
    const workflowId = await workflowOf(store, query, now());
    const limit = query.integer('limit', 1, MAX_INSIGHT_ROWS) ?? 50;
    const groups = await store.getErrorGroups({ workflowId, startedAfter: from, startedBefore: to, limit });
    // The id is the runs list's ?errorGroup= filter: the page links a group to its runs.
    return c.json({ from, to, workflowId: workflowId ?? null, items: groups.map((group) => ({ id: errorGroupId(group), ...group })) });
  });
}

/** ?from=&to=, the last 24 hours when both are left out, up to now when only `to` is. */
function range(query: QueryParams, now: number): { from: number; to: number } {
  const to = query.time('to') ?? now;
  const from = query.time('from') ?? to - DAY;
  if (from >= to) throw new ApiError(400, 'bad_parameter', `from: expected a time before to (${to}), got ${from}`, { parameter: 'from' });
  return { from, to };
}

async function workflowOf(store: ExecutionStore, query: QueryParams, now: number): Promise<string | undefined> {
  const given = query.string('workflow');
  return given === undefined ? undefined : oneWorkflowId(store, given, 'workflow', now);
}
