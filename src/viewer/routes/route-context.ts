// What every route is given: the store it reads, the clock, and how the server was started.
import type { Hono } from 'hono';
import type { ExecutionStore } from '../../store.js';
import type { ViewerEnv } from '../http/env.js';
import type { AccessPolicy } from '../security/access.js';

export interface RouteContext {
  store: ExecutionStore;
  now: () => number;
  access: AccessPolicy;
  /** Which database this is, as /api/meta tells it (a URL's password masked). */
  database: { backend: 'sqlite' | 'postgres'; name: string };
  /** A random id per server, which /api/meta names: how `show` knows a registered viewer is the one answering. */
  instance: string;
}

export type ViewerApp = Hono<ViewerEnv>;
