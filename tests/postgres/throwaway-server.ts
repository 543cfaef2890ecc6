// A private PostgreSQL server for one test run or one benchmark: a new cluster in a new temporary folder, reachable
// only from this machine (127.0.0.1 and a socket inside the folder), on a port nobody uses. Stopping it removes
// the folder, so nothing of it outlives the run.
import { execFileSync } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { findPostgresBinaries } from './binaries.js';
import { freeLoopbackPort } from './free-port.js';
import { asServerUser, runAsServerUser } from './server-user.js';

export interface ThrowawayPostgres {
  /** A superuser's URL (no password: the cluster trusts local connections), on the database 'postgres'. */
  url: string;
  /** Stops the server at once and removes its folder; calling it again does nothing. */
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
const PORT_ATTEMPTS = 5;

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const binaries = findPostgresBinaries();
  if (!binaries.found) throw new Error(`no PostgreSQL server programs (initdb, pg_ctl) found; searched ${binaries.searched}`);
  const pgCtl = join(binaries.binDir, 'pg_ctl');

  // Made by the server's user, so that user owns it; under TMPDIR or /tmp like any mktemp folder.
  const folder = (await runAsServerUser('mktemp', ['-d', '-t', 'execution-history-postgres-XXXXXX'])).trim();
  const dataDir = join(folder, 'data');
  const logFile = join(folder, 'server.log');

  let running = false;
  const stopNow = (): void => {
    process.removeListener('exit', stopNow);
    try {
      if (running) execFileSync(...asServerUser(pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w']), { stdio: 'ignore' });
    } catch {
      // already gone: removing the folder is all that is left to do
    }
    running = false;
    rmSync(folder, { recursive: true, force: true });
  };
  // A run that ends without calling stop (an error in a later setup step, process.exit) still leaves nothing behind.
  process.on('exit', stopNow);

  try {
    await runAsServerUser(join(binaries.binDir, 'initdb'), [
      '-D', dataDir, '-U', SUPERUSER, '-A', 'trust',
      // Fixed, so that text compares and sorts the same on every machine whatever its locale settings.
      '--encoding=UTF8', '--locale=C',
      '--no-sync', '--no-instructions',
    ]);
    await appendFile(join(dataDir, 'postgresql.conf'), serverSettings(folder));
    const port = await startOnFreePort(pgCtl, dataDir, logFile);
    running = true;
    return {
      url: `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`,
      stop: async () => stopNow(),
    };
  } catch (error) {
    stopNow();
    throw error;
  }
}

/** Loopback only, and durability traded for speed: a crash loses a throwaway cluster that nobody keeps anyway. */
function serverSettings(folder: string): string {
  const quoted = `'${folder.replaceAll("'", "''")}'`;
  return [
    '',
    '# Throwaway test server',
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = ${quoted}`,
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    '',
  ].join('\n');
}

/** The port is chosen as free, but another process can bind it first: then the server starts again on another. */
async function startOnFreePort(pgCtl: string, dataDir: string, logFile: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const logBefore = await readLog(logFile);
    try {
      await runAsServerUser(pgCtl, ['start', '-w', '-t', '60', '-D', dataDir, '-l', logFile, '-o', `-p ${port}`]);
      return port;
    } catch (error) {
      const log = (await readLog(logFile)).slice(logBefore.length);
      if (/address already in use/i.test(log) && attempt < PORT_ATTEMPTS) continue;
      throw new Error(`the PostgreSQL server did not start on port ${port}; its log:\n${log.trim()}`, { cause: error });
    }
  }
}

async function readLog(logFile: string): Promise<string> {
  return readFile(logFile, 'utf8').catch(() => '');
}
