// The instances writing this file, as on PostgreSQL: registering one, its heartbeat, which running executions belong
// to instances that are gone, and the listing. Times come from SQL (the host's clock, which every process on the
// machine shares), not from the store's `now` option or a process's own idea of the time.
import type BetterSqlite3 from 'better-sqlite3';
import { and, eq, isNotNull, ne, sql, type SQL } from 'drizzle-orm';
import { GONE_INSTANCES_KEPT_MS, type InstanceIdentity } from '../core/instance.js';
import type { BeatOutcome } from '../core/heartbeat.js';
import { type InstanceRow, listedInstance } from '../core/instance-state.js';
import type { HistoryInstance } from '../core/types.js';
import { sqliteErrorCode } from './driver-errors.js';
import { historyInstances as instances, workflowExecutions as executions } from './schema.js';

/** Now in ms since the epoch, as the database reads it: in the statements' text, and as a Drizzle expression. */
const NOW_MS = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";
export const databaseNow = sql.raw(NOW_MS);

/**
 * Running executions whose instance is gone: not heard of within its own lease, or with no row at all. Never those
 * of `self` (this store is alive) nor those with no instance (recorded before instances: startedBefore's to recover).
 */
export function runningOfGoneInstances(self: string): SQL {
  return and(
    eq(executions.status, 'running'),
    isNotNull(executions.instanceId),
    ne(executions.instanceId, self),
    sql`NOT EXISTS (SELECT 1 FROM ${instances} WHERE ${instances.id} = ${executions.instanceId} AND ${instances.heardAt} + ${instances.leaseMs} >= ${databaseNow})`,
  ) as SQL;
}

/** Running executions of one instance: what a process that takes over an id finds its previous holder left. */
export function runningOfInstance(id: string): SQL {
  return and(eq(executions.status, 'running'), eq(executions.instanceId, id)) as SQL;
}

export class InstanceRows {
  private readonly upsert: BetterSqlite3.Statement;
  private readonly holder: BetterSqlite3.Statement<[string], { incarnation: string }>;
  private readonly pruneGone: BetterSqlite3.Statement;
  private readonly list: BetterSqlite3.Statement<[], InstanceRow>;

  constructor(
    private readonly sqlite: BetterSqlite3.Database,
    private readonly identity: InstanceIdentity,
    private readonly busyTimeoutMs: number,
  ) {
    this.upsert = sqlite.prepare(
      `INSERT INTO history_instances (id, host, pid, incarnation, started_at, heard_at, lease_ms)
       VALUES (@id, @host, @pid, @incarnation, ${NOW_MS}, ${NOW_MS}, @leaseMs)
       ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, incarnation = excluded.incarnation,
         heard_at = excluded.heard_at,
         lease_ms = CASE WHEN history_instances.incarnation = excluded.incarnation THEN max(history_instances.lease_ms, excluded.lease_ms) ELSE excluded.lease_ms END,
         started_at = CASE WHEN history_instances.incarnation = excluded.incarnation THEN history_instances.started_at ELSE excluded.started_at END`,
    );
    this.holder = sqlite.prepare('SELECT incarnation FROM history_instances WHERE id = ?');
    this.pruneGone = sqlite.prepare(
      `DELETE FROM history_instances WHERE heard_at < ${NOW_MS} - ${GONE_INSTANCES_KEPT_MS}
       AND NOT EXISTS (SELECT 1 FROM workflow_executions e WHERE e.status = 'running' AND e.instance_id = history_instances.id)`,
    );
    this.list = sqlite.prepare(LIST_INSTANCES);
  }

  /**
   * Registers this store's instance, inside the caller's write transaction (before its first execution): returns
   * true when another process held the id before, whose running executions the caller then recovers.
   */
  register(): boolean {
    const previous = this.holder.get(this.identity.id);
    this.pruneGone.run();
    this.upsert.run(this.identity);
    return previous !== undefined && previous.incarnation !== this.identity.incarnation;
  }

  /**
   * One heartbeat, from the timer: it waits for no other process's write lock (the event loop would stall), and a
   * file that is busy now is tried again soon.
   */
  beat(): BeatOutcome {
    this.sqlite.pragma('busy_timeout = 0');
    try {
      this.upsert.run(this.identity);
      return 'done';
    } catch (error) {
      if (sqliteErrorCode(error) === 'SQLITE_BUSY' || !this.sqlite.open) return 'retry';
      throw error;
    } finally {
      if (this.sqlite.open) this.sqlite.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    }
  }

  listed(self: string): HistoryInstance[] {
    return this.list.all().map((row) => listedInstance(row, self));
  }
}

/** Every instance with the database's now and its running executions (few rows: gone ones are pruned after a week). */
const LIST_INSTANCES = `SELECT i.id, i.host, i.pid, i.started_at AS startedAt, i.heard_at AS heardAt, i.lease_ms AS leaseMs,
    ${NOW_MS} AS now,
    (SELECT count(*) FROM workflow_executions e WHERE e.status = 'running' AND e.instance_id = i.id) AS running
  FROM history_instances i ORDER BY i.heard_at DESC, i.id`;

/** The listing on any connection (an inspection's read-only one); null when the file has no instances table yet. */
export function instancesIn(sqlite: BetterSqlite3.Database): HistoryInstance[] | null {
  if (sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'history_instances'").get() === undefined) return null;
  return (sqlite.prepare(LIST_INSTANCES).all() as InstanceRow[]).map((row) => listedInstance(row, ''));
}
