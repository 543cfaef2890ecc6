// The PostgreSQL schema: the source of truth for drizzle/postgres/ (`npm run db:generate:postgres`). The same tables,
// columns and names as src/sqlite/schema.ts, in PostgreSQL's types:
// - times, durations and sums are bigint milliseconds read as JavaScript numbers (exact up to 2^53);
// - payloads are text holding the JSON the store wrote, so they round-trip byte for byte as on SQLite (jsonb would
//   reorder and de-duplicate keys and refuses "\u0000");
// - workflow_rollups and execution_counts have a `shard` in their key: several instances writing at once add to
//   their own shard's row instead of queueing behind one row lock (readers sum the shards);
// - workflow_executions and execution_steps are partitioned by day of their ids (which hold the run's start), and
//   compare ids byte by byte. Drizzle has no words for partitions: migration 0004 makes the tables partitioned, and
//   src/postgres/partitions.ts keeps their days.
// Its one import from the project is the domain's constants, which import nothing: drizzle-kit loads this file.
import { relations, sql } from 'drizzle-orm';
import { type AnyPgColumn, bigint, boolean, check, customType, index, integer, pgTable, primaryKey, smallint, text } from 'drizzle-orm/pg-core';
import { EXECUTION_STATUSES, INSIGHT_GRAINS, STEP_STATUSES, TRIGGER_TYPES } from '../core/constants.js';

const millis = (name: string) => bigint(name, { mode: 'number' });

/**
 * Ids, compared byte by byte (COLLATE "C") whatever the database's collation: the order uuids sort in everywhere
 * else, the order of the partition bounds (src/postgres/partitions.ts), and what LIKE 'prefix%' reads as a range
 * of the primary key.
 */
const byteOrderedText = customType<{ data: string; driverData: string }>({ dataType: () => 'text COLLATE "C"' });

/**
 * What executions are sorted by for "slowest first": the duration, with running executions (no duration yet) as -1,
 * so that a cursor can name any position (PostgreSQL sorts NULL first in descending order; SQLite last). Written with
 * CASE, not coalesce(), as on SQLite.
 */
export const durationSortKey = (durationMs: AnyPgColumn) => sql`(case when ${durationMs} is null then -1 else ${durationMs} end)`;

// The values are our own constants, never caller input, so inlining them as SQL literals is safe.
const oneOf = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

export const workflowExecutions = pgTable(
  'workflow_executions',
  {
    id: byteOrderedText('id').primaryKey(),
    workflowId: text('workflow_id').notNull(),
    workflowName: text('workflow_name').notNull(),
    triggerType: text('trigger_type', { enum: TRIGGER_TYPES }).notNull(),
    triggerData: text('trigger_data'),
    status: text('status', { enum: EXECUTION_STATUSES }).notNull(),
    startedAt: millis('started_at').notNull(),
    completedAt: millis('completed_at'),
    durationMs: millis('duration_ms'),
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
    // Executions with a status, newest first: the failures page.
    index('workflow_executions_status_started_idx').on(table.status, table.startedAt),
    // A workflow's executions with a status, newest first: "the failures of this workflow".
    index('workflow_executions_workflow_status_started_idx').on(table.workflowId, table.status, table.startedAt),
    // All executions newest first, time-range filters, and retention by age.
    index('workflow_executions_started_idx').on(table.startedAt),
    // Slowest (or fastest) executions first, on the sort key.
    index('workflow_executions_duration_idx').on(durationSortKey(table.durationMs)),
    // The same for one workflow: its slowest executions.
    index('workflow_executions_workflow_duration_idx').on(table.workflowId, durationSortKey(table.durationMs)),
    // The running executions of each instance: what recovery looks up for the instances that are gone, and what
    // `instances` counts. A few rows among millions, so a partial index stays small.
    index('workflow_executions_running_instance_idx').on(table.instanceId).where(sql`${table.status} = 'running'`),
    // The stats' exact percentiles, minimum and maximum (src/postgres/stats.ts), walked on the plain column of the
    // finished executions: an index-only scan, which the sort-key indexes above cannot give (PostgreSQL reads the
    // column of an expression from the table).
    index('workflow_executions_finished_duration_idx').on(table.durationMs).where(sql`${table.durationMs} is not null`),
    // The same for one workflow's stats.
    index('workflow_executions_workflow_finished_duration_idx').on(table.workflowId, table.durationMs).where(sql`${table.durationMs} is not null`),
    // The running executions alone, for recovery at start-up: a few rows among millions, so a partial index stays
    // small and is all recovery reads.
    index('workflow_executions_running_idx').on(table.startedAt).where(sql`${table.status} = 'running'`),
  ],
);

export const executionSteps = pgTable(
  'execution_steps',
  {
    id: byteOrderedText('id').primaryKey(),
    executionId: byteOrderedText('execution_id').notNull(),
    nodeId: text('node_id').notNull(),
    nodeType: text('node_type').notNull(),
    nodeName: text('node_name'),
    stepIndex: integer('step_index').notNull(),
    startedAt: millis('started_at').notNull(),
    completedAt: millis('completed_at'),
    durationMs: millis('duration_ms'),
    status: text('status', { enum: STEP_STATUSES }).notNull(),
    inputData: text('input_data'),
    outputData: text('output_data'),
    errorMessage: text('error_message'),
  },
  (table) => [
    // No foreign key to the execution: the tables are partitioned by day (src/postgres/partitions.ts), and a key
    // between partitioned tables would make dropping a day lock every partition of both. The store keeps it: a step
    // is added only to an execution it has locked (KEY SHARE), and deleting an execution deletes its steps first.
    check('execution_steps_status_check', sql`${table.status} in (${oneOf(STEP_STATUSES)})`),
    check('execution_steps_duration_check', sql`${table.durationMs} >= 0`),
    // An execution's steps in order; also what the cascading delete looks steps up by.
    index('execution_steps_execution_step_idx').on(table.executionId, table.stepIndex),
    // The running steps alone, for recovery.
    index('execution_steps_running_idx').on(table.executionId).where(sql`${table.status} = 'running'`),
  ],
);

/**
 * Exact running totals of the stored executions by workflow, trigger type and status, kept in the transaction of
 * every write and delete; a total is the sum of its shards.
 */
export const executionCounts = pgTable(
  'execution_counts',
  {
    workflowId: text('workflow_id').notNull(),
    triggerType: text('trigger_type', { enum: TRIGGER_TYPES }).notNull(),
    status: text('status', { enum: EXECUTION_STATUSES }).notNull(),
    /** Which writer's row: each store adds to one shard of its own choosing (see src/postgres/shards.ts). */
    shard: smallint('shard').notNull(),
    executions: bigint('executions', { mode: 'number' }).notNull(),
    durationCount: bigint('duration_count', { mode: 'number' }).notNull(),
    durationSum: millis('duration_sum').notNull(),
  },
  (table) => [primaryKey({ columns: [table.workflowId, table.triggerType, table.status, table.shard] })],
);

/**
 * Finished executions per workflow (and for all workflows together, ALL_WORKFLOWS) by UTC hour and day of their
 * start, as on SQLite; a bucket's figures are the sum of its shards' rows, and its name the latest shard's.
 */
export const workflowRollups = pgTable(
  'workflow_rollups',
  {
    grain: text('grain', { enum: INSIGHT_GRAINS }).notNull(),
    workflowId: text('workflow_id').notNull(),
    bucketStart: millis('bucket_start').notNull(),
    shard: smallint('shard').notNull(),
    workflowName: text('workflow_name').notNull(),
    success: bigint('success', { mode: 'number' }).notNull(),
    error: bigint('error', { mode: 'number' }).notNull(),
    durationCount: bigint('duration_count', { mode: 'number' }).notNull(),
    durationSum: millis('duration_sum').notNull(),
    /** Counts per duration bucket, encoded as in src/core/histogram.ts. */
    histogram: text('histogram').notNull(),
    /**
     * When this shard's row last counted a named execution, in microseconds of the server's clock (one clock for every
     * instance, and never the caller's, which may be fixed or broken): which shard's name is the bucket's latest.
     */
    namedAt: bigint('named_at', { mode: 'number' }).notNull().default(0),
  },
  (table) => [
    primaryKey({ columns: [table.grain, table.workflowId, table.bucketStart, table.shard] }),
    // Workflow insights across all workflows over a time range.
    index('workflow_rollups_grain_bucket_idx').on(table.grain, table.bucketStart),
  ],
);

/** Finished steps per workflow and node by UTC hour, day and compacted week of their execution's start, as on SQLite. */
export const nodeRollups = pgTable(
  'node_rollups',
  {
    grain: text('grain', { enum: INSIGHT_GRAINS }).notNull(),
    workflowId: text('workflow_id').notNull(),
    bucketStart: millis('bucket_start').notNull(),
    nodeId: text('node_id').notNull(),
    nodeType: text('node_type').notNull(),
    nodeName: text('node_name'),
    success: bigint('success', { mode: 'number' }).notNull(),
    error: bigint('error', { mode: 'number' }).notNull(),
    skipped: bigint('skipped', { mode: 'number' }).notNull(),
    durationCount: bigint('duration_count', { mode: 'number' }).notNull(),
    durationSum: millis('duration_sum').notNull(),
    durationMax: millis('duration_max'),
    histogram: text('histogram').notNull(),
    lastErrorMessage: text('last_error_message'),
    lastErrorAt: millis('last_error_at'),
    deletedDurationMax: millis('deleted_duration_max'),
    deletedLastErrorMessage: text('deleted_last_error_message'),
    deletedLastErrorAt: millis('deleted_last_error_at'),
  },
  (table) => [
    primaryKey({ columns: [table.grain, table.workflowId, table.bucketStart, table.nodeId] }),
    // Node stats across all workflows over a time range.
    index('node_rollups_grain_bucket_idx').on(table.grain, table.bucketStart),
  ],
);

/** The weeks whose daily node rollups are also summed into weekly rows, as on SQLite. */
export const compactedWeeks = pgTable('compacted_weeks', {
  weekStart: millis('week_start').primaryKey(),
});

/** The insight settings every writer shares and how far the clean-ups pruned the rollups: one row (id 1), as on SQLite. */
export const insightSettings = pgTable(
  'insight_settings',
  {
    id: integer('id').primaryKey(),
    outliveDeletes: boolean('outlive_deletes'),
    hourlyDays: integer('hourly_days'),
    dailyDays: integer('daily_days'),
    nodeHoursKeptFrom: millis('node_hours_kept_from'),
    workflowHoursKeptFrom: millis('workflow_hours_kept_from'),
    daysKeptFrom: millis('days_kept_from'),
  },
  (table) => [check('insight_settings_one_row', sql`${table.id} = 1`)],
);

/**
 * The store instances that have written executions, one row each, kept current by the instance's heartbeat while it
 * is open: what recovery asks before marking a running execution as interrupted. Times are the database's clock
 * (every instance reads the same one), so instances whose clocks disagree are judged alike.
 */
export const historyInstances = pgTable('history_instances', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  /**
   * Which process holds the id now (a token each process draws once): a process that starts with an id a previous
   * process held takes over what that one left running.
   */
  incarnation: text('incarnation').notNull(),
  /** When the instance first wrote (ms since the epoch, the database's clock). */
  startedAt: millis('started_at').notNull(),
  /** Its last heartbeat (ms, the database's clock). */
  heardAt: millis('heard_at').notNull(),
  /** How long after heardAt it counts as gone: its own lease, so that instances with other settings are judged by theirs. */
  leaseMs: millis('lease_ms').notNull(),
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
