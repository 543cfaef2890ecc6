// Who may ask what. Read-only by default; writes need --allow-writes and the per-process token in an
// Authorization header, which a cross-site form or link cannot send, from this server's own origin. On a loopback
// address the Host header must name it (a DNS-rebinding page's requests carry its own host name); on an exposed
// address every request needs the token, as the header or as the cookie the printed link sets.
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { ApiError } from '../http/api-error.js';
import type { ViewerEnv } from '../http/env.js';
import { isToken } from './token.js';

export interface AccessPolicy {
  token: string;
  /** Whether deletes and retention may be asked for (--allow-writes). */
  writes: boolean;
  /** Bound to a non-loopback address: any Host is answered, and every request needs the token. */
  exposed: boolean;
  /** Every request needs the token, on loopback too (--require-token: a machine other users share). */
  tokenForReads: boolean;
  /**
   * The Host header values a request may carry (host:port, lower case) when not exposed; known once the server
   * listens, hence a function.
   */
  allowedHosts: () => readonly string[];
  /** The cookie the token link sets; named per server, since cookies are shared by every port of a host. */
  cookieName: string;
}

/** The query parameter of the link that hands a browser the token. */
export const TOKEN_PARAMETER = 'token';

const READS = new Set(['GET', 'HEAD']);

export function access(policy: AccessPolicy): MiddlewareHandler<ViewerEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const host = (c.req.header('host') ?? url.host).toLowerCase();
    if (!policy.exposed && !policy.allowedHosts().includes(host)) {
      throw new ApiError(403, 'forbidden_host', `this viewer answers requests for ${policy.allowedHosts().join(' or ')} only, not for host "${host}"`);
    }
    const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');
    // Browsers say where a request comes from; another site (or another port of localhost, which is the same
    // "site") has no business with the API, whatever it may read or send.
    const site = c.req.header('sec-fetch-site');
    if (isApi && (site === 'cross-site' || site === 'same-site')) {
      throw new ApiError(403, 'cross_origin', `the API answers this server's own page only (Sec-Fetch-Site: ${site})`);
    }
    if (!isApi && READS.has(c.req.method) && url.searchParams.has(TOKEN_PARAMETER)) return tokenLink(c, policy, url);
    const bearer = bearerToken(c.req.header('authorization'));
    const authenticated = isToken(bearer, policy.token) || isToken(getCookie(c, policy.cookieName), policy.token);
    if ((policy.exposed || policy.tokenForReads) && !authenticated) {
      const why = policy.exposed ? 'this viewer is exposed beyond this machine' : 'this viewer was started with --require-token';
      throw new ApiError(401, 'token_required', `${why}: every request needs the token printed by the serve command (Authorization: Bearer <token>, or open the printed link)`);
    }
    if (!READS.has(c.req.method)) checkWrite(c, policy, bearer, url, host);
    c.set('authenticated', authenticated);
    await next();
  };
}

function checkWrite(c: Context<ViewerEnv>, policy: AccessPolicy, bearer: string | undefined, url: URL, host: string): void {
  if (!policy.writes) {
    throw new ApiError(403, 'writes_disabled', 'this viewer is read-only; start it with --allow-writes to delete runs or apply retention');
  }
  // The header, not the cookie: a browser attaches cookies to requests other sites make, never this header.
  if (!isToken(bearer, policy.token)) {
    throw new ApiError(401, 'token_required', `writes need the token printed by the serve command, as the header "Authorization: Bearer <token>"${bearer === undefined ? '' : ' (the one given is not it)'}`);
  }
  const origin = c.req.header('origin');
  if (origin !== undefined && origin !== `${url.protocol}//${host}`) {
    throw new ApiError(403, 'cross_origin', `writes are taken from this server's own origin only (${url.protocol}//${host}), not from ${origin}`);
  }
  const type = c.req.header('content-type');
  if (c.req.method === 'POST' && !/^application\/json(\s*;|$)/i.test(type ?? '')) {
    throw new ApiError(415, 'unsupported_media_type', `a write's body must be JSON, sent with "Content-Type: application/json" (got ${type === undefined ? 'none' : `"${type}"`})`);
  }
}

/** `?token=…` on a page link: the cookie for the requests that follow, and the same address without the token. */
function tokenLink(c: Context<ViewerEnv>, policy: AccessPolicy, url: URL): Response {
  if (!isToken(url.searchParams.get(TOKEN_PARAMETER) ?? undefined, policy.token)) {
    throw new ApiError(401, 'token_required', 'the token in this link is not the one this viewer printed when it started');
  }
  setCookie(c, policy.cookieName, policy.token, { httpOnly: true, sameSite: 'Strict', path: '/', secure: url.protocol === 'https:' });
  url.searchParams.delete(TOKEN_PARAMETER);
  // Out of the address bar, the history and any Referer: the page's own address, which keeps its #fragment.
  return c.redirect(`${url.pathname}${url.search}`, 303);
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
