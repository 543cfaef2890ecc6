// GET /api/meta: what the page needs to know about the server before anything else: which database it shows,
// whether writes are allowed, the limits its answers keep to, and, to a page that holds the token's cookie, the
// token its writes must send as a header.
import { MAX_PAGE_SIZE, MAX_SEARCH_LIMIT, SEARCH_STEPS_PER_CALL } from '../../core/constants.js';
import { MAX_DIFFERENCES } from '../compare/structural-diff.js';
import { queryOf } from '../http/query-params.js';
import { MAX_SLICE, WHOLE_LIMIT_BYTES } from '../payloads/payload-view.js';
import { MAX_BULK_DELETE } from '../runs/delete-selection.js';
import type { RouteContext, ViewerApp } from './route-context.js';
import { MAX_REFRESH_IDS } from './runs.js';

export function registerMeta(app: ViewerApp, { access, database, instance }: RouteContext): void {
  app.get('/api/meta', (c) => {
    queryOf(c.req.url, []);
    const authenticated = c.get('authenticated');
    return c.json({
      api: 1,
      instance,
      database,
      writes: access.writes,
      exposed: access.exposed,
      tokenRequired: access.exposed || access.tokenForReads,
      authenticated,
      // Same-origin only (a cross-site page can neither send the cookie nor read this answer); the page keeps it in
      // memory and sends it as "Authorization: Bearer …" with its writes.
      writeToken: access.writes && authenticated ? access.token : null,
      limits: {
        pageSize: MAX_PAGE_SIZE,
        wholePayloadBytes: WHOLE_LIMIT_BYTES,
        slice: MAX_SLICE,
        differences: MAX_DIFFERENCES,
        bulkDelete: MAX_BULK_DELETE,
        refreshIds: MAX_REFRESH_IDS,
      },
      search: { stepsPerCall: SEARCH_STEPS_PER_CALL, limit: MAX_SEARCH_LIMIT },
    });
  });
}
