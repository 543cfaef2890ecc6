// What the recorder holds until the writer has committed it, within its bounds (bytes and items). At the bound it
// makes room in this order: steps' payloads (the step rows stay, marked), then the held steps of runs sampled out,
// then step rows, then error steps' payloads and rows; the starts and ends of runs are kept longest (an incoming one
// is dropped only when nothing else is left to drop). Every list is first-in first-out with lazy removal, so that
// adding an item costs the same however full the buffer is (each item is stripped or dropped at most once).
import { EncodedPayload } from '../core/payload.js';
import { type DropReason, type DroppedPart, droppedPayload } from './drops.js';
import { type Item, ITEM_OVERHEAD_BYTES, type RunState, type StepItem, textBytes } from './run-state.js';

/**
 * A first-in first-out list of the items that may be shed one way, each in it until it is shed, written or no longer
 * sheddable that way (`belongs`). Items that no longer belong are let go lazily: from the front when it is read, and
 * all of them whenever the list has grown to twice what belonged at the last sweep, so that a list never holds on to
 * what the writer has committed (amortised constant time per item).
 */
class SheddingList<T> {
  private items: T[] = [];
  private head = 0;
  private sweepAt = 1024;

  constructor(private readonly belongs: (item: T) => boolean) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length - this.head < this.sweepAt) return;
    this.items = this.items.slice(this.head).filter(this.belongs);
    this.head = 0;
    this.sweepAt = Math.max(1024, 2 * this.items.length);
  }

  /**
   * The first item that belongs and that `now` allows now. Items that are only held back for the moment (being
   * written) are passed over, not let go: at most two batches of them lie at the front.
   */
  first(now: (item: T) => boolean): T | undefined {
    while (this.head < this.items.length && !this.belongs(this.items[this.head] as T)) this.head += 1;
    for (let at = this.head; at < this.items.length; at++) {
      const item = this.items[at] as T;
      if (this.belongs(item) && now(item)) return item;
    }
    return undefined;
  }

  /** What it holds that still belongs. */
  all(): T[] {
    return this.items.slice(this.head).filter(this.belongs);
  }
}

/** Counts, tells and marks on the run what was dropped. */
export type DropListener = (run: RunState, part: DroppedPart, reason: DropReason, nodeId?: string) => void;

const MARKED = (reason: DropReason) => new EncodedPayload(JSON.stringify(droppedPayload(reason)));

export class RecorderBuffer {
  /** Bytes and items held: queued, held, and being written. */
  bytes = 0;
  items = 0;
  /** The write queue: items from `head` on wait (or are being written, up to `takenUpTo`). */
  private queue: Item[] = [];
  private head = 0;
  private takenUpTo = 0;
  /** Where each batch being written ends in the queue, oldest first. */
  private batchEnds: number[] = [];
  /** How many items the queue has let go of from its front since it was made (positions stay comparable). */
  private offset = 0;
  /** Items in the write queue not yet committed or dropped: what decides when a batch's worth waits. */
  queuedItems = 0;
  private readonly stepPayloads = new SheddingList<StepItem>(hasPayloads);
  private readonly errorPayloads = new SheddingList<StepItem>(hasPayloads);
  private readonly heldSteps = new SheddingList<StepItem>((item) => !item.done && item.run.fate === 'held');
  private readonly stepRows = new SheddingList<StepItem>(isLeft);
  private readonly errorRows = new SheddingList<StepItem>(isLeft);

  constructor(
    private readonly maxBytes: number,
    private readonly maxItems: number,
    private readonly onDrop: DropListener,
  ) {}

  /** Queues an item for the writer, making room first; false when the item itself had to be dropped. */
  enqueue(item: Item): boolean {
    if (!this.admit(item)) return false;
    this.queueItem(item);
    return true;
  }

  /** Holds a step of a run sampled out until its run ends; false when it had to be dropped. */
  hold(item: StepItem): boolean {
    if (!this.admit(item)) return false;
    item.run.held.push(item);
    this.heldSteps.push(item);
    this.trackPayloads(item);
    return true;
  }

  /** The held steps of a run that ends stored go to the writer, in the order they finished. */
  release(run: RunState): void {
    for (const item of run.held) if (!item.done) this.queueItem(item);
    run.held = [];
  }

  /** Lets go of a run's held steps (it is counted only): what they held is freed. */
  forget(run: RunState): void {
    for (const item of run.held) if (!item.done) this.settle(item);
    run.held = [];
  }

  /**
   * Up to `max` items from the front of the queue for the writer, marked as being written: after the items of the
   * batches still being written (a writer keeps up to two in flight, src/recorder/writer.ts).
   */
  take(max: number): Item[] {
    if (this.batchEnds.length === 0) {
      // Dropped items are skipped; the taken ones stay at the front until their batch is committed.
      while (this.head < this.queue.length && (this.queue[this.head] as Item).done) this.head += 1;
      this.takenUpTo = this.head;
    }
    const taken: Item[] = [];
    let at = this.takenUpTo;
    for (; at < this.queue.length && taken.length < max; at++) {
      const item = this.queue[at] as Item;
      if (item.done) continue;
      item.inFlight = true;
      taken.push(item);
    }
    if (taken.length === 0) return taken;
    this.takenUpTo = at;
    this.batchEnds.push(at);
    return taken;
  }

  /**
   * A batch failed: its items and those of the batches taken after it (which the channel refused, src/core/batch-
   * channel.ts) stay at the front of the queue, to be taken again.
   */
  giveBack(): void {
    for (let at = this.head; at < this.takenUpTo; at++) (this.queue[at] as Item).inFlight = false;
    this.takenUpTo = this.head;
    this.batchEnds = [];
  }

  /** The oldest batch being written is committed: its items are let go. */
  committed(): void {
    const end = this.batchEnds.shift() ?? this.takenUpTo;
    for (let at = this.head; at < end; at++) {
      const item = this.queue[at] as Item;
      item.inFlight = false;
      if (!item.done) this.settle(item);
    }
    this.head = end;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      const gone = this.head;
      this.queue = this.queue.slice(gone);
      this.offset += gone;
      this.takenUpTo -= gone;
      this.batchEnds = this.batchEnds.map((batchEnd) => batchEnd - gone);
      this.head = 0;
    }
  }

  /** One item committed on its own (a refused batch written item by item): let go now. */
  settleItem(item: Item): void {
    if (!item.done) this.settle(item);
  }

  /** Everything still held (queued, held, or in a batch being written): what close() drops when its time is up. */
  remaining(): Item[] {
    // A step released from holding is in both lists.
    const left = new Set<Item>();
    for (let at = this.head; at < this.queue.length; at++) if (!(this.queue[at] as Item).done) left.add(this.queue[at] as Item);
    // Held steps not released (a released one is in the queue too).
    for (const item of this.heldSteps.all()) left.add(item);
    return [...left];
  }

  /** Whether items wait in the write queue. */
  get hasQueued(): boolean {
    return this.queuedItems > 0;
  }

  /** The position just past the last item queued: flush() waits until the queue's front has passed it. */
  get end(): number {
    return this.offset + this.queue.length;
  }

  /** The position of the queue's front (items before it are committed or dropped). */
  get front(): number {
    let at = this.head;
    while (at < this.queue.length && (this.queue[at] as Item).done) at += 1;
    return this.offset + at;
  }

  /** Drops an item (written no more): counted, told, and its room freed. */
  dropItem(item: Item, reason: DropReason): void {
    if (item.done) return;
    this.settle(item);
    this.onDrop(item.run, partOf(item), reason, item.kind === 'step' ? item.step.nodeId : undefined);
  }

  /**
   * Replaces a step's payloads by the dropped marker; the step row stays. `counted`: false for the incoming item,
   * whose bytes are not in the buffer's count yet.
   */
  stripPayloads(item: StepItem, reason: DropReason, counted = true): void {
    if (item.payloadBytes === 0 || item.done) return;
    const mark = MARKED(reason);
    if (item.step.inputData !== undefined && item.step.inputData !== null) item.step.inputData = mark as never;
    if (item.step.outputData !== undefined && item.step.outputData !== null) item.step.outputData = mark as never;
    if (counted) this.bytes -= item.payloadBytes;
    item.bytes -= item.payloadBytes;
    item.payloadBytes = 0;
    this.onDrop(item.run, 'payload', reason, item.step.nodeId);
  }

  private queueItem(item: Item): void {
    this.queue.push(item);
    item.queued = true;
    this.queuedItems += 1;
    if (item.kind !== 'step') return;
    this.trackPayloads(item);
    (item.step.status === 'error' ? this.errorRows : this.stepRows).push(item);
  }

  private trackPayloads(item: StepItem): void {
    if (item.payloadBytes > 0) (item.step.status === 'error' ? this.errorPayloads : this.stepPayloads).push(item);
  }

  /** Counts an item in, making room for it first as the order above says; false when it cannot be. */
  private admit(item: Item): boolean {
    // Within the bounds (nearly always): nothing to decide.
    while (this.bytes + item.bytes > this.maxBytes || this.items + 1 > this.maxItems) {
      const overBytes = this.bytes + item.bytes > this.maxBytes;
      if (overBytes && this.makeRoom(this.stepPayloads, 'strip')) continue;
      if (this.makeRoom(this.heldSteps, 'drop')) continue;
      if (this.makeRoom(this.stepRows, 'drop')) continue;
      if (overBytes && this.makeRoom(this.errorPayloads, 'strip')) continue;
      if (this.makeRoom(this.errorRows, 'drop')) continue;
      // Nothing else may go: the incoming step keeps its row if shedding its payloads is enough.
      if (overBytes && item.kind === 'step' && item.payloadBytes > 0) {
        this.stripPayloads(item, 'buffer-full', false);
        continue;
      }
      this.onDropIncoming(item);
      return false;
    }
    this.bytes += item.bytes;
    this.items += 1;
    return true;
  }

  /**
   * Sheds the first item of `list` that may go now (not in a batch being written: those are passed over until it
   * is committed or given back); false when none may. Once shed, it no longer belongs there.
   */
  private makeRoom(list: SheddingList<StepItem>, how: 'strip' | 'drop'): boolean {
    const victim = list.first(notInFlight);
    if (victim === undefined) return false;
    if (how === 'strip') this.stripPayloads(victim, 'buffer-full');
    else this.dropItem(victim, 'buffer-full');
    return true;
  }

  private onDropIncoming(item: Item): void {
    // Not counted in yet: only told and marked.
    item.done = true;
    this.onDrop(item.run, partOf(item), 'buffer-full', item.kind === 'step' ? item.step.nodeId : undefined);
  }

  private settle(item: Item): void {
    item.done = true;
    this.bytes -= item.bytes;
    this.items -= 1;
    if (item.queued) this.queuedItems -= 1;
  }
}

/** What dropping an item loses: a counted-only run's item is the run's whole count. */
const partOf = (item: Item): DroppedPart => (item.kind === 'counted' ? 'run' : item.kind);

/** Still sheddable by losing its payloads. */
const hasPayloads = (item: StepItem) => !item.done && item.payloadBytes > 0;
/** Not taken by a batch being written. */
const notInFlight = (item: StepItem) => !item.inFlight;
/** Still sheddable as a whole row. */
const isLeft = (item: StepItem) => !item.done;

/** What a step item holds in memory. */
export function stepItemBytes(inputText: string | undefined, outputText: string | undefined): { bytes: number; payloadBytes: number } {
  const payloadBytes = textBytes(inputText) + textBytes(outputText);
  return { bytes: ITEM_OVERHEAD_BYTES + payloadBytes, payloadBytes };
}
