// `execution-history serve` as a user runs it: the built command started as a real process on port 0, on a SQLite
// file and on a PostgreSQL URL; its printed address fetched, a raw request with a path no HTTP client would send,
// `show` printing the run's link while it runs, and a clean exit on SIGINT and SIGTERM that removes its
// registration. And the registration's reader, which ignores entries of servers that are gone.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postgresUrlWithoutPassword } from '../src/core/postgres-url.js';
import { databaseIdentity, findViewer, register, registrationFile } from '../src/viewer/registry/registration.js';
import { forEachBackend } from './backends.js';
import { CLI, cli } from './cli-fixture.js';
import { track } from './factories.js';
import { databaseOn, openOn, recordHistory } from './viewer-fixture.js';

interface Served {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the command and waits for the address it prints. */
async function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', COLUMNS: '200' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address printed in 20 s; stdout: ${stdout}; stderr: ${stderr}`)), 20_000);
    const look = () => {
      // "Viewer of … at http://…/", or with --json the object's "url" once it is printed whole.
      const found = / at (http:\/\/\S+\/)$/m.exec(stdout)?.[1] ?? (/^\}$/m.test(stdout) ? (JSON.parse(stdout) as { url: string }).url : undefined);
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout?.on('data', look);
    void exited.then(() => reject(new Error(`serve exited before printing an address; stdout: ${stdout}; stderr: ${stderr}`)));
  });
  return { child, url, stdout: () => stdout, stderr: () => stderr, exited };
}

/** A request as raw bytes, for what fetch would never send (a path with ".." in it). */
function rawRequest(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // Written, not ended: the server closes the connection after its answer (a client that half-closes first may get none).
    const socket = connect(port, '127.0.0.1', () => socket.write(`${lines.join('\r\n')}\r\nConnection: close\r\n\r\n`));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

forEachBackend((backend) => {
  it('serves on 127.0.0.1 and a free port, read-only; show links to it; SIGINT stops it and removes its registration', async () => {
    const { target } = await databaseOn(backend, false);
    const store = track(await openOn(target));
    const failed = (await recordHistory(store)).find((run) => run.name === 'failed')!.id;
    await store.close();
    const served = await serve(['--db', target, 'serve']);
    try {
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const port = Number(new URL(served.url).port);
      expect(port).toBeGreaterThan(0);

      const runs = await fetch(`${served.url}api/runs?status=error&limit=1`);
      expect(runs.status).toBe(200);
      expect(runs.headers.get('content-type')).toBe('application/json');
      expect(runs.headers.get('x-content-type-options')).toBe('nosniff');
      expect(runs.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
      expect(((await runs.json()) as { items: { status: string }[] }).items.map((run) => run.status)).toEqual(['error']);
      const meta = (await (await fetch(`${served.url}api/meta`)).json()) as Record<string, unknown>;
      expect(meta).toMatchObject({ writes: false, exposed: false, database: { backend: backend.name } });
      expect((await fetch(`${served.url}api/runs/${failed}`, { method: 'DELETE' })).status).toBe(403);

      // What a browser never sends but a hand-made request can: refused before the file system is asked.
      expect((await rawRequest(port, ['GET /../../../../etc/passwd HTTP/1.1', `Host: 127.0.0.1:${port}`])).split('\r\n')[0]).toMatch(/^HTTP\/1\.1 (400|404) /);
      const rebound = await rawRequest(port, ['GET /api/meta HTTP/1.1', `Host: attacker.example:${port}`]);
      expect(rebound.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
      expect(rebound).not.toContain('"instance"');

      const file = registrationFile(databaseIdentity(target));
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ url: served.url, pid: served.child.pid, exposed: false });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const shown = cli(['--db', target, 'show', failed]);
      expect(shown.status).toBe(0);
      expect(shown.stdout.endsWith(`\nViewer: ${served.url}#/runs/${failed}\n`)).toBe(true);

      served.child.kill('SIGINT');
      expect(await served.exited).toEqual({ code: 0, signal: null });
      const name = backend.name === 'sqlite' ? target : postgresUrlWithoutPassword(target);
      expect(served.stdout()).toBe(`Viewer of ${name} at ${served.url}\nRead-only (--allow-writes lets it delete runs).\nCtrl+C stops it.\nViewer stopped.\n`);
      expect(served.stderr()).toBe('');
      expect(existsSync(file)).toBe(false);
    } finally {
      served.child.kill('SIGKILL');
    }
  });

  it('exposed with --expose-history and writes allowed: the token for every request, its link, SIGTERM', async () => {
    const { target } = await databaseOn(backend, false);
    const store = track(await openOn(target));
    const ok = (await recordHistory(store)).find((run) => run.name === 'ok')!.id;
    await store.close();
    const served = await serve(['--db', target, 'serve', '--host', '0.0.0.0', '--expose-history', '--allow-writes', '--json']);
    try {
      const printed = JSON.parse(served.stdout()) as { url: string; port: number; token: string; exposed: boolean; writes: boolean };
      expect(printed).toMatchObject({ exposed: true, tokenRequired: true, writes: true, host: '0.0.0.0' });
      expect(printed.token).toMatch(/^[\w-]{43}$/);
      const base = `http://127.0.0.1:${printed.port}/`;
      expect((await fetch(`${base}api/meta`)).status).toBe(401);
      const auth = { authorization: `Bearer ${printed.token}` };
      expect((await fetch(`${base}api/meta`, { headers: auth })).status).toBe(200);
      const link = await fetch(`${base}?token=${printed.token}`, { redirect: 'manual' });
      expect(link.status).toBe(303);
      expect(link.headers.get('set-cookie')).toMatch(/^execution-history-[0-9a-f]{8}=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
      const deleted = await fetch(`${base}api/runs/${ok}`, { method: 'DELETE', headers: auth });
      expect({ status: deleted.status, body: await deleted.json() }).toEqual({ status: 200, body: { deleted: true, id: ok } });
      // A write with a body, through Node's HTTP server (not app.request).
      const kept = await fetch(`${base}api/retention`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ keep: 1000, workflow: 'wf-orders' }) });
      expect({ status: kept.status, body: await kept.json() }).toEqual({ status: 200, body: { olderThanMs: null, keep: 1000, workflowId: 'wf-orders', deleted: 0 } });
      const huge = await fetch(`${base}api/retention`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ keep: 1, workflow: 'x'.repeat(20_000) }) });
      expect(huge.status).toBe(413);
      expect(served.stderr()).toBe('');
      served.child.kill('SIGTERM');
      expect(await served.exited).toEqual({ code: 0, signal: null });
      expect(existsSync(registrationFile(databaseIdentity(target)))).toBe(false);
    } finally {
      served.child.kill('SIGKILL');
    }
  });
});

describe('serve refuses', () => {
  it('a host other machines reach without --expose-history, and a port that is taken', async () => {
    const { target } = await databaseOn({ name: 'sqlite' } as never, false);
    track(await openOn(target));
    expect(cli(['--db', target, 'serve', '--host', '0.0.0.0'])).toEqual({
      status: 2,
      stdout: '',
      stderr:
        'error: --host 0.0.0.0 lets other machines reach the viewer, and with it every payload in the history. Add --expose-history if that is meant: every request then needs the token the command prints.\n(add --help for usage)\n',
    });
    expect(cli(['--db', target, 'serve', '--port', '70000']).stderr).toBe("error: option '--port <port>' argument '70000' is invalid. expected a port from 0 to 65535 (0: a free one), got \"70000\".\n(add --help for usage)\n");
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      expect(cli(['--db', target, 'serve', '--port', String(port)])).toEqual({
        status: 1,
        stdout: '',
        stderr: `error: port ${port} on 127.0.0.1 is taken; choose another --port, or 0 for a free one.\n`,
      });
    } finally {
      taken.close();
    }
  });
});

describe('the registration', () => {
  const entry = (pid: number, url: string) => ({ url, pid, instance: 'i-1', token: 't', exposed: false, startedAt: 0 });

  it('of a process that is gone is ignored and removed; of a server that does not answer, ignored', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'execution-history-registry-')), 'viewers');
    try {
      const listener = createServer((socket) => socket.destroy()); // answers nothing useful
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(listener.address() as { port: number }).port}/`;
      expect(register('db-a', entry(process.pid, url), folder)).toEqual({ file: registrationFile('db-a', folder) });
      expect(statSync(folder).mode & 0o777).toBe(0o700);
      expect(await findViewer('db-a', { folder, timeoutMs: 300 })).toBeUndefined();
      expect(existsSync(registrationFile('db-a', folder))).toBe(true); // its process lives: maybe starting still
      listener.close();
      const gone = spawn(process.execPath, ['-e', '0']);
      const pid = gone.pid as number;
      await new Promise((resolve) => gone.on('exit', resolve));
      register('db-b', entry(pid, url), folder);
      expect(await findViewer('db-b', { folder, timeoutMs: 300 })).toBeUndefined();
      expect(existsSync(registrationFile('db-b', folder))).toBe(false);
      expect(await findViewer('db-c', { folder })).toBeUndefined(); // none
    } finally {
      rmSync(join(folder, '..'), { recursive: true, force: true });
    }
  });

  it('is neither written nor read in a folder others may write', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'execution-history-registry-')), 'viewers');
    try {
      mkdirSync(folder, { mode: 0o700 });
      chmodSync(folder, 0o777);
      expect(register('db-a', entry(process.pid, 'http://127.0.0.1:1/'), folder)).toEqual({
        problem: `${folder} is not this user's alone (0700), so the viewer's address is not written there`,
      });
      expect(await findViewer('db-a', { folder })).toBeUndefined();
    } finally {
      rmSync(join(folder, '..'), { recursive: true, force: true });
    }
  });

  it('names a database alike however its path or URL is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'execution-history-identity-'));
    try {
      expect(databaseIdentity(join(dir, 'sub', '..', 'h.db'))).toBe(databaseIdentity(join(dir, 'h.db')));
      expect(databaseIdentity('postgres://me:secret@DB.example:5432/history')).toBe('postgres://me@db.example:5432/history');
      expect(databaseIdentity('postgresql://me:other@db.example/history')).toBe('postgres://me@db.example:5432/history');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
