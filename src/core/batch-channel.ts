// Where the recorder's batch writer sends its batches: the store's writeBatch on the caller's thread, or a worker
// thread that writes a SQLite file on a connection of its own (src/sqlite/batch-worker.ts). A channel that keeps
// more than one batch in flight commits them in the order they were sent, and never one after a failure that its
// writer has not yet handled: a later batch may hold the steps and ends of runs whose start the failed one held.
import type { HistoryBatch, WrittenBatch } from './types.js';

export interface BatchChannel {
  /** 'worker' when batches are written on another thread, 'inline' when on the caller's. */
  readonly kind: 'worker' | 'inline';
  /** How many batches the writer may have sent before the first is answered. */
  readonly depth: number;
  /** False once it can write no more (a worker that died twice): the writer goes on inline for good. */
  readonly usable: boolean;
  /** False while it cannot write yet (a worker starting, or starting again): the writer goes on inline meanwhile. */
  readonly ready: boolean;
  /**
   * Writes a batch, whole or not at all. Once a batch fails, every batch sent after it is refused (BatchRefused,
   * nothing written) until resume(): the writer handles the failure first, with every batch's outcome known.
   */
  send(batch: HistoryBatch): Promise<WrittenBatch>;
  /** The writer has handled a failure (given its items back, dropped or stripped them): batches are written again. */
  resume(): void;
  /**
   * The writer stopped (close() wrote what it could in its time): nothing more is written, not even a batch in flight
   * that has yet to take the database's write lock (inline, no batch is in flight once the writer stopped).
   */
  stop(): void;
}

/** A batch a channel did not try, because one sent before it failed: nothing of it was written. */
export class BatchRefused extends Error {
  constructor() {
    super('writeBatch: not tried, a batch sent before it failed');
    this.name = 'BatchRefused';
  }
}
