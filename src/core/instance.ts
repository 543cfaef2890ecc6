// Who a store is among the processes that share one history: the identity recorded on every execution it creates,
// and the lease after which, unheard of, it counts as gone and its running executions as interrupted.
import { hostname } from 'node:os';
import { v7 as uuidv7 } from 'uuid';

/** How long an instance may go unheard of before it counts as gone, by default. */
export const DEFAULT_LEASE_MS = 60_000;
/** The shortest lease a store accepts: a heartbeat every lease / HEARTBEATS_PER_LEASE must stay a light load. */
export const MIN_LEASE_MS = 1_000;
/**
 * Heartbeats an instance sends per lease. Six: an instance stays alive through five missed or late beats (a paused
 * event loop, a slow database, a busy SQLite file), which is the lease's margin.
 */
export const HEARTBEATS_PER_LEASE = 6;
/** How long an instance that owns no running execution stays listed after it was last heard of. */
export const GONE_INSTANCES_KEPT_MS = 7 * 24 * 3_600_000;

/** Drawn once per process: the default instance id, and the token that tells this process from a previous holder of an id. */
const PROCESS_ID = uuidv7();
const PROCESS_INCARNATION = uuidv7();

export interface InstanceIdentity {
  /** Recorded on the executions the store creates. */
  id: string;
  host: string;
  pid: number;
  /** This process's token (see history_instances.incarnation). */
  incarnation: string;
  leaseMs: number;
  heartbeatMs: number;
}

/** The identity of a store opened with these (validated) options. */
export function instanceIdentity(options: { id?: string | undefined; leaseMs?: number | undefined } | undefined): InstanceIdentity {
  const leaseMs = options?.leaseMs ?? DEFAULT_LEASE_MS;
  return {
    id: options?.id ?? PROCESS_ID,
    host: hostname(),
    pid: process.pid,
    incarnation: PROCESS_INCARNATION,
    leaseMs,
    heartbeatMs: Math.floor(leaseMs / HEARTBEATS_PER_LEASE),
  };
}
