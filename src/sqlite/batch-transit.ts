// The messages between a store's thread and its batch worker (src/sqlite/batch-worker.ts), and a validated batch's
// form on the way. Structured cloning would turn an EncodedPayload (a class instance) into a plain { text } object,
// which the worker's encoder would then encode again as a JSON object: in transit a payload is its text, a string
// when it was redacted already, { unredacted } when redacting was left to the writer (createPayloadCapture), which
// the worker's encoder then does, with the store's redact keys and maxPayloadBytes.
import { ExecutionStoreError, type ExecutionStoreErrorCode } from '../core/errors.js';
import type { InstanceIdentity } from '../core/instance.js';
import { EncodedPayload } from '../core/payload.js';
import type { WrittenBatch } from '../core/types.js';
import type { ValidBatch } from '../core/validation.js';

/** What the worker is started with (workerData). */
export interface BatchWorkerSettings {
  path: string;
  busyTimeoutMs: number;
  walLimitBytes: number;
  /** The store's, incarnation included: one drawn again would mark the store's own running executions interrupted. */
  instance: InstanceIdentity;
  maxPayloadBytes: number;
  redactKeys: readonly (string | RegExp)[];
}

export type TransitPayload = string | { unredacted: string } | null | undefined;

/** A batch to write. `channel` and `epoch` say which failures refuse it (see BatchChannel). */
export interface BatchRequest {
  kind: 'batch';
  id: number;
  channel: number;
  epoch: number;
  /** Written with the store's busyTimeoutMs as the lock wait: on the worker's thread, a wait holds no event loop. */
  batch: ValidBatch;
  /** The store's clock, read on its thread (options.now may be any function) when the batch was sent. */
  now: number;
  /**
   * The channel's stop flag (an Int32Array's memory, shared): set by the store's thread when its writer stops, read
   * here once the batch holds the write lock, so that a batch still waiting for the lock when close() gave up is not
   * written after close() returned.
   */
  stopped: SharedArrayBuffer;
}
export type WorkerRequest = BatchRequest | { kind: 'close' };

export interface TransitError {
  name: string;
  message: string;
  code?: ExecutionStoreErrorCode;
  sqliteCode?: string;
}

export type WorkerAnswer =
  | { kind: 'written'; id: number; written: WrittenBatch; registered: boolean }
  | { kind: 'refused'; id: number }
  | { kind: 'failed'; id: number; error: TransitError }
  /** The worker has opened the file: batches sent from now on are written without waiting for it to start. */
  | { kind: 'ready' }
  /** The worker could not open the file; it exits after saying so. */
  | { kind: 'unopened'; error: TransitError };

const EXECUTION_PAYLOADS = ['triggerData', 'metadata'] as const;
const STEP_PAYLOADS = ['inputData', 'outputData'] as const;

type Row = Record<string, unknown>;

function mapPayloads(row: object | undefined, fields: readonly string[], map: (value: unknown) => unknown): void {
  if (row === undefined) return;
  for (const field of fields) {
    const value = (row as Row)[field];
    if (value !== undefined && value !== null) (row as Row)[field] = map(value);
  }
}

/**
 * Each payload field of a batch mapped in place. Only for a batch the store's validation made: its rows, updates'
 * changes and counted runs are that validation's copies (tests/recorder-worker.test.ts sends one twice), never the
 * caller's objects; the payloads themselves are replaced, never changed.
 */
function mapBatch(batch: ValidBatch, map: (value: unknown) => unknown): ValidBatch {
  for (const row of batch.executions) mapPayloads(row, EXECUTION_PAYLOADS, map);
  for (const row of batch.steps) mapPayloads(row, STEP_PAYLOADS, map);
  for (const update of batch.updates) mapPayloads(update.changes, EXECUTION_PAYLOADS, map);
  // A counted run's payloads are not stored: left out of what is sent.
  for (const run of batch.countedOnly) {
    mapPayloads(run.execution, EXECUTION_PAYLOADS, () => undefined);
    for (const step of run.steps) mapPayloads(step, STEP_PAYLOADS, () => undefined);
  }
  return batch;
}

/**
 * Store's side. `encode` is the store's encoder: a payload that is not an EncodedPayload (a plain object zod let
 * through) is encoded here, on the store's thread, so that the worker never needs the caller's objects (which may
 * hold functions, getters or proxies that structured cloning refuses).
 */
export function toTransit(batch: ValidBatch, encode: (value: unknown) => string | null): ValidBatch {
  return mapBatch(batch, (value): TransitPayload => {
    if (value instanceof EncodedPayload) return value.redacted ? value.text : { unredacted: value.text };
    return encode(value);
  });
}

/** Worker's side: the payloads as the store's encoder takes them. */
export function fromTransit(batch: ValidBatch): ValidBatch {
  return mapBatch(batch, (value) => {
    const payload = value as TransitPayload;
    if (typeof payload === 'string') return new EncodedPayload(payload);
    return new EncodedPayload((payload as { unredacted: string }).unredacted, false);
  });
}

/** An error as it crosses the thread: an ExecutionStoreError's code and message, and the SQLite code under it. */
export function toTransitError(error: unknown): TransitError {
  if (error instanceof ExecutionStoreError) {
    let sqliteCode: string | undefined;
    for (let cause: unknown = error.cause; cause instanceof Error; cause = cause.cause) {
      const code = (cause as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('SQLITE_')) {
        sqliteCode = code;
        break;
      }
    }
    return { name: error.name, code: error.code, message: error.message, ...(sqliteCode === undefined ? {} : { sqliteCode }) };
  }
  const failure = error instanceof Error ? error : new Error(String(error));
  return { name: failure.name, message: failure.message };
}

/** The worker's error as the store would have thrown it; anything not the store's stays a plain Error. */
export function fromTransitError({ code, message, name, sqliteCode }: TransitError): Error {
  if (code !== undefined) {
    const cause = sqliteCode === undefined ? undefined : Object.assign(new Error(sqliteCode), { code: sqliteCode });
    return new ExecutionStoreError(code, message, cause === undefined ? undefined : { cause });
  }
  const error = new Error(message);
  error.name = name;
  return error;
}
