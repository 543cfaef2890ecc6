// Between database rows and API objects: payload columns are encoded/decoded, and empty (NULL) optional columns
// become absent fields, never `null`.
// The same on every backend: each backend's tables have exactly these columns (tests/types.test-d.ts).
import { decodePayload, type EncodedPayload } from './payload.js';
import type { ExecutionStep, WorkflowExecution } from './types.js';

/** A stored row as a backend reads it: every column, NULL where empty, payloads as JSON text. */
type Row<T> = { [K in keyof Required<T>]: undefined extends T[K] ? Exclude<T[K], undefined> | null : T[K] };
type ExecutionRow = Row<Omit<WorkflowExecution, 'triggerData' | 'metadata'>> & { triggerData: string | null; metadata: string | null };
type StepRow = Row<Omit<ExecutionStep, 'inputData' | 'outputData'>> & { inputData: string | null; outputData: string | null };

/** Every column of each table, in the tables' order (what an insert that names them all binds). */
const EXECUTION_COLUMNS = [
  'id', 'workflowId', 'workflowName', 'triggerType', 'triggerData', 'status', 'startedAt', 'completedAt', 'durationMs', 'errorMessage', 'errorStack', 'metadata', 'instanceId',
] as const satisfies readonly (keyof WorkflowExecution)[];
const STEP_COLUMNS = [
  'id', 'executionId', 'nodeId', 'nodeType', 'nodeName', 'stepIndex', 'startedAt', 'completedAt', 'durationMs', 'status', 'inputData', 'outputData', 'errorMessage',
] as const satisfies readonly (keyof ExecutionStep)[];

const EXECUTION_PAYLOADS = ['triggerData', 'metadata'] as const;
const STEP_PAYLOADS = ['inputData', 'outputData'] as const;
/** Free text that may quote secrets (an HTTP error with its request, a stack with a URL). */
const EXECUTION_TEXTS = ['errorMessage', 'errorStack'] as const;
const STEP_TEXTS = ['errorMessage'] as const;

/** How values become column values on the way in: payloads to redacted JSON text, error texts redacted. */
export interface Encoding {
  payload(value: unknown): string | null;
  /** A payload captured for writing later (the recorder's): serialised now, redacted by payload() when written. */
  capture(value: unknown): EncodedPayload | null;
  text(value: string): string;
}

interface Columns {
  all: readonly string[];
  payloads: readonly string[];
  texts: readonly string[];
}

const EXECUTION: Columns = { all: EXECUTION_COLUMNS, payloads: EXECUTION_PAYLOADS, texts: EXECUTION_TEXTS };
const STEP: Columns = { all: STEP_COLUMNS, payloads: STEP_PAYLOADS, texts: STEP_TEXTS };

export function toExecution(row: ExecutionRow): WorkflowExecution {
  return fromRow(row, EXECUTION) as unknown as WorkflowExecution;
}

export function toStep(row: StepRow): ExecutionStep {
  return fromRow(row, STEP) as unknown as ExecutionStep;
}

/** An input or changes object with its payload fields as JSON text, ready for an insert or update. */
export type Encoded<T, Payload extends string> = Omit<T, Payload> & { [K in Payload & keyof T]?: string | null };

/** Validated execution input or changes → column values, payloads as JSON text. */
export function executionValues<T extends object>(input: T, encoding: Encoding) {
  return toRow(input, EXECUTION, encoding) as Encoded<T, (typeof EXECUTION_PAYLOADS)[number]>;
}

/** Validated step input or changes → column values, payloads as JSON text. */
export function stepValues<T extends object>(input: T, encoding: Encoding) {
  return toRow(input, STEP, encoding) as Encoded<T, (typeof STEP_PAYLOADS)[number]>;
}

/** A new execution's row with every column named (what the prepared insert binds), NULL where there is nothing. */
export function executionInsertRow(input: object, generated: Record<string, unknown>, encoding: Encoding) {
  return insertRow(EXECUTION, input, generated, encoding);
}

/** A new step's row with every column named (what the prepared insert binds), NULL where there is nothing. */
export function stepInsertRow(input: object, generated: Record<string, unknown>, encoding: Encoding) {
  return insertRow(STEP, input, generated, encoding);
}

// One pass and one object per row: this runs for every step recorded.
function insertRow(
  columns: Columns,
  input: object,
  generated: Record<string, unknown>,
  encoding: Encoding,
): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const key of columns.all) {
    const value = key in generated ? generated[key] : (input as Record<string, unknown>)[key];
    row[key] = value === undefined || value === null ? null : encode(key, value, columns, encoding);
  }
  return row;
}

function toRow(input: object, columns: Columns, encoding: Encoding): Record<string, unknown> {
  const values: Record<string, unknown> = { ...input };
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null) values[key] = encode(key, value, columns, encoding);
  }
  return values;
}

function encode(key: string, value: unknown, columns: Columns, encoding: Encoding): unknown {
  if (columns.payloads.includes(key)) return encoding.payload(value);
  if (columns.texts.includes(key)) return encoding.text(value as string);
  return value;
}

// By the table's columns, not the row's keys: fields come out in the tables' order whatever order a query selected
// them in, and a row may carry other columns (PostgreSQL reads an execution and its steps as rows of one shape).
// One pass and no entries array: this runs for every row read.
function fromRow(row: object, columns: Columns): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const key of columns.all) {
    const value = (row as Record<string, unknown>)[key];
    if (value === null || value === undefined) continue;
    result[key] = columns.payloads.includes(key) ? decodePayload(value as string) : value;
  }
  return result;
}
