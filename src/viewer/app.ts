// The viewer's HTTP application: security first (headers on every answer, then who may ask what), the JSON API
// under /api/, the page's static files for every other path, and every refusal as one JSON shape
// (http/api-error.ts). Served by server.ts; tests call app.request() on it directly.
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { ExecutionStore } from '../store.js';
import { ApiError, asApiError } from './http/api-error.js';
import type { ViewerEnv } from './http/env.js';
import { registerCompare } from './routes/compare.js';
import { registerHousekeeping } from './routes/housekeeping.js';
import { registerInsights } from './routes/insights.js';
import { registerMeta } from './routes/meta.js';
import type { RouteContext } from './routes/route-context.js';
import { registerRun } from './routes/run.js';
import { registerRuns } from './routes/runs.js';
import { registerSearch } from './routes/search.js';
import { registerStaticFiles } from './routes/static-files.js';
import { type AccessPolicy, access } from './security/access.js';
import { securityHeaders } from './security/headers.js';

export interface ViewerOptions {
  store: ExecutionStore;
  access: AccessPolicy;
  database: RouteContext['database'];
  /** The page's built files; undefined (or a folder that does not exist): the API alone. */
  staticRoot?: string;
  now?: () => number;
  instance?: string;
  /** Where failures that are bugs (500) are told, with their stack. Default: standard error. */
  log?: (message: string) => void;
}

export function createViewerApp(options: ViewerOptions): Hono<ViewerEnv> {
  const context: RouteContext = {
    store: options.store,
    now: options.now ?? Date.now,
    access: options.access,
    database: options.database,
    instance: options.instance ?? randomUUID(),
  };
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const app = new Hono<ViewerEnv>();
  app.use('*', securityHeaders);
  app.use('*', access(options.access));
  registerMeta(app, context);
  // Fixed paths under /api/runs/ before /api/runs/:id, which would take them as ids.
  registerRuns(app, context);
  registerHousekeeping(app, context);
  registerCompare(app, context);
  registerRun(app, context);
  registerInsights(app, context);
  registerSearch(app, context);
  registerStaticFiles(app, options.staticRoot);
  app.notFound((c) => {
    const { body, status } = new ApiError(404, 'not_found', `no route answers ${c.req.method} ${new URL(c.req.url).pathname}; the API's routes are under /api/ (see /api/meta)`);
    return c.json(body, status);
  });
  app.onError((error, c) => {
    const refusal = asApiError(error);
    if (refusal.status >= 500) log(`viewer: ${c.req.method} ${new URL(c.req.url).pathname}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return c.json(refusal.body, refusal.status);
  });
  return app;
}
