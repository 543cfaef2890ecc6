// Transactions on the pool: a pooled client per transaction, with Drizzle over that client for the query builder and
// the client itself for the hand-written statements. A write that loses a deadlock or a serialization race is run
// again from the start (PostgreSQL aborted all of it), a few times, before its error reaches the caller; so is a
// write that found no partition for its row, once the day's partition is made (src/postgres/partitions.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Pool, PoolClient } from 'pg';
import { withClient } from './connection.js';
import { isUnreachable, postgresErrorCode } from './driver-errors.js';
import { DAY_MS, missingPartitionTime } from './partitions.js';

/** Makes the day partition of a time (ms) that a write found none for. */
export type MakeDay = (ms: number) => Promise<unknown>;

export interface Transaction {
  /** The query builder, bound to this transaction's connection. */
  db: NodePgDatabase;
  /** The connection itself, for hand-written SQL. */
  client: PoolClient;
}

/** deadlock_detected and serialization_failure: the transaction was rolled back whole and may simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 5;

export class Transactions {
  /** The query builder on the pool, for a read of one statement: no transaction needed. */
  readonly db: NodePgDatabase;

  constructor(
    private readonly pool: Pool,
    private readonly makeDay?: MakeDay,
  ) {
    this.db = drizzle({ client: pool });
  }

  /** A READ COMMITTED write transaction; rows read to be changed are locked by the work itself (FOR UPDATE). */
  write<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return retried(() => this.run('BEGIN', work), this.makeDay);
  }

  /**
   * A write of one statement, which PostgreSQL commits (or rolls back) whole by itself: no BEGIN and COMMIT around
   * it, two round trips fewer. Run again as `write` does when it loses a deadlock.
   */
  statement<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return retried(
      () =>
      withClient(this.pool, async (client, broken) => {
        try {
          return await work(client);
        } catch (error) {
          if (isUnreachable(error)) broken(error as Error);
          throw error;
        }
      }),
      this.makeDay,
    );
  }

  /** One snapshot for reads that take several statements, so that an execution and its steps agree. */
  read<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', work);
  }

  private run<T>(begin: string, work: (tx: Transaction) => Promise<T>): Promise<T> {
    return withClient(this.pool, async (client, broken) => {
      await client.query(begin);
      try {
        const result = await work(transactionOn(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A connection that cannot even roll back is gone or unusable: the pool must not hand it out again.
        await client.query('ROLLBACK').catch((rollbackError: Error) => broken(rollbackError));
        if (isUnreachable(error)) broken(error as Error);
        throw error;
      }
    });
  }
}

/** A transaction's handle on a connection that has begun one. */
export function transactionOn(client: PoolClient): Transaction {
  // The query builder is made only for the work that uses it: most writes send hand-written SQL alone.
  let db: NodePgDatabase | undefined;
  return {
    client,
    get db() {
      return (db ??= drizzle({ client }));
    },
  };
}

/**
 * Runs `attempt` again while it fails with a deadlock or serialization failure, up to ATTEMPTS times; and, with
 * `makeDay`, each time it finds a day without its partition, once that day is made. A batch may hold runs of as many
 * days as it has rows (a backfill, a buffer written after a long outage): a missing day never made before by this
 * write does not count as an attempt, since each one made is progress; the same day missing twice does.
 */
async function retried<T>(attempt: () => Promise<T>, makeDay?: MakeDay): Promise<T> {
  const daysMade = new Set<number>();
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const missingTime = makeDay === undefined ? undefined : missingPartitionTime(error);
      if (missingTime !== undefined) {
        const day = Math.floor(missingTime / DAY_MS);
        const newDay = !daysMade.has(day);
        if (newDay || tries < ATTEMPTS) {
          if (newDay) {
            daysMade.add(day);
            tries--;
          }
          await makeDay?.(missingTime);
          continue;
        }
      }
      const code = postgresErrorCode(error);
      if (tries >= ATTEMPTS || code === undefined || !RETRYABLE.has(code)) throw error;
      await sleep(Math.random() * 10 * tries); // apart, so that the two do not collide again
    }
  }
}
