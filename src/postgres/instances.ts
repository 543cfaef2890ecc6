// The instances writing this database, as on SQLite (src/sqlite/instances.ts): registering one, its heartbeat,
// which running executions belong to instances that are gone, and the listing. Every time is the server's clock,
// so instances whose own clocks disagree are judged on one.
import { and, eq, isNotNull, ne, sql, type SQL } from 'drizzle-orm';
import type { Pool, PoolClient } from 'pg';
import type { BeatOutcome } from '../core/heartbeat.js';
import { GONE_INSTANCES_KEPT_MS, type InstanceIdentity } from '../core/instance.js';
import { type InstanceRow, listedInstance } from '../core/instance-state.js';
import type { HistoryInstance } from '../core/types.js';
import type { Transaction } from './transactions.js';
import { historyInstances as instances, workflowExecutions as executions } from './schema.js';

/** Now in ms since the epoch, by the server's clock (clock_timestamp: not the transaction's start). */
const NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

/**
 * Running executions whose instance is gone: not heard of within its own lease, or with no row at all. Never those
 * of `self` (this store is alive) nor those with no instance (recorded before instances: startedBefore's to recover).
 */
export function runningOfGoneInstances(self: string): SQL {
  return and(
    eq(executions.status, 'running'),
    isNotNull(executions.instanceId),
    ne(executions.instanceId, self),
    sql`NOT EXISTS (SELECT 1 FROM ${instances} WHERE ${instances.id} = ${executions.instanceId} AND ${instances.heardAt} + ${instances.leaseMs} >= ${sql.raw(NOW)})`,
  ) as SQL;
}

/** Running executions of one instance: what a process that takes over an id finds its previous holder left. */
export function runningOfInstance(id: string): SQL {
  return and(eq(executions.status, 'running'), eq(executions.instanceId, id)) as SQL;
}

const UPSERT = `INSERT INTO history_instances (id, host, pid, incarnation, started_at, heard_at, lease_ms)
  VALUES ($1, $2, $3, $4, ${NOW}, ${NOW}, $5)
  ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, incarnation = excluded.incarnation,
    heard_at = excluded.heard_at,
    lease_ms = CASE WHEN history_instances.incarnation = excluded.incarnation THEN greatest(history_instances.lease_ms, excluded.lease_ms) ELSE excluded.lease_ms END,
    started_at = CASE WHEN history_instances.incarnation = excluded.incarnation THEN history_instances.started_at ELSE excluded.started_at END`;

const PRUNE_GONE = `DELETE FROM history_instances i WHERE i.heard_at < ${NOW} - ${GONE_INSTANCES_KEPT_MS}
  AND NOT EXISTS (SELECT 1 FROM workflow_executions e WHERE e.status = 'running' AND e.instance_id = i.id)`;

const LIST = `SELECT i.id, i.host, i.pid, i.started_at AS "startedAt", i.heard_at AS "heardAt", i.lease_ms AS "leaseMs", ${NOW} AS now,
    (SELECT count(*) FROM workflow_executions e WHERE e.status = 'running' AND e.instance_id = i.id) AS running
  FROM history_instances i ORDER BY i.heard_at DESC, i.id COLLATE "C"`;

const upsertValues = (identity: InstanceIdentity) => [identity.id, identity.host, identity.pid, identity.incarnation, identity.leaseMs];

/**
 * Registers the instance in the caller's write transaction (before its first execution): true when another process
 * held the id before, whose running executions the caller then recovers. The row is locked first, so two stores
 * registering one id at once take turns.
 */
export async function registerInstance(tx: Transaction, identity: InstanceIdentity): Promise<boolean> {
  const { rows } = await tx.client.query<{ incarnation: string }>('SELECT incarnation FROM history_instances WHERE id = $1 FOR UPDATE', [identity.id]);
  await tx.client.query(PRUNE_GONE);
  await tx.client.query(UPSERT, upsertValues(identity));
  const previous = rows[0];
  return previous !== undefined && previous.incarnation !== identity.incarnation;
}

/** One heartbeat, from the timer: one autocommitted statement; a server that cannot take it now is tried again soon. */
export async function beat(pool: Pool, identity: InstanceIdentity): Promise<BeatOutcome> {
  try {
    await pool.query(UPSERT, upsertValues(identity));
    return 'done';
  } catch {
    return 'retry';
  }
}

/** Every instance (few rows: gone ones are pruned after a week); `self` marks the caller's own. */
export async function listInstances(pool: Pool | PoolClient, self: string): Promise<HistoryInstance[]> {
  const { rows } = await pool.query<Record<keyof InstanceRow, string | number>>(LIST);
  return rows.map((row) =>
    listedInstance(
      {
        id: String(row.id),
        host: String(row.host),
        pid: Number(row.pid),
        startedAt: Number(row.startedAt),
        heardAt: Number(row.heardAt),
        leaseMs: Number(row.leaseMs),
        now: Number(row.now),
        running: Number(row.running),
      },
      self,
    ),
  );
}
