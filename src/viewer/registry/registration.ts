// Where a running viewer says it is, so that `execution-history show` can print a run's link in it: one small JSON
// file per database (named by a hash of the database's identity: the file's real path, or the PostgreSQL URL without
// its password) in a folder of this user's own under the system's temporary folder. The server writes it when it
// listens and removes it when it stops; a reader ignores an entry whose process is gone or whose server does not
// answer as the entry's instance. The entry holds the token (a reader probes an exposed server with it), so the
// folder must be this user's alone (0700) and the file 0600; a folder that is not is neither written nor read.
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isPostgresUrl } from '../../core/postgres-url.js';

export interface Registration {
  url: string;
  pid: number;
  /** The server's random id, which its /api/meta answers with. */
  instance: string;
  token: string;
  exposed: boolean;
  startedAt: number;
}

/** What names a database the same way for every process: a file's real path; a URL's server, database and user. */
export function databaseIdentity(target: string): string {
  if (isPostgresUrl(target)) {
    try {
      const url = new URL(target);
      return `postgres://${decodeURIComponent(url.username)}@${url.hostname.toLowerCase()}:${url.port || '5432'}${url.pathname}`;
    } catch {
      return target.replace(/:[^:@/]*@/, '@');
    }
  }
  const absolute = resolve(target);
  try {
    return realpathSync(absolute);
  } catch {
    return absolute;
  }
}

/** The folder of this user's registrations; `root` for tests. */
export function registryFolder(root = tmpdir()): string {
  const user = typeof process.getuid === 'function' ? String(process.getuid()) : 'user';
  return join(root, `execution-history-viewers-${user}`);
}

/** The file of a database's entry. */
export const registrationFile = (identity: string, folder = registryFolder()) => join(folder, `${createHash('sha256').update(identity).digest('hex').slice(0, 32)}.json`);

/** Whether the folder is this user's alone; a folder someone else made (or made writable) is not trusted. */
function ownFolder(folder: string): boolean {
  try {
    const stats = lstatSync(folder);
    if (!stats.isDirectory()) return false;
    if (typeof process.getuid !== 'function') return true;
    return stats.uid === process.getuid() && (stats.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** Writes the entry; returns its file, or undefined (with the reason) when the folder cannot be trusted. */
export function register(identity: string, registration: Registration, folder = registryFolder()): { file?: string; problem?: string } {
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    return { problem: `cannot create ${folder}: ${(error as Error).message}` };
  }
  if (!ownFolder(folder)) return { problem: `${folder} is not this user's alone (0700), so the viewer's address is not written there` };
  const file = registrationFile(identity, folder);
  const partial = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(partial, JSON.stringify({ identity, ...registration }), { mode: 0o600 });
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    return { problem: `cannot write ${file}: ${(error as Error).message}` };
  }
  return { file };
}

/** Removes the entry if it is still this server's (another viewer of the same database may have replaced it). */
export function unregister(identity: string, instance: string, folder = registryFolder()): void {
  const file = registrationFile(identity, folder);
  if (readEntry(file)?.instance === instance) rmSync(file, { force: true });
}

function readEntry(file: string): (Registration & { identity: string }) | undefined {
  try {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as Partial<Registration & { identity: string }>;
    if (typeof entry.url !== 'string' || typeof entry.pid !== 'number' || typeof entry.instance !== 'string' || typeof entry.token !== 'string' || typeof entry.identity !== 'string') {
      return undefined;
    }
    return entry as Registration & { identity: string };
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The viewer running for this database, if one is registered, alive, and answers as itself within `timeoutMs`. */
export async function findViewer(identity: string, { folder = registryFolder(), timeoutMs = 500 } = {}): Promise<Registration | undefined> {
  if (!ownFolder(folder)) return undefined;
  const file = registrationFile(identity, folder);
  const entry = readEntry(file);
  if (entry === undefined || entry.identity !== identity) return undefined;
  if (!processAlive(entry.pid)) {
    rmSync(file, { force: true }); // left by a server that was killed
    return undefined;
  }
  try {
    const answer = await fetch(new URL('api/meta', entry.url), { headers: { authorization: `Bearer ${entry.token}` }, signal: AbortSignal.timeout(timeoutMs) });
    if (!answer.ok) return undefined;
    const meta = (await answer.json()) as { instance?: unknown };
    return meta.instance === entry.instance ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** A run's address in the viewer's page. */
export function runLink(viewerUrl: string, runId: string): string {
  return `${viewerUrl}#/runs/${encodeURIComponent(runId)}`;
}
