// The facade: typed, validated, async methods over the two tables.
import BetterSqlite3 from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { DEFAULT_BUSY_TIMEOUT_MS, type HistoryDatabase, prepareDatabase } from './sqlite/connection.js';
import { createPrivateFile } from './sqlite/database-file.js';
import { resolveDatabasePath } from './core/database-path.js';
import { openFailure } from './sqlite/open-failure.js';
import { readStorageState, storageFullError } from './sqlite/storage-full.js';
import { CallbackFailure, callerCallback, ExecutionStoreError } from './core/errors.js';
import { sqliteErrorCode, toStoreError } from './sqlite/driver-errors.js';
import { decodeCursor, encodeCursor } from './core/cursor.js';
import { PageQueries, sortKeyOf } from './sqlite/pages.js';
import { createPayloadEncoder, DEFAULT_MAX_PAYLOAD_BYTES } from './core/payload.js';
import { DEFAULT_REDACT_KEYS, Redactor } from './core/redaction.js';
import { countMatching, deleteInBatches, finishedOlderThanNewest, finishedStartedBefore, type RetentionBatch } from './sqlite/retention.js';
import { type Encoding, executionInsertRow, executionValues, stepInsertRow, stepValues, toExecution, toStep } from './sqlite/rows.js';
import { executionSteps as steps, workflowExecutions as executions } from './sqlite/schema.js';
import { prepareStatements, UpdateStatements } from './sqlite/statements.js';
import { databaseBytes, reclaimSpace } from './sqlite/space.js';
import { DEFAULT_WAL_LIMIT_BYTES, WalLimit } from './sqlite/wal.js';
import { markInterrupted } from './sqlite/recovery.js';
import { getExecutionStats } from './sqlite/stats.js';
import { type ExecutionFacts, RollupChanges, type StepFacts } from './core/rollup-changes.js';
import { type DeletedSteps, Rollups } from './sqlite/rollups.js';
import { rebuildRollups } from './sqlite/rollup-rebuild.js';
import { DAY } from './core/rollup-changes.js';
import { type RollupSpan, rollupSpans } from './core/rollup-spans.js';
import { getNodeStats } from './sqlite/node-stats.js';
import { executionIdsStartingWith } from './sqlite/id-prefix.js';
import { Timelines } from './sqlite/timeline.js';
import { getErrorGroups } from './sqlite/error-groups.js';
import { getWorkflowSummaries } from './sqlite/workflow-summaries.js';
import { pruneRollups } from './sqlite/rollup-retention.js';
import { insightRetentionChangeSchema, SharedInsightSettings } from './sqlite/insight-settings.js';
import type {
  CleanupOptions,
  CompactedInsights,
  OldExecutionsCleanupOptions,
  ExecutionChanges,
  ExecutionPage,
  ExecutionPageQuery,
  ExecutionQuery,
  ExecutionStats,
  ExecutionStatsQuery,
  ExecutionStep,
  ExecutionStoreOptions,
  ErrorGroup,
  ErrorGroupsQuery,
  ExecutionWithSteps,
  InsightRange,
  InsightSettings,
  InsightRetentionChange,
  NodeStats,
  NodeStatsQuery,
  RebuildOptions,
  RebuildProgress,
  RebuiltInsights,
  TimelineEntry,
  TimelineQuery,
  WorkflowSummariesQuery,
  WorkflowSummary,
  NewExecution,
  NewStep,
  ReclaimedSpace,
  RecordedExecution,
  RecoveredExecutions,
  RecoveryOptions,
  RunStep,
  StepChanges,
  WorkflowExecution,
} from './core/types.js';
import {
  cleanupOptionsSchema,
  idPrefixLimitSchema,
  idPrefixSchema,
  oldExecutionsCleanupOptionsSchema,
  executionChangesSchema,
  executionPageQuerySchema,
  executionQuerySchema,
  executionStatsQuerySchema,
  errorGroupsQuerySchema,
  nodeStatsQuerySchema,
  timelineQuerySchema,
  workflowSummariesQuerySchema,
  idSchema,
  newExecutionSchema,
  newStepSchema,
  newStepsSchema,
  nonNegativeIntegerSchema,
  optionsSchema,
  recoveryOptionsSchema,
  runStepsSchema,
  stepChangesSchema,
  type ValidExecution,
  type ValidStep,
  validate,
  validateList,
  MAX_BATCH_STEPS,
} from './core/validation.js';

export class ExecutionStore {
  private readonly db: HistoryDatabase;
  /** Redacts and serialises what is written. */
  private readonly encoding: Encoding;
  private readonly now: () => number;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly pages: PageQueries;
  private readonly executionUpdates: UpdateStatements;
  private readonly stepUpdates: UpdateStatements;
  private readonly wal: WalLimit;
  private readonly rollups: Rollups;
  private readonly timelines: Timelines;
  /** The insight settings every process writing the file shares, kept in the file. */
  private readonly settings: SharedInsightSettings;
  /** BEGIN IMMEDIATE: take the write lock up front, so a batch never fails half-way for another writer's lock. */
  private readonly inWriteTransaction: <T>(work: () => T) => T;
  /** One snapshot for reads that take several statements, so an execution and its steps agree. */
  private readonly inReadTransaction: <T>(work: () => T) => T;

  /** Takes an open better-sqlite3 connection, sets its pragmas and applies pending migrations. */
  constructor(
    private readonly sqlite: BetterSqlite3.Database,
    options?: ExecutionStoreOptions,
  ) {
    const settings = validate(optionsSchema, options, 'ExecutionStore', 'options');
    // The patterns are read now; one whose source throws is bad input, not a problem of the file.
    const redactor = this.guard('ExecutionStore', () => {
      try {
        return new Redactor(settings?.redactKeys ?? DEFAULT_REDACT_KEYS);
      } catch (error) {
        throw new ExecutionStoreError('VALIDATION', `ExecutionStore: invalid input: options.redactKeys: reading it threw ${String(error)}; expected strings and RegExps`, { cause: error });
      }
    });
    this.encoding = {
      payload: createPayloadEncoder(settings?.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES, redactor),
      text: (text) => redactor.text(text),
    };
    this.now = checkedClock(settings?.now ?? Date.now);
    const busyTimeoutMs = settings?.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.db = this.guard('opening the execution history', () => prepareDatabase(sqlite, busyTimeoutMs));
    this.wal = new WalLimit(sqlite, settings?.walLimitBytes ?? DEFAULT_WAL_LIMIT_BYTES, busyTimeoutMs);
    this.statements = prepareStatements(this.db, sqlite);
    this.pages = new PageQueries(this.db);
    this.executionUpdates = new UpdateStatements(this.db, executions);
    this.stepUpdates = new UpdateStatements(this.db, steps);
    this.settings = new SharedInsightSettings(this.db, sqlite);
    this.rollups = new Rollups(
      this.db,
      sqlite,
      () => this.now() - this.settings.current().dailyDays * DAY,
      () => this.settings.kept(),
    );
    this.timelines = new Timelines(this.db, sqlite);
    const transaction = sqlite.transaction((work: () => unknown) => work());
    this.inWriteTransaction = <T>(work: () => T) => transaction.immediate(work) as T;
    this.inReadTransaction = <T>(work: () => T) => transaction.deferred(work) as T;
    const insights = settings?.insights;
    if (insights !== undefined && Object.values(insights).some((value) => value !== undefined)) {
      const file = sqlite.memory ? 'this in-memory database' : `"${sqlite.name}"`;
      this.guard('ExecutionStore', () => this.inWriteTransaction(() => this.settings.pin(insights, 'ExecutionStore', file)));
    }
  }

  async createExecution(input: NewExecution): Promise<string> {
    const what = 'createExecution';
    const row = this.executionRow(validate(newExecutionSchema, input, what, 'input'), what);
    this.writeCounted(what, 1, (changes) => {
      this.statements.insertExecution.run(row);
      changes.execution(row as unknown as ExecutionFacts, 1);
    });
    return row.id as string;
  }

  /** Changes fields of an execution. Setting completedAt without durationMs derives durationMs from startedAt. */
  async updateExecution(id: string, changes: ExecutionChanges): Promise<void> {
    const what = 'updateExecution';
    validate(idSchema, id, what, 'id');
    const values = executionValues(validate(executionChangesSchema, changes, what, 'changes'), this.encoding);
    // Its steps are counted under its workflow and start hour: if either moves, so do they.
    const movesSteps = values.workflowId !== undefined || values.startedAt !== undefined;
    const facts = () => ({
      execution: this.rollups.executionFacts([id]),
      steps: movesSteps ? this.rollups.stepFactsOfExecutions([id]) : [],
    });
    this.updateById(this.executionUpdates, this.statements.executionExists, id, values, what, 'execution', facts);
  }

  async getExecution(id: string): Promise<WorkflowExecution | null> {
    const what = 'getExecution';
    validate(idSchema, id, what, 'id');
    const row = this.guard(what, () => this.statements.executionById.get({ id }));
    return row === undefined ? null : toExecution(row);
  }

  /** One execution with its steps ordered by stepIndex, read in one snapshot. */
  async getExecutionWithSteps(id: string): Promise<ExecutionWithSteps | null> {
    const what = 'getExecutionWithSteps';
    validate(idSchema, id, what, 'id');
    const found = this.guard(what, () => this.inReadTransaction(() => {
      const execution = this.statements.executionById.get({ id });
      return execution && { execution, steps: this.statements.stepsOfExecution.all({ executionId: id }) };
    }));
    if (found === undefined) return null;
    return { ...toExecution(found.execution), steps: found.steps.map(toStep) };
  }

  /** A filtered, sorted page of executions; ties are broken by id so pages are stable. */
  async queryExecutions(query: ExecutionQuery = {}): Promise<WorkflowExecution[]> {
    const what = 'queryExecutions';
    const request = validate(executionQuerySchema, query, what, 'query');
    return this.guard(what, () => this.pages.rows(request)).map(toExecution);
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
    const rows = this.guard(what, () => this.pages.rows({ ...request, after, limit: request.limit + 1 }));
    const items = rows.slice(0, request.limit);
    const last = items.at(-1);
    const nextCursor =
      rows.length > request.limit && last !== undefined
        ? encodeCursor({ orderBy: request.orderBy, orderDir: request.orderDir, key: sortKeyOf(last, request.orderBy), id: last.id })
        : null;
    return { items: items.map(toExecution), nextCursor };
  }

  /** Deletes an execution and its steps; false when there was none. */
  async deleteExecution(id: string): Promise<boolean> {
    const what = 'deleteExecution';
    validate(idSchema, id, what, 'id');
    let deleted = false;
    this.inTransaction(what, 1, () => {
      const doomed = this.countDoomed([id]);
      deleted = this.statements.deleteExecution.run({ id }).changes > 0;
      this.applyDoomed(doomed);
    });
    return deleted;
  }

  async addStep(input: NewStep): Promise<string> {
    const what = 'addStep';
    const row = this.stepRow(validate(newStepSchema, input, what, 'input'), what);
    this.writeCounted(what, 1, (changes) => this.insertSteps([row], what, changes));
    return row.id as string;
  }

  /** Records several steps (of one or more executions) in one transaction: all of them, or none. */
  async addSteps(inputs: NewStep[]): Promise<string[]> {
    const what = 'addSteps';
    const rows = validateList(newStepsSchema, MAX_BATCH_STEPS, inputs, what, 'steps').map((input) => this.stepRow(input, what));
    this.writeCounted(what, rows.length, (changes) => this.insertSteps(rows, what, changes));
    return rows.map((row) => row.id as string);
  }

  /**
   * Records a whole execution with its steps in one transaction: all of it, or nothing. For runs recorded after
   * the fact, or buffered by the runtime and written at the end.
   */
  async recordExecution(input: NewExecution, runSteps: RunStep[] = []): Promise<RecordedExecution> {
    const what = 'recordExecution';
    const execution = this.executionRow(validate(newExecutionSchema, input, what, 'execution'), what);
    const executionId = execution.id as string;
    const rows = validateList(runStepsSchema, MAX_BATCH_STEPS, runSteps, what, 'steps').map((step) =>
      this.stepRow({ ...step, executionId } as ValidStep, what),
    );
    this.writeCounted(what, rows.length + 1, (changes) => {
      this.statements.insertExecution.run(execution);
      changes.execution(execution as unknown as ExecutionFacts, 1);
      this.insertSteps(rows, what, changes, { workflowId: execution.workflowId as string, startedAt: execution.startedAt as number });
    });
    return { executionId, stepIds: rows.map((row) => row.id as string) };
  }

  /** Changes fields of a step. Setting completedAt without durationMs derives durationMs from startedAt. */
  async updateStep(id: string, changes: StepChanges): Promise<void> {
    const what = 'updateStep';
    validate(idSchema, id, what, 'id');
    const values = stepValues(validate(stepChangesSchema, changes, what, 'changes'), this.encoding);
    const facts = () => ({ execution: [], steps: [this.rollups.stepFacts(id)].filter((step) => step !== undefined) });
    this.updateById(this.stepUpdates, this.statements.stepExists, id, values, what, 'step', facts);
  }

  /** The steps of an execution ordered by stepIndex; empty when it has none or does not exist. */
  async getStepsForExecution(executionId: string): Promise<ExecutionStep[]> {
    const what = 'getStepsForExecution';
    validate(idSchema, executionId, what, 'executionId');
    return this.guard(what, () => this.statements.stepsOfExecution.all({ executionId })).map(toStep);
  }

  /**
   * Deletes finished executions (not 'running') that started more than maxAgeMs before now(), of one workflow or of
   * all; returns how many. With `dryRun`, counts them and deletes nothing.
   */
  async cleanupOldExecutions(maxAgeMs: number, options?: OldExecutionsCleanupOptions): Promise<number> {
    const what = 'cleanupOldExecutions';
    validate(nonNegativeIntegerSchema, maxAgeMs, what, 'maxAgeMs');
    const settings = validate(oldExecutionsCleanupOptionsSchema, options, what, 'options');
    const where = finishedStartedBefore(this.now() - maxAgeMs, settings?.workflowId);
    if (settings?.dryRun) return this.guard(what, () => countMatching(this.db, where));
    return this.cleanUp(what, (batch) => deleteInBatches(this.db, where, batch, { onProgress: callerCallback(settings?.onProgress) }));
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
    const settings = validate(cleanupOptionsSchema, options, what, 'options');
    if (settings?.dryRun) return this.guard(what, () => this.inReadTransaction(() => countMatching(this.db, finishedOlderThanNewest(this.db, maxCount, workflowId))));
    return this.cleanUp(what, (batch) =>
      deleteInBatches(this.db, finishedOlderThanNewest(this.db, maxCount, workflowId), batch, { onProgress: callerCallback(settings?.onProgress) }),
    );
  }

  /**
   * The ids of executions that start with `prefix`, in order, at most `limit` (default 10): for finding an
   * execution from the first characters of its id, as a terminal user types them.
   */
  async findExecutionIds(prefix: string, limit = 10): Promise<string[]> {
    const what = 'findExecutionIds';
    validate(idPrefixSchema, prefix, what, 'prefix');
    validate(idPrefixLimitSchema, limit, what, 'limit');
    return this.guard(what, () => executionIdsStartingWith(this.db, prefix, limit));
  }

  /**
   * Marks executions left 'running' by a process that died: they become 'error' with a message saying the run was
   * interrupted, ending when they were last heard of, and so do their 'running' steps. Finished executions are never
   * touched. Call it at start-up, before this process starts executions; with several processes on one file, pass
   * startedBefore (see the README).
   */
  async recoverInterruptedExecutions(options?: RecoveryOptions): Promise<RecoveredExecutions> {
    const what = 'recoverInterruptedExecutions';
    const startedBefore = validate(recoveryOptionsSchema, options, what, 'options')?.startedBefore ?? this.now();
    let recovered: RecoveredExecutions = { executions: 0, steps: 0 };
    this.writeCounted(what, 0, (changes) => {
      const ids = this.statements.interruptedIds.all({ startedBefore }).map((row) => row.id);
      this.countFacts(changes, ids, -1);
      recovered = markInterrupted(this.db, startedBefore);
      this.countFacts(changes, ids, 1);
    });
    return recovered;
  }

  /**
   * Returns the pages that deleted history left free to the file system, in short steps that other writers can
   * interleave with, then truncates the WAL. Run it after a large clean-up. (A file created by another tool without
   * incremental auto-vacuum gets a full VACUUM instead, which holds the lock until it is done.)
   */
  async reclaimSpace(): Promise<ReclaimedSpace> {
    const what = 'reclaimSpace';
    const before = this.guard(what, () => databaseBytes(this.sqlite));
    // It gives pages back in steps, each committed: on a full disk, say how far it got.
    const given = () => before - databaseBytes(this.sqlite);
    return this.guard(what, () => reclaimSpace(this.sqlite), () =>
      given() > 0 ? `this call had given ${given()} bytes back to the disk, in steps each committed whole; calling reclaimSpace again goes on from there` : undefined,
    );
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
    // One snapshot: the counts and the percentiles describe the same executions while others write.
    return this.guard(what, () => this.inReadTransaction(() => getExecutionStats(this.db, filter)));
  }

  /**
   * One row per node (per workflow and node id) over a time range: runs by status, error rate, duration average,
   * p50 / p95 / max, and the last error. From the rollups; see InsightRange for how the range is rounded.
   */
  async getNodeStats(query?: NodeStatsQuery): Promise<NodeStats[]> {
    const what = 'getNodeStats';
    const request = validate(nodeStatsQuerySchema, query, what, 'query');
    return this.guard(what, () => this.inReadTransaction(() => getNodeStats(this.db, request, this.spans(request, this.settings.kept().nodeHoursFrom))));
  }

  /** Executions per minute, hour or day (of a time zone), empty buckets included, with counts and durations. */
  async getTimeline(query: TimelineQuery): Promise<TimelineEntry[]> {
    const what = 'getTimeline';
    const request = validate(timelineQuerySchema, query, what, 'query');
    return this.guard(what, () =>
      this.inReadTransaction(() =>
        this.timelines.get(request as Required<TimelineQuery>, this.settings.kept(), this.settings.current().outliveDeletes),
      ),
    );
  }

  /** Failures grouped by their message with numbers, ids and quoted values masked, per workflow and node. */
  async getErrorGroups(query?: ErrorGroupsQuery): Promise<ErrorGroup[]> {
    const what = 'getErrorGroups';
    const request = validate(errorGroupsQuerySchema, query, what, 'query');
    return this.guard(what, () => getErrorGroups(this.db, request));
  }

  /** One row per workflow: its latest run, and runs, success rate, average and p95 duration over a time range. */
  async getWorkflowSummaries(query?: WorkflowSummariesQuery): Promise<WorkflowSummary[]> {
    const what = 'getWorkflowSummaries';
    const request = validate(workflowSummariesQuerySchema, query, what, 'query');
    return this.guard(what, () =>
      this.inReadTransaction(() => getWorkflowSummaries(this.db, this.spans(request, this.settings.kept().workflowHoursFrom))),
    );
  }

  /**
   * Recounts the rollups behind the insights from the stored executions, one UTC day per transaction: for history
   * recorded before the rollups existed (a file from before migration 0001). Each day that has stored executions
   * gets a recount of them, which replaces what its rollups held, including runs since deleted.
   */
  async rebuildInsights(options?: RebuildOptions): Promise<RebuiltInsights> {
    const what = 'rebuildInsights';
    const onProgress = callerCallback(validate(cleanupOptionsSchema, options, what, 'options')?.onProgress as RebuildOptions['onProgress']);
    const now = this.now(); // read before anything is written
    let done: RebuildProgress | undefined;
    const rebuilt = this.guard(
      what,
      () =>
        rebuildRollups(this.db, this.rollups, this.inWriteTransaction, (progress) => {
          done = progress;
          onProgress?.(progress);
        }),
      () =>
        done &&
        `this call had recounted ${done.days} of ${done.totalDays} days, each committed whole, and the insights are consistent; ` +
          `calling rebuildInsights again recounts every day (the first ${done.days} are right already)`,
    );
    this.compactUnlessFull(what, now);
    this.wal.checkpoint();
    return rebuilt;
  }

  /**
   * Sums each week that is over into weekly node rollups, one week per write transaction (see src/sqlite/rollup-weeks.ts),
   * so that node stats over weeks read a fraction of the rows. The clean-up calls and rebuildInsights do this
   * too; call it on a schedule where nothing cleans up. Returns how many weeks it compacted.
   */
  async compactInsights(): Promise<CompactedInsights> {
    const progress = { weeks: 0 };
    this.guard('compactInsights', () => this.compactWeeks(progress), () =>
      progress.weeks > 0
        ? `this call had compacted ${progress.weeks} week(s), each committed whole; calling compactInsights again goes on from there`
        : undefined,
    );
    return progress;
  }

  /** The insight settings in force for this file (see ExecutionStoreOptions.insights), and which the file holds. */
  async getInsightSettings(): Promise<InsightSettings> {
    return this.guard('getInsightSettings', () => this.settings.describe());
  }

  /**
   * Changes how long the file's insight rollups are kept, for every process that writes it. A longer retention
   * keeps what is still there longer; rows already pruned do not come back.
   */
  async setInsightRetention(retention: InsightRetentionChange): Promise<InsightSettings> {
    const what = 'setInsightRetention';
    const change = validate(insightRetentionChangeSchema, retention, what, 'retention');
    return this.guard(what, () =>
      this.inWriteTransaction(() => {
        this.settings.setRetention(change, what);
        return this.settings.describe();
      }),
    );
  }

  close(): void {
    this.sqlite.close();
  }

  /**
   * Runs a database call and turns what it throws into an ExecutionStoreError; a full disk gets advice that works on
   * a full disk. `committed` says, for calls that commit in steps, how far the call got (src/sqlite/storage-full.ts).
   */
  private guard<T>(what: string, run: () => T, committed?: () => string | undefined): T {
    try {
      return run();
    } catch (error) {
      // The caller's own callback threw: its exception is theirs, not a database failure (what was reported is committed).
      if (error instanceof CallbackFailure) throw error.thrown;
      if (sqliteErrorCode(error) !== 'SQLITE_FULL') throw toStoreError(error, what);
      throw storageFullError(what, error, readStorageState(this.sqlite), committed?.());
    }
  }

  /** Compacts the weeks that are due, each in a write transaction of its own, so that writers wait for one at most. */
  private compactWeeks(progress = { weeks: 0 }, now = this.now()): void {
    while (this.inWriteTransaction(() => this.rollups.weeks.compactNext(now)) !== null) progress.weeks++;
  }

  /**
   * Compacts the weeks that are due, unless the disk is full: compaction is a speed-up that needs new pages, and the
   * clean-ups must work on a full disk, since they are how room is made. The next clean-up or compactInsights does it.
   */
  private compactUnlessFull(what: string, now = this.now()): void {
    try {
      this.compactWeeks(undefined, now);
    } catch (error) {
      if (sqliteErrorCode(error) !== 'SQLITE_FULL') throw toStoreError(error, what);
    }
  }

  /** The rollup rows that cover a range; hourly rows before `hoursFrom` were pruned, so edges there use days. */
  private spans(range: InsightRange, hoursFrom: number): RollupSpan[] {
    return rollupSpans(range.startedAfter, range.startedBefore, hoursFrom);
  }

  /** A validated execution → the full row to insert, with a new id and derived duration. */
  private executionRow(input: ValidExecution, what: string): Record<string, unknown> {
    const durationMs = input.durationMs ?? derivedDuration(input.startedAt, input.completedAt, what);
    return executionInsertRow(input, { id: uuidv7(), durationMs }, this.encoding);
  }

  /** A validated step → the full row to insert, with a new id and derived duration. */
  private stepRow(input: ValidStep, what: string): Record<string, unknown> {
    const durationMs = input.durationMs ?? derivedDuration(input.startedAt, input.completedAt, what);
    return stepInsertRow(input, { id: uuidv7(), durationMs }, this.encoding);
  }

  /**
   * Inserts steps and counts them in `changes`; `execution` (their workflow and start) when the caller knows it,
   * else it is looked up per execution.
   */
  private insertSteps(
    rows: Record<string, unknown>[],
    what: string,
    changes: RollupChanges,
    execution?: { workflowId: string; startedAt: number },
  ): void {
    try {
      for (const row of rows) this.statements.insertStep.run(row);
    } catch (error) {
      if (sqliteErrorCode(error) !== 'SQLITE_CONSTRAINT_FOREIGNKEY') throw toStoreError(error, what);
      const missing = rows.find((row) => this.statements.executionExists.get({ id: row.executionId }) === undefined);
      throw new ExecutionStoreError(
        'NOT_FOUND',
        `${what}: no execution with id "${String(missing?.executionId)}"; create the execution before its steps`,
        { cause: error },
      );
    }
    const keys = new Map<string, { workflowId: string; startedAt: number } | undefined>();
    for (const row of rows) {
      const executionId = row.executionId as string;
      if (!keys.has(executionId)) keys.set(executionId, execution ?? this.rollups.executionKey(executionId));
      const key = keys.get(executionId);
      if (key !== undefined) changes.step(stepFactsOf(row, key), 1);
    }
  }

  /**
   * What deleting these executions takes away from the totals (and, unless insights outlive deletes, from the
   * rollups), to be written once they are deleted. Insights that outlive deletes keep the steps' maxima and last
   * errors in their rollup rows now, while the steps can still be read. Call in the deleting transaction.
   */
  private countDoomed(ids: string[]): { changes: RollupChanges; deletedSteps: DeletedSteps[] } {
    const doomed = this.rollups.executionFacts(ids);
    if (doomed.length === 0) return { changes: new RollupChanges(), deletedSteps: [] };
    // Read in the transaction: another process may have pinned the setting since this one opened the file.
    const outliveDeletes = this.settings.outliveDeletesForDelete();
    const changes = new RollupChanges(!outliveDeletes);
    for (const facts of doomed) changes.execution(facts, -1);
    if (outliveDeletes) return { changes, deletedSteps: this.rollups.summarizeDoomedSteps(ids) };
    for (const facts of this.rollups.stepFactsOfExecutions(ids)) changes.step(facts, -1);
    return { changes, deletedSteps: [] };
  }

  /** Writes what deleting executions changed, once they are deleted (see countDoomed). */
  private applyDoomed({ changes, deletedSteps }: ReturnType<ExecutionStore['countDoomed']>): void {
    this.rollups.apply(changes);
    this.rollups.retireDeletedSteps(deletedSteps);
  }

  /** Counts the executions (with their steps) in `changes` as they are now, with `sign`. */
  private countFacts(changes: RollupChanges, ids: string[], sign: 1 | -1): void {
    for (const facts of this.rollups.executionFacts(ids)) changes.execution(facts, sign);
    for (const facts of this.rollups.stepFactsOfExecutions(ids)) changes.step(facts, sign);
  }

  /** A write transaction whose rows are counted in the totals and rollups by the same transaction. */
  private writeCounted(what: string, rows: number, work: (changes: RollupChanges) => void): void {
    this.inTransaction(what, rows, () => {
      const changes = new RollupChanges();
      work(changes);
      this.rollups.apply(changes);
    });
  }

  /** Runs a batched clean-up that keeps the WAL bounded between its batches, and ends with a checkpoint. */
  private cleanUp(what: string, deleteInBatches: (batch: RetentionBatch) => number): number {
    const now = this.now(); // read before anything is written: a broken clock fails the call, not its last step
    const progress = { deleted: 0, batches: 0 };
    const deletedSoFar = () => `this call had deleted ${progress.deleted} executions in ${progress.batches} batch(es), each committed whole with what it took from the insights`;
    // A checkpoint first: on a disk that has just been given some room, the database takes in its WAL, and the
    // deletes then write the WAL from its start again instead of growing it.
    this.wal.betweenBatches();
    const deleted = this.guard(
      what,
      () =>
        deleteInBatches({
          run: (selectIds, deleteRows) => {
            // One write transaction per batch: the rows and what they took from the counts go together.
            const batchDeleted = this.inWriteTransaction(() => {
              const ids = selectIds();
              const doomed = this.countDoomed(ids);
              const deletedRows = deleteRows(ids);
              this.applyDoomed(doomed);
              return deletedRows;
            });
            progress.deleted += batchDeleted;
            progress.batches += 1;
            return batchDeleted;
          },
          betweenBatches: () => this.wal.betweenBatches(),
        }),
      () => (progress.batches === 0 ? undefined : `${deletedSoFar()}; calling ${what} again goes on from there`),
    );
    this.guard(
      what,
      () => this.inWriteTransaction(() => pruneRollups(this.db, this.settings, now)),
      () => `${deletedSoFar()}, which is all it had to, but not yet pruned the insight rollups; calling ${what} again prunes them`,
    );
    this.compactUnlessFull(what, now);
    this.wal.checkpoint(); // deletes grow the WAL; leave it empty rather than at its largest
    return deleted;
  }

  private inTransaction(what: string, rows: number, work: () => void): void {
    this.guard(what, () => this.inWriteTransaction(work));
    this.wal.afterWrite(rows);
  }

  private updateById(
    updates: UpdateStatements,
    exists: { get(values: { id: string }): unknown },
    id: string,
    values: { startedAt?: number; completedAt?: number | null; durationMs?: number | null },
    what: string,
    noun: string,
    facts: () => { execution: ExecutionFacts[]; steps: StepFacts[] },
  ): void {
    const { startedAt, completedAt, durationMs } = values;
    const derive = completedAt != null && durationMs === undefined;
    // With a new startedAt the duration is known here; without, SQL subtracts the stored one (no read first), and
    // the duration CHECK rejects a completedAt before it.
    const set = derive && startedAt !== undefined ? { ...values, durationMs: derivedDuration(startedAt, completedAt, what) } : values;
    let changed = 0;
    // Nothing to change still has to answer whether the row exists.
    if (Object.keys(set).length === 0) changed = this.guard(what, () => Number(exists.get({ id }) !== undefined));
    else {
      this.writeCounted(what, 1, (changes) => {
        const before = facts();
        changed = updates.run(id, set, derive && startedAt === undefined);
        const after = facts();
        // Most updates change payloads or messages, not what is counted: then the rollups are left alone.
        if (JSON.stringify(before) === JSON.stringify(after)) return;
        for (const execution of before.execution) changes.execution(execution, -1);
        for (const step of before.steps) changes.step(step, -1);
        for (const execution of after.execution) changes.execution(execution, 1);
        for (const step of after.steps) changes.step(step, 1);
      });
    }
    if (changed === 0) throw new ExecutionStoreError('NOT_FOUND', `${what}: no ${noun} with id "${id}"`);
  }
}

/**
 * Opens (creating if needed) a SQLite file and returns a store on it. Without a filename: the environment variable
 * EXECUTION_HISTORY_DB, else ./data/execution-history.db. ':memory:' gives a private in-memory database.
 */
export async function openExecutionStore(filename?: string, options?: ExecutionStoreOptions): Promise<ExecutionStore> {
  const path = resolveDatabasePath(filename);
  let sqlite: BetterSqlite3.Database;
  try {
    createPrivateFile(path);
    sqlite = new BetterSqlite3(path);
  } catch (error) {
    throw openFailure(path, error);
  }
  try {
    return new ExecutionStore(sqlite, options);
  } catch (error) {
    sqlite.close();
    // Bad options are the caller's mistake, not the file's.
    if (error instanceof ExecutionStoreError && error.code === 'VALIDATION') throw error;
    throw openFailure(path, error);
  }
}

function stepFactsOf(row: Record<string, unknown>, execution: { workflowId: string; startedAt: number }): StepFacts {
  return {
    workflowId: execution.workflowId,
    executionStartedAt: execution.startedAt,
    nodeId: row.nodeId as string,
    nodeType: row.nodeType as string,
    nodeName: row.nodeName as string | null,
    status: row.status as StepFacts['status'],
    durationMs: row.durationMs as number | null,
    errorMessage: row.errorMessage as string | null,
    at: (row.completedAt ?? row.startedAt) as number,
  };
}

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

function derivedDuration(startedAt: number, completedAt: number | null | undefined, what: string): number | undefined {
  if (completedAt == null) return undefined;
  if (completedAt < startedAt) {
    throw new ExecutionStoreError(
      'VALIDATION',
      `${what}: invalid input: completedAt (${completedAt}) is before startedAt (${startedAt}); expected completedAt >= startedAt`,
    );
  }
  return completedAt - startedAt;
}
