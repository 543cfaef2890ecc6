// The database schema: the source of truth. `npm run db:generate` turns changes here into SQL in drizzle/sqlite/.
// SQLite-specific on purpose; a PostgreSQL backend gets a sibling of this file with the same names.
// Its one import from the project is the domain's constants, which import nothing: drizzle-kit loads this file.
import { relations, sql } from 'drizzle-orm';
import { type AnySQLiteColumn, check, foreignKey, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { ALL_WORKFLOWS, EXECUTION_STATUSES, INSIGHT_GRAINS, STEP_STATUSES, TRIGGER_TYPES } from '../core/constants.js';

export { ALL_WORKFLOWS, EXECUTION_STATUSES, INSIGHT_GRAINS, STEP_STATUSES, TRIGGER_TYPES };

/**
 * What executions are sorted by for "slowest first": the duration, with running executions (no duration yet) as -1,
 * which is where SQLite sorts NULL anyway. A non-null key lets a cursor name any position. Written with CASE, not
 * coalesce(), because drizzle-kit splits index expressions at commas.
 */
export const durationSortKey = (durationMs: AnySQLiteColumn) =>
  sql`(case when ${durationMs} is null then -1 else ${durationMs} end)`;

// The values are our own constants, never caller input, so inlining them as SQL literals is safe.
const oneOf = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

export const workflowExecutions = sqliteTable(
  'workflow_executions',
  {
    id: text('id').primaryKey(),
    workflowId: text('workflow_id').notNull(),
    workflowName: text('workflow_name').notNull(),
    triggerType: text('trigger_type', { enum: TRIGGER_TYPES }).notNull(),
    triggerData: text('trigger_data'),
    status: text('status', { enum: EXECUTION_STATUSES }).notNull(),
    startedAt: integer('started_at').notNull(),
    completedAt: integer('completed_at'),
    durationMs: integer('duration_ms'),
    errorMessage: text('error_message'),
    errorStack: text('error_stack'),
    metadata: text('metadata'),
    /** The store instance (see history_instances) that created it; NULL for executions from before instances. */
    instanceId: text('instance_id'),
  },
  (table) => [
    check('workflow_executions_status_check', sql`${table.status} in (${oneOf(EXECUTION_STATUSES)})`),
    check('workflow_executions_trigger_type_check', sql`${table.triggerType} in (${oneOf(TRIGGER_TYPES)})`),
    check('workflow_executions_duration_check', sql`${table.durationMs} >= 0`),
    // A workflow's executions, newest first (also serves "all executions of workflow X").
    index('workflow_executions_workflow_started_idx').on(table.workflowId, table.startedAt),
    // Executions with a status, newest first: the failures page, and finding 'running' ones.
    index('workflow_executions_status_started_idx').on(table.status, table.startedAt),
    // A workflow's executions with a status, newest first: "the failures of this workflow".
    index('workflow_executions_workflow_status_started_idx').on(table.workflowId, table.status, table.startedAt),
    // All executions newest first, time-range filters, and retention by age.
    index('workflow_executions_started_idx').on(table.startedAt),
    // Slowest (or fastest) executions first, and the duration percentiles of the stats. On the sort key rather than
    // the column: running executions (no duration) sort as -1, where SQLite puts NULL, but a cursor can name -1.
    index('workflow_executions_duration_idx').on(durationSortKey(table.durationMs)),
    // The same for one workflow: its slowest executions, and its exact stats percentiles without a sort.
    index('workflow_executions_workflow_duration_idx').on(table.workflowId, durationSortKey(table.durationMs)),
    // The running executions of each instance: what recovery looks up for the instances that are gone, and what
    // `instances` counts. A few rows among millions, so a partial index stays small.
    index('workflow_executions_running_instance_idx').on(table.instanceId).where(sql`${table.status} = 'running'`),
  ],
);

export const executionSteps = sqliteTable(
  'execution_steps',
  {
    id: text('id').primaryKey(),
    executionId: text('execution_id').notNull(),
    nodeId: text('node_id').notNull(),
    nodeType: text('node_type').notNull(),
    nodeName: text('node_name'),
    stepIndex: integer('step_index').notNull(),
    startedAt: integer('started_at').notNull(),
    completedAt: integer('completed_at'),
    durationMs: integer('duration_ms'),
    status: text('status', { enum: STEP_STATUSES }).notNull(),
    inputData: text('input_data'),
    outputData: text('output_data'),
    errorMessage: text('error_message'),
  },
  (table) => [
    // History must not depend on the workflow still existing, but a step never outlives its execution.
    foreignKey({ columns: [table.executionId], foreignColumns: [workflowExecutions.id] }).onDelete('cascade'),
    check('execution_steps_status_check', sql`${table.status} in (${oneOf(STEP_STATUSES)})`),
    check('execution_steps_duration_check', sql`${table.durationMs} >= 0`),
    // An execution's steps in order; also what the cascading delete looks steps up by.
    index('execution_steps_execution_step_idx').on(table.executionId, table.stepIndex),
  ],
);

/**
 * Exact running totals of the stored executions by workflow, trigger type and status, kept in the transaction of
 * every write and delete: what makes getExecutionStats() over millions of rows answer in milliseconds.
 */
export const executionCounts = sqliteTable(
  'execution_counts',
  {
    workflowId: text('workflow_id').notNull(),
    triggerType: text('trigger_type', { enum: TRIGGER_TYPES }).notNull(),
    status: text('status', { enum: EXECUTION_STATUSES }).notNull(),
    executions: integer('executions').notNull(),
    /** How many of them have a duration, and its sum: the average without reading the rows. */
    durationCount: integer('duration_count').notNull(),
    durationSum: integer('duration_sum').notNull(),
  },
  (table) => [primaryKey({ columns: [table.workflowId, table.triggerType, table.status] })],
);


/**
 * Finished executions per workflow (and for all workflows together, ALL_WORKFLOWS) by UTC hour and UTC day of their
 * start: counts per status, duration count and sum, and a duration histogram (src/core/histogram.ts) for percentiles.
 * Running ones are not counted here (they are few, and counted from the executions table): starting a run then
 * costs one small write, and only its completion touches the rollups.
 */
export const workflowRollups = sqliteTable(
  'workflow_rollups',
  {
    grain: text('grain', { enum: INSIGHT_GRAINS }).notNull(),
    workflowId: text('workflow_id').notNull(),
    /** The bucket's first millisecond (UTC). */
    bucketStart: integer('bucket_start').notNull(),
    /** The name of the latest execution counted here. */
    workflowName: text('workflow_name').notNull(),
    success: integer('success').notNull(),
    error: integer('error').notNull(),
    durationCount: integer('duration_count').notNull(),
    durationSum: integer('duration_sum').notNull(),
    /** Counts per duration bucket, encoded as in src/core/histogram.ts. */
    histogram: text('histogram').notNull(),
  },
  (table) => [primaryKey({ columns: [table.grain, table.workflowId, table.bucketStart] })],
);

/**
 * Finished steps (success, error, skipped) per workflow and node by the UTC hour and UTC day of their execution's
 * start, and by 7-day week (from Thursday 00:00 UTC, the epoch's weekday) for the weeks in compacted_weeks.
 */
export const nodeRollups = sqliteTable(
  'node_rollups',
  {
    grain: text('grain', { enum: INSIGHT_GRAINS }).notNull(),
    workflowId: text('workflow_id').notNull(),
    bucketStart: integer('bucket_start').notNull(),
    nodeId: text('node_id').notNull(),
    /** Type and name of the latest step counted here. */
    nodeType: text('node_type').notNull(),
    nodeName: text('node_name'),
    success: integer('success').notNull(),
    error: integer('error').notNull(),
    skipped: integer('skipped').notNull(),
    durationCount: integer('duration_count').notNull(),
    durationSum: integer('duration_sum').notNull(),
    durationMax: integer('duration_max'),
    histogram: text('histogram').notNull(),
    lastErrorMessage: text('last_error_message'),
    /** When the last error counted here happened: the step's completion, else its start. */
    lastErrorAt: integer('last_error_at'),
    /**
     * The longest duration and the last error among this row's steps that were deleted but stay counted
     * (insights.outliveDeletes): a maximum or last error recounted after a change must include them, and the
     * deleted rows are gone. Null when none was deleted, or when deletes take steps out of the rollups.
     */
    deletedDurationMax: integer('deleted_duration_max'),
    deletedLastErrorMessage: text('deleted_last_error_message'),
    deletedLastErrorAt: integer('deleted_last_error_at'),
  },
  (table) => [
    primaryKey({ columns: [table.grain, table.workflowId, table.bucketStart, table.nodeId] }),
    // Node stats across all workflows over a time range.
    index('node_rollups_grain_bucket_idx').on(table.grain, table.bucketStart),
  ],
);

/**
 * The weeks whose daily node rollups are also summed into one weekly row per workflow and node: a 30-day node
 * query across all workflows then reads ~12 rows per node instead of 30. A week is compacted once its last day is
 * past; from then on every change to one of its days changes its weekly row too, in the same transaction.
 */
export const compactedWeeks = sqliteTable('compacted_weeks', {
  /** The week's first millisecond (UTC), a multiple of 7 days. */
  weekStart: integer('week_start').primaryKey(),
});

/**
 * The insight settings that every process writing the file must share, and how far the clean-ups have pruned the
 * rollups. One row (id 1), inserted by the migration. A setting is null until a process opens the file with it
 * given, which pins it; the defaults apply meanwhile, and a process giving another value is refused.
 */
export const insightSettings = sqliteTable(
  'insight_settings',
  {
    id: integer('id').primaryKey(),
    outliveDeletes: integer('outlive_deletes', { mode: 'boolean' }),
    hourlyDays: integer('hourly_days'),
    dailyDays: integer('daily_days'),
    /**
     * Where the kept rollup rows begin: rows of buckets starting before were pruned (null: none were), so readers
     * take what these rows would have said from elsewhere, or say they cannot. Hourly node rows are kept
     * `hourly_days`; hourly workflow rows, daily and weekly rows `daily_days`.
     */
    nodeHoursKeptFrom: integer('node_hours_kept_from'),
    workflowHoursKeptFrom: integer('workflow_hours_kept_from'),
    daysKeptFrom: integer('days_kept_from'),
  },
  (table) => [check('insight_settings_one_row', sql`${table.id} = 1`)],
);

/**
 * The store instances that have written executions, one row each, kept current by the instance's heartbeat while it
 * is open: what recovery asks before marking a running execution as interrupted. Times are the database's clock
 * (every instance reads the same one), so instances whose clocks disagree are judged alike.
 */
export const historyInstances = sqliteTable('history_instances', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  /**
   * Which process holds the id now (a token each process draws once): a process that starts with an id a previous
   * process held takes over what that one left running.
   */
  incarnation: text('incarnation').notNull(),
  /** When the instance first wrote (ms since the epoch, the database's clock). */
  startedAt: integer('started_at').notNull(),
  /** Its last heartbeat (ms, the database's clock). */
  heardAt: integer('heard_at').notNull(),
  /** How long after heardAt it counts as gone: its own lease, so that instances with other settings are judged by theirs. */
  leaseMs: integer('lease_ms').notNull(),
});

export const workflowExecutionsRelations = relations(workflowExecutions, ({ many }) => ({
  steps: many(executionSteps),
}));

export const executionStepsRelations = relations(executionSteps, ({ one }) => ({
  execution: one(workflowExecutions, {
    fields: [executionSteps.executionId],
    references: [workflowExecutions.id],
  }),
}));
