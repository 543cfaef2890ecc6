// The headers every response carries. History payloads are whatever flowed through the workflows (HTML, scripts,
// attacker-chosen strings), so nothing the server sends may be sniffed or run as anything but what it is: the API's
// answers allow no content at all, the page's files only themselves.
import type { MiddlewareHandler } from 'hono';
import type { ViewerEnv } from '../http/env.js';

/** For JSON answers: nothing may be loaded, framed or run on their account. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** For the page's own files: scripts, styles and data from this server only, no inline script, never framed. */
export const STATIC_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export const securityHeaders: MiddlewareHandler<ViewerEnv> = async (c, next) => {
  await next();
  const headers = c.res.headers;
  const isPage = c.get('staticFile') === true;
  headers.set('Content-Security-Policy', isPage ? STATIC_CSP : API_CSP);
  headers.set('X-Content-Type-Options', 'nosniff');
  headers.set('X-Frame-Options', 'DENY');
  headers.set('Referrer-Policy', 'no-referrer');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  // History is not for caches: a shared machine's browser cache would keep payloads after the server is gone.
  headers.set('Cache-Control', 'no-store');
};
