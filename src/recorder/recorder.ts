// The recorder: what a runtime calls while its workflows run. Every call on the workflow's path is synchronous,
// takes constant time, never waits on the database and never throws: it captures what it is given (times from a
// monotonic clock anchored to the wall clock, payloads encoded by the store's encoder, so redacted and cut then) into
// a bounded buffer, and a background writer commits it in batches (src/recorder/writer.ts). A mistake in the
// recorder's use or in what it is given becomes a counted, reported drop, never an exception in the workflow.
import { performance } from 'node:perf_hooks';
import { EncodedPayload } from '../core/payload.js';
import { newExecutionId, newStepId } from '../core/time-ordered-id.js';
import { MAX_BATCH_STEPS } from '../core/validation.js';
import { ExecutionStoreError } from '../core/errors.js';
import type { ExecutionStatus, JsonObject, RunStep, StepChanges, TriggerType, WrittenBatch } from '../core/types.js';
import { type ExecutionStore, PAYLOAD_CAPTURE } from '../store.js';
import type { BatchChannel } from '../core/batch-channel.js';
import { batchOf } from './batch-of.js';
import { recorderChannel } from './batch-channels.js';
import { RecorderBuffer, stepItemBytes } from './buffer.js';
import { DROP_REASONS, type DropReason, type DroppedPart, droppedPayload, type RecorderDrop } from './drops.js';
import { type RecorderOptions, type RecorderSettings, recorderSettings } from './options.js';
import { type Item, ITEM_OVERHEAD_BYTES, type RunEnd, type RunState, type StepItem, textBytes } from './run-state.js';
import { planRun, storedAtEnd } from './save-policy.js';
import { StepWriter, type StepWriteOf } from './step-writer.js';
import { BatchWriter, WRITE_OPTIONS } from './writer.js';

export interface RecordedRunStart {
  workflowId: string;
  workflowName: string;
  triggerType: TriggerType;
  triggerData?: JsonObject;
  metadata?: JsonObject;
  /** ms since the epoch; the recorder's clock by default. */
  startedAt?: number;
}

export interface RecordedStepStart {
  nodeId: string;
  nodeType: string;
  nodeName?: string;
  input?: JsonObject;
  /** The recorder numbers a run's steps 0, 1, 2 … unless told. */
  stepIndex?: number;
  startedAt?: number;
}

/** When a step or run ended, when not now: ms since the epoch, no earlier than its start. */
export interface RecordedEnd {
  completedAt?: number;
}

export interface RecordedStepFailure extends RecordedEnd {
  /** What the step had produced before it failed. */
  output?: JsonObject;
}

export interface RecorderStats {
  /** Items (run starts, steps, run ends) waiting to be written, held ones included (durability 'step': writes). */
  queued: number;
  /** Bytes the buffer holds, as it counts them against maxBytes (durability 'step' has no buffer: 0). */
  bufferBytes: number;
  /** What the writer has committed (durability 'step': each call's write is a batch of its own). */
  written: { batches: number; executions: number; steps: number; updates: number; counted: number };
  /** What was dropped, by reason (see RecorderDrop); `total` of all. */
  dropped: Record<DropReason, number> & { total: number };
  /** Writes that failed (each try); the batch is tried again unless its items were dropped. */
  writeErrors: number;
  lastError: string | null;
}

export interface CloseOptions {
  /** How long close() waits for what is buffered to be written; default 5000 ms. What is left then is dropped. */
  timeoutMs?: number;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
const STILL_RUNNING = 'still running when its run ended';

export function createRecorder(store: ExecutionStore, options?: RecorderOptions): Recorder {
  return new Recorder(store, recorderSettings(options));
}

export class Recorder {
  private readonly buffer: RecorderBuffer;
  private readonly writer: BatchWriter;
  /** Where the batch writer's batches go: a worker thread, or the store's writeBatch on this thread. */
  private readonly channel: BatchChannel;
  /** durability 'step' only: writes each call at once, instead of the buffer and the batch writer. */
  private readonly stepWriter: StepWriter | undefined;
  private readonly capture: (value: unknown) => EncodedPayload | null;
  /** The wall clock's time at performance.now() = 0: times are monotonic within the process, and near the wall's. */
  private readonly clockAnchor = Date.now() - performance.now();
  private closed = false;
  private readonly counts = {
    written: { batches: 0, executions: 0, steps: 0, updates: 0, counted: 0 },
    dropped: Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>,
    writeErrors: 0,
    lastError: null as string | null,
  };

  /** @internal Use createRecorder. */
  constructor(
    private readonly store: ExecutionStore,
    private readonly settings: RecorderSettings,
  ) {
    this.capture = (value) => store[PAYLOAD_CAPTURE](value);
    if (settings.durability === 'step') {
      this.stepWriter = new StepWriter(settings.maxItems, {
        failed: (error) => this.writeFailed(error),
        drop: ({ run, part, nodeId }, reason, detail) => {
          // As in batches: a start dropped before it was tried (bound, close) loses the run, whose later calls are
          // ignored; one the store refused leaves them to be dropped one by one, as naming a run not stored.
          if (part === 'start' && (reason === 'buffer-full' || reason === 'closed')) run.fate = 'lost';
          this.dropped(run, part, reason, nodeId, detail);
        },
      });
    }
    this.buffer = new RecorderBuffer(settings.maxBytes, settings.maxItems, (run, part, reason, nodeId) => this.dropped(run, part, reason, nodeId));
    // Durability 'step' writes each call inline, in order, awaited by the runtime: no worker for it.
    this.channel = recorderChannel(store, settings.durability === 'step' ? 'inline' : settings.writer, (error) => this.tell(this.settings.onError, error));
    this.writer = new BatchWriter(this.channel, this.buffer, { intervalMs: settings.flushIntervalMs, maxItems: settings.flushMaxItems, maxHoldMs: settings.flushMaxHoldMs }, {
      committed: (written) => this.countWritten(written),
      failed: (error) => this.writeFailed(error),
      drop: (item, reason, detail) => {
        if (item.done) return;
        this.buffer.dropItem(item, reason);
        if (detail !== undefined) this.tell(this.settings.onError, new Error(`the recorder dropped a ${item.kind} of run ${item.run.id}: ${detail}`));
      },
    });
  }

  /** Starts recording a run; its running row reaches the database with the next batch. */
  startExecution(input: RecordedRunStart): RunRecorder {
    const started = this.now();
    try {
      const startedAt = typeof input.startedAt === 'number' ? input.startedAt : started;
      const plan = planRun(this.settings.policy, input.workflowId, input.triggerType);
      const triggerData = this.captured(input.triggerData);
      const metadata = this.captured(input.metadata);
      const run: RunState = {
        id: newExecutionId(startedAt),
        workflowId: input.workflowId,
        workflowName: input.workflowName,
        triggerType: input.triggerType,
        triggerData,
        metadata,
        startedAt,
        plan,
        nextStepIndex: 0,
        end: undefined,
        fate: plan.live ? 'live' : 'held',
        startWritten: false,
        held: [],
        dropped: { payloads: 0, steps: 0, reasons: new Set() },
      };
      const bytes = ITEM_OVERHEAD_BYTES + textBytes(triggerData?.text) + textBytes(metadata?.text);
      if (this.closed) {
        run.fate = 'lost';
        this.dropped(run, 'run', 'closed');
      } else if (this.stepWriter !== undefined) {
        // Written as it goes whatever the policy: a run sampled out is replaced by its count when it ends.
        run.fate = 'live';
        // Its row made now: by the time the write's turn comes the run may have ended (and a run sampled out then
        // counted), and its row must be in all the same for its steps to be written onto.
        const startBatch = batchOf([{ kind: 'start', run, bytes, done: false, inFlight: false }]);
        void this.writeNow({ run, part: 'start' }, () => this.store.writeBatch(startBatch, WRITE_OPTIONS));
      } else if (!this.buffer.enqueue({ kind: 'start', run, bytes, done: false, inFlight: false })) run.fate = 'lost';
      else this.writer.nudge();
      return new RunRecorder(this, run);
    } catch (error) {
      return this.unrecordable(input, error);
    }
  }

  /** What is written and dropped so far, and what waits. */
  stats(): RecorderStats {
    const dropped = { ...this.counts.dropped, total: Object.values(this.counts.dropped).reduce((sum, n) => sum + n, 0) };
    return {
      queued: this.stepWriter?.queued ?? this.buffer.items,
      bufferBytes: this.buffer.bytes,
      written: { ...this.counts.written },
      dropped,
      writeErrors: this.counts.writeErrors,
      lastError: this.counts.lastError,
    };
  }

  /** Resolves once everything recorded before the call is written (or dropped); waits through retries. */
  async flush(): Promise<void> {
    // The writer's own timers (interval, backoff) do not hold the process open, so that a recorder alone never keeps
    // a runtime from exiting; one awaiting flush() does, until it resolves.
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      await this.drained();
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** Resolves once everything recorded before the call is written or dropped. */
  private drained(): Promise<void> {
    return this.stepWriter?.flush() ?? this.writer.flush();
  }

  /**
   * Writes what is buffered, within `timeoutMs`, and stops. Runs still going stay running in the database (their
   * instance's recovery marks them interrupted); what could not be written in time is dropped, counted as 'closed'.
   * Calls after close are dropped the same way.
   */
  async close({ timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS }: CloseOptions = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    // Not unref'd: a process awaiting close() stays up until it returns (within timeoutMs).
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.drained(), timedOut]);
    // A batch the database holds back (a lock on PostgreSQL) is not waited for past the time given: it may still
    // commit after close() returned, and its items are counted as dropped all the same.
    if (this.stepWriter !== undefined) this.stepWriter.stop();
    else {
      // A worker's batch still waiting for the lock is not written after this returns (inline, none can be waiting).
      this.channel.stop();
      await Promise.race([this.writer.stop(), timedOut]);
    }
    clearTimeout(timer);
    for (const item of this.buffer.remaining()) this.buffer.dropItem(item, 'closed');
  }

  /** @internal Where batches are written now: 'worker' (a thread of the store's) or 'inline' (this thread). */
  get writesFrom(): 'worker' | 'inline' {
    return this.channel.kind;
  }

  // ----- what the handles call -----

  /** @internal */
  now(): number {
    return Math.floor(this.clockAnchor + performance.now());
  }

  /**
   * @internal A payload as the store will write it: serialised now, so that later changes to the object do not count
   * (redacted now, or by the store's encoder before it is written).
   */
  captured(value: JsonObject | undefined): EncodedPayload | undefined {
    return this.capture(value) ?? undefined;
  }

  /** @internal A finished step: written with the next batch (live run) or held until its run ends. */
  finishStep(run: RunState, item: StepItem): void {
    if (this.turnsAwayStep(run, item.step.nodeId, 'finished')) return;
    if (run.fate === 'held') this.buffer.hold(item);
    else if (this.buffer.enqueue(item)) this.writer.nudge();
  }

  /** @internal A run's end: it is stored, or counted in the insights only, as the policy says. */
  finishRun(run: RunState, end: RunEnd, closeOpenSteps: () => void): void {
    if (run.end !== undefined) {
      this.dropped(run, 'end', 'misuse', undefined, 'the run had ended already');
      return;
    }
    closeOpenSteps();
    run.end = end;
    if (run.fate === 'lost') return;
    if (this.closed) {
      this.dropped(run, 'end', 'closed');
      return;
    }
    const stored = storedAtEnd(run.plan, end.status, end.completedAt - run.startedAt);
    if (this.stepWriter !== undefined) {
      // Everything of it is stored already: its end is written, or its rows are replaced by its count.
      run.fate = stored ? 'stored' : 'counted';
      const item: Item = stored
        ? { kind: 'end', run, bytes: 0, done: false, inFlight: false }
        : { kind: 'counted', run, steps: [], bytes: 0, done: false, inFlight: false };
      void this.writeNow({ run, part: stored ? 'end' : 'run' }, () => this.store.writeBatch(batchOf([item]), WRITE_OPTIONS));
      return;
    }
    if (stored) {
      if (run.fate === 'held') this.buffer.release(run);
      run.fate = 'stored';
      this.buffer.enqueue({ kind: 'end', run, bytes: ITEM_OVERHEAD_BYTES, done: false, inFlight: false });
    } else {
      // Counted only: its held steps' counted columns go with its end; their payloads are let go.
      // (A batch takes at most MAX_BATCH_STEPS steps of a run: a run held with more is counted with its first ones.)
      const steps: RunStep[] = run.held.filter((item) => !item.done).slice(0, MAX_BATCH_STEPS).map(({ step }) => countedStep(step));
      this.buffer.forget(run);
      run.fate = 'counted';
      this.buffer.enqueue({ kind: 'counted', run, steps, bytes: ITEM_OVERHEAD_BYTES * (1 + steps.length), done: false, inFlight: false });
    }
    this.writer.nudge();
  }

  /** @internal durability 'step': whether each call writes at once. */
  get writesEachCall(): boolean {
    return this.stepWriter !== undefined;
  }

  /** @internal durability 'step': a step's running row, written at once (after the writes asked for before it). */
  startStepNow(run: RunState, step: StepItem['step']): void {
    if (this.turnsAwayStep(run, step.nodeId, 'started')) return;
    const hasPayloads = step.inputData !== undefined;
    void this.writeNow({ run, part: 'step', nodeId: step.nodeId, hasPayloads, row: step }, (stripped) =>
      this.store.writeBatch({ steps: [stripped ? { ...step, inputData: droppedPayload('storage-full') } : step] }, WRITE_OPTIONS),
    );
  }

  /** @internal durability 'step': a step's end, written at once onto its running row. */
  finishStepNow(run: RunState, row: StepItem['step'], changes: StepChanges): void {
    const { id: stepId, nodeId } = row;
    if (this.turnsAwayStep(run, nodeId, 'finished')) return;
    void this.writeNow({ run, part: 'step', nodeId, hasPayloads: changes.outputData !== undefined, row }, (stripped) =>
      this.store.updateStep(stepId, stripped ? { ...changes, outputData: droppedPayload('storage-full') } : changes),
    );
  }

  /**
   * Whether a step's part is not written: its run was lost (told already), the recorder is closed, or the run has
   * ended (each of the last two told as a drop).
   */
  private turnsAwayStep(run: RunState, nodeId: string, what: 'started' | 'finished'): boolean {
    if (run.fate === 'lost') return true;
    if (this.closed) this.dropped(run, 'step', 'closed', nodeId);
    else if (run.end !== undefined) this.dropped(run, 'step', 'misuse', nodeId, `a step ${what} after its run ended`);
    else return false;
    return true;
  }

  /** durability 'step': one call's write; what names a run that is not stored (any more) is dropped as missing. */
  private writeNow(of: StepWriteOf, write: (stripped: boolean) => Promise<unknown>): Promise<void> {
    return (this.stepWriter as StepWriter).write(of, async (stripped) => {
      const written = (await write(stripped)) as WrittenBatch | undefined;
      if (written !== undefined && written.missing.length > 0) {
        throw new ExecutionStoreError('NOT_FOUND', `writeBatch: execution ${of.run.id} is not stored`);
      }
      // A step's end (updateStep) changes a step row: counted as a transaction only.
      this.countWritten(written ?? { executions: 0, steps: 0, updated: 0, counted: 0 });
    });
  }

  private countWritten(written: Omit<WrittenBatch, 'missing'>): void {
    const total = this.counts.written;
    total.batches += 1;
    total.executions += written.executions;
    total.steps += written.steps;
    total.updates += written.updated;
    total.counted += written.counted;
  }

  private writeFailed(error: Error): void {
    this.counts.writeErrors += 1;
    this.counts.lastError = error.message;
    this.tell(this.settings.onError, error);
  }

  /** @internal Counts and tells a drop of something not (or no longer) in the buffer. */
  dropped(run: RunState, part: DroppedPart, reason: DropReason, nodeId?: string, detail?: string): void {
    this.counts.dropped[reason] += 1;
    // Marked on the run, which says so when its end is written (metadata.__dropped). A call out of order loses
    // nothing the run had (a second end, a step finished twice), or comes after its end was written: not marked.
    if (reason !== 'misuse') {
      if (part === 'step') run.dropped.steps += 1;
      if (part === 'payload') run.dropped.payloads += 1;
      run.dropped.reasons.add(reason);
    }
    const drop: RecorderDrop = { reason, part, executionId: run.id, workflowId: run.workflowId };
    if (nodeId !== undefined) drop.nodeId = nodeId;
    if (detail !== undefined) drop.detail = detail;
    this.tell(this.settings.onDrop, drop);
  }

  /** @internal A call that failed inside the recorder: counted and told, never thrown. */
  failedCall(run: RunState, part: DroppedPart, error: unknown): void {
    try {
      this.dropped(run, part, 'invalid', undefined, errorOf(error).message);
    } catch {
      // An onDrop that throws is its own business (tell() catches it); nothing else here can throw.
    }
  }

  /** Calls one of the runtime's callbacks; what it throws is its own business, not the workflow's. */
  private tell<T>(callback: ((value: T) => void) | undefined, value: T): void {
    if (callback === undefined) return;
    try {
      callback(value);
    } catch {
      // A callback that throws must not break the writer nor the workflow.
    }
  }

  /** A handle for a run whose start could not even be read: it records nothing, and says so once. */
  private unrecordable(input: unknown, error: unknown): RunRecorder {
    let workflowId = '';
    try {
      const given = (input as { workflowId?: unknown } | null)?.workflowId;
      if (typeof given === 'string') workflowId = given;
    } catch {
      // What failed to be read once is not read again.
    }
    const run = { id: '', workflowId, fate: 'lost', end: undefined, dropped: { payloads: 0, steps: 0, reasons: new Set() } } as unknown as RunState;
    this.failedCall(run, 'run', error);
    return new RunRecorder(this, run);
  }
}

/** A held step as a counted-only run's count takes it: its counted columns, no payloads. */
function countedStep(step: StepItem['step']): RunStep {
  const { id: _id, executionId: _executionId, inputData: _input, outputData: _output, ...counted } = step;
  return counted;
}

/** A value a step returned, as its output: a JSON object as it is, anything else under `result`. Never throws. */
function outputOf(value: unknown): JsonObject | undefined {
  if (value === undefined) return undefined;
  try {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  } catch {
    // A revoked Proxy: the encoder stores the fact that it could not be read.
  }
  return { result: value as never };
}

/** What a thrown value says, never throwing itself (a null-prototype object, a revoked Proxy, a throwing getter). */
function errorOf(error: unknown): { message: string; stack?: string } {
  try {
    if (error instanceof Error) {
      const message = String(error.message);
      return typeof error.stack === 'string' ? { message, stack: error.stack } : { message };
    }
    return { message: typeof error === 'string' ? error : String(error) };
  } catch {
    return { message: `an unreadable ${typeof error} was thrown` };
  }
}

export class RunRecorder {
  private readonly steps = new Set<StepRecorder>();

  /** @internal Use Recorder.startExecution. */
  constructor(
    private readonly recorder: Recorder,
    private readonly run: RunState,
  ) {}

  /** The execution's id (as stored); '' for a run that could not be recorded. */
  get id(): string {
    return this.run.id;
  }

  /**
   * Resolves once everything recorded so far is committed or dropped (a drop is counted and told), as flush() does:
   * with durability 'step' each call's write was queued when it was made, in order; otherwise it asks the writer for
   * a batch now. Never rejects.
   */
  get written(): Promise<void> {
    return this.recorder.flush();
  }

  startStep(input: RecordedStepStart): StepRecorder {
    const recorder = this.recorder;
    const run = this.run;
    try {
      const startedAt = typeof input.startedAt === 'number' ? input.startedAt : recorder.now();
      const inputData = run.fate === 'lost' || !run.plan.keepInputs ? undefined : recorder.captured(input.input);
      // Numbered once what it was given has been read: a start that fails to be recorded uses no number.
      const stepIndex = typeof input.stepIndex === 'number' ? input.stepIndex : run.nextStepIndex;
      // A given index the store will refuse (1.5, -1, NaN) leaves the numbering as it was: the steps after it are fine.
      if (Number.isSafeInteger(stepIndex) && stepIndex >= run.nextStepIndex) run.nextStepIndex = stepIndex + 1;
      // Every field present, in one order, here and when it finishes: rows of one shape are what the store's
      // validation reads fastest (rows built by spreads measured 2x slower per item).
      const row: StepItem['step'] = {
        // With durability 'step' its running row is written now, so its id is made now; else by the batch writer.
        id: recorder.writesEachCall && run.fate !== 'lost' ? newStepId(run.id) : '',
        executionId: run.id,
        nodeId: input.nodeId,
        nodeType: input.nodeType,
        nodeName: input.nodeName,
        stepIndex,
        startedAt,
        completedAt: undefined,
        status: 'running',
        inputData: inputData as never,
        outputData: undefined,
        errorMessage: undefined,
      };
      const step = new StepRecorder(recorder, run, row, this.steps);
      this.steps.add(step);
      if (recorder.writesEachCall) recorder.startStepNow(run, row);
      return step;
    } catch (error) {
      recorder.failedCall(run, 'step', error);
      return new StepRecorder(recorder, { ...run, fate: 'lost' }, undefined, undefined);
    }
  }

  /**
   * Runs `work` as a step: times it, records what it returns as the step's output (a JSON object as it is, anything
   * else under `result`) or what it throws as the step's error, and returns or rethrows it as it came.
   */
  async step<T>(input: RecordedStepStart, work: () => T | Promise<T>): Promise<T> {
    const step = this.startStep(input);
    let result: T;
    try {
      result = await work();
    } catch (error) {
      step.fail(error);
      throw error;
    }
    step.succeed(outputOf(result));
    return result;
  }

  succeed(end?: RecordedEnd): void {
    this.end('success', undefined, end);
  }

  fail(error: unknown, end?: RecordedEnd): void {
    this.end('error', error, end);
  }

  private end(status: ExecutionStatus, error: unknown, given: RecordedEnd | undefined): void {
    try {
      const completedAt = givenTime(given) ?? Math.max(this.recorder.now(), this.run.startedAt);
      const end: RunEnd = { status, completedAt };
      if (status === 'error') {
        const { message, stack } = errorOf(error);
        end.errorMessage = message;
        if (stack !== undefined) end.errorStack = stack;
      }
      this.recorder.finishRun(this.run, end, () => {
        // Steps still going when their run ends are written as failed, at the run's end: the run will not finish them.
        for (const open of [...this.steps]) open.fail(new Error(STILL_RUNNING), { completedAt: Math.max(completedAt, open.startedAt) });
      });
    } catch (error) {
      this.recorder.failedCall(this.run, 'end', error);
    }
  }
}

/** A completedAt the caller gave (a number), or undefined: never throws. */
function givenTime(end: RecordedEnd | undefined): number | undefined {
  try {
    const completedAt = end?.completedAt;
    return typeof completedAt === 'number' ? completedAt : undefined;
  } catch {
    return undefined;
  }
}

export class StepRecorder {
  private finished = false;

  /** @internal Use RunRecorder.startStep. */
  constructor(
    private readonly recorder: Recorder,
    private readonly run: RunState,
    private readonly step: StepItem['step'] | undefined,
    /** Its run's open steps, which it leaves when it finishes. */
    private readonly open: Set<StepRecorder> | undefined,
  ) {}

  /** @internal When it started (ms since the epoch). */
  get startedAt(): number {
    return this.step?.startedAt ?? 0;
  }

  /** Resolves once everything recorded so far is written (or dropped): see RunRecorder.written. */
  get written(): Promise<void> {
    return this.recorder.flush();
  }

  succeed(output?: JsonObject, end?: RecordedEnd): void {
    this.finish('success', output, undefined, end);
  }

  fail(error: unknown, end?: RecordedStepFailure): void {
    let output: JsonObject | undefined;
    try {
      output = end?.output;
    } catch {
      // An unreadable output is left out; the failure is recorded all the same.
    }
    this.finish('error', output, error, end);
  }

  skip(reason?: string, end?: RecordedEnd): void {
    this.finish('skipped', reason === undefined ? undefined : { reason }, undefined, end);
  }

  private finish(status: 'success' | 'error' | 'skipped', output: JsonObject | undefined, error: unknown, end: RecordedEnd | undefined): void {
    const { recorder, run, step } = this;
    try {
      const errorMessage = status === 'error' ? errorOf(error).message : undefined;
      if (step === undefined) return; // its start could not be recorded, which was told then
      if (this.finished) {
        recorder.dropped(run, 'step', 'misuse', step.nodeId, 'the step had finished already');
        return;
      }
      this.finished = true;
      this.open?.delete(this);
      if (run.fate === 'lost') return;
      const completedAt = givenTime(end) ?? Math.max(recorder.now(), step.startedAt);
      // A skipped step's output is the reason it was skipped: kept whatever the payload policy.
      const outputData = status === 'skipped' || run.plan.keepOutputs ? recorder.captured(output) : undefined;
      if (recorder.writesEachCall) {
        recorder.finishStepNow(run, step, { status, completedAt, outputData: outputData as never, errorMessage });
        return;
      }
      const finished: StepItem['step'] = {
        id: step.id,
        executionId: step.executionId,
        nodeId: step.nodeId,
        nodeType: step.nodeType,
        nodeName: step.nodeName,
        stepIndex: step.stepIndex,
        startedAt: step.startedAt,
        completedAt,
        status,
        inputData: step.inputData,
        outputData: outputData as never,
        errorMessage,
      };
      const { bytes, payloadBytes } = stepItemBytes((step.inputData as EncodedPayload | undefined)?.text, outputData?.text);
      const item: Item = { kind: 'step', run, step: finished, bytes, payloadBytes, done: false, inFlight: false };
      recorder.finishStep(run, item);
    } catch (error) {
      recorder.failedCall(run, 'step', error);
    }
  }
}
