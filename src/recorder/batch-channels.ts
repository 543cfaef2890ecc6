// Which way the batch writer's batches go (src/core/batch-channel.ts): a worker thread where the store has one (a
// SQLite file it opened itself), else the store's writeBatch on this thread; and back to this thread for good when
// the worker is gone (it died again after one restart).
import { type BatchChannel } from '../core/batch-channel.js';
import { BATCH_CHANNEL, type ExecutionStore } from '../store.js';

/**
 * How long an inline batch waits for another connection's write lock: on SQLite that wait is synchronous (the
 * driver's busy handler), so it is the event loop's, and the workflow's; a file locked for longer is tried again after
 * a backoff. A worker's batch waits the store's busyTimeoutMs, on its own thread.
 */
export const WRITE_OPTIONS = { lockWaitMs: 20 };

/** The store's writeBatch, on the caller's thread: one batch at a time. */
export function inlineChannel(store: ExecutionStore): BatchChannel {
  return {
    kind: 'inline',
    depth: 1,
    usable: true,
    ready: true,
    send: (batch) => store.writeBatch(batch, WRITE_OPTIONS),
    resume: () => undefined,
    stop: () => undefined,
  };
}

/**
 * The channel a recorder's writer uses: 'worker' asks the store for one and takes the inline one where it has none
 * (in memory, a caller's connection, PostgreSQL, no worker file); `fellBack` is told once if the worker goes.
 */
export function recorderChannel(store: ExecutionStore, writer: 'worker' | 'inline', fellBack: (error: Error) => void): BatchChannel {
  const inline = inlineChannel(store);
  const worker = writer === 'worker' ? store[BATCH_CHANNEL]() : undefined;
  return worker === undefined ? inline : new FallingBackChannel(worker, inline, fellBack);
}

/**
 * A worker's channel while it is ready; the inline one while it starts (or starts again), and for good once it is
 * gone. It switches only with no batch in flight: two batches in flight on different channels could commit out of
 * order after a failure (only a channel's own later batches are refused).
 */
class FallingBackChannel implements BatchChannel {
  private current: BatchChannel;
  private inFlight = 0;
  private told = false;

  constructor(
    private readonly worker: BatchChannel,
    private readonly inline: BatchChannel,
    private readonly fellBack: (error: Error) => void,
  ) {
    this.current = inline;
  }

  get kind() {
    return this.chosen().kind;
  }

  get depth() {
    return this.chosen().depth;
  }

  readonly usable = true;
  readonly ready = true;

  send(batch: Parameters<BatchChannel['send']>[0]) {
    const channel = this.chosen();
    this.inFlight += 1;
    return channel.send(batch).finally(() => {
      this.inFlight -= 1;
    });
  }

  resume(): void {
    this.current.resume();
  }

  stop(): void {
    this.worker.stop();
  }

  /** The channel for the next batch: read before each, changed only when none is in flight. */
  private chosen(): BatchChannel {
    if (this.inFlight > 0) return this.current;
    if (this.worker.ready) this.current = this.worker;
    else {
      this.current = this.inline;
      if (!this.worker.usable && !this.told) {
        this.told = true;
        this.fellBack(new Error("the recorder's batch worker is gone (it stopped again after a restart, or the store was closed): batches are written on the event loop from now on"));
      }
    }
    return this.current;
  }
}
