// The facade: typed, validated, async methods. It checks every call's input, then hands it to a backend (the
// HistoryBackend seam, src/backend.ts); the database work is the backend's.
import BetterSqlite3 from 'better-sqlite3';
import type { Pool } from 'pg';
import type { HistoryBackend } from './backend.js';
import { decodeCursor, encodeCursor } from './core/cursor.js';
import { databaseUrlProblem, resolveDatabasePath } from './core/database-path.js';
import { isPostgresUrl } from './core/postgres-url.js';
import { callerCallback, ExecutionStoreError } from './core/errors.js';
import type { BatchChannel } from './core/batch-channel.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, type EncodedPayload } from './core/payload.js';
import { storeEncoding } from './core/store-encoding.js';
import { acceptBatchExecution, acceptBatchStep } from './core/surely-valid-rows.js';
import { instanceIdentity } from './core/instance.js';
import { DEFAULT_REDACT_KEYS, Redactor } from './core/redaction.js';
import type {
  CleanupOptions,
  CompactedInsights,
  ErrorGroup,
  ErrorGroupsQuery,
  ExecutionChanges,
  ExecutionOrderBy,
  ExecutionPage,
  ExecutionPageQuery,
  ExecutionQuery,
  ExecutionStats,
  ExecutionStatsQuery,
  ExecutionStep,
  ExecutionStoreOptions,
  ExecutionWithSteps,
  HistoryBatch,
  HistoryInstance,
  InsightRetentionChange,
  InsightSettings,
  NewExecution,
  NewStep,
  NodeStats,
  NodeStatsQuery,
  OldExecutionsCleanupOptions,
  RebuildOptions,
  RebuiltInsights,
  ReclaimedSpace,
  RecordedExecution,
  RecoveredExecutions,
  RecoveryOptions,
  RunStep,
  StepChanges,
  TimelineEntry,
  TimelineQuery,
  WorkflowExecution,
  WorkflowSummariesQuery,
  WorkflowSummary,
  WriteBatchOptions,
  WrittenBatch,
} from './core/types.js';
import {
  batchExecutionsSchema,
  batchStepsSchema,
  batchUpdatesSchema,
  cleanupOptionsSchema,
  countedRunsSchema,
  errorGroupsQuerySchema,
  executionChangesSchema,
  executionPageQuerySchema,
  executionQuerySchema,
  executionStatsQuerySchema,
  historyBatchSchema,
  idPrefixLimitSchema,
  insightRetentionChangeSchema,
  idPrefixSchema,
  idSchema,
  MAX_BATCH_STEPS,
  newExecutionSchema,
  newStepSchema,
  newStepsSchema,
  nodeStatsQuerySchema,
  nonNegativeIntegerSchema,
  oldExecutionsCleanupOptionsSchema,
  optionsSchema,
  recoveryOptionsSchema,
  runStepsSchema,
  stepChangesSchema,
  timelineQuerySchema,
  type ValidBatch,
  validate,
  validateList,
  workflowSummariesQuerySchema,
  writeBatchOptionsSchema,
} from './core/validation.js';
import { DEFAULT_BUSY_TIMEOUT_MS } from './sqlite/connection.js';
import { createPrivateFile } from './sqlite/database-file.js';
import { openFailure } from './sqlite/open-failure.js';
import { SqliteBackend } from './sqlite/sqlite-backend.js';
import { DEFAULT_WAL_LIMIT_BYTES } from './sqlite/wal.js';
import type { ExecutionSearch, ExecutionSearchResult } from './core/types.js';
import { executionSearchSchema } from './core/validation.js';

/** The key of the constructor's second form, for openExecutionStore: a store on a backend opened already. */
const OPENED_BACKEND = Symbol('opened backend');

/** @internal The recorder's key to a store's payload capture (src/recorder): not part of the public API. */
export const PAYLOAD_CAPTURE = Symbol('payload capture');
/** @internal The recorder's key to a channel writing its batches off the event loop, where the store has one. */
export const BATCH_CHANNEL = Symbol('batch channel');

export class ExecutionStore {
  private readonly backend: HistoryBackend;

  /** @internal A payload as this store's writes take it, captured now (serialised; redacted now or when written). */
  [PAYLOAD_CAPTURE](value: unknown): EncodedPayload | null {
    return this.backend.encoding.capture(value);
  }

  /**
   * @internal A channel writing batches on a worker thread (a SQLite file this store opened), validated as
   * writeBatch validates them; undefined where the store has none.
   */
  [BATCH_CHANNEL](): BatchChannel | undefined {
    return this.backend.openBatchChannel?.((batch) => validBatch(batch, 'writeBatch'));
  }

  /** Takes an open better-sqlite3 connection, sets its pragmas and applies pending migrations. */
  constructor(sqlite: BetterSqlite3.Database, options?: ExecutionStoreOptions);
  /** @internal openExecutionStore's own: a store on a backend it has opened. */
  constructor(key: typeof OPENED_BACKEND, backend: HistoryBackend);
  constructor(database: BetterSqlite3.Database | typeof OPENED_BACKEND, second?: ExecutionStoreOptions | HistoryBackend) {
    if (database === OPENED_BACKEND) {
      this.backend = second as HistoryBackend;
      return;
    }
    // A caller's connection: no batch worker, which would open a second one without what the caller set up on it.
    this.backend = sqliteBackend(database, storeSettings(second as ExecutionStoreOptions | undefined, 'ExecutionStore'), false);
  }

  async createExecution(input: NewExecution): Promise<string> {
    return this.backend.createExecution(validate(newExecutionSchema, input, 'createExecution', 'input'));
  }

  /** Changes fields of an execution. Setting completedAt without durationMs derives durationMs from startedAt. */
  async updateExecution(id: string, changes: ExecutionChanges): Promise<void> {
    const what = 'updateExecution';
    validate(idSchema, id, what, 'id');
    return this.backend.updateExecution(id, validate(executionChangesSchema, changes, what, 'changes'));
  }

  async getExecution(id: string): Promise<WorkflowExecution | null> {
    return this.backend.getExecution(validate(idSchema, id, 'getExecution', 'id'));
  }

  /** One execution with its steps ordered by stepIndex, read in one snapshot. */
  async getExecutionWithSteps(id: string): Promise<ExecutionWithSteps | null> {
    return this.backend.getExecutionWithSteps(validate(idSchema, id, 'getExecutionWithSteps', 'id'));
  }

  /** A filtered, sorted page of executions; ties are broken by id so pages are stable. */
  async queryExecutions(query: ExecutionQuery = {}): Promise<WorkflowExecution[]> {
    return this.backend.queryExecutions(validate(executionQuerySchema, query, 'queryExecutions', 'query'));
  }

  /**
   * Like queryExecutions, but pages by cursor: pass the returned nextCursor (with the same sort) to get the next
   * page; it is null after the last page. Deep pages cost what the first does, and rows inserted meanwhile cause
   * no gaps or repeats.
   */
  async queryExecutionsPage(query: ExecutionPageQuery = {}): Promise<ExecutionPage> {
    const what = 'queryExecutionsPage';
    const { cursor, ...request } = validate(executionPageQuerySchema, query, what, 'query');
    const after = cursor === undefined ? undefined : decodeCursor(cursor, request.orderBy, request.orderDir, what);
    // One row more than asked says whether there is a next page.
    const rows = await this.backend.queryExecutions({ ...request, ...(after === undefined ? {} : { after }), limit: request.limit + 1 });
    const items = rows.slice(0, request.limit);
    const last = items.at(-1);
    const nextCursor =
      rows.length > request.limit && last !== undefined
        ? encodeCursor({ orderBy: request.orderBy, orderDir: request.orderDir, key: sortKeyOf(last, request.orderBy), id: last.id })
        : null;
    return { items, nextCursor };
  }

  /** Deletes an execution and its steps; false when there was none. */
  async deleteExecution(id: string): Promise<boolean> {
    return this.backend.deleteExecution(validate(idSchema, id, 'deleteExecution', 'id'));
  }

  async addStep(input: NewStep): Promise<string> {
    const [id] = await this.backend.addSteps([validate(newStepSchema, input, 'addStep', 'input')], 'addStep');
    return id as string;
  }

  /** Records several steps (of one or more executions) in one transaction: all of them, or none. */
  async addSteps(inputs: NewStep[]): Promise<string[]> {
    return this.backend.addSteps(validateList(newStepsSchema, MAX_BATCH_STEPS, inputs, 'addSteps', 'steps'), 'addSteps');
  }

  /**
   * Records a whole execution with its steps in one transaction: all of it, or nothing. For runs recorded after
   * the fact, or buffered by the runtime and written at the end.
   */
  async recordExecution(input: NewExecution, runSteps: RunStep[] = []): Promise<RecordedExecution> {
    const what = 'recordExecution';
    const execution = validate(newExecutionSchema, input, what, 'execution');
    return this.backend.recordExecution(execution, validateList(runStepsSchema, MAX_BATCH_STEPS, runSteps, what, 'steps'));
  }

  /**
   * Writes parts of many runs in one transaction, all of it or nothing: new executions and steps with the caller's
   * ids, changes to stored executions, and runs counted in the insights without being stored (see HistoryBatch).
   * Steps and updates of executions that are not stored are left out and listed in `missing`. What a recorder's
   * flush commits; a batch written twice stores its rows once.
   */
  async writeBatch(batch: HistoryBatch, options?: WriteBatchOptions): Promise<WrittenBatch> {
    const what = 'writeBatch';
    const valid = validBatch(batch, what);
    const { lockWaitMs } = validate(writeBatchOptionsSchema, options, what, 'options') ?? {};
    return this.backend.writeBatch(valid, lockWaitMs);
  }

  /** Changes fields of a step. Setting completedAt without durationMs derives durationMs from startedAt. */
  async updateStep(id: string, changes: StepChanges): Promise<void> {
    const what = 'updateStep';
    validate(idSchema, id, what, 'id');
    return this.backend.updateStep(id, validate(stepChangesSchema, changes, what, 'changes'));
  }

  /** The steps of an execution ordered by stepIndex; empty when it has none or does not exist. */
  async getStepsForExecution(executionId: string): Promise<ExecutionStep[]> {
    return this.backend.getStepsForExecution(validate(idSchema, executionId, 'getStepsForExecution', 'executionId'));
  }

  /**
   * Deletes finished executions (not 'running') that started more than maxAgeMs before now(), of one workflow or of
   * all; returns how many. With `dryRun`, counts them and deletes nothing.
   */
  async cleanupOldExecutions(maxAgeMs: number, options?: OldExecutionsCleanupOptions): Promise<number> {
    const what = 'cleanupOldExecutions';
    validate(nonNegativeIntegerSchema, maxAgeMs, what, 'maxAgeMs');
    return this.backend.cleanupOldExecutions(maxAgeMs, validate(oldExecutionsCleanupOptionsSchema, options, what, 'options'));
  }

  /**
   * Keeps the maxCount newest executions (by startedAt) of a workflow, or of all workflows, and deletes the older
   * ones. 'running' executions count among the kept and are never deleted. Returns how many went; with `dryRun`,
   * how many would go.
   */
  async cleanupByCount(maxCount: number, workflowId?: string, options?: CleanupOptions): Promise<number> {
    const what = 'cleanupByCount';
    validate(nonNegativeIntegerSchema, maxCount, what, 'maxCount');
    if (workflowId !== undefined) validate(idSchema, workflowId, what, 'workflowId');
    return this.backend.cleanupByCount(maxCount, workflowId, validate(cleanupOptionsSchema, options, what, 'options'));
  }

  /**
   * The ids of executions that start with `prefix`, in order, at most `limit` (default 10): for finding an
   * execution from the first characters of its id, as a terminal user types them.
   */
  async findExecutionIds(prefix: string, limit = 10): Promise<string[]> {
    const what = 'findExecutionIds';
    validate(idPrefixSchema, prefix, what, 'prefix');
    validate(idPrefixLimitSchema, limit, what, 'limit');
    return this.backend.findExecutionIds(prefix, limit);
  }

  /**
   * Marks executions left 'running' by a process that died: they become 'error' with a message saying the run was
   * interrupted, ending when they were last heard of, and so do their 'running' steps. Finished executions are never
   * touched. Without options, only the executions of instances that are gone (unheard of for longer than their
   * lease) are marked, never a live instance's: call it at start-up and on a timer, from any instance. With
   * `startedBefore`, every running execution that started before then is marked, whoever runs it.
   */
  async recoverInterruptedExecutions(options?: RecoveryOptions): Promise<RecoveredExecutions> {
    const valid = validate(recoveryOptionsSchema, options, 'recoverInterruptedExecutions', 'options');
    return this.backend.recoverInterruptedExecutions(valid?.startedBefore);
  }

  /**
   * The store instances that have written executions: their host and pid, when they were last heard of, whether
   * they are alive or gone, and how many executions each still holds running. Most recently heard of first.
   */
  async getInstances(): Promise<HistoryInstance[]> {
    return this.backend.getInstances();
  }

  /** This store's instance id: what it records on the executions it creates. */
  get instanceId(): string {
    return this.backend.instanceId;
  }

  /**
   * Returns the pages that deleted history left free to the file system, in short steps that other writers can
   * interleave with, then truncates the WAL. Run it after a large clean-up. (A file created by another tool without
   * incremental auto-vacuum gets a full VACUUM instead, which holds the lock until it is done.)
   */
  async reclaimSpace(): Promise<ReclaimedSpace> {
    return this.backend.reclaimSpace();
  }

  /**
   * Counts, success rate and duration figures over the executions a query selects (workflow, trigger type, start
   * time range), or over all of them; a string is taken as a workflow id, as before the query existed.
   */
  async getExecutionStats(query?: string | ExecutionStatsQuery): Promise<ExecutionStats> {
    const what = 'getExecutionStats';
    const filter =
      typeof query === 'string'
        ? { workflowId: validate(idSchema, query, what, 'workflowId') }
        : (validate(executionStatsQuerySchema, query, what, 'query') ?? {});
    return this.backend.getExecutionStats(filter);
  }

  /**
   * One row per node (per workflow and node id) over a time range: runs by status, error rate, duration average,
   * p50 / p95 / max, and the last error. From the rollups; see InsightRange for how the range is rounded.
   */
  async getNodeStats(query?: NodeStatsQuery): Promise<NodeStats[]> {
    return this.backend.getNodeStats(validate(nodeStatsQuerySchema, query, 'getNodeStats', 'query'));
  }

  /** Executions per minute, hour or day (of a time zone), empty buckets included, with counts and durations. */
  async getTimeline(query: TimelineQuery): Promise<TimelineEntry[]> {
    return this.backend.getTimeline(validate(timelineQuerySchema, query, 'getTimeline', 'query') as Required<TimelineQuery>);
  }

  /** Failures grouped by their message with numbers, ids and quoted values masked, per workflow and node. */
  async getErrorGroups(query?: ErrorGroupsQuery): Promise<ErrorGroup[]> {
    return this.backend.getErrorGroups(validate(errorGroupsQuerySchema, query, 'getErrorGroups', 'query'));
  }

  /** One row per workflow: its latest run, and runs, success rate, average and p95 duration over a time range. */
  async getWorkflowSummaries(query?: WorkflowSummariesQuery): Promise<WorkflowSummary[]> {
    return this.backend.getWorkflowSummaries(validate(workflowSummariesQuerySchema, query, 'getWorkflowSummaries', 'query'));
  }

  /**
   * Recounts the rollups behind the insights from the stored executions, one UTC day per transaction: for history
   * recorded before the rollups existed (a file from before migration 0001). Each day that has stored executions
   * gets a recount of them, which replaces what its rollups held, including runs since deleted.
   */
  async rebuildInsights(options?: RebuildOptions): Promise<RebuiltInsights> {
    const valid = validate(cleanupOptionsSchema, options, 'rebuildInsights', 'options');
    return this.backend.rebuildInsights(callerCallback(valid?.onProgress as RebuildOptions['onProgress']));
  }

  /**
   * Sums each week that is over into weekly node rollups, one week per write transaction (see
   * src/sqlite/rollup-weeks.ts), so that node stats over weeks read a fraction of the rows. The clean-up calls and
   * rebuildInsights do this too; call it on a schedule where nothing cleans up. Returns how many weeks it compacted.
   */
  async compactInsights(): Promise<CompactedInsights> {
    return this.backend.compactInsights();
  }

  /** The insight settings in force for this file (see ExecutionStoreOptions.insights), and which the file holds. */
  async getInsightSettings(): Promise<InsightSettings> {
    return this.backend.getInsightSettings();
  }

  /**
   * Changes how long the file's insight rollups are kept, for every process that writes it. A longer retention
   * keeps what is still there longer; rows already pruned do not come back.
   */
  async setInsightRetention(retention: InsightRetentionChange): Promise<InsightSettings> {
    return this.backend.setInsightRetention(validate(insightRetentionChangeSchema, retention, 'setInsightRetention', 'retention'));
  }

  /**
   * Executions whose payloads hold a key with a value (`{ key, equals }`, at any depth, loosely: 1002 and '1002' alike)
   * or a text (`{ text }`, ASCII case ignored), newest first, with where each matched. One call reads at most
   * SEARCH_STEPS_PER_CALL steps (and as many executions); pass nextCursor back as `cursor` to search further back.
   */
  async searchExecutions(search: ExecutionSearch): Promise<ExecutionSearchResult> {
    return this.backend.searchExecutions(validate(executionSearchSchema, search, 'searchExecutions', 'search'));
  }

  /**
   * Closes the database: a SQLite file at once (before this returns), a PostgreSQL pool the store opened once its
   * connections are ended (await it). A pool handed to openExecutionStore is left open for its owner. Calls after
   * close fail.
   */
  close(): Promise<void> {
    return this.backend.close();
  }
}

/** Where a page's last execution stands in its order: what a cursor names. */
function sortKeyOf(execution: WorkflowExecution, orderBy: ExecutionOrderBy): number {
  return orderBy === 'started_at' ? execution.startedAt : (execution.durationMs ?? -1);
}

/**
 * Opens a store and applies pending migrations. `target`:
 * - a SQLite file (created if needed), or ':memory:' for a private in-memory database;
 * - a PostgreSQL URL (postgres://user:password@host:5432/database); the store opens a small pool and ends it on close;
 * - a node-postgres `Pool` the runtime already has; close() leaves it open.
 * Without a target: the environment variable EXECUTION_HISTORY_DB, else ./data/execution-history.db.
 */
export async function openExecutionStore(target?: string | Pool, options?: ExecutionStoreOptions): Promise<ExecutionStore> {
  if (target !== undefined && typeof target !== 'string') return openOnPostgres(target, options);
  const path = resolveDatabasePath(target);
  const urlProblem = databaseUrlProblem(path);
  if (urlProblem !== undefined) throw new ExecutionStoreError('VALIDATION', `openExecutionStore: invalid input: ${urlProblem}`);
  if (isPostgresUrl(path)) return openOnPostgres(path, options);
  let sqlite: BetterSqlite3.Database;
  try {
    createPrivateFile(path);
    sqlite = new BetterSqlite3(path);
  } catch (error) {
    throw openFailure(path, error);
  }
  try {
    return new ExecutionStore(OPENED_BACKEND, sqliteBackend(sqlite, storeSettings(options, 'ExecutionStore'), true));
  } catch (error) {
    sqlite.close();
    // Bad options are the caller's mistake, not the file's.
    if (error instanceof ExecutionStoreError && error.code === 'VALIDATION') throw error;
    throw openFailure(path, error);
  }
}

/** A store on PostgreSQL: a URL (the store opens and owns a pool) or a pool handed in. */
async function openOnPostgres(target: string | Pool, options: ExecutionStoreOptions | undefined): Promise<ExecutionStore> {
  const what = 'openExecutionStore';
  if (typeof target !== 'string' && !isPool(target)) {
    throw new ExecutionStoreError('VALIDATION', `${what}: invalid input: target: expected a file path, a postgres:// URL or a pg.Pool; got ${describe(target)}`);
  }
  const settings = storeSettings(options, 'ExecutionStore');
  // Loaded here, so that SQLite users never load node-postgres.
  const { openPostgresBackend } = await import('./postgres/open.js');
  const backend = await openPostgresBackend(target, { ...settings, postgres: settings.options?.postgres ?? {} });
  return new ExecutionStore(OPENED_BACKEND, backend);
}

/** A store's SQLite backend; `ownsConnection`: the store opened the file itself, so a batch worker may open it too. */
function sqliteBackend(sqlite: BetterSqlite3.Database, settings: StoreSettings, ownsConnection: boolean): SqliteBackend {
  return new SqliteBackend(sqlite, {
    ...settings,
    busyTimeoutMs: settings.options?.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    walLimitBytes: settings.options?.walLimitBytes ?? DEFAULT_WAL_LIMIT_BYTES,
    ...(ownsConnection ? { batchWorker: { maxPayloadBytes: settings.maxPayloadBytes, redactKeys: settings.redactKeys } } : {}),
  });
}

/** writeBatch's input, validated: the recorder's rows without zod when surely valid (src/core/surely-valid-rows.ts). */
function validBatch(batch: HistoryBatch, what: string): ValidBatch {
  const parts = validate(historyBatchSchema, batch, what, 'batch');
  return {
    executions: validateList(batchExecutionsSchema, MAX_BATCH_STEPS, parts.executions ?? [], what, 'executions', acceptBatchExecution),
    steps: validateList(batchStepsSchema, MAX_BATCH_STEPS, parts.steps ?? [], what, 'steps', acceptBatchStep),
    updates: validateList(batchUpdatesSchema, MAX_BATCH_STEPS, parts.updates ?? [], what, 'updates'),
    countedOnly: validateList(countedRunsSchema, MAX_BATCH_STEPS, parts.countedOnly ?? [], what, 'countedOnly'),
  };
}

/** Whether a value is a node-postgres Pool (or behaves as one): what a runtime hands in. */
function isPool(value: unknown): value is Pool {
  const candidate = value as Partial<Pool> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.connect === 'function' && typeof candidate.query === 'function' && typeof candidate.end === 'function';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object with keys ${JSON.stringify(Object.keys(value as object).slice(0, 5))}`;
  return typeof value;
}

/** The options every backend uses: validated, with the redactor read now and the clock checked at every reading. */
function storeSettings(options: ExecutionStoreOptions | undefined, what: string) {
  const valid = validate(optionsSchema, options, what, 'options');
  // The patterns are read now; one whose source throws is bad input, not a problem of the database.
  const redactKeys = valid?.redactKeys ?? DEFAULT_REDACT_KEYS;
  const maxPayloadBytes = valid?.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  let redactor: Redactor;
  try {
    redactor = new Redactor(redactKeys);
  } catch (error) {
    if (error instanceof ExecutionStoreError) throw error;
    throw new ExecutionStoreError('VALIDATION', `${what}: invalid input: options.redactKeys: reading it threw ${String(error)}; expected strings and RegExps`, { cause: error });
  }
  return {
    options: valid,
    encoding: storeEncoding(maxPayloadBytes, redactor),
    /** What the encoding was made from, for a batch worker's own. */
    redactKeys,
    maxPayloadBytes,
    now: checkedClock(valid?.now ?? Date.now),
    insights: valid?.insights,
    instance: instanceIdentity(valid?.instance),
  };
}

export type StoreSettings = ReturnType<typeof storeSettings>;

/**
 * The store's clock (options.now), checked at every reading: a clock that throws or answers something other than a
 * time would otherwise surface as a database failure or a cut-off of NaN.
 */
function checkedClock(now: () => number): () => number {
  return () => {
    let time: unknown;
    try {
      time = now();
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new ExecutionStoreError('VALIDATION', `ExecutionStore: options.now() threw ${reason}; expected a function returning the time in ms since the epoch`, { cause: error });
    }
    if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) {
      throw new ExecutionStoreError('VALIDATION', `ExecutionStore: options.now() returned ${String(time)}; expected the time in ms since the epoch, a non-negative number`);
    }
    return time;
  };
}
