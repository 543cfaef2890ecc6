// Keeping the WAL bounded. SQLite's automatic checkpoint copies pages back into the database but can only start
// the WAL over when no reader holds an old snapshot; with readers always active (a dashboard polling, several
// processes) it never can, and the WAL grows without end (n8n users found 18 GB ones). Measured here: an
// always-open reader let 6 s of writing grow it to 898 MB.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';

/** Past this size the store forces the WAL to start over (a TRUNCATE checkpoint). */
export const DEFAULT_WAL_LIMIT_BYTES = 64 * 1024 * 1024;
/** The file size is looked at once per this many written rows; a stat costs a few µs. */
const ROWS_BETWEEN_CHECKS = 64;
/**
 * How long the checkpoint waits for old readers to finish. It holds the write lock while it waits, so this is what
 * it can add to other writers' waits; it is kept well below their busy timeout. A reader that takes longer is
 * waited for at a later check.
 */
const CHECKPOINT_WAIT_MS = 200;

export class WalLimit {
  private rowsSinceCheck = 0;
  private readonly walFile: string | null;

  constructor(
    private readonly sqlite: BetterSqlite3.Database,
    private readonly limitBytes: number,
    private readonly busyTimeoutMs: number,
  ) {
    // Resolved now: a relative name would follow later changes of the working directory.
    this.walFile = sqlite.memory ? null : `${resolve(sqlite.name)}-wal`;
    // SQLite reuses a WAL file from its start without shrinking it, so one large retention batch would leave the
    // file over the limit for good, and every check would checkpoint again. With this, each restart of the WAL
    // also cuts the file back to the limit, and its size says how much is really in it.
    if (this.walFile !== null) sqlite.pragma(`journal_size_limit = ${limitBytes}`);
  }

  /** Call after a committed write of `rows` rows. Never throws: the write has happened whatever this does. */
  afterWrite(rows = 1): void {
    if (this.walFile === null) return;
    this.rowsSinceCheck += rows;
    if (this.rowsSinceCheck < ROWS_BETWEEN_CHECKS) return;
    this.rowsSinceCheck = 0;
    if (this.isOverLimit()) this.checkpoint();
  }

  /**
   * Between two delete batches of a clean-up, which grows the WAL faster than anything: pages are copied back
   * without the write lock every time, and the WAL is emptied whenever it is over the limit. (With another process
   * writing, SQLite almost never finds the moment to start the WAL over by itself: a day of retention at the large
   * scale grew it to 1.1 GB.)
   */
  betweenBatches(): void {
    if (this.walFile === null) return;
    this.passive();
    if (this.isOverLimit()) this.truncate();
  }

  /**
   * Copies the WAL into the database and empties it, waiting at most CHECKPOINT_WAIT_MS for readers of older
   * snapshots. Returns whether it got to the end; never throws, since it runs after writes that have happened.
   */
  checkpoint(): boolean {
    if (this.walFile === null) return true;
    // Copying pages back is the slow part, and a PASSIVE checkpoint does it without the write lock. A TRUNCATE on
    // its own copied a WAL that retention had grown while holding the lock: clean-up batches waited 380 ms for it.
    this.passive();
    return this.truncate();
  }

  private isOverLimit(): boolean {
    // The file can be missing for a moment: SQLite deletes it when the last connection to the database closes.
    return (statSync(this.walFile as string, { throwIfNoEntry: false })?.size ?? 0) > this.limitBytes;
  }

  private passive(): void {
    try {
      this.sqlite.pragma('wal_checkpoint(PASSIVE)'); // never waits, never blocks writers
    } catch {
      // Another checkpoint is running: it does the same work.
    }
  }

  private truncate(): boolean {
    this.sqlite.pragma(`busy_timeout = ${Math.min(CHECKPOINT_WAIT_MS, this.busyTimeoutMs)}`);
    try {
      const [result] = this.sqlite.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      return result?.busy === 0;
    } catch {
      return false;
    } finally {
      this.sqlite.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    }
  }
}
