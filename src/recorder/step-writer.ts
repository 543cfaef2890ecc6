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
  committed(): void;
  drop(of: StepWriteOf, reason: DropReason, detail?: string): void;
}

export class StepWriter {
  private tail: Promise<void> = Promise.resolve();
  /** Writes asked for and not yet committed or dropped: bounded by maxItems, as the batch writer's buffer is. */
  private pending = 0;
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
    if (this.pending >= this.maxItems) {
      this.drop(of, 'buffer-full');
      return this.tail;
    }
    this.pending += 1;
    const done = this.tail.then(() => this.untilWritten(of, write)).finally(() => {
      this.pending -= 1;
    });
    this.tail = done;
    return done;
  }

  /** Writes asked for and not yet committed or dropped. */
  get queued(): number {
    return this.pending;
  }

  /** Resolves once every write asked for so far is committed or dropped. */
  flush(): Promise<void> {
    return this.tail;
  }

  /** No more retries: writes still waiting are dropped as closed (the one under way ends as it ends). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.abort();
    await this.tail;
  }

  private isLost(of: StepWriteOf): boolean {
    return of.run.fate === 'lost' || (of.row !== undefined && this.lostRows.has(of.row));
  }

  private drop(of: StepWriteOf, reason: DropReason, detail?: string): void {
    if (of.row !== undefined && of.part === 'step') this.lostRows.add(of.row);
    this.events.drop(of, reason, detail);
  }

  private async untilWritten(of: StepWriteOf, write: StepWrite): Promise<void> {
    let backoffMs = 0;
    let stripped = false;
    let unexpected = 0;
    for (;;) {
      // A run whose start was dropped writes nothing more, nor a step whose row was; that was told once.
      if (this.isLost(of)) return;
      if (this.stopped) {
        this.drop(of, 'closed');
        return;
      }
      try {
        await write(stripped);
        this.events.committed();
        return;
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        this.events.failed(failure);
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
