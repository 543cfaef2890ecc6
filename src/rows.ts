// Between database rows and API objects: payload columns are encoded/decoded, and empty (NULL) optional columns
// become absent fields, never `null`.
import { getTableColumns } from 'drizzle-orm';
import { decodePayload, encodePayload } from './payload.js';
import { executionSteps, workflowExecutions } from './schema.js';
import type { ExecutionStep, WorkflowExecution } from './types.js';

type ExecutionRow = typeof workflowExecutions.$inferSelect;
type StepRow = typeof executionSteps.$inferSelect;

const EXECUTION_PAYLOADS = ['triggerData', 'metadata'] as const;
const STEP_PAYLOADS = ['inputData', 'outputData'] as const;

export function toExecution(row: ExecutionRow): WorkflowExecution {
  return fromRow(row, EXECUTION_PAYLOADS) as unknown as WorkflowExecution;
}

export function toStep(row: StepRow): ExecutionStep {
  return fromRow(row, STEP_PAYLOADS) as unknown as ExecutionStep;
}

/** An input or changes object with its payload fields as JSON text, ready for an insert or update. */
export type Encoded<T, Payload extends string> = Omit<T, Payload> & { [K in Payload & keyof T]?: string | null };

/** Validated execution input or changes → column values, payloads as JSON text. */
export function executionValues<T extends object>(input: T, maxPayloadBytes: number) {
  return toRow(input, EXECUTION_PAYLOADS, maxPayloadBytes) as Encoded<T, (typeof EXECUTION_PAYLOADS)[number]>;
}

/** Validated step input or changes → column values, payloads as JSON text. */
export function stepValues<T extends object>(input: T, maxPayloadBytes: number) {
  return toRow(input, STEP_PAYLOADS, maxPayloadBytes) as Encoded<T, (typeof STEP_PAYLOADS)[number]>;
}

const EXECUTION_COLUMNS = Object.keys(getTableColumns(workflowExecutions));
const STEP_COLUMNS = Object.keys(getTableColumns(executionSteps));

/** A new execution's row with every column named (what the prepared insert binds), NULL where there is nothing. */
export function executionInsertRow(input: object, generated: Record<string, unknown>, maxPayloadBytes: number) {
  return insertRow(EXECUTION_COLUMNS, EXECUTION_PAYLOADS, input, generated, maxPayloadBytes);
}

/** A new step's row with every column named (what the prepared insert binds), NULL where there is nothing. */
export function stepInsertRow(input: object, generated: Record<string, unknown>, maxPayloadBytes: number) {
  return insertRow(STEP_COLUMNS, STEP_PAYLOADS, input, generated, maxPayloadBytes);
}

// One pass and one object per row: this runs for every step recorded.
function insertRow(
  columns: readonly string[],
  payloadKeys: readonly string[],
  input: object,
  generated: Record<string, unknown>,
  maxPayloadBytes: number,
): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const key of columns) {
    const value = key in generated ? generated[key] : (input as Record<string, unknown>)[key];
    if (value === undefined || value === null) row[key] = null;
    else row[key] = payloadKeys.includes(key) ? encodePayload(value, maxPayloadBytes) : value;
  }
  return row;
}

function fromRow(row: object, payloadKeys: readonly string[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === null) continue;
    result[key] = payloadKeys.includes(key) ? decodePayload(value as string) : value;
  }
  return result;
}

function toRow(input: object, payloadKeys: readonly string[], maxPayloadBytes: number): Record<string, unknown> {
  const values: Record<string, unknown> = { ...input };
  for (const key of payloadKeys) {
    if (key in values) values[key] = encodePayload(values[key], maxPayloadBytes);
  }
  return values;
}
