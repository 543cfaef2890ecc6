// The messages between a store's thread and its batch worker (src/sqlite/batch-worker.ts), and a validated batch's
// form on the way. Structured cloning would turn an EncodedPayload (a class instance) into a plain { text } object,
// which the worker's encoder would then encode again as a JSON object: in transit a payload is its text, marked when
// redacting was left to the writer (createPayloadCapture), which the worker's encoder then does, with the store's
// redact keys and maxPayloadBytes.
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

/** An update's payload in transit: its text, or { unredacted } when redacting it was left to the writer. */
export type TransitPayload = string | { unredacted: string } | null | undefined;

/** A batch to write. `channel` and `epoch` say which failures refuse it (see BatchChannel). */
export interface BatchRequest {
  kind: 'batch';
  id: number;
  channel: number;
  epoch: number;
  /** Written with the store's busyTimeoutMs as the lock wait: on the worker's thread, a wait holds no event loop. */
  batch: TransitBatch;
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
/** A batch row's fields (batchExecutionSchema, batchStepSchema): a row with any other is refused in transit. */
const EXECUTION_FIELDS = ['id', 'workflowId', 'workflowName', 'triggerType', 'triggerData', 'status', 'startedAt', 'completedAt', 'durationMs', 'errorMessage', 'errorStack', 'metadata'] as const;
const STEP_FIELDS = ['id', 'executionId', 'nodeId', 'nodeType', 'nodeName', 'stepIndex', 'startedAt', 'completedAt', 'durationMs', 'status', 'inputData', 'outputData', 'errorMessage'] as const;

type Row = Record<string, unknown>;

/**
 * Rows as a column per field: structured cloning writes and reads a thousand rows' keys over again, and arrays of
 * values take a quarter of the time both ways (measured on 900 steps: 4.2 + 10.6 ms as objects, 1.1 + 3.0 as columns).
 * A payload column holds texts, with `late` marking those still to be redacted.
 */
export interface Columns {
  length: number;
  values: Record<string, unknown[]>;
  late: Record<string, Uint8Array>;
}

/** A validated batch in transit: its many rows as columns; its few updates and counted runs as they are. */
export interface TransitBatch {
  executions: Columns;
  steps: Columns;
  updates: ValidBatch['updates'];
  countedOnly: ValidBatch['countedOnly'];
}

function toColumns(rows: readonly object[], fields: readonly string[], payloads: readonly string[], encode: (value: unknown) => string | null): Columns {
  const known = new Set(fields);
  const values: Record<string, unknown[]> = {};
  for (const field of fields) values[field] = new Array(rows.length);
  const late: Record<string, Uint8Array> = {};
  for (const field of payloads) late[field] = new Uint8Array(rows.length);
  for (let at = 0; at < rows.length; at++) {
    const row = rows[at] as Row;
    for (const field in row) if (!known.has(field)) throw new Error(`batch transit: a row has the field "${field}", which it does not carry`);
    for (const field of fields) (values[field] as unknown[])[at] = row[field];
    for (const field of payloads) {
      const value = row[field];
      if (value instanceof EncodedPayload) {
        (values[field] as unknown[])[at] = value.text;
        if (!value.redacted) (late[field] as Uint8Array)[at] = 1;
      } else if (value !== undefined && value !== null) (values[field] as unknown[])[at] = encode(value);
    }
  }
  return { length: rows.length, values, late };
}

function fromColumns<T>({ length, values, late }: Columns, fields: readonly string[], payloads: readonly string[]): T[] {
  const rows: T[] = new Array(length);
  for (let at = 0; at < length; at++) {
    const row: Row = {};
    for (const field of fields) row[field] = (values[field] as unknown[])[at];
    for (const field of payloads) {
      const text = row[field];
      if (typeof text === 'string') row[field] = new EncodedPayload(text, (late[field] as Uint8Array)[at] !== 1);
    }
    rows[at] = row as T;
  }
  return rows;
}

/** A payload field of an update or a counted run mapped in place (those are the validation's copies, never the caller's). */
function mapPayloads(row: object | undefined, fields: readonly string[], map: (value: unknown) => unknown): void {
  if (row === undefined) return;
  for (const field of fields) {
    const value = (row as Row)[field];
    if (value !== undefined && value !== null) (row as Row)[field] = map(value);
  }
}

/**
 * Store's side. `encode` is the store's encoder: a payload that is not an EncodedPayload (a plain object zod let
 * through) is encoded here, on the store's thread, so that the worker never needs the caller's objects (which may
 * hold functions, getters or proxies that structured cloning refuses).
 */
export function toTransit(batch: ValidBatch, encode: (value: unknown) => string | null): TransitBatch {
  for (const update of batch.updates) {
    mapPayloads(update.changes, EXECUTION_PAYLOADS, (value): TransitPayload => {
      if (value instanceof EncodedPayload) return value.redacted ? value.text : { unredacted: value.text };
      return encode(value);
    });
  }
  // A counted run's payloads are not stored: left out of what is sent.
  for (const run of batch.countedOnly) {
    mapPayloads(run.execution, EXECUTION_PAYLOADS, () => undefined);
    for (const step of run.steps) mapPayloads(step, STEP_PAYLOADS, () => undefined);
  }
  return {
    executions: toColumns(batch.executions, EXECUTION_FIELDS, EXECUTION_PAYLOADS, encode),
    steps: toColumns(batch.steps, STEP_FIELDS, STEP_PAYLOADS, encode),
    updates: batch.updates,
    countedOnly: batch.countedOnly,
  };
}

/** Worker's side: the batch as the store's validation made it, payloads as the store's encoder takes them. */
export function fromTransit(batch: TransitBatch): ValidBatch {
  for (const update of batch.updates) {
    mapPayloads(update.changes, EXECUTION_PAYLOADS, (value) => {
      const payload = value as TransitPayload;
      return typeof payload === 'string' ? new EncodedPayload(payload) : new EncodedPayload((payload as { unredacted: string }).unredacted, false);
    });
  }
  return {
    executions: fromColumns(batch.executions, EXECUTION_FIELDS, EXECUTION_PAYLOADS),
    steps: fromColumns(batch.steps, STEP_FIELDS, STEP_PAYLOADS),
    updates: batch.updates,
    countedOnly: batch.countedOnly,
  };
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
