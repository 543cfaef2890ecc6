// The writer of `durability: 'step'`: each recorder call's write is made at once, one transaction each, in the
// order of the calls, and the call's `written` promise resolves when it is committed (or dropped). For debugging a
// runtime: a crash loses nothing that was recorded before its promise resolved, at the cost of a transaction per
// call (bench part 13 measures it). Failures are retried with the batch writer's backoff; nothing here throws.
import { setTimeout as sleep } from 'node:timers/promises';
import { ExecutionStoreError } from '../core/errors.js';
import type { DropReason, DroppedPart } from './drops.js';
import type { RunState } from './run-state.js';
import { BACKOFF, type WriterEvents } from './writer.js';

/** One write of a call: `stripped` asks for it without its payloads (the disk is full). */
export type StepWrite = (stripped: boolean) => Promise<unknown>;

export interface StepWriteOf {
  run: RunState;
  part: DroppedPart;
  nodeId?: string;
  /** Whether the write holds payloads that a full disk may cost (a step's). */
  hasPayloads?: boolean;
  /** A step's writes name its row: once its running row is dropped, its end is not written (nor told again). */
  row?: object;
}

export interface StepWriterEvents extends Pick<WriterEvents, 'failed'> {
  drop(of: StepWriteOf, reason: DropReason, detail?: string): void;
}

/** A write asked for: settled once committed or dropped. */
interface Entry {
  of: StepWriteOf;
  write: StepWrite;
  settled: boolean;
}

export class StepWriter {
  private tail: Promise<void> = Promise.resolve();
  /** Writes asked for and not yet committed or dropped, in order: bounded by maxItems, as the batch writer's buffer is. */
  private readonly waiting = new Set<Entry>();
  private stopped = false;
  private wake: AbortController | undefined;
  /** Steps whose running row was dropped. */
  private readonly lostRows = new WeakSet<object>();

  constructor(
    private readonly maxItems: number,
    private readonly events: StepWriterEvents,
  ) {}

  /** Queues a write after the ones asked for before it; resolves once it is committed or dropped, never rejects. */
  write(of: StepWriteOf, write: StepWrite): Promise<void> {
    if (this.isLost(of)) return this.tail;
    if (this.stopped) {
      this.drop(of, 'closed');
      return this.tail;
    }
    if (this.waiting.size >= this.maxItems) {
      this.drop(of, 'buffer-full');
      return this.tail;
    }
    const entry: Entry = { of, write, settled: false };
    this.waiting.add(entry);
    // Nothing below throws, but a chain that once rejected would skip every later write: it never may.
    const done = this.tail
      .then(() => this.untilWritten(entry))
      .catch(() => undefined)
      .finally(() => this.settle(entry));
    this.tail = done;
    return done;
  }

  /** Writes asked for and not yet committed or dropped. */
  get queued(): number {
    return this.waiting.size;
  }

  /** Resolves once every write asked for so far is committed or dropped. */
  flush(): Promise<void> {
    return this.tail;
  }

  /**
   * No more writes nor retries: every write still waiting is dropped as closed now, counted and told (the one under
   * way ends as it ends, and is counted as dropped all the same if it commits later).
   */
  stop(): void {
    this.stopped = true;
    this.wake?.abort();
    for (const entry of [...this.waiting]) {
      this.settle(entry);
      // Each part of a run is told, as the batch writer's close tells each item; a step's end not again after its row.
      if (entry.of.row === undefined || !this.lostRows.has(entry.of.row)) this.drop(entry.of, 'closed');
    }
  }

  private settle(entry: Entry): void {
    entry.settled = true;
    this.waiting.delete(entry);
  }

  private isLost(of: StepWriteOf): boolean {
    return of.run.fate === 'lost' || (of.row !== undefined && this.lostRows.has(of.row));
  }

  private drop(of: StepWriteOf, reason: DropReason, detail?: string): void {
    if (of.row !== undefined && of.part === 'step') this.lostRows.add(of.row);
    this.events.drop(of, reason, detail);
  }

  private async untilWritten(entry: Entry): Promise<void> {
    const { of, write } = entry;
    let backoffMs = 0;
    let stripped = false;
    let unexpected = 0;
    // Settled meanwhile: dropped by stop().
    while (!entry.settled) {
      // A run whose start was dropped writes nothing more, nor a step whose row was; that was told once.
      if (this.isLost(of)) return;
      try {
        await write(stripped);
        return;
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        this.events.failed(failure);
        if (entry.settled) return;
        const code = error instanceof ExecutionStoreError ? error.code : undefined;
        if (code === 'VALIDATION') return this.drop(of, 'invalid', failure.message);
        if (code === 'NOT_FOUND') return this.drop(of, 'execution-missing');
        if (code === 'STORAGE_FULL' && of.hasPayloads && !stripped) {
          stripped = true;
          this.drop({ ...of, part: 'payload' }, 'storage-full');
          continue;
        }
        if (code === undefined && ++unexpected >= BACKOFF.unexpectedFailuresTolerated) return this.drop(of, 'write-failed', failure.message);
        backoffMs = Math.min(BACKOFF.maxMs, Math.max(BACKOFF.firstMs, backoffMs * 2));
        this.wake = new AbortController();
        await sleep(backoffMs, undefined, { signal: this.wake.signal, ref: false }).catch(() => undefined);
        this.wake = undefined;
      }
    }
  }
}
