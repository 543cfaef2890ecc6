// What every answer of the viewer carries and whom it answers, on a SQLite file and on PostgreSQL: the security
// headers on each kind of response, the Host check against DNS rebinding, the token of an exposed viewer (header,
// link, cookie), and static files served from one folder only, whatever the path tries.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionStore } from '../src/index.js';
import { API_CSP, STATIC_CSP } from '../src/viewer/security/headers.js';
import { forEachBackend } from './backends.js';
import { databaseOn, getJson, openOn, recordHistory, TOKEN, viewerOn } from './viewer-fixture.js';

const SECRET = 'the-secret-outside-the-page-folder';

/** A page folder with files, a hidden file, and links in and out; a secret beside it. */
function pageFolder(): { root: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'execution-history-page-'));
  const root = join(dir, 'viewer');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><script src="/app.js"></script>');
  writeFileSync(join(root, 'app.js'), 'console.log("page");');
  writeFileSync(join(root, 'style.css'), 'body{}');
  writeFileSync(join(root, 'sub', 'page.html'), '<p>sub</p>');
  writeFileSync(join(root, '.env'), SECRET);
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  symlinkSync(join(dir, 'secret.txt'), join(root, 'link-out'));
  symlinkSync(join(root, 'app.js'), join(root, 'link-in'));
  symlinkSync(dir, join(root, 'folder-out'));
  return { root, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

forEachBackend((backend) => {
  let store: ExecutionStore;
  let page: ReturnType<typeof pageFolder>;
  let removeDatabase: () => Promise<void>;
  let runId: string;

  beforeAll(async () => {
    const database = await databaseOn(backend, true);
    removeDatabase = database.remove;
    store = await openOn(database.target);
    runId = (await recordHistory(store)).find((run) => run.name === 'failed')!.id;
    page = pageFolder();
  });
  afterAll(async () => {
    await store?.close();
    await removeDatabase?.();
    page?.remove();
  });

  it('every answer carries nosniff, a Content-Security-Policy, and no-store; JSON as application/json', async () => {
    const local = viewerOn(store, { writes: true }, page.root);
    const exposed = viewerOn(store, { exposed: true }, page.root);
    const cases: [string, Response, number, string][] = [
      ['a run', await local.request(`/api/runs/${runId}`), 200, 'application/json'],
      ['a bad parameter', await local.request('/api/runs?limit=x'), 400, 'application/json'],
      ['no token', await exposed.request('/api/meta'), 401, 'application/json'],
      ['another host', await local.request('/api/meta', { headers: { host: 'evil.example' } }), 403, 'application/json'],
      ['an unknown run', await local.request('/api/runs/00000000-0000-7000-8000-000000000000'), 404, 'application/json'],
      ['a running run deleted', await local.request('/api/runs/nope', { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } }), 404, 'application/json'],
      ['a search', await local.request('/api/search?text=502'), 200, 'application/json'],
      ['a bad path', await local.request('/..%2fsecret.txt'), 400, 'application/json'],
      ['the token link', await exposed.request(`/?token=${TOKEN}`), 303, ''],
      ['the page', await local.request('/'), 200, 'text/html; charset=utf-8'],
      ['a script of the page', await local.request('/app.js'), 200, 'text/javascript; charset=utf-8'],
      ['a file not in the page', await local.request('/missing.js'), 404, 'application/json'],
    ];
    for (const [what, response, status, type] of cases) {
      const isPage = status === 200 && !type.startsWith('application/json');
      expect({ what, status: response.status, type: response.headers.get('content-type') ?? '' }).toEqual({ what, status, type });
      expect({ what, headers: Object.fromEntries([...response.headers].filter(([name]) => name !== 'content-type' && name !== 'content-length' && name !== 'location' && name !== 'set-cookie')) }).toEqual({
        what,
        headers: {
          'content-security-policy': isPage ? STATIC_CSP : API_CSP,
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
          'cross-origin-resource-policy': 'same-origin',
          'cross-origin-opener-policy': 'same-origin',
          'cache-control': 'no-store',
        },
      });
    }
    expect(API_CSP).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    expect(STATIC_CSP).toContain("default-src 'self'");
    expect(STATIC_CSP).not.toContain('unsafe-inline');
  });

  it('answers only for its own host names on loopback: a DNS-rebinding page\'s requests are refused', async () => {
    const app = viewerOn(store, { allowedHosts: () => ['127.0.0.1:4000', 'localhost:4000'] }, page.root);
    expect(await getJson(app, 'http://127.0.0.1:4000/api/meta', { headers: { host: 'attacker.example:4000' } })).toEqual({
      status: 403,
      body: { error: { code: 'forbidden_host', message: 'this viewer answers requests for 127.0.0.1:4000 or localhost:4000 only, not for host "attacker.example:4000"' } },
    });
    expect((await app.request('http://localhost:4000/', { headers: { host: 'attacker.example:4000' } })).status).toBe(403);
    expect((await getJson(app, 'http://127.0.0.1:4000/api/meta', { headers: { host: '127.0.0.1:4000' } })).status).toBe(200);
    expect((await getJson(app, 'http://localhost:4000/api/meta')).status).toBe(200);
  });

  describe('an exposed viewer', () => {
    it('needs the token for every request: as a header, or as the cookie its link sets', async () => {
      const app = viewerOn(store, { exposed: true, writes: true }, page.root);
      const required = 'this viewer is exposed beyond this machine: every request needs the token printed by the serve command (Authorization: Bearer <token>, or open the printed link)';
      expect(await getJson(app, '/api/runs')).toEqual({ status: 401, body: { error: { code: 'token_required', message: required } } });
      expect((await app.request('/')).status).toBe(401);
      expect((await app.request('/app.js', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await app.request('/app.js', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      // Any Host is answered: the token, which a rebinding page does not have, is the check.
      expect((await getJson(app, '/api/meta', { headers: { authorization: `Bearer ${TOKEN}`, host: 'history.internal:8080' } })).status).toBe(200);

      expect(await getJson(app, '/?token=wrong')).toEqual({
        status: 401,
        body: { error: { code: 'token_required', message: 'the token in this link is not the one this viewer printed when it started' } },
      });
      const link = await app.request(`/sub/page.html?x=1&token=${TOKEN}`);
      expect(link.status).toBe(303);
      expect(link.headers.get('location')).toBe('/sub/page.html?x=1');
      expect(link.headers.get('set-cookie')).toBe(`execution-history-test=${TOKEN}; Path=/; HttpOnly; SameSite=Strict`);
      const cookie = { cookie: `execution-history-test=${TOKEN}` };
      expect((await app.request('/sub/page.html', { headers: cookie })).status).toBe(200);
      // The page learns the token for its writes' header from /api/meta, which only it can read.
      expect((await getJson(app, '/api/meta', { headers: cookie })).body).toMatchObject({ exposed: true, writes: true, authenticated: true, writeToken: TOKEN });
      expect((await getJson(app, '/api/meta', { headers: { ...cookie, 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    });
  });

  it('with --require-token on loopback: the token for every request, and still only its own host names', async () => {
    const app = viewerOn(store, { tokenForReads: true }, page.root);
    expect(await getJson(app, '/api/runs')).toEqual({
      status: 401,
      body: { error: { code: 'token_required', message: 'this viewer was started with --require-token: every request needs the token printed by the serve command (Authorization: Bearer <token>, or open the printed link)' } },
    });
    expect((await app.request('/app.js')).status).toBe(401);
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await getJson(app, '/api/meta', { headers: auth })).body).toMatchObject({ exposed: false, tokenRequired: true, authenticated: true, writeToken: null });
    expect((await getJson(app, '/api/meta', { headers: { ...auth, host: 'attacker.example' } })).body.error.code).toBe('forbidden_host');
  });

  it('hands the write token to its own page (with the link\'s cookie) only, and only when writes are allowed', async () => {
    const cookie = { cookie: `execution-history-test=${TOKEN}` };
    const writable = viewerOn(store, { writes: true });
    expect((await getJson(writable, '/api/meta', { headers: cookie })).body).toMatchObject({ authenticated: true, writeToken: TOKEN });
    expect((await getJson(writable, '/api/meta')).body).toMatchObject({ authenticated: false, writeToken: null });
    expect((await getJson(writable, '/api/meta', { headers: { cookie: 'execution-history-test=guess' } })).body.writeToken).toBeNull();
    expect((await getJson(viewerOn(store), '/api/meta', { headers: cookie })).body).toMatchObject({ authenticated: true, writeToken: null });
  });

  describe('static files', () => {
    it('serves the page\'s files with their types; / and a folder\'s / are its index.html', async () => {
      const app = viewerOn(store, {}, page.root);
      const file = async (path: string) => {
        const response = await app.request(path);
        return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
      };
      expect(await file('/')).toEqual({ status: 200, type: 'text/html; charset=utf-8', text: '<!doctype html><script src="/app.js"></script>' });
      expect(await file('/style.css')).toEqual({ status: 200, type: 'text/css; charset=utf-8', text: 'body{}' });
      expect(await file('/sub/page.html')).toEqual({ status: 200, type: 'text/html; charset=utf-8', text: '<p>sub</p>' });
      expect((await file('/sub/')).status).toBe(404); // no index.html there
      expect((await file('/sub')).status).toBe(404); // a folder is not a file
      // A link inside the folder is served, typed by the file it leads to.
      expect(await file('/link-in')).toEqual({ status: 200, type: 'text/javascript; charset=utf-8', text: 'console.log("page");' });
      expect((await app.request('/app.js', { method: 'HEAD' })).status).toBe(200);
    });

    it.each([
      ['a plain ..', '/../secret.txt', 404], // resolved by the URL parser to /secret.txt, which the folder has not
      ['an encoded ..', '/%2e%2e/secret.txt', 404],
      ['.. in a folder', '/sub/../../secret.txt', 404],
      ['.. and an encoded slash', '/..%2fsecret.txt', 400],
      ['an encoded .. and slash', '/%2e%2e%2fsecret.txt', 400],
      ['encoded backslashes', '/sub/..%5c..%5csecret.txt', 400],
      ['a NUL', '/app.js%00.html', 400],
      ['broken percent-encoding', '/%E0%A4%A', 400],
      ['an absolute path', '//etc/passwd', 404],
      ['an encoded absolute path', '/%2fetc%2fpasswd', 400],
      ['a symbolic link out of the folder', '/link-out', 403],
      ['a file through a linked folder out', '/folder-out/secret.txt', 403],
      ['a hidden file', '/.env', 404],
      ['a hidden file, encoded', '/%2eenv', 404],
    ])('refuses %s (%s) with %i, never sending what is outside', async (_what, path, status) => {
      const response = await viewerOn(store, {}, page.root).request(path);
      const text = await response.text();
      expect({ status: response.status, type: response.headers.get('content-type') }).toEqual({ status, type: 'application/json' });
      expect(text).not.toContain(SECRET);
      expect(JSON.parse(text).error.code).toBe(status === 404 ? 'not_found' : 'bad_path');
    });

    it('without a built page, says so and serves the API alone', async () => {
      const app = viewerOn(store, {}, join(page.root, 'not-there'));
      expect(await getJson(app, '/')).toEqual({
        status: 404,
        body: { error: { code: 'not_found', message: 'the viewer page is not built here (its folder, dist/viewer/, is missing); the JSON API answers under /api/' } },
      });
      expect((await getJson(app, '/api/meta')).status).toBe(200);
    });
  });
});
