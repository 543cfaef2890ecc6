// Runtime checks for every write and query, derived from the Drizzle tables (drizzle-zod) so that the rules
// follow the columns: NOT NULL, enum values, integer ranges. Callers may be plain JavaScript.
import { createInsertSchema, createUpdateSchema } from 'drizzle-zod';
import { z } from 'zod';
import { ExecutionStoreError } from './errors.js';
import { EXECUTION_STATUSES, TRIGGER_TYPES, executionSteps, workflowExecutions } from './schema.js';
import type { JsonObject } from './types.js';

export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 50;

const nonEmpty = (schema: z.ZodString) => schema.min(1, 'expected a non-empty string');
// z.int() (what drizzle-zod gives integer columns) already keeps values inside the safe integer range.
const timestamp = z.int('expected an integer number of milliseconds').min(0, 'expected a non-negative integer');
const notNegative = (schema: z.ZodInt) => schema.min(0, 'expected a non-negative integer');
const payload = z
  .custom<JsonObject>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
    message: 'expected a JSON object (a plain object, not an array or a primitive)',
  })
  .nullish();

const executionColumns = {
  workflowId: nonEmpty,
  workflowName: nonEmpty,
  startedAt: notNegative,
  completedAt: notNegative,
  durationMs: notNegative,
  triggerData: payload,
  metadata: payload,
};

const stepColumns = {
  executionId: nonEmpty,
  nodeId: nonEmpty,
  nodeType: nonEmpty,
  stepIndex: notNegative,
  startedAt: notNegative,
  completedAt: notNegative,
  durationMs: notNegative,
  inputData: payload,
  outputData: payload,
};

export const newExecutionSchema = createInsertSchema(workflowExecutions, executionColumns).omit({ id: true }).strict();
export const executionChangesSchema = createUpdateSchema(workflowExecutions, executionColumns)
  .omit({ id: true })
  .strict();
export const newStepSchema = createInsertSchema(executionSteps, stepColumns).omit({ id: true }).strict();
/** Most steps one batched write takes; larger batches hold the write lock long enough to stall other writers. */
export const MAX_BATCH_STEPS = 10_000;
export const newStepsSchema = z.array(newStepSchema).max(MAX_BATCH_STEPS, `expected at most ${MAX_BATCH_STEPS} steps`);
export const runStepsSchema = z
  .array(newStepSchema.omit({ executionId: true }))
  .max(MAX_BATCH_STEPS, `expected at most ${MAX_BATCH_STEPS} steps`);
export const stepChangesSchema = createUpdateSchema(executionSteps, stepColumns)
  .omit({ id: true, executionId: true })
  .strict();

/** An execution or step as validation hands it on: optional fields may be null (empty). */
export type ValidExecution = z.output<typeof newExecutionSchema>;
export type ValidStep = z.output<typeof newStepSchema>;

/** How many rows one call returns: pages, insight rows, ids by prefix. */
const pageSize = z.int('expected an integer').min(1, 'expected at least 1').max(MAX_PAGE_SIZE, `expected at most ${MAX_PAGE_SIZE}`);

export const executionQuerySchema = z
  .strictObject({
    workflowId: z.string().min(1, 'expected a non-empty string').optional(),
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
    workflowId: z.string().min(1, 'expected a non-empty string').optional(),
    ...insightRange,
    sortBy: z.enum(['p95', 'errorRate', 'runs']).default('runs'),
    limit,
  })
  .refine(beforeAfterStart, rangeOrder)
  .prefault({});

export const errorGroupsQuerySchema = z
  .strictObject({ workflowId: z.string().min(1, 'expected a non-empty string').optional(), ...insightRange, limit })
  .refine(beforeAfterStart, rangeOrder)
  .prefault({});

export const workflowSummariesQuerySchema = z.strictObject(insightRange).refine(beforeAfterStart, rangeOrder).prefault({});

/** More buckets than this is a mistake (a minute timeline over a month), not a chart. */
export const MAX_TIMELINE_BUCKETS = 5000;
export const timelineQuerySchema = z
  .strictObject({
    workflowId: z.string().min(1, 'expected a non-empty string').optional(),
    startedAfter: timestamp,
    startedBefore: timestamp,
    bucket: z.enum(['minute', 'hour', 'day']),
    timeZone: z
      .string()
      .refine(isTimeZone, { message: 'expected an IANA time zone such as "UTC" or "Europe/Berlin"' })
      .default('UTC'),
  })
  .refine(beforeAfterStart, rangeOrder);

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const idSchema = z.string('expected a string id').min(1, 'expected a non-empty id');
export const nonNegativeIntegerSchema = z.int('expected an integer').min(0, 'expected a non-negative integer');
const cleanupOptions = z.strictObject({
  onProgress: z.custom<() => void>((value) => typeof value === 'function', 'expected a function').optional(),
  dryRun: z.boolean('expected true or false').optional(),
});
export const cleanupOptionsSchema = cleanupOptions.optional();
export const oldExecutionsCleanupOptionsSchema = cleanupOptions.extend({ workflowId: idSchema.optional() }).optional();
export const idPrefixSchema = z.string('expected a string').min(1, 'expected at least one character of an id');
export const idPrefixLimitSchema = pageSize;
export const recoveryOptionsSchema = z
  .strictObject({ startedBefore: timestamp.optional() })
  .optional();
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
  })
  .optional();

/**
 * Parses `input` or throws ExecutionStoreError('VALIDATION') naming each bad field, what it got and what was
 * expected. `what` names the call, `argument` the parameter being checked (for problems with the value as a whole).
 */
export function validate<T extends z.ZodType>(schema: T, input: unknown, what: string, argument: string): z.output<T> {
  const valid = schema.safeParse(input);
  if (valid.success) return valid.data;
  // Only bad input pays for the detailed report (the options slow zod's fast path on every call).
  const result = schema.safeParse(input, { reportInput: true, error: plainerMessages });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.reduce<string>(
      (name, segment) => (typeof segment === 'number' ? `${name}[${segment}]` : `${name === argument ? '' : `${name}.`}${String(segment)}`),
      argument,
    );
    return `${field}: ${issue.message}${describeInput(issue)}`;
  });
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
): z.output<T>[] {
  if (Array.isArray(input) && input.length <= maxItems) {
    const items: z.output<T>[] = [];
    for (const item of input) {
      const result = list.element.safeParse(item);
      if (!result.success) break;
      items.push(result.data);
    }
    if (items.length === input.length) return items;
  }
  return validate(list, input, what, argument);
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
  if (issue.code === 'custom' && !Array.isArray(input)) return ''; // a rule over several fields: input is all of them
  return ` (got ${Array.isArray(input) ? `an array of ${input.length}` : `${typeof input === 'object' ? 'an' : 'a'} ${typeof input}`})`;
}
