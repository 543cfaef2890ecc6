// The store's side of its batch worker (src/sqlite/batch-worker.ts): starts the thread when a recorder opens a
// channel (it takes 0.4 s from the built package to open the file, over a second under tsx; the recorder writes
// inline until it is ready), sends batches, turns answers into what writeBatch resolves or rejects with, and starts
// a thread that died once again. The thread is unref'd whenever no batch is in flight, so it never keeps a process
// alive on its own.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type BatchChannel, BatchRefused } from '../core/batch-channel.js';
import { ExecutionStoreError } from '../core/errors.js';
import type { HistoryBatch, WrittenBatch } from '../core/types.js';
import type { ValidBatch } from '../core/validation.js';
import { type BatchWorkerSettings, fromTransitError, toTransit, type TransitBatch, type WorkerAnswer, type WorkerRequest } from './batch-transit.js';

/** Threads started after the first one died: one more; a second death leaves the recorder writing inline. */
const RESTARTS = 1;

/**
 * The worker's file, beside the file this code runs from, in its format: the built .js or .cjs (tsup writes entries
 * and shared chunks to one folder), or the .ts source under tsx or vitest. Undefined when there is none (the package
 * bundled into a consumer's own file): the recorder then writes inline.
 */
export function batchWorkerEntry(): URL | undefined {
  try {
    const here = import.meta.url;
    const ts = here.endsWith('.ts');
    const file = new URL(`./batch-worker${ts ? '.ts' : here.endsWith('.cjs') ? '.cjs' : '.js'}`, here);
    if (file.protocol !== 'file:' || !existsSync(fileURLToPath(file))) return undefined;
    if (!ts) return file;
    // From the TypeScript sources: on Node 20 neither an inherited --import of tsx's loader nor execArgv
    // ['--import', 'tsx'] makes a worker load .ts (ERR_UNKNOWN_FILE_EXTENSION); tsx's register() called in the worker
    // does. A data: URL is an ES module whatever the package's type.
    const api = import.meta.resolve('tsx/esm/api');
    const code = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(file.href)});`;
    return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
  } catch {
    // No import.meta.url (a CommonJS bundle without shims), no tsx beside the sources.
    return undefined;
  }
}

/** What the worker needs from its store: the store's clock and encoder, and the news that it registered the instance. */
export interface BatchWorkerHooks {
  now(): number;
  /** The store's payload encoder: for payloads not encoded already (see toTransit). */
  encode(value: unknown): string | null;
  registered(): void;
}

interface Pending {
  resolve(written: WrittenBatch): void;
  reject(error: Error): void;
}

export class BatchWorker {
  private thread: Worker | undefined;
  /** Whether the thread has opened the file. */
  private opened = false;
  private deaths = 0;
  /** What the running thread threw or said, for the errors of the batches it takes with it if it stops. */
  private threadFailure: string | undefined;
  /** Why the last thread stopped. */
  private lastFailure: string | undefined;
  private closed: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private channels = 0;

  constructor(
    private readonly entry: URL,
    private readonly settings: BatchWorkerSettings,
    private readonly hooks: BatchWorkerHooks,
  ) {}

  /** False once a restarted thread died too, or the store closed. */
  get usable(): boolean {
    return this.deaths <= RESTARTS && this.closed === undefined;
  }

  /** Whether a thread is running that has opened the file. */
  get ready(): boolean {
    return this.usable && this.thread !== undefined && this.opened;
  }

  /** A writer's channel: batches written in order, refused after a failure until it resumes (see BatchChannel). */
  channel(validate: (batch: HistoryBatch) => ValidBatch): BatchChannel {
    if (this.usable) this.thread ??= this.start();
    return new WorkerChannel(this, this.channels++, validate, this.hooks.encode);
  }

  /** Sends a validated batch (in its transit form) to the thread, started first if there is none. */
  write(channel: number, epoch: number, batch: TransitBatch, stopped: SharedArrayBuffer): Promise<WrittenBatch> {
    if (!this.usable) return Promise.reject(new ExecutionStoreError('DATABASE', `writeBatch: the batch worker is not running (${this.lastFailure ?? 'the store is closed'})`));
    const thread = (this.thread ??= this.start());
    const id = this.nextId++;
    const request: WorkerRequest = { kind: 'batch', id, channel, epoch, batch, now: this.hooks.now(), stopped };
    return new Promise<WrittenBatch>((resolve, reject) => {
      // Held from here until answered: a script whose last await is this write ends once it is written, not before.
      if (this.pending.size === 0) thread.ref();
      this.pending.set(id, { resolve, reject });
      thread.postMessage(request);
    });
  }

  /** Ends the thread once the batches it was sent are answered (messages are taken in order); closes its connection. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      const thread = this.thread;
      if (thread === undefined) return;
      thread.ref();
      const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
      thread.postMessage({ kind: 'close' } satisfies WorkerRequest);
      await exited;
    })();
    return this.closed;
  }

  private start(): Worker {
    this.opened = false;
    this.threadFailure = undefined;
    const thread = new Worker(this.entry, { workerData: this.settings });
    thread.on('message', (answer: WorkerAnswer) => this.answered(thread, answer));
    thread.on('error', (error) => {
      this.threadFailure = `it threw ${error.name}: ${error.message}`;
    });
    thread.on('exit', (code) => this.exited(thread, code));
    // After the listeners: unref'd before them, a store that never wrote kept the process alive.
    thread.unref();
    return thread;
  }

  private answered(thread: Worker, answer: WorkerAnswer): void {
    if (answer.kind === 'ready') {
      this.opened = thread === this.thread;
      return;
    }
    if (answer.kind === 'unopened') {
      this.threadFailure = `it could not open the file: ${answer.error.message}`;
      return;
    }
    const waiting = this.pending.get(answer.id);
    if (waiting === undefined) return;
    this.pending.delete(answer.id);
    if (this.pending.size === 0 && this.closed === undefined) thread.unref();
    if (answer.kind === 'written') {
      if (answer.registered) this.hooks.registered();
      waiting.resolve(answer.written);
    } else if (answer.kind === 'refused') waiting.reject(new BatchRefused());
    else waiting.reject(fromTransitError(answer.error));
  }

  private exited(thread: Worker, code: number): void {
    if (thread !== this.thread) return;
    this.thread = undefined;
    this.opened = false;
    if (this.closed !== undefined && this.pending.size === 0) return;
    this.deaths += 1;
    const reason = this.threadFailure ?? `it exited with code ${code}`;
    this.lastFailure = reason;
    // What it was writing was rolled back with its connection: each of these batches is tried again, or dropped.
    const failure = new ExecutionStoreError('DATABASE', `writeBatch: the batch worker stopped (${reason}); nothing of the batch was written`);
    for (const waiting of this.pending.values()) waiting.reject(failure);
    this.pending.clear();
    // Started again at once, so that it is ready by the time the writer's backoff is over.
    if (this.usable) this.thread = this.start();
  }
}

/**
 * One writer's way to the worker. Its batches carry an epoch: once one fails (here, in validation, or in the worker),
 * later batches of that epoch are refused, here or by the worker, until resume() starts the next epoch.
 */
class WorkerChannel implements BatchChannel {
  readonly kind = 'worker';
  /** One batch written while the next is validated and sent: what the worker is for, on a machine of two cores. */
  readonly depth = 2;
  private epoch = 0;
  private haltedAt = -1;
  /** Set once by stop(), read by the worker in each batch's transaction (see BatchRequest.stopped). */
  private readonly stopped = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);

  constructor(
    private readonly worker: BatchWorker,
    private readonly id: number,
    private readonly validate: (batch: HistoryBatch) => ValidBatch,
    private readonly encode: (value: unknown) => string | null,
  ) {}

  get usable(): boolean {
    return this.worker.usable;
  }

  get ready(): boolean {
    return this.worker.ready;
  }

  send(batch: HistoryBatch): Promise<WrittenBatch> {
    const epoch = this.epoch;
    if (this.haltedAt >= epoch || Atomics.load(new Int32Array(this.stopped), 0) !== 0) return Promise.reject(new BatchRefused());
    let transit: TransitBatch;
    try {
      // Validated on this thread: the worker is sent nothing structured cloning could refuse, and a bad item is
      // named in the same words as by writeBatch.
      transit = toTransit(this.validate(batch), this.encode);
    } catch (error) {
      this.haltedAt = epoch;
      return Promise.reject(error);
    }
    return this.worker.write(this.id, epoch, transit, this.stopped).catch((error: unknown) => {
      this.haltedAt = Math.max(this.haltedAt, epoch);
      throw error;
    });
  }

  resume(): void {
    if (this.haltedAt >= this.epoch) this.epoch = this.haltedAt + 1;
  }

  stop(): void {
    Atomics.store(new Int32Array(this.stopped), 0, 1);
  }
}
