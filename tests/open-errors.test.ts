// Opening a path that is not a usable history database: the error names the path, says what is wrong with it and
// what to do, for the library and for the command alike.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ExecutionStoreError, openExecutionStore } from '../src/index.js';
import { sqliteErrorCode } from '../src/sqlite/driver-errors.js';
import { openFailure } from '../src/sqlite/open-failure.js';
import { CLI as CLI_PATH, cli } from './cli-fixture.js';

const DIST = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;
/** Root ignores file modes, so permission cases run in a child that cannot. */
const RUNS_AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
/**
 * As nobody, when nobody can load the package (the checkout is readable by others); else (a checkout under /root,
 * say) as root without the two capabilities that let root ignore file modes.
 */
const AS_NOBODY =
  RUNS_AS_ROOT && spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(DIST)})`], { uid: NOBODY, gid: NOBODY }).status === 0;
const WITHOUT_OVERRIDES = ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search'];
const CHILD_UID = AS_NOBODY ? NOBODY : process.getuid?.();

const folders: string[] = [];
/** Paths given modes that would stop a non-root user from removing them. */
const restricted: string[] = [];

afterEach(() => {
  for (const path of restricted.splice(0)) chmodSync(path, 0o700);
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A temporary folder that an unprivileged child can also reach and write. */
function sharedFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'execution-history-open-'));
  chmodSync(folder, 0o777);
  folders.push(folder);
  return folder;
}

function restrict(path: string, mode: number): void {
  chmodSync(path, mode);
  restricted.push(path);
}

interface Failure {
  code: string;
  message: string;
}

async function openError(path: string, options?: Parameters<typeof openExecutionStore>[1]): Promise<Failure & { cause: unknown }> {
  try {
    (await openExecutionStore(path, options)).close();
  } catch (error) {
    expect(error).toBeInstanceOf(ExecutionStoreError);
    const { code, message, cause } = error as ExecutionStoreError;
    return { code, message, cause };
  }
  throw new Error(`opening ${path} succeeded`);
}

/** A history database made by the store, closed again: WAL mode, migrations applied, no -wal or -shm left. */
async function database(path: string): Promise<string> {
  (await openExecutionStore(path)).close();
  return path;
}

/** A command to run the child under, such as `unshare` with its arguments. */
interface Wrapper {
  command: string;
  args: string[];
}

/** Opens `path` with the built package in a child process: through `wrapper` if given, else as nobody when root. */
function openInChild(path: string, wrapper?: Wrapper): Failure {
  const script =
    `const { openExecutionStore } = await import(${JSON.stringify(DIST)});\n` +
    `try { (await openExecutionStore(process.argv[1])).close(); console.log(JSON.stringify({ code: 'OPENED', message: '' })); }\n` +
    `catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message })); }`;
  const node = [process.execPath, '--input-type=module', '-e', script, path];
  const unprivileged = RUNS_AS_ROOT && !AS_NOBODY ? [...WITHOUT_OVERRIDES, ...node] : node;
  const [command, ...args] = wrapper === undefined ? unprivileged : [wrapper.command, ...wrapper.args, ...node];
  const result = spawnSync(command!, args, { encoding: 'utf8', ...(AS_NOBODY && wrapper === undefined ? { uid: NOBODY, gid: NOBODY } : {}) });
  try {
    return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Failure;
  } catch {
    throw new Error(`the child printed no result (status ${result.status}): ${result.stderr}`);
  }
}

/** "mode 0200, owner uid 0; this process runs as uid 65534" for the child opening `path`. */
function ownership(path: string): string {
  const stats = statSync(path);
  return `mode ${(stats.mode & 0o7777).toString(8).padStart(4, '0')}, owner uid ${stats.uid}; this process runs as uid ${CHILD_UID}`;
}

const NOT_A_DATABASE_ADVICE = 'Give the path of a history database, or of a file that does not exist yet to start a new one';

describe('what is at the path', () => {
  it('a directory: says so and suggests a file inside it, naming the path as given and its absolute form', async () => {
    const folder = join(sharedFolder(), 'history');
    mkdirSync(folder);
    const given = relative(process.cwd(), folder);

    const failure = await openError(given);

    expect(failure.code).toBe('DATABASE');
    expect(failure.message).toBe(
      `openExecutionStore: cannot open "${given}" (${folder}): it is a directory, not a database file. ` +
        `Give the path of a file, such as "${join(given, 'execution-history.db')}"`,
    );
    expect(sqliteErrorCode(failure.cause)).toBe('SQLITE_CANTOPEN');
  });

  it('a file where a folder on the way should be: names that file, whether it is the parent or further up', async () => {
    const folder = sharedFolder();
    const blocker = join(folder, 'data');
    writeFileSync(blocker, 'not a folder\n');

    const parent = await openError(join(blocker, 'history.db'));
    const further = await openError(join(blocker, 'nested', 'history.db'));

    const expected = (path: string) =>
      `openExecutionStore: cannot open "${path}": "${blocker}" on the way to it is a file, not a folder. ` +
      'Move or rename that file, or choose another path';
    expect(parent).toMatchObject({ code: 'DATABASE', message: expected(join(blocker, 'history.db')) });
    expect(further).toMatchObject({ code: 'DATABASE', message: expected(join(blocker, 'nested', 'history.db')) });
    expect((further.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });

  it('a text file: not a SQLite database, with its size and its start', async () => {
    const path = join(sharedFolder(), 'notes.txt');
    writeFileSync(path, 'Remember to back up the history\n');

    const failure = await openError(path);

    expect(failure.code).toBe('DATABASE');
    expect(failure.message).toBe(
      `openExecutionStore: cannot open "${path}": it is not a SQLite database: it holds 32 bytes and starts with ` +
        `"Remember to back". ${NOT_A_DATABASE_ADVICE}`,
    );
    expect(sqliteErrorCode(failure.cause)).toBe('SQLITE_NOTADB');
  });

  it('a JSON file: its start shown with quotes and newlines escaped', async () => {
    const path = join(sharedFolder(), 'history.json');
    writeFileSync(path, `${JSON.stringify({ executions: [{ id: 1 }] }, null, 2)}\n`);

    const failure = await openError(path);

    expect(failure).toMatchObject({
      code: 'DATABASE',
      message:
        `openExecutionStore: cannot open "${path}": it is not a SQLite database: it holds 52 bytes and starts with ` +
        `"{\\n  \\"executions\\"". ${NOT_A_DATABASE_ADVICE}`,
    });
  });

  it('a binary file that is not a database: bytes outside printable text are escaped, a cut character included', async () => {
    const path = join(sharedFolder(), 'history.db');
    // A terminal escape, then "é" cut in half by the 16-byte limit.
    writeFileSync(path, Buffer.concat([Buffer.from('\x1b[31mPK\x03\x04 abcde'), Buffer.from('é'), Buffer.alloc(2000, 7)]));

    const failure = await openError(path);

    expect(failure.message).toBe(
      `openExecutionStore: cannot open "${path}": it is not a SQLite database: it holds 2,017 bytes and starts with ` +
        `"\\x1b[31mPK\\x03\\x04 abcde\\xc3". ${NOT_A_DATABASE_ADVICE}`,
    );
    expect(failure.code).toBe('DATABASE');
  });

  it('a file of zero bytes, as a preallocated or wiped file is: said as such', async () => {
    const path = join(sharedFolder(), 'history.db');
    writeFileSync(path, Buffer.alloc(4096));

    const failure = await openError(path);

    expect(failure).toMatchObject({
      code: 'DATABASE',
      message: `openExecutionStore: cannot open "${path}": it is not a SQLite database: it holds 4,096 bytes, the first 16 zero. ${NOT_A_DATABASE_ADVICE}`,
    });
  });

  it('a damaged database: the SQLite error, doctor, a backup', async () => {
    const path = await database(join(sharedFolder(), 'history.db'));
    const bytes = readFileSync(path);
    // Past the 100-byte file header, page 1 holds the schema: garbage there is what a torn copy leaves.
    bytes.fill(0x41, 100, 4096);
    writeFileSync(path, bytes);

    const failure = await openError(path);

    expect(failure).toMatchObject({
      code: 'DATABASE',
      message:
        `openExecutionStore: cannot open "${path}": it is a SQLite database, but damaged (SQLITE_CORRUPT: database disk image is malformed). ` +
        `Run \`execution-history --db ${path} doctor\` to see what is wrong, or restore it from a backup`,
    });
    expect(sqliteErrorCode(failure.cause)).toBe('SQLITE_CORRUPT');
  });

  it('a database another connection keeps locked past the busy timeout', async () => {
    const path = join(sharedFolder(), 'history.db');
    const other = new BetterSqlite3(path);
    try {
      // A pending write (RESERVED) lets the store read but not switch the file to WAL mode, which waits busyTimeoutMs.
      other.exec('CREATE TABLE held (x); BEGIN IMMEDIATE; INSERT INTO held VALUES (1)');

      const failure = await openError(path, { busyTimeoutMs: 50 });

      expect(failure).toMatchObject({
        code: 'DATABASE',
        message:
          `openExecutionStore: cannot open "${path}": another connection kept it locked for longer than the busy timeout ` +
          '(SQLITE_BUSY: database is locked). Close the program holding it (a second writer, or a drizzle-kit studio left open), ' +
          'or raise busyTimeoutMs',
      });
    } finally {
      other.close();
    }
  });
});

describe.skipIf(process.platform === 'win32')('permissions (as an unprivileged user)', () => {
  const WRITE_ADVICE = 'Run as the user who owns it, or give this user read and write permission on it';

  it('a file the user may not read', async () => {
    const path = await database(join(sharedFolder(), 'history.db'));
    restrict(path, 0o200);

    expect(openInChild(path)).toEqual({
      code: 'DATABASE',
      message: `openExecutionStore: cannot open "${path}": no permission to read it (${ownership(path)}). ${WRITE_ADVICE}`,
    });
  });

  it('a file the user may read but not write', async () => {
    const path = join(sharedFolder(), 'history.db');
    writeFileSync(path, '');
    restrict(path, 0o444);

    expect(openInChild(path)).toEqual({
      code: 'DATABASE',
      message:
        `openExecutionStore: cannot open "${path}": no permission to write it (${ownership(path)}), ` +
        `and opening writes to it (WAL mode, migrations). ${WRITE_ADVICE}`,
    });
  });

  it('a writable database in a folder the user may not write: SQLite cannot create the -wal and -shm files', async () => {
    const folder = join(sharedFolder(), 'shared');
    mkdirSync(folder);
    const path = await database(join(folder, 'history.db'));
    chmodSync(path, 0o666);
    restrict(folder, 0o555);

    expect(openInChild(path)).toEqual({
      code: 'DATABASE',
      message:
        `openExecutionStore: cannot open "${path}": no permission to create files in its folder "${folder}", and SQLite ` +
        'needs to create "history.db-wal" and "history.db-shm" there. Give this user write permission on the folder, ' +
        'or move the database to a folder it can write',
    });
  });

  it('a new file in a folder the user may not write', () => {
    const folder = join(sharedFolder(), 'shared');
    mkdirSync(folder);
    restrict(folder, 0o555);
    const path = join(folder, 'history.db');

    expect(openInChild(path)).toEqual({
      code: 'DATABASE',
      message:
        `openExecutionStore: cannot open "${path}": the file does not exist, and there is no permission to create it in ` +
        `"${folder}". Give this user write permission on that folder, or choose another path`,
    });
  });

  it('a new folder that cannot be created', () => {
    const folder = join(sharedFolder(), 'shared');
    mkdirSync(folder);
    restrict(folder, 0o555);
    const path = join(folder, 'data', 'history.db');

    expect(openInChild(path)).toEqual({
      code: 'DATABASE',
      message:
        `openExecutionStore: cannot open "${path}": its folder "${join(folder, 'data')}" does not exist, and there is no ` +
        `permission to create it in "${folder}". Give this user write permission on that folder, or choose another path`,
    });
  });

  it('a folder on the way the user may not enter', async () => {
    const folder = join(sharedFolder(), 'private');
    mkdirSync(folder);
    const path = await database(join(folder, 'history.db'));
    restrict(folder, 0o600);

    expect(openInChild(path)).toEqual({
      code: 'DATABASE',
      message:
        `openExecutionStore: cannot open "${path}": no permission to enter the folder "${folder}" on the way to it. ` +
        'Give this user permission to enter that folder (x), or choose another path',
    });
  });
});

/** Mounting needs root, and a private mount namespace keeps the mount from outliving the child or leaking out. */
const CAN_MOUNT =
  RUNS_AS_ROOT && process.platform === 'linux' && spawnSync('unshare', ['-m', 'mount', '-t', 'tmpfs', 'tmpfs', tmpdir()]).status === 0;

/** Runs the child in its own mount namespace, with a small tmpfs at `folder` prepared by `prepare` (a shell line). */
function onTmpfs(folder: string, size: string, prepare: string, readOnly: boolean): Wrapper {
  const remount = readOnly ? ` && mount -o remount,ro "${folder}"` : '';
  return {
    command: 'unshare',
    args: ['-m', 'sh', '-c', `mount -t tmpfs -o size=${size} tmpfs "${folder}"${prepare}${remount} && exec "$0" "$@"`],
  };
}

describe.skipIf(!CAN_MOUNT)('file systems (a tmpfs in a private mount namespace)', () => {
  it('a database on a read-only file system', async () => {
    const source = await database(join(sharedFolder(), 'source.db'));
    const folder = join(sharedFolder(), 'mounted');
    mkdirSync(folder);
    const path = join(folder, 'history.db');

    expect(openInChild(path, onTmpfs(folder, '1m', ` && cp "${source}" "${path}"`, true))).toEqual({
      code: 'DATABASE',
      message:
        `openExecutionStore: cannot open "${path}": it is on a read-only file system, and opening writes to it ` +
        '(WAL mode, migrations) and beside it (its -wal and -shm files). Copy it to a writable folder and open the copy, ' +
        'or mount the file system read-write',
    });
  });

  it('a new file on a read-only file system', () => {
    const folder = join(sharedFolder(), 'mounted');
    mkdirSync(folder);
    const path = join(folder, 'data', 'history.db');

    expect(openInChild(path, onTmpfs(folder, '1m', '', true))).toEqual({
      code: 'DATABASE',
      message: `openExecutionStore: cannot open "${path}": it cannot be created: "${folder}" is on a read-only file system. Choose a path on a writable file system`,
    });
  });

  it('a full disk: STORAGE_FULL', () => {
    const folder = join(sharedFolder(), 'mounted');
    mkdirSync(folder);
    const path = join(folder, 'history.db');

    expect(openInChild(path, onTmpfs(folder, '64k', '', false))).toEqual({
      code: 'STORAGE_FULL',
      message: `openExecutionStore: cannot open "${path}": there is no space left on its disk (SQLITE_FULL). Free disk space and retry`,
    });
  });
});

describe('failures only the error itself explains', () => {
  it('EROFS from creating the file: a read-only file system, wherever the tests run', () => {
    const folder = sharedFolder();
    const path = join(folder, 'history.db');
    const error = Object.assign(new Error(`EROFS: read-only file system, open '${path}'`), { code: 'EROFS' });

    const failure = openFailure(path, error);

    expect(failure).toMatchObject({
      code: 'DATABASE',
      message: `openExecutionStore: cannot open "${path}": it cannot be created: "${folder}" is on a read-only file system. Choose a path on a writable file system`,
    });
    expect(failure.cause).toBe(error);
  });

  it('ENOSPC from creating the file: STORAGE_FULL', () => {
    const path = join(sharedFolder(), 'history.db');
    const error = Object.assign(new Error(`ENOSPC: no space left on device, open '${path}'`), { code: 'ENOSPC' });

    expect(openFailure(path, error)).toMatchObject({
      code: 'STORAGE_FULL',
      message: `openExecutionStore: cannot open "${path}": there is no space left on its disk (ENOSPC). Free disk space and retry`,
      cause: error,
    });
  });

  it('an in-memory database: no file to examine, the underlying message kept', () => {
    const error = new Error('migrations would leave 2 rows with broken foreign keys; rolled back');

    expect(openFailure(':memory:', error)).toMatchObject({
      code: 'DATABASE',
      message: 'openExecutionStore: cannot open ":memory:": migrations would leave 2 rows with broken foreign keys; rolled back',
    });
  });

  it('a path the file system refuses to look at: the diagnosis does not throw, and control characters stay escaped', () => {
    const path = 'bad\0name\n.db';
    const failure = openFailure(path, new Error('unable to open'));

    expect(failure).toMatchObject({
      code: 'DATABASE',
      message: `openExecutionStore: cannot open "bad\\x00name\\x0a.db" (${resolve('bad')}\\x00name\\x0a.db): unable to open`,
    });
  });
});

describe('the command', () => {
  it('--db <directory> list: the same message on stderr, exit 1', () => {
    const folder = sharedFolder();
    const given = relative(process.cwd(), folder);

    const result = cli(['--db', given, 'list']);

    expect(result).toEqual({
      status: 1,
      stdout: '',
      stderr:
        `error: openExecutionStore: cannot open "${given}" (${folder}): it is a directory, not a database file. ` +
        `Give the path of a file, such as "${join(given, 'execution-history.db')}"\n`,
    });
  });

  it('--db <text file> list: the same message on stderr, exit 1', () => {
    const path = join(sharedFolder(), 'notes.txt');
    writeFileSync(path, 'hello\n');

    const result = cli(['--db', path, 'list']);

    expect(result).toEqual({
      status: 1,
      stdout: '',
      stderr: `error: openExecutionStore: cannot open "${path}": it is not a SQLite database: it holds 6 bytes and starts with "hello\\n". ${NOT_A_DATABASE_ADVICE}\n`,
    });
  });
});

describe('a database URL this package cannot open', () => {
  const URL_WITH_PASSWORD = 'mysql://app:s3cret@db.internal:3306/history';
  const EXPECTED = `"mysql://app:***@db.internal:3306/history" is a mysql URL, which this package cannot open; expected a SQLite file path, ':memory:', or a postgres:// URL`;

  it('is refused with what was given (its password masked) and what is expected, creating nothing', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'execution-history-url-'));
    const cwd = process.cwd();
    process.chdir(folder);
    try {
      await expect(openExecutionStore(URL_WITH_PASSWORD)).rejects.toMatchObject({ code: 'VALIDATION', message: `openExecutionStore: invalid input: ${EXPECTED}` });
      process.env.EXECUTION_HISTORY_DB = 'file:///srv/history.db';
      await expect(openExecutionStore()).rejects.toMatchObject({
        code: 'VALIDATION',
        message: `openExecutionStore: invalid input: "file:///srv/history.db" is a file URL, which this package cannot open; expected a SQLite file path, ':memory:', or a postgres:// URL`,
      });
      // Before, the URL became a SQLite file in a new folder named after its scheme.
      expect(readdirSync(folder)).toEqual([]);
    } finally {
      delete process.env.EXECUTION_HISTORY_DB;
      process.chdir(cwd);
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('is a bad argument to the command, naming --db', () => {
    const folder = mkdtempSync(join(tmpdir(), 'execution-history-url-'));
    try {
      for (const command of [['list'], ['migrate'], ['doctor'], ['demo']]) {
        const result = spawnSync(process.execPath, [CLI_PATH, '--db', URL_WITH_PASSWORD, ...command], { cwd: folder, encoding: 'utf8' });
        expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
          status: 2,
          stdout: '',
          stderr: `error: --db (or EXECUTION_HISTORY_DB): ${EXPECTED}\n(add --help for usage)\n`,
        });
      }
      expect(readdirSync(folder)).toEqual([]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('a PostgreSQL URL whose server cannot be reached', () => {
  // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
  const UNREACHABLE = 'postgres://app:s3cret@127.0.0.1:1/history';

  it('fails with UNAVAILABLE, the password masked and the driver error as cause, and creates no file', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'execution-history-url-'));
    const cwd = process.cwd();
    process.chdir(folder);
    try {
      const error = await openExecutionStore(UNREACHABLE, { postgres: { connectTimeoutMs: 2000 } }).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toMatchObject({
        name: 'ExecutionStoreError',
        code: 'UNAVAILABLE',
        message:
          'openExecutionStore: opening the execution history (migrations) on the PostgreSQL server at postgres://app:***@127.0.0.1:1/history: ' +
          'the PostgreSQL server at postgres://app:***@127.0.0.1:1/history could not be reached or gave no connection in time (ECONNREFUSED); ' +
          'nothing of this call was written. Check that the server is up and reachable; the store reconnects by itself on the next call',
      });
      expect((error as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
      expect(readdirSync(folder)).toEqual([]);
    } finally {
      process.chdir(cwd);
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('is an error of the command naming the server, exit 1, not a usage error', () => {
    const folder = mkdtempSync(join(tmpdir(), 'execution-history-url-'));
    try {
      const result = spawnSync(process.execPath, [CLI_PATH, '--db', UNREACHABLE, 'list'], { cwd: folder, encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('postgres://app:***@127.0.0.1:1/history could not be reached');
      expect(result.stderr).not.toContain('s3cret');
      expect(readdirSync(folder)).toEqual([]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
