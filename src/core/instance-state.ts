// An instance's state as `instances` and doctor show it: alive while heard of within its own lease, gone after.
// Judged on the database's clock alone (`now` comes with the row), so no process's clock enters into it.
import type { HistoryInstance } from './types.js';

/** An instance's row as both backends list it, with the database's now and its running executions. */
export type InstanceRow = Pick<HistoryInstance, 'id' | 'host' | 'pid' | 'startedAt' | 'heardAt' | 'leaseMs'> & { now: number; running: number };

export function listedInstance(row: InstanceRow, self: string): HistoryInstance {
  const silentMs = Math.max(0, row.now - row.heardAt);
  return {
    id: row.id,
    host: row.host,
    pid: row.pid,
    startedAt: row.startedAt,
    heardAt: row.heardAt,
    leaseMs: row.leaseMs,
    silentMs,
    state: silentMs <= row.leaseMs ? 'alive' : 'gone',
    runningExecutions: row.running,
    current: row.id === self,
  };
}
