// Ids that say when their run started: uuid v7 whose 48-bit time is the execution's startedAt (not the moment of the
// insert), and, for a step, its execution's. On PostgreSQL the history is partitioned by day of these ids
// (src/postgres/partitions.ts), so an execution and its steps sit in the partition of its start day, a lookup by
// id reads one partition, and retention by age drops whole days. Ids of one time from one process increase in the
// order they were made, as uuid's own v7 does for the current time.
import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { ExecutionStoreError } from './errors.js';

/** The largest time a uuid v7 holds (48 bits of ms: the year 10889). */
const MAX_MS = 2 ** 48 - 1;
const last = { ms: -1, seq: 0 };
/**
 * Random bytes for the ids, drawn 4 KiB at a time: one draw per id cost 4% of the recorder's writer (a system call
 * each); 256 ids per draw.
 */
const pool = new Uint8Array(4096);
let poolAt = pool.length;

function randomBytes16(): Uint8Array {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += 16;
  return pool.subarray(poolAt - 16, poolAt);
}

/** A new uuid v7 whose time is `ms` (ms since the epoch, clamped to what the id holds). */
export function idAt(ms: number): string {
  const time = Math.min(Math.max(Math.trunc(ms), 0), MAX_MS);
  if (time === last.ms) last.seq = (last.seq + 1) | 0;
  else {
    last.ms = time;
    last.seq = Math.floor(Math.random() * 2 ** 31); // as uuid's v7: a random start, room to count up
  }
  return uuidv7({ msecs: time, seq: last.seq, random: randomBytes16() });
}

/** The time a uuid v7 holds, or undefined for a string that is not one (an id from elsewhere). */
export function timeOfId(id: string): number | undefined {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7/i.test(id)) return undefined;
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/** The id of a new step of `executionId`: in its execution's time, so that it lands in the same partition. */
export function stepIdOf(executionId: string, fallbackMs: number): string {
  return idAt(timeOfId(executionId) ?? fallbackMs);
}

/** The id of a new execution that starts at `startedAt`, for ExecutionStore.writeBatch. */
export function newExecutionId(startedAt: number): string {
  return idAt(startedAt);
}

/** The id of a new step of the execution `executionId`, for ExecutionStore.writeBatch. */
export function newStepId(executionId: string): string {
  const time = typeof executionId === 'string' ? timeOfId(executionId) : undefined;
  if (time === undefined) {
    throw new ExecutionStoreError('VALIDATION', `newStepId: expected the id of an execution (a uuid v7), got ${JSON.stringify(executionId)}`);
  }
  return idAt(time);
}
