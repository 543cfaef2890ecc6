// What opening a database file failed on, said in terms of the file: which path, what is wrong with it, what to do.
// SQLite's own words ("unable to open database file", "file is not a database") name neither the file nor the
// reason, so after a failure the path is examined: what is there, who may read and write it, what it starts with.
import { accessSync, closeSync, constants, openSync, readSync, type Stats, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ExecutionStoreError } from '../core/errors.js';
import { sqliteErrorCode } from './driver-errors.js';

/** Every SQLite database file starts with these 16 bytes. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

const GIVE_A_DATABASE = 'Give the path of a history database, or of a file that does not exist yet to start a new one';

interface Diagnosis {
  problem: string;
  /** What to do about it; absent when nothing better than SQLite's own words is known. */
  advice?: string;
  /** Out of space: STORAGE_FULL, which callers already handle by freeing space or pruning. */
  full?: boolean;
}

/** The error openExecutionStore throws when `path` cannot be opened as a history database. */
export function openFailure(path: string, error: unknown): ExecutionStoreError {
  const inMemory = path === ':memory:' || path === '';
  const absolute = inMemory ? path : resolve(path);
  const subject = absolute === path ? quoted(path) : `${quoted(path)} (${escapeControls(absolute)})`;
  let diagnosis: Diagnosis;
  try {
    diagnosis = diagnose(path, inMemory, error);
  } catch {
    // Examining the path is a courtesy: whatever goes wrong in it must not hide the failure being reported.
    diagnosis = { problem: driverDetail(error) };
  }
  const advice = diagnosis.advice === undefined ? '' : `. ${diagnosis.advice}`;
  return new ExecutionStoreError(
    diagnosis.full === true ? 'STORAGE_FULL' : 'DATABASE',
    `openExecutionStore: cannot open ${subject}: ${diagnosis.problem}${advice}`,
    { cause: error },
  );
}

function diagnose(path: string, inMemory: boolean, error: unknown): Diagnosis {
  const sqliteCode = sqliteErrorCode(error);
  const systemCode = errnoCode(error);
  if (sqliteCode === 'SQLITE_FULL' || systemCode === 'ENOSPC' || systemCode === 'EDQUOT') {
    return {
      problem: `there is no space left on its disk (${sqliteCode ?? systemCode})`,
      advice: 'Free disk space and retry',
      full: true,
    };
  }
  const found = inMemory ? undefined : examinePath(path, error, sqliteCode, systemCode);
  if (found !== undefined) return found;
  if (sqliteCode === 'SQLITE_BUSY') {
    return {
      problem: `another connection kept it locked for longer than the busy timeout (${driverDetail(error)})`,
      advice: 'Close the program holding it (a second writer, or a drizzle-kit studio left open), or raise busyTimeoutMs',
    };
  }
  return { problem: driverDetail(error) };
}

function examinePath(path: string, error: unknown, sqliteCode: string | undefined, systemCode: string | undefined): Diagnosis | undefined {
  const absolute = resolve(path);
  const stats = statOrCode(absolute);
  if (typeof stats === 'string') return examineMissing(absolute, systemCode);
  if (stats.isDirectory()) {
    return {
      problem: 'it is a directory, not a database file',
      advice: `Give the path of a file, such as ${quoted(join(path, 'execution-history.db'))}`,
    };
  }
  if (!stats.isFile()) {
    return {
      problem: `it is ${specialFileKind(stats)}, not a database file`,
      advice: GIVE_A_DATABASE,
    };
  }
  if (accessCode(absolute, constants.R_OK) !== undefined) return noPermission('read', stats);
  const head = firstBytes(absolute);
  if (stats.size > 0 && head !== undefined && !head.equals(SQLITE_HEADER)) {
    return {
      problem: `it is not a SQLite database: it holds ${describeContent(stats.size, head)}`,
      advice: GIVE_A_DATABASE,
    };
  }
  if (sqliteCode?.startsWith('SQLITE_CORRUPT') || sqliteCode === 'SQLITE_NOTADB') {
    return {
      problem: `it is a SQLite database, but damaged (${driverDetail(error)})`,
      advice: `Run \`execution-history --db ${shellWord(path)} doctor\` to see what is wrong, or restore it from a backup`,
    };
  }
  const fileWrite = accessCode(absolute, constants.W_OK);
  if (fileWrite === 'EROFS' || systemCode === 'EROFS') return onReadOnlyFileSystem();
  if (fileWrite !== undefined) return noPermission('write', stats);
  const folder = dirname(absolute);
  const folderWrite = accessCode(folder, constants.W_OK | constants.X_OK);
  if (folderWrite === 'EROFS') return onReadOnlyFileSystem();
  if (folderWrite !== undefined) {
    const name = basename(absolute);
    return {
      problem:
        `no permission to create files in its folder ${quoted(folder)}, and SQLite needs to create ` +
        `${quoted(`${name}-wal`)} and ${quoted(`${name}-shm`)} there`,
      advice: 'Give this user write permission on the folder, or move the database to a folder it can write',
    };
  }
  return undefined;
}

/** Nothing can be seen at the path: a folder on the way is a file, cannot be entered, or cannot be written. */
function examineMissing(absolute: string, systemCode: string | undefined): Diagnosis | undefined {
  const folder = dirname(absolute);
  let existing = folder;
  let stats = statOrCode(existing);
  while (typeof stats === 'string' && dirname(existing) !== existing) {
    existing = dirname(existing);
    stats = statOrCode(existing);
  }
  if (typeof stats === 'string') return undefined;
  if (!stats.isDirectory()) {
    return {
      problem: `${quoted(existing)} on the way to it is a file, not a folder`,
      advice: 'Move or rename that file, or choose another path',
    };
  }
  if (accessCode(existing, constants.X_OK) !== undefined) {
    return {
      problem: `no permission to enter the folder ${quoted(existing)} on the way to it`,
      advice: 'Give this user permission to enter that folder (x), or choose another path',
    };
  }
  const creating = existing === folder ? 'the file' : `its folder ${quoted(folder)}`;
  const writable = accessCode(existing, constants.W_OK);
  if (writable === 'EROFS' || systemCode === 'EROFS') return folderOnReadOnlyFileSystem(existing);
  if (writable === undefined) return undefined;
  return {
    problem: `${creating} does not exist, and there is no permission to create it in ${quoted(existing)}`,
    advice: 'Give this user write permission on that folder, or choose another path',
  };
}

function noPermission(access: 'read' | 'write', stats: Stats): Diagnosis {
  // Write permission matters even to someone who only reads history: opening applies pending migrations and
  // turns on WAL mode.
  const why = access === 'write' ? ', and opening writes to it (WAL mode, migrations)' : '';
  return {
    problem: `no permission to ${access} it (${ownership(stats)})${why}`,
    advice: 'Run as the user who owns it, or give this user read and write permission on it',
  };
}

function onReadOnlyFileSystem(): Diagnosis {
  return {
    problem:
      'it is on a read-only file system, and opening writes to it (WAL mode, migrations) and beside it (its -wal and -shm files)',
    advice: 'Copy it to a writable folder and open the copy, or mount the file system read-write',
  };
}

function folderOnReadOnlyFileSystem(folder: string): Diagnosis {
  return {
    problem: `it cannot be created: ${quoted(folder)} is on a read-only file system`,
    advice: 'Choose a path on a writable file system',
  };
}

/** Who may do what with the file, and who is asking: the usual answer to "but the file is right there". */
function ownership(stats: Stats): string {
  const mode = `mode ${(stats.mode & 0o7777).toString(8).padStart(4, '0')}`;
  const uid = process.getuid?.();
  return uid === undefined ? mode : `${mode}, owner uid ${stats.uid}; this process runs as uid ${uid}`;
}

function describeContent(size: number, head: Buffer): string {
  const amount = `${groupDigits(size)} ${size === 1 ? 'byte' : 'bytes'}`;
  if (head.every((byte) => byte === 0)) return `${amount}, ${head.length === size ? 'all' : `the first ${head.length}`} zero`;
  return `${amount} and starts with "${escapeBytes(head)}"`;
}

function specialFileKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Byte by byte, so that cutting a multi-byte character or a terminal escape in half prints nothing but text. */
function escapeBytes(bytes: Buffer): string {
  let text = '';
  for (const byte of bytes) {
    if (byte === 0x0a) text += '\\n';
    else if (byte === 0x0d) text += '\\r';
    else if (byte === 0x09) text += '\\t';
    else if (byte === 0x22 || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return text;
}

function quoted(path: string): string {
  return `"${escapeControls(path)}"`;
}

/** A file name may hold a newline or a terminal escape; the message stays one plain line whatever the path. */
function escapeControls(path: string): string {
  // eslint-disable-next-line no-control-regex
  return path.replace(/[\u0000-\u001f\u007f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The path as a shell would take it back, so that the suggested command can be pasted as it is. */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

function groupDigits(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function firstBytes(path: string): Buffer | undefined {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(path, 'r');
    const buffer = Buffer.alloc(SQLITE_HEADER.length);
    return buffer.subarray(0, readSync(descriptor, buffer, 0, buffer.length, 0));
  } catch {
    return undefined;
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}

function statOrCode(path: string): Stats | string {
  try {
    return statSync(path);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
  }
}

/** The errno code that denies `mode` on `path`, or undefined when it is allowed. */
function accessCode(path: string, mode: number): string | undefined {
  try {
    accessSync(path, mode);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
  }
}

/** The operating system's code (ENOTDIR, EACCES, EROFS...) of the first such error in the cause chain. */
function errnoCode(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

/** What the driver said, for failures the path itself does not explain. */
function driverDetail(error: unknown): string {
  let root = error;
  while (root instanceof Error && root.cause instanceof Error) root = root.cause;
  const message = root instanceof Error ? root.message : String(root);
  const code = sqliteErrorCode(error);
  return code === undefined || message.startsWith(code) ? message : `${code}: ${message}`;
}
