// The page's built files (dist/viewer/), from that one folder only. A request whose path, once decoded, would
// climb out of it (a "..", an encoded slash or backslash, a NUL) is refused before the file system is asked, and a
// file whose real path (symbolic links followed) lies outside the folder is refused too; hidden files are not
// served. The page's files get the page's Content-Security-Policy (security/headers.ts).
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { ApiError } from '../http/api-error.js';
import type { ViewerApp } from './route-context.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export function registerStaticFiles(app: ViewerApp, root: string | undefined): void {
  app.get('*', async (c, next) => {
    const url = new URL(c.req.url);
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return next();
    const relative = safeRelativePath(url.pathname);
    const folder = root === undefined ? undefined : await realpath(root).catch(() => undefined);
    if (folder === undefined) {
      throw new ApiError(404, 'not_found', 'the viewer page is not built here (its folder, dist/viewer/, is missing); the JSON API answers under /api/');
    }
    const file = await realpath(join(folder, relative)).catch(() => undefined);
    if (file === undefined) throw new ApiError(404, 'not_found', `no file ${url.pathname} in the viewer page`);
    if (!file.startsWith(folder + sep)) throw new ApiError(403, 'bad_path', `${url.pathname} leads out of the viewer page's folder`);
    const stats = await stat(file);
    if (!stats.isFile()) throw new ApiError(404, 'not_found', `no file ${url.pathname} in the viewer page`);
    c.set('staticFile', true);
    return c.body(await readFile(file), 200, { 'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream' });
  });
}

/**
 * The path inside the folder that `pathname` (as the URL holds it, percent-encoded) names: "/" and "…/" mean their
 * index.html. The URL parser has already resolved plain and %2e dot segments; what still decodes to a way out is
 * refused with 400, and hidden files (a segment starting with ".") with 404.
 */
export function safeRelativePath(pathname: string): string {
  const refused = (why: string) => new ApiError(400, 'bad_path', `${pathname}: ${why}; the viewer serves the files of its page's folder only`);
  if (/%(2f|5c|00)/i.test(pathname)) throw refused('an encoded "/", "\\" or NUL');
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    throw refused('not a valid percent-encoded path');
  }
  if (decoded.includes('\\') || decoded.includes('\0')) throw refused('a "\\" or NUL');
  const segments = decoded.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '..' || segment === '.')) throw refused('a ".." or "." segment');
  if (segments.some((segment) => segment.startsWith('.'))) throw new ApiError(404, 'not_found', `no file ${pathname} in the viewer page (hidden files are not served)`);
  if (decoded.endsWith('/')) segments.push('index.html');
  return segments.join('/');
}
