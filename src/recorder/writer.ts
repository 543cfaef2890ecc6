// The recorder's background writer: commits what the buffer holds in batches (every flush interval, or at once when
// a batch's worth waits), one transaction each, through a channel (src/recorder/batch-channels.ts): the store's
// writeBatch one batch at a time, or a worker thread with two batches in flight (one written while the next is
// built and sent). A failed batch stays at the front of the buffer and is tried again with backoff: a busy or locked
// database, a server that went away, a full disk (the batch's payloads are dropped first). The batch sent after a
// failed one is refused by the channel, unwritten, and given back with it. Nothing here ever throws into the
// workflow's path.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BatchChannel, BatchRefused } from '../core/batch-channel.js';
import { ExecutionStoreError } from '../core/errors.js';
import type { WrittenBatch } from '../core/types.js';
import { batchOf } from './batch-of.js';
import type { RecorderBuffer } from './buffer.js';
import type { DropReason } from './drops.js';
import type { Item } from './run-state.js';

export { WRITE_OPTIONS } from './batch-channels.js';
/**
 * Waits between tries of a failed write: doubling from firstMs up to maxMs. A write failing with an error that is not
 * the database's (a bug) is tried unexpectedFailuresTolerated times before what it holds is dropped.
 */
export const BACKOFF = { firstMs: 50, maxMs: 5_000, unexpectedFailuresTolerated: 3 } as const;
/** The fewest items a batch sized by flush.maxHoldMs takes. */
const MIN_BATCH_ITEMS = 50;

export interface BatchSizes {
  intervalMs: number;
  /** Items a batch takes at most. */
  maxItems: number;
  /**
   * How long one batch may hold the event loop: the synchronous part of its write, which on SQLite is the whole
   * transaction (the driver is synchronous) and on PostgreSQL building its statements. Batches are then sized from
   * the last one's time per item, between MIN_BATCH_ITEMS and maxItems. Undefined: batches of maxItems.
   */
  maxHoldMs: number | undefined;
}
/** Lets the event loop run what waits (the workflows) before the writer goes on. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface WriterEvents {
  /** A batch was committed: what it wrote. */
  committed(written: { executions: number; steps: number; updated: number; counted: number }): void;
  /** A write failed (it is retried unless the items were dropped). */
  failed(error: Error): void;
  /** Drops an item, with why. */
  drop(item: Item, reason: DropReason, detail?: string): void;
}

/** A batch sent: its items, how long sending it held the event loop, and how it ended (never a rejection). */
interface Flight {
  items: Item[];
  heldMs: number;
  outcome: Promise<{ written: WrittenBatch } | { error: unknown }>;
}

export class BatchWriter {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running: Promise<void> | undefined;
  private backoffMs = 0;
  private unexpectedFailures = 0;
  /** Items a batch takes now: maxItems at most, fewer when the last batch held the loop longer than maxHoldMs. */
  private batchLimit: number;
  private stopped = false;
  /** Wakes a writer waiting out its backoff (flush and close do not wait for it). */
  private wake: AbortController | undefined;

  constructor(
    private readonly channel: BatchChannel,
    private readonly buffer: RecorderBuffer,
    private readonly sizes: BatchSizes,
    private readonly events: WriterEvents,
  ) {
    this.batchLimit = sizes.maxItems;
  }

  /**
   * After something was queued: a write as soon as the workflow's call has returned when a batch's worth waits, else
   * within the interval. Never in the call itself: on SQLite the driver is synchronous, and a commit there would be
   * the workflow's wait.
   */
  nudge(): void {
    if (this.stopped || this.running !== undefined) return;
    if (this.buffer.queuedItems >= this.sizes.maxItems) {
      if (this.immediate !== undefined) return;
      this.clearTimer();
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.start();
      });
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, this.sizes.intervalMs).unref();
  }

  /** Resolves once what is queued now is committed or dropped (trying again as long as it takes). */
  async flush(): Promise<void> {
    const target = this.buffer.end;
    while (this.buffer.front < target && !this.stopped) {
      this.clearTimer();
      this.wake?.abort();
      this.start();
      await this.running;
    }
  }

  /** Stops writing: no timer, no retries (what a batch under way commits is committed). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    this.wake?.abort();
    await this.running;
  }

  private start(): void {
    if (this.running !== undefined || this.stopped) return;
    this.running = this.writeWhileFull().finally(() => {
      this.running = undefined;
      if (this.buffer.hasQueued) this.nudge();
    });
  }

  /**
   * Writes one batch, and more while a whole batch's worth waits, with up to the channel's depth of them in flight; a
   * failed one is tried again after its backoff.
   */
  private async writeWhileFull(): Promise<void> {
    const flights: Flight[] = [];
    for (;;) {
      if (flights.length === 0) {
        // A stop during the write just failed: no backoff to wait out.
        if (this.stopped) return;
        if (this.backoffMs > 0) {
          this.wake = new AbortController();
          await sleep(this.backoffMs, undefined, { signal: this.wake.signal, ref: false }).catch(() => undefined);
          this.wake = undefined;
          if (this.stopped) return;
        }
      }
      // Another batch is sent while one is in flight only if the last one sent was full (more waited than it took).
      while (!this.stopped && flights.length < this.channel.depth && (flights.at(-1)?.items.length ?? this.batchLimit) >= this.batchLimit) {
        const items = this.buffer.take(this.batchLimit);
        if (items.length === 0) break;
        flights.push(this.send(items));
      }
      const flight = flights.shift();
      if (flight === undefined) return;
      const ok = await this.settle(flight, flights);
      if (ok && flights.length === 0 && flight.items.length < this.batchLimit) return;
      // A turn of the event loop between batches: on SQLite an inline write runs on the loop, and a backlog drained
      // in one stretch would hold the workflows for all of it.
      await turn();
    }
  }

  private send(items: Item[]): Flight {
    const started = performance.now();
    let outcome: Flight['outcome'];
    try {
      outcome = this.channel.send(batchOf(items)).then(
        (written) => ({ written }),
        (error: unknown) => ({ error }),
      );
    } catch (error) {
      outcome = Promise.resolve({ error });
    }
    return { items, heldMs: performance.now() - started, outcome };
  }

  /**
   * The oldest batch in flight has ended: its items are let go, or (it failed) given back with those of the batches
   * sent after it, which the channel refused; true when it was committed.
   */
  private async settle(flight: Flight, later: Flight[]): Promise<boolean> {
    const outcome = await flight.outcome;
    if ('written' in outcome) {
      const { items } = flight;
      this.sizeBatches(items.length, flight.heldMs);
      this.afterCommit(items, outcome.written.missing);
      this.buffer.committed();
      this.backoffMs = 0;
      this.unexpectedFailures = 0;
      this.events.committed(outcome.written);
      return true;
    }
    // Nothing is decided before every batch sent is known not to have been written.
    await Promise.all(later.splice(0).map((refused) => refused.outcome));
    this.buffer.giveBack();
    this.channel.resume();
    // Refused without a failure before it: the channel was stopped (close()), nothing failed.
    if (!(outcome.error instanceof BatchRefused)) await this.failed(flight.items, outcome.error);
    return false;
  }

  private async failed(items: Item[], error: unknown): Promise<void> {
    const failure = error instanceof Error ? error : new Error(String(error));
    this.events.failed(failure);
    if (error instanceof ExecutionStoreError && error.code === 'VALIDATION') {
      // Something the workflow handed over is not storable: find it, drop it, write the rest at once (unless
      // the database failed meanwhile: then the backoff below, as for any failure).
      if (await this.isolate(items)) return;
    }
    if (error instanceof ExecutionStoreError && error.code === 'STORAGE_FULL') {
      for (const item of items) if (item.kind === 'step') this.buffer.stripPayloads(item, 'storage-full');
    }
    if (!(error instanceof ExecutionStoreError)) {
      this.unexpectedFailures += 1;
      if (this.unexpectedFailures >= BACKOFF.unexpectedFailuresTolerated) {
        for (const item of items) this.events.drop(item, 'write-failed', failure.message);
        this.unexpectedFailures = 0;
        return;
      }
    }
    this.backoffMs = Math.min(BACKOFF.maxMs, Math.max(BACKOFF.firstMs, this.backoffMs * 2));
  }

  /**
   * Writes the items of a refused batch one by one, dropping the ones the store refuses; stops at any other failure
   * (false then).
   */
  private async isolate(items: Item[]): Promise<boolean> {
    for (const item of items) {
      if (item.done) continue;
      await turn();
      try {
        const written = await this.channel.send(batchOf([item]));
        this.afterCommit([item], written.missing);
        this.buffer.settleItem(item);
        this.events.committed(written);
      } catch (error) {
        this.channel.resume();
        if (!(error instanceof ExecutionStoreError && error.code === 'VALIDATION')) return false;
        this.events.drop(item, 'invalid', error.message);
      }
    }
    return true;
  }

  /** A committed batch's running rows are in the database; what named an execution that is not was left out. */
  private afterCommit(items: Item[], missing: string[]): void {
    const gone = new Set(missing);
    for (const item of items) {
      if (item.kind === 'start' && item.run.fate !== 'lost' && !(item.run.fate === 'counted' && !item.run.plan.live)) item.run.startWritten = true;
      if (gone.has(item.run.id) && (item.kind === 'step' || item.kind === 'end')) this.events.drop(item, 'execution-missing');
    }
  }

  /** The next batches' size, from how long this one held the loop for its items. */
  private sizeBatches(items: number, heldMs: number): void {
    const { maxHoldMs } = this.sizes;
    if (maxHoldMs === undefined || items < MIN_BATCH_ITEMS) return; // no bound, or too few to tell
    const fitting = Math.floor((maxHoldMs * items) / Math.max(heldMs, 0.001));
    this.batchLimit = Math.min(this.sizes.maxItems, Math.max(MIN_BATCH_ITEMS, fitting));
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
