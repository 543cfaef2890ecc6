// The days of the partitioned tables. workflow_executions and execution_steps are partitioned by range of their ids
// (migration 0004), which are uuid v7 holding the run's start (src/core/time-ordered-id.ts): a day's partition holds
// the ids from the first 12 hex digits of its first millisecond to those of the next day's, in byte order. A step's
// id holds its execution's time, so a run and its steps share a day. One partition per UTC day per table, named
// `<table>_pYYYYMMDD`; a database migrated with history also has `<table>_legacy`, from the beginning of ids to the
// day after the migration.
//
// Days are made ahead by maintenance (ensureDaysAround: at open, by the clean-ups, and by writes every few hours) and,
// for a run whose day has none yet (a backfill, a clock far ahead), by the write itself: it fails with "no partition
// … found for row", the day is made and the write runs again (Transactions.missingPartition).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool, PoolClient } from 'pg';
import { withClient } from './connection.js';
import { timeOfId } from '../core/time-ordered-id.js';
import { postgresErrorCode } from './driver-errors.js';

export const DAY_MS = 86_400_000;
/** Above every id: the upper end of a range that leaves nothing out (and of the last day's partition, MAXVALUE). */
const ABOVE_EVERY_ID = '\u{10FFFF}';
export const PARTITIONED_TABLES = ['workflow_executions', 'execution_steps'] as const;
/** Days made ahead of today, and kept made by maintenance. */
export const DAYS_AHEAD = 7;
/**
 * How long a partition's DDL waits for a lock on its table before it gives up and tries again: writers queue behind
 * a waiting ACCESS EXCLUSIVE request, so a long wait would stall them all. Tried again up to LOCK_ATTEMPTS times.
 */
export const LOCK_TIMEOUT_MS = 50;
const LOCK_ATTEMPTS = 40;

/** The first characters of every id of a time: the partition bound of that millisecond ('0192a5c1-f400'). */
export function boundOf(ms: number): string {
  const hex = Math.max(0, Math.trunc(ms)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}`;
}

/** The time a bound (or an id) starts with. */
export function timeOfBound(bound: string): number {
  return Number.parseInt(bound.slice(0, 8) + bound.slice(9, 13), 16);
}

export const dayStartOf = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/** The last millisecond a uuid v7 holds (the year 10889): the last day's partition runs to MAXVALUE. */
const MAX_ID_MS = 2 ** 48 - 1;

/** `<table>_pYYYYMMDD` of the UTC day starting at dayStart (more digits of year after 9999). */
export function dayPartitionName(table: string, dayStart: number): string {
  const date = new Date(dayStart);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${table}_p${String(date.getUTCFullYear()).padStart(4, '0')}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}`;
}

/** A partition of one of the tables, with its range of ids (from null: from the beginning). */
export interface Partition {
  table: (typeof PARTITIONED_TABLES)[number];
  name: string;
  /** The first id it holds (a bound), or null for the legacy partition, which holds every id below `to`. */
  from: string | null;
  to: string;
}

/** The partitions attached to the two tables now, oldest first. */
export async function attachedPartitions(client: Pool | PoolClient): Promise<Partition[]> {
  const { rows } = await client.query<{ parent: string; name: string; bound: string }>(
    `SELECT p.relname AS parent, c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname = ANY($1::text[]) AND p.relnamespace = current_schema()::regnamespace`,
    [PARTITIONED_TABLES],
  );
  const partitions = rows.map((row) => {
    // FOR VALUES FROM ('0192a5c1-f400') TO ('0192aaf8-5000'); FROM (MINVALUE) for the legacy one, TO (MAXVALUE) for the last day a uuid v7 holds
    const [, from, to, last] = /FROM \((?:'([^']*)'|MINVALUE)\) TO \((?:'([^']*)'|(MAXVALUE))\)/.exec(row.bound) ?? [];
    if (to === undefined && last === undefined) throw new Error(`partition ${row.name} of ${row.parent} has bounds this store did not make: ${row.bound}`);
    return { table: row.parent as Partition['table'], name: row.name, from: from ?? null, to: to ?? ABOVE_EVERY_ID };
  });
  return partitions.sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : a.table.localeCompare(b.table)));
}

/**
 * Runs DDL in a transaction of its own with a short lock timeout, again while it times out: a partition's DDL
 * takes a lock on its parent table that writers would otherwise queue behind for as long as a reader holds it.
 */
export async function withShortLocks<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withClient(pool, async (client) => {
        await client.query('BEGIN');
        try {
          await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT_MS}ms'`);
          const result = await work(client);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      if (postgresErrorCode(error) !== '55P03' || attempt >= LOCK_ATTEMPTS) throw error;
      await sleep(LOCK_TIMEOUT_MS * (1 + Math.random() * 2)); // let the writers that queued meanwhile through
    }
  }
}

/**
 * Makes the day partitions of both tables from the day of `fromMs` to that of `toMs`, those missing; days an existing
 * partition covers (the legacy one) are left to it. Two instances doing it at once make each day once.
 */
export async function ensureDays(pool: Pool, fromMs: number, toMs: number): Promise<number> {
  const existing = await attachedPartitions(pool);
  let made = 0;
  for (let day = dayStartOf(fromMs); day <= toMs; day += DAY_MS) {
    const from = boundOf(day);
    const to = day + DAY_MS > MAX_ID_MS ? ABOVE_EVERY_ID : boundOf(day + DAY_MS);
    for (const table of PARTITIONED_TABLES) {
      const covered = existing.some((partition) => partition.table === table && (partition.from ?? '') < to && from < partition.to);
      if (covered) continue;
      try {
        const upTo = to === ABOVE_EVERY_ID ? 'MAXVALUE' : `'${to}'`;
        await withShortLocks(pool, (client) =>
          client.query(`CREATE TABLE IF NOT EXISTS "${dayPartitionName(table, day)}" PARTITION OF "${table}" FOR VALUES FROM ('${from}') TO (${upTo})`),
        );
        made++;
      } catch (error) {
        // Another instance made it (or one overlapping it) between the listing and now.
        if (!['42P07', '42P17', '23505'].includes(postgresErrorCode(error) ?? '')) throw error;
      }
    }
  }
  return made;
}

/** The days around now that maintenance keeps made: yesterday to DAYS_AHEAD days ahead. */
export function ensureDaysAround(pool: Pool, now: number): Promise<number> {
  return ensureDays(pool, now - DAY_MS, now + DAYS_AHEAD * DAY_MS);
}

/**
 * The time of the row a write found no partition for, from PostgreSQL's error ("no partition of relation … found
 * for row", detail "Partition key of the failing row contains (id) = (…)"); undefined for any other error.
 */
export function missingPartitionTime(error: unknown): number | undefined {
  if (postgresErrorCode(error) !== '23514' || !/no partition of relation/.test((error as Error).message)) return undefined;
  const id = /\(id\) = \(([0-9a-f-]+)\)/.exec((error as { detail?: string }).detail ?? '')?.[1];
  return id === undefined ? undefined : timeOfBound(id);
}

/**
 * The range of ids that the steps of these executions lie in, for statements that find steps by execution_id (not
 * the partition key) to name the partitions to read: a step's id holds its execution's time, so an execution's steps
 * are in its day's partition; those of an execution in the legacy partition (ids below `legacyTo`, made when they
 * were inserted) are anywhere in it.
 */
export function stepIdRange(executionIds: Iterable<string>, legacyTo: string | null): { from: string; to: string } {
  let from: string | undefined;
  let to: string | undefined;
  for (const id of executionIds) {
    const time = timeOfId(id);
    let range: { from: string; to: string };
    if (time === undefined) range = { from: '', to: ABOVE_EVERY_ID };
    else if (legacyTo !== null && id < legacyTo) range = { from: '', to: legacyTo };
    else range = { from: boundOf(dayStartOf(time)), to: boundOf(dayStartOf(time) + DAY_MS) };
    if (from === undefined || range.from < from) from = range.from;
    if (to === undefined || range.to > to) to = range.to;
  }
  return { from: from ?? '', to: to ?? '' };
}
