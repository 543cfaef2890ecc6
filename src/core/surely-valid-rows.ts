// A batch's rows as the recorder makes them (plain objects, payloads encoded already) are accepted here without zod:
// its parse costs ~4.7 µs a step, about as much as the step's insert, and the recorder writes every step of every run
// through it (this check: ~1 µs). What is accepted here zod accepts too, with the same output
// (tests/surely-valid-rows.test.ts); anything not surely valid (a payload not encoded, a field this does not know, a
// Proxy, a class instance) is left to zod, which words the error.
import { types } from 'node:util';
import type { z } from 'zod';
import { EXECUTION_STATUSES, STEP_STATUSES, TRIGGER_TYPES } from './constants.js';
import { EncodedPayload } from './payload.js';
import { timeOfId } from './time-ordered-id.js';
import { type batchExecutionSchema, type batchStepSchema, MAX_KEY_CHARACTERS, MAX_STEP_INDEX, wellFormedOrAbsent } from './validation.js';

const text = (value: unknown) => typeof value === 'string' && value.length > 0 && wellFormedOrAbsent(value);
const key = (value: unknown) => text(value) && (value as string).length <= MAX_KEY_CHARACTERS;
const optionalText = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && wellFormedOrAbsent(value));
const count = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
const optionalCount = (value: unknown) => value === undefined || value === null || count(value);
/** Only what the recorder hands over; a payload of any other kind is zod's to judge. */
const encoded = (value: unknown) => value === undefined || value === null || value instanceof EncodedPayload;
const TRIGGERS = new Set<unknown>(TRIGGER_TYPES);
const RUN_STATUSES = new Set<unknown>(EXECUTION_STATUSES);
const STEP_STATES = new Set<unknown>(STEP_STATUSES);

const EXECUTION_FIELDS = new Set(['id', 'workflowId', 'workflowName', 'triggerType', 'triggerData', 'status', 'startedAt', 'completedAt', 'durationMs', 'errorMessage', 'errorStack', 'metadata']);
const STEP_FIELDS = new Set(['id', 'executionId', 'nodeId', 'nodeType', 'nodeName', 'stepIndex', 'startedAt', 'completedAt', 'durationMs', 'status', 'inputData', 'outputData', 'errorMessage']);

/** A plain object (no Proxy, no class) with no field but these: its keys are listed without reading a value. */
function plainRowOf(row: unknown, fields: ReadonlySet<string>): row is Record<string, unknown> {
  if (typeof row !== 'object' || row === null || Object.getPrototypeOf(row) !== Object.prototype || types.isProxy(row)) return false;
  for (const field in row) if (!fields.has(field)) return false;
  return true;
}

/** A batch's execution row that batchExecutionSchema surely accepts, as a copy; undefined when zod must decide. */
export function acceptBatchExecution(row: unknown): z.output<typeof batchExecutionSchema> | undefined {
  if (!plainRowOf(row, EXECUTION_FIELDS)) return undefined;
  // Each value read once, into the copy that is checked and written: a getter answering otherwise later changes nothing.
  const execution = {
    id: row.id, workflowId: row.workflowId, workflowName: row.workflowName, triggerType: row.triggerType, triggerData: row.triggerData,
    status: row.status, startedAt: row.startedAt, completedAt: row.completedAt, durationMs: row.durationMs,
    errorMessage: row.errorMessage, errorStack: row.errorStack, metadata: row.metadata,
  };
  const valid =
    text(execution.id) && key(execution.workflowId) && text(execution.workflowName) && TRIGGERS.has(execution.triggerType) &&
    encoded(execution.triggerData) && RUN_STATUSES.has(execution.status) && count(execution.startedAt) &&
    optionalCount(execution.completedAt) && optionalCount(execution.durationMs) && optionalText(execution.errorMessage) &&
    optionalText(execution.errorStack) && encoded(execution.metadata) &&
    timeOfId(execution.id as string) === execution.startedAt;
  return valid ? (execution as z.output<typeof batchExecutionSchema>) : undefined;
}

/** A batch's step row that batchStepSchema surely accepts, as a copy; undefined when zod must decide. */
export function acceptBatchStep(row: unknown): z.output<typeof batchStepSchema> | undefined {
  if (!plainRowOf(row, STEP_FIELDS)) return undefined;
  const step = {
    id: row.id, executionId: row.executionId, nodeId: row.nodeId, nodeType: row.nodeType, nodeName: row.nodeName,
    stepIndex: row.stepIndex, startedAt: row.startedAt, completedAt: row.completedAt, durationMs: row.durationMs,
    status: row.status, inputData: row.inputData, outputData: row.outputData, errorMessage: row.errorMessage,
  };
  const valid =
    text(step.id) && text(step.executionId) && key(step.nodeId) && text(step.nodeType) && optionalText(step.nodeName) &&
    count(step.stepIndex) && (step.stepIndex as number) <= MAX_STEP_INDEX && count(step.startedAt) &&
    optionalCount(step.completedAt) && optionalCount(step.durationMs) && STEP_STATES.has(step.status) &&
    encoded(step.inputData) && encoded(step.outputData) && optionalText(step.errorMessage) &&
    inTimeOf(step.id as string, step.executionId as string);
  return valid ? (step as z.output<typeof batchStepSchema>) : undefined;
}

/** Whether a step's id holds its execution's time, as zod's check asks (timeOfId of each), read without parsing. */
function inTimeOf(id: string, executionId: string): boolean {
  // The first 15 characters are the time (8 + 4 hex digits) and the version: equal text is equal time.
  return timeOfId(executionId) !== undefined && id.startsWith(executionId.slice(0, 15));
}
