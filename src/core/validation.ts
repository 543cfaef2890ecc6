// Runtime checks for every write and query, the same on every backend: the columns' rules (NOT NULL, enum values,
// integer ranges) as the schemas declare them, and what the store adds (non-empty ids, well-formed text, JSON
// objects as payloads). Callers may be plain JavaScript. The column list below follows the public shapes
// (src/core/types.ts), which tests/types.test-d.ts holds equal to each backend's tables.
import { types } from 'node:util';
import { z } from 'zod';
import { ExecutionStoreError } from './errors.js';
import { MIN_LEASE_MS } from './instance.js';
import { timeOfId } from './time-ordered-id.js';
import {
  DEFAULT_PAGE_SIZE,
  DEFAULT_SEARCH_LIMIT,
  EXECUTION_STATUSES,
  MAX_PAGE_SIZE,
  MAX_SEARCH_LIMIT,
  PAYLOAD_FIELDS as SEARCHED_PAYLOADS,
  STEP_STATUSES,
  TRIGGER_TYPES,
} from './constants.js';
import type { JsonObject } from './types.js';


/**
 * Text that every backend can store as it is: both keep UTF-8, where a lone surrogate has no encoding, so a driver
 * would write U+FFFD in its place (or bytes that are not UTF-8), and the text would not read back as written; and
 * PostgreSQL's text refuses U+0000 outright, so it is refused on every backend alike. (Payloads are JSON, which
 * writes U+0000 as an escape: they may hold it.)
 */
function wellFormed<T extends z.ZodString>(schema: T): T {
  return schema.check((parsing) => {
    const problem = textProblem(parsing.value);
    if (problem !== undefined) parsing.issues.push({ code: 'custom', input: parsing.value, message: problem });
  });
}

/**
 * wellFormed() for the text fields of an execution or step, as one check on the object that reads them by name: a
 * check on each field, or a loop over their names, measured 4× slower per step. Only when one is not well-formed
 * are the object's strings looked at one by one, for the message (its other strings are enum values).
 */
function wellFormedTexts(allWellFormed: (fields: Record<string, unknown>) => boolean) {
  return (parsing: z.core.ParsePayload<Record<string, unknown>>) => {
    if (allWellFormed(parsing.value)) return;
    for (const [field, value] of Object.entries(parsing.value)) {
      const problem = typeof value === 'string' ? textProblem(value) : undefined;
      if (problem !== undefined) parsing.issues.push({ code: 'custom', input: value, path: [field], message: problem });
    }
  };
}

export const wellFormedOrAbsent = (text: unknown) => typeof text !== 'string' || (isWellFormed(text) && !text.includes('\u0000'));

function textProblem(text: string): string | undefined {
  const nul = text.indexOf('\u0000');
  if (nul !== -1) return `expected text without U+0000 (NUL), but found one at index ${nul}; PostgreSQL cannot store it in text, so no backend takes it`;
  const at = loneSurrogateIndex(text);
  if (at === -1) return undefined;
  const unit = text.charCodeAt(at).toString(16).toUpperCase();
  return `expected well-formed Unicode text, but found a lone surrogate (U+${unit}) at index ${at}; call .toWellFormed() on it to replace lone surrogates`;
}

// Node 20 has String.prototype.isWellFormed; the ES2022 lib this project compiles against does not declare it.
const isWellFormed = (text: string) => (text as string & { isWellFormed(): boolean }).isWellFormed();

function loneSurrogateIndex(text: string): number {
  if (isWellFormed(text)) return -1; // the native check; the loop below only runs for text that is rejected
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(index + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) index++; // a pair: one character
    else return index;
  }
  return -1;
}

const nonEmpty = (schema: z.ZodString) => schema.min(1, 'expected a non-empty string');
/**
 * The longest workflowId and nodeId: the insights' rollups and PostgreSQL's indexes key on them, and an index entry
 * holds at most ~2,700 bytes there (a longer key fails the write on the server); 256 characters are at most 1 KiB of
 * UTF-8 each. The same on every backend.
 */
export const MAX_KEY_CHARACTERS = 256;
const key = () => nonEmpty(z.string()).max(MAX_KEY_CHARACTERS, `expected at most ${MAX_KEY_CHARACTERS} characters (a key the insights and indexes hold)`);
const timestamp = z.int('expected an integer number of milliseconds').min(0, 'expected a non-negative integer');
const notNegative = (schema: z.ZodInt) => schema.min(0, 'expected a non-negative integer');

const JSON_OBJECT_EXPECTED = 'expected a JSON object (a plain object, not an array or a primitive)';
const payload = z
  .custom<JsonObject>((value) => payloadProblem(value) === undefined, { error: (issue) => payloadProblem(issue.input) })
  .nullish();

/**
 * Why a payload would not be stored as a JSON object, or undefined when it would be. What counts is its JSON at the
 * top level, as the encoder (src/core/payload.ts) writes it: a Date would be stored as a string, an object whose toJSON()
 * returns an array as an array. Deeper values are the encoder's business alone.
 */
function payloadProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return JSON_OBJECT_EXPECTED;
  try {
    // The common case, a plain object without toJSON: a property lookup and a prototype check (measured as cheap
    // as the array check alone, which every payload paid before).
    if (typeof (value as { toJSON?: unknown }).toJSON !== 'function') {
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype === Object.prototype || prototype === null) return undefined;
      if (Array.isArray(value)) return JSON_OBJECT_EXPECTED;
      return isBoxedData(value) ? `${JSON_OBJECT_EXPECTED} (got ${described(value)}, whose JSON is ${jsonForm(value)})` : undefined;
    }
    // toJSON() decides what the encoder stores, so validation calls it as the encoder does (once, with the key
    // ''); the encoder then calls it again. Its result is not kept: the payload is stored as the caller gave it.
    const json: unknown = (value as { toJSON(key: string): unknown }).toJSON('');
    const form = jsonForm(json);
    return form === 'an object' ? undefined : `${JSON_OBJECT_EXPECTED} (got ${described(value)}, whose JSON is ${form})`;
  } catch {
    // A toJSON(), getter or Proxy trap that throws: the encoder stores the fact ({ __unserializable, reason })
    // rather than fail the write, as recording history must never be the reason a workflow run fails.
    return undefined;
  }
}

/**
 * A boxed primitive, which JSON.stringify writes as the primitive (new Number(1) is 1) and the encoder as an object
 * of its indexes (new String('ok') is {"0":"o","1":"k"}): either way not what was meant. A boxed Symbol is {} to both.
 */
function isBoxedData(value: object): boolean {
  return types.isBoxedPrimitive(value) && !types.isSymbolObject(value);
}

/** What the top level of a value's JSON is, after toJSON(), as the encoder's replacer sees it. */
function jsonForm(json: unknown): string {
  if (json === null) return 'null';
  if (typeof json === 'bigint') return 'a string'; // the encoder writes a BigInt as its digits
  if (typeof json === 'object') {
    if (Array.isArray(json)) return 'an array';
    if (types.isNumberObject(json)) return 'a number';
    if (types.isStringObject(json) || types.isBigIntObject(json)) return 'a string';
    if (types.isBooleanObject(json)) return 'a boolean';
    return 'an object';
  }
  if (json === undefined || typeof json === 'function' || typeof json === 'symbol') return 'undefined';
  return `a ${typeof json}`;
}

/** "a Date", "a Number object", "an object with a toJSON() method": what a caller would call the value. */
function described(value: object): string {
  if (isBoxedData(value)) return `a ${Object.prototype.toString.call(value).slice(8, -1)} object`;
  const prototype: unknown = Object.getPrototypeOf(value);
  const name = prototype === Object.prototype || prototype === null ? undefined : (prototype as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name !== 'string' || name === '') return 'an object with a toJSON() method';
  return `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}`; // a URL, a Uuid: class names starting with U read "you"
}

/** An integer column: what fits a JavaScript number exactly (z.int() alone also refuses unsafe integers). */
const integer = () => z.int().gte(Number.MIN_SAFE_INTEGER).lte(Number.MAX_SAFE_INTEGER);
/** The largest step index: PostgreSQL's integer column. */
export const MAX_STEP_INDEX = 2_147_483_647;
/** A column that may be left out or emptied with null. */
const optional = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

// The columns as every backend's schema declares them, in their order; required ones are NOT NULL there.
const executionShape = {
  workflowId: key(),
  workflowName: nonEmpty(z.string()),
  triggerType: z.enum(TRIGGER_TYPES),
  triggerData: payload,
  status: z.enum(EXECUTION_STATUSES),
  startedAt: notNegative(integer()),
  completedAt: optional(notNegative(integer())),
  durationMs: optional(notNegative(integer())),
  errorMessage: optional(z.string()),
  errorStack: optional(z.string()),
  metadata: payload,
};
const executionTexts = wellFormedTexts(
  (execution) =>
    wellFormedOrAbsent(execution.workflowId) &&
    wellFormedOrAbsent(execution.workflowName) &&
    wellFormedOrAbsent(execution.errorMessage) &&
    wellFormedOrAbsent(execution.errorStack),
);

const stepShape = {
  executionId: nonEmpty(z.string()),
  nodeId: key(),
  nodeType: nonEmpty(z.string()),
  nodeName: optional(z.string()),
  // A 32-bit integer on PostgreSQL (and billions of steps in one run is no workflow): the same limit on every backend.
  stepIndex: notNegative(integer()).max(MAX_STEP_INDEX, `expected at most ${MAX_STEP_INDEX}`),
  startedAt: notNegative(integer()),
  completedAt: optional(notNegative(integer())),
  durationMs: optional(notNegative(integer())),
  status: z.enum(STEP_STATUSES),
  inputData: payload,
  outputData: payload,
  errorMessage: optional(z.string()),
};
const stepTexts = wellFormedTexts(
  (step) =>
    wellFormedOrAbsent(step.executionId) &&
    wellFormedOrAbsent(step.nodeId) &&
    wellFormedOrAbsent(step.nodeType) &&
    wellFormedOrAbsent(step.nodeName) &&
    wellFormedOrAbsent(step.errorMessage),
);

export const newExecutionSchema = z.strictObject(executionShape).check(executionTexts);
export const executionChangesSchema = z.strictObject(executionShape).partial().check(executionTexts).transform(leftOutWhenUndefined);
// Zod refuses omit() on a schema with checks: the step without its id is made once, and checked in each use.
const stepObject = z.strictObject(stepShape);
export const newStepSchema = stepObject.check(stepTexts);
/** Most steps one batched write takes; larger batches hold the write lock long enough to stall other writers. */
export const MAX_BATCH_STEPS = 10_000;
export const newStepsSchema = z.array(newStepSchema).max(MAX_BATCH_STEPS, `expected at most ${MAX_BATCH_STEPS} steps`);
export const runStepsSchema = z
  .array(stepObject.omit({ executionId: true }).check(stepTexts))
  .max(MAX_BATCH_STEPS, `expected at most ${MAX_BATCH_STEPS} steps`);
export const stepChangesSchema = stepObject.omit({ executionId: true }).partial().check(stepTexts).transform(leftOutWhenUndefined);

// A batch's rows come with the caller's ids (so that writing a batch twice stores it once), which must say when their
// run started, as the store's own do: on PostgreSQL they decide the day partition a row is stored and dropped with.
const holdsStartedAt = (row: { id: string; startedAt: number }) => timeOfId(row.id) === row.startedAt;
const holdsExecutionTime = (row: { id: string; executionId: string }) => {
  const time = timeOfId(row.executionId);
  return time !== undefined && timeOfId(row.id) === time;
};
export const batchExecutionSchema = z
  .strictObject({ ...executionShape, id: nonEmpty(z.string()) })
  .check(executionTexts)
  .refine(holdsStartedAt, { path: ['id'], message: 'expected newExecutionId(startedAt): a uuid v7 holding the execution\'s startedAt' });
export const batchStepSchema = z
  .strictObject({ ...stepShape, id: nonEmpty(z.string()) })
  .check(stepTexts)
  .refine(holdsExecutionTime, { path: ['id'], message: 'expected newStepId(executionId): a uuid v7 holding the time of its execution\'s id' });
export const batchUpdateSchema = z.strictObject({ id: nonEmpty(z.string()), changes: executionChangesSchema });
export const countedRunSchema = z.strictObject({
  execution: newExecutionSchema.refine((execution) => execution.status !== 'running', {
    path: ['status'],
    message: 'expected a finished run (success or error): a run counted without being stored is counted once, when it ends',
  }),
  steps: runStepsSchema,
  id: nonEmpty(z.string()).optional(),
});
const batchList = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_BATCH_STEPS, `expected at most ${MAX_BATCH_STEPS} items`);
export const batchExecutionsSchema = batchList(batchExecutionSchema);
export const batchStepsSchema = batchList(batchStepSchema);
export const batchUpdatesSchema = batchList(batchUpdateSchema);
export const countedRunsSchema = batchList(countedRunSchema);
export const writeBatchOptionsSchema = z.strictObject({ lockWaitMs: z.int('expected an integer number of ms').min(0, 'expected a non-negative number of ms').optional() }).optional();
/** The batch's shape; its lists' items are checked one by one (validateList). */
export const historyBatchSchema = z.strictObject({
  executions: z.array(z.unknown()).optional(),
  steps: z.array(z.unknown()).optional(),
  updates: z.array(z.unknown()).optional(),
  countedOnly: z.array(z.unknown()).optional(),
});
export type ValidBatch = {
  executions: z.output<typeof batchExecutionSchema>[];
  steps: z.output<typeof batchStepSchema>[];
  updates: z.output<typeof batchUpdateSchema>[];
  countedOnly: z.output<typeof countedRunSchema>[];
};

/**
 * Changes with the fields set to undefined left out, as if missing (the types allow either): zod keeps them, and an
 * update would write them as NULL, clearing a field (null is what clears one) or breaking a NOT NULL column.
 */
function leftOutWhenUndefined<T extends object>(changes: T): T {
  if (!Object.values(changes).includes(undefined)) return changes;
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as T;
}

/** An execution or step as validation hands it on: optional fields may be null (empty). */
export type ValidExecution = z.output<typeof newExecutionSchema>;
export type ValidStep = z.output<typeof newStepSchema>;

/** How many rows one call returns: pages, insight rows, ids by prefix. */
const pageSize = z.int('expected an integer').min(1, 'expected at least 1').max(MAX_PAGE_SIZE, `expected at most ${MAX_PAGE_SIZE}`);

const workflowIdFilter = wellFormed(z.string().min(1, 'expected a non-empty string')).optional();

export const executionQuerySchema = z
  .strictObject({
    workflowId: workflowIdFilter,
    status: z.enum(EXECUTION_STATUSES).optional(),
    triggerType: z.enum(TRIGGER_TYPES).optional(),
    startedAfter: timestamp.optional(),
    startedBefore: timestamp.optional(),
    orderBy: z.enum(['started_at', 'duration_ms']).default('started_at'),
    orderDir: z.enum(['asc', 'desc']).default('desc'),
    limit: pageSize.default(DEFAULT_PAGE_SIZE),
    offset: z.int('expected an integer').min(0, 'expected a non-negative integer').default(0),
  })
  .prefault({}); // a missing query gets every default above

export const executionPageQuerySchema = executionQuerySchema
  .unwrap()
  .extend({ cursor: z.string().min(1, 'expected the nextCursor of a previous page').optional() })
  .refine((query) => query.cursor === undefined || query.offset === 0, {
    message: 'expected either cursor or offset, not both',
    path: ['offset'],
  })
  .prefault({});

/** The longest key or text a search takes: a needle, not a document. */
const MAX_SEARCH_TEXT = 1_000;
export const executionSearchSchema = z
  .strictObject({
    key: z.string().min(1, 'expected a non-empty key').max(MAX_SEARCH_TEXT, `expected at most ${MAX_SEARCH_TEXT} characters`).optional(),
    equals: z.union([z.string().max(MAX_SEARCH_TEXT, `expected at most ${MAX_SEARCH_TEXT} characters`), z.number().finite(), z.boolean(), z.null()], {
      error: 'expected a string, a finite number, a boolean or null',
    }).optional(),
    text: z.string().min(1, 'expected non-empty text').max(MAX_SEARCH_TEXT, `expected at most ${MAX_SEARCH_TEXT} characters`).optional(),
    in: z.array(z.enum(SEARCHED_PAYLOADS)).min(1, 'expected at least one of triggerData, metadata, inputData, outputData').optional(),
    workflowId: workflowIdFilter,
    status: z.enum(EXECUTION_STATUSES).optional(),
    startedAfter: timestamp.optional(),
    startedBefore: timestamp.optional(),
    limit: z.int('expected an integer').min(1, 'expected at least 1').max(MAX_SEARCH_LIMIT, `expected at most ${MAX_SEARCH_LIMIT}`).default(DEFAULT_SEARCH_LIMIT),
    cursor: z.string().min(1, 'expected the nextCursor of a previous search').optional(),
  }, { error: (issue) => (issue.code === 'invalid_type' ? 'expected a search: { key, equals } or { text }, with optional in, workflowId, status, startedAfter, startedBefore, limit, cursor' : undefined) })
  .check((parsing) => {
    const { key, equals, text } = parsing.value;
    const byKey = key !== undefined || 'equals' in parsing.value;
    if (byKey && text !== undefined) parsing.issues.push({ code: 'custom', input: parsing.value, message: 'expected either key with equals, or text, not both' });
    else if (!byKey && text === undefined) parsing.issues.push({ code: 'custom', input: parsing.value, message: 'expected key with equals, or text' });
    else if (byKey && key === undefined) parsing.issues.push({ code: 'custom', input: parsing.value, path: ['key'], message: 'expected the key whose value equals names' });
    else if (byKey && equals === undefined) parsing.issues.push({ code: 'custom', input: parsing.value, path: ['equals'], message: 'expected the value the key holds (a string, a number, a boolean or null)' });
  })
  .refine((search) => search.startedAfter === undefined || search.startedBefore === undefined || search.startedAfter < search.startedBefore, {
    message: 'expected startedAfter before startedBefore',
    path: ['startedBefore'],
  });

export const executionStatsQuerySchema = z
  .strictObject(
    executionQuerySchema.unwrap().pick({ workflowId: true, triggerType: true, startedAfter: true, startedBefore: true }).shape,
    {
      error: (issue) =>
        issue.code === 'invalid_type'
          ? 'expected a workflow id, or a query object with workflowId, triggerType, startedAfter and startedBefore'
          : undefined,
    },
  )
  .optional();

const limit = pageSize.default(DEFAULT_PAGE_SIZE);
const insightRange = {
  startedAfter: timestamp.optional(),
  startedBefore: timestamp.optional(),
};
const beforeAfterStart = <T extends { startedAfter?: number; startedBefore?: number }>(query: T) =>
  query.startedAfter === undefined || query.startedBefore === undefined || query.startedAfter < query.startedBefore;
const rangeOrder = { message: 'expected startedAfter before startedBefore', path: ['startedBefore'] };

export const nodeStatsQuerySchema = z
  .strictObject({
    workflowId: workflowIdFilter,
    ...insightRange,
    sortBy: z.enum(['p95', 'errorRate', 'runs']).default('runs'),
    limit,
  })
  .refine(beforeAfterStart, rangeOrder)
  .prefault({});

export const errorGroupsQuerySchema = z
  .strictObject({ workflowId: workflowIdFilter, ...insightRange, limit })
  .refine(beforeAfterStart, rangeOrder)
  .prefault({});

export const workflowSummariesQuerySchema = z.strictObject(insightRange).refine(beforeAfterStart, rangeOrder).prefault({});

export const timelineQuerySchema = z
  .strictObject({
    workflowId: workflowIdFilter,
    startedAfter: timestamp,
    startedBefore: timestamp,
    bucket: z.enum(['minute', 'hour', 'day']),
    timeZone: z
      .string()
      .refine(isTimeZone, { message: 'expected an IANA time zone such as "UTC" or "Europe/Berlin"' })
      .default('UTC'),
  })
  .refine(beforeAfterStart, rangeOrder);

/** Whether the runtime's Intl knows this IANA time zone. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const idSchema = wellFormed(z.string('expected a string id').min(1, 'expected a non-empty id'));
export const nonNegativeIntegerSchema = z.int('expected an integer').min(0, 'expected a non-negative integer');
const cleanupOptions = z.strictObject({
  onProgress: z.custom<() => void>((value) => typeof value === 'function', 'expected a function').optional(),
  dryRun: z.boolean('expected true or false').optional(),
});
export const cleanupOptionsSchema = cleanupOptions.optional();
export const oldExecutionsCleanupOptionsSchema = cleanupOptions.extend({ workflowId: idSchema.optional() }).optional();
export const idPrefixSchema = wellFormed(z.string('expected a string').min(1, 'expected at least one character of an id'));
export const idPrefixLimitSchema = pageSize;
export const recoveryOptionsSchema = z
  .strictObject({ startedBefore: timestamp.optional() })
  .optional();
export const inspectionOptionsSchema = z
  .strictObject({ integrity: z.enum(['full', 'quick', 'none']).optional(), runningSince: z.int().min(0, 'expected a non-negative integer').optional() })
  .optional();

const days = z.int('expected an integer number of days').min(1, 'expected at least 1 day');
/** What setInsightRetention takes: at least one of the two. */
export const insightRetentionChangeSchema = z
  .strictObject({ hourlyDays: days.optional(), dailyDays: days.optional() })
  .refine((change) => change.hourlyDays !== undefined || change.dailyDays !== undefined, 'expected hourlyDays, dailyDays or both');

export const optionsSchema = z
  .strictObject({
    maxPayloadBytes: z.int('expected an integer').min(1, 'expected a positive number of bytes').optional(),
    now: z.custom<() => number>((value) => typeof value === 'function', 'expected a function').optional(),
    busyTimeoutMs: z.int('expected an integer').min(0, 'expected a non-negative number of ms').optional(),
    walLimitBytes: z.int('expected an integer').min(1, 'expected a positive number of bytes').optional(),
    insights: z
      .strictObject({
        outliveDeletes: z.boolean('expected true or false').optional(),
        hourlyDays: z.int('expected an integer').min(1, 'expected at least 1 day').optional(),
        dailyDays: z.int('expected an integer').min(1, 'expected at least 1 day').optional(),
      })
      .optional(),
    redactKeys: z
      .array(z.union([z.string().min(1), z.instanceof(RegExp)], 'expected a non-empty string or a RegExp'), 'expected an array of strings and RegExps')
      .optional(),
    instance: z
      .strictObject({
        id: nonEmpty(z.string()).max(200, 'expected at most 200 characters').optional(),
        leaseMs: z.int('expected an integer').min(MIN_LEASE_MS, `expected at least ${MIN_LEASE_MS} ms`).optional(),
      })
      .optional(),
    postgres: z
      .strictObject({
        poolSize: z.int('expected an integer').min(1, 'expected at least 1 connection').max(1000, 'expected at most 1000 connections').optional(),
        connectTimeoutMs: z.int('expected an integer').min(1, 'expected a positive number of ms').optional(),
        dropDays: z.boolean('expected true or false').optional(),
      })
      .optional(),
  })
  .optional();

/**
 * Parses `input` or throws ExecutionStoreError('VALIDATION') naming each bad field, what it got and what was
 * expected. `what` names the call, `argument` the parameter being checked (for problems with the value as a whole).
 * Input that throws when read (a getter, a Proxy) is bad input too: VALIDATION naming the field that threw.
 */
export function validate<T extends z.ZodType>(schema: T, input: unknown, what: string, argument: string): z.output<T> {
  let problems: string[];
  try {
    const valid = schema.safeParse(input);
    if (valid.success) return valid.data;
    // Only bad input pays for the detailed report (the options slow zod's fast path on every call).
    const result = schema.safeParse(input, { reportInput: true, error: plainerMessages });
    if (result.success) return result.data;
    problems = result.error.issues.map((issue) => {
      const field = issue.path.reduce<string>(
        (name, segment) => (typeof segment === 'number' ? `${name}[${segment}]` : `${name === argument ? '' : `${name}.`}${String(segment)}`),
        argument,
      );
      return `${field}: ${issue.message}${describeInput(issue)}`;
    });
  } catch (error) {
    throw unreadableInput(error, input, what, argument);
  }
  throw new ExecutionStoreError('VALIDATION', `${what}: invalid input: ${problems.join('; ')}`);
}

/**
 * validate() for a list of items: each item takes zod's fast path on its own (parsing the array as a whole measured
 * 1.6× slower per item); only a bad list is parsed whole, for the message naming the bad item.
 */
export function validateList<T extends z.ZodType>(
  list: z.ZodArray<T>,
  maxItems: number,
  input: unknown,
  what: string,
  argument: string,
  /** Items the schema surely accepts, as zod's output would be (src/core/surely-valid-rows.ts); zod reads the rest. */
  accepted?: (item: unknown) => z.output<T> | undefined,
): z.output<T>[] {
  try {
    if (Array.isArray(input) && input.length <= maxItems) {
      const items: z.output<T>[] = [];
      for (const item of input) {
        const surely = accepted?.(item);
        if (surely !== undefined) {
          items.push(surely);
          continue;
        }
        const result = list.element.safeParse(item);
        if (!result.success) break;
        items.push(result.data);
      }
      if (items.length === input.length) return items;
    }
  } catch (error) {
    throw unreadableInput(error, input, what, argument);
  }
  return validate(list, input, what, argument);
}

/** The payload fields: what is inside them is not read by validation (the encoder copes with whatever it finds). */
const PAYLOAD_FIELDS: ReadonlySet<unknown> = new Set(['triggerData', 'metadata', 'inputData', 'outputData']);
/** Levels of the input looked at for what threw: the argument, its fields (list items), their fields. */
const PROBED_LEVELS = 3;

/**
 * The VALIDATION error for input that threw while zod read it. The field is found by reading the input again the
 * way zod does, one own key at a time, shallow levels first: the first value that throws when looked at, or whose
 * keys cannot be listed, is named; when nothing throws a second time, the argument as a whole is.
 */
function unreadableInput(thrown: unknown, input: unknown, what: string, argument: string): ExecutionStoreError {
  const found = firstUnreadable(input, argument) ?? { field: argument, error: thrown };
  return new ExecutionStoreError(
    'VALIDATION',
    `${what}: invalid input: ${found.field}: reading it threw ${describeThrown(found.error)}; expected plain data`,
    { cause: found.error },
  );
}

function firstUnreadable(input: unknown, argument: string): { field: string; error: unknown } | undefined {
  let level = [{ field: argument, value: input }];
  for (let depth = 0; depth < PROBED_LEVELS && level.length > 0; depth++) {
    const next: typeof level = [];
    for (const { field, value } of level) {
      if (typeof value !== 'object' || value === null) continue;
      let children: { key: string; field: string }[];
      try {
        // What zod does with every object it meets, and (in its messages) with every value it rejects.
        const isList = Array.isArray(value);
        if (Object.getPrototypeOf(value) !== Object.prototype && 'constructor' in value) void value.constructor;
        if (depth === PROBED_LEVELS - 1) continue;
        children = isList
          ? Array.from({ length: value.length }, (_, index) => ({ key: String(index), field: `${field}[${index}]` }))
          : ownStringKeys(value).map((key) => ({ key, field: `${field}.${key}` }));
      } catch (error) {
        return { field, error };
      }
      for (const child of children) {
        let childValue: unknown;
        try {
          childValue = (value as Record<string, unknown>)[child.key];
        } catch (error) {
          return { field: child.field, error };
        }
        if (!PAYLOAD_FIELDS.has(child.key)) next.push({ field: child.field, value: childValue });
      }
    }
    level = next;
  }
  return undefined;
}

function ownStringKeys(value: object): string[] {
  for (const key in value) void key; // a strict object's check for unknown keys enumerates them like this
  return Reflect.ownKeys(value).filter((key): key is string => typeof key === 'string');
}

function describeThrown(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    return typeof error === 'string' ? JSON.stringify(error) : String(error);
  } catch {
    return 'a value that cannot be described';
  }
}

// Zod's own wording for a number that is not an integer is "expected int"/"expected number, received NaN".
function plainerMessages(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type' && (issue.expected === 'int' || issue.expected === 'number')) {
    return 'expected an integer';
  }
  return undefined;
}

function describeInput(issue: z.core.$ZodIssue): string {
  if (!('input' in issue) || issue.code === 'unrecognized_keys') return '';
  const input = issue.input;
  if (input === undefined) return ' (got nothing)';
  if (typeof input === 'string') return ` (got ${JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input)})`;
  if (typeof input === 'number' || typeof input === 'boolean' || input === null) return ` (got ${String(input)})`;
  if (typeof input === 'bigint') return ` (got ${input}n)`;
  try {
    // A rule over several fields (input is all of them), or a payload's rule, whose message says what it got.
    if (issue.code === 'custom' && !Array.isArray(input)) return '';
    return ` (got ${Array.isArray(input) ? `an array of ${input.length}` : `${typeof input === 'object' ? 'an' : 'a'} ${typeof input}`})`;
  } catch {
    return ''; // a Proxy whose traps throw: what it is cannot be said without them
  }
}
