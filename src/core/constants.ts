// The domain's fixed values, the same on every backend: the schemas build their CHECKs from them, validation and
// the command's option parsing accept them. No imports, so that anything (the command's `--help` too) may load it.

export const EXECUTION_STATUSES = ['running', 'success', 'error'] as const;
export const STEP_STATUSES = ['running', 'success', 'error', 'skipped'] as const;
export const TRIGGER_TYPES = ['webhook', 'schedule', 'manual', 'db_change', 'internal_event'] as const;

/** Hours and days are kept by every write; weeks only for the weeks that were compacted. */
export const INSIGHT_GRAINS = ['hour', 'day', 'week'] as const;
/** The workflowId of the rollup rows that count all workflows together. Workflow ids are non-empty. */
export const ALL_WORKFLOWS = '';

/** The most rows one page (and one group list) may hold. */
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 50;
/** More buckets than this is a mistake (a minute timeline over a month), not a chart. */
export const MAX_TIMELINE_BUCKETS = 5000;

/** The insight settings of a file that has pinned none (see ExecutionStoreOptions.insights). */
export const DEFAULT_INSIGHT_SETTINGS = { outliveDeletes: true, hourlyDays: 35, dailyDays: 365 } as const;

/** The payload fields a search reads. */
export const PAYLOAD_FIELDS = ['triggerData', 'metadata', 'inputData', 'outputData'] as const;
/**
 * The most steps one searchExecutions call reads, and the most executions: its cost bound (an execution with more
 * steps than this is read alone, whole). A search of a longer range goes on with the nextCursor it returns.
 */
export const SEARCH_STEPS_PER_CALL = 50_000;
export const MAX_SEARCH_LIMIT = 200;
export const DEFAULT_SEARCH_LIMIT = 20;
