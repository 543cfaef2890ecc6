// The SQLite backend: everything the store does in a SQLite file, behind the HistoryBackend seam. Synchronous
// inside (prepared statements, BEGIN IMMEDIATE transactions), asynchronous at the seam.
import { resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { SQL } from 'drizzle-orm';
import { idAt, stepIdOf } from '../core/time-ordered-id.js';
import type { HistoryBackend, PageRequest } from '../backend.js';
import { CallbackFailure, callerCallback, ExecutionStoreError } from '../core/errors.js';
import { type ExecutionFacts, DAY, RollupChanges, type StepFacts, stepFactsOf } from '../core/rollup-changes.js';
import { derivedDuration } from '../core/derived-duration.js';
import { type RollupSpan, rollupSpans } from '../core/rollup-spans.js';
import type {
  CompactedInsights,
  ErrorGroup,
  ExecutionStats,
  ExecutionStep,
  ExecutionStoreOptions,
  ExecutionWithSteps,
  InsightRange,
  InsightSettings,
  NodeStats,
  RebuildOptions,
  RebuildProgress,
  RebuiltInsights,
  ReclaimedSpace,
  RecordedExecution,
  RecoveredExecutions,
  HistoryInstance,
  TimelineEntry,
  TimelineQuery,
  WorkflowExecution,
  WorkflowSummary,
  WrittenBatch,
  HistoryBatch,
} from '../core/types.js';
import type { ValidBatch, ValidExecution, ValidStep } from '../core/validation.js';
import type { BatchChannel } from '../core/batch-channel.js';
import { countUnstoredRun } from '../core/counted-runs.js';
import { DeletedStepsSummary } from '../core/deleted-steps.js';
import { Heartbeat } from '../core/heartbeat.js';
import type { InstanceIdentity } from '../core/instance.js';
import { BatchWorker, batchWorkerEntry } from './batch-worker-client.js';
import { type HistoryDatabase, prepareDatabase } from './connection.js';
import { sqliteErrorCode, toStoreError } from './driver-errors.js';
import { getErrorGroups } from './error-groups.js';
import { executionIdsStartingWith } from './id-prefix.js';
import { SharedInsightSettings } from './insight-settings.js';
import { getNodeStats } from './node-stats.js';
import { PageQueries } from './pages.js';
import { interruptedIds, markInterrupted, runningStartedBefore } from './recovery.js';
import { InstanceRows, runningOfGoneInstances, runningOfInstance } from './instances.js';
import { countMatching, deleteInBatches, finishedOlderThanNewest, finishedStartedBefore, type RetentionBatch } from './retention.js';
import { rebuildRollups } from './rollup-rebuild.js';
import { pruneRollups } from './rollup-retention.js';
import { type DeletedSteps, Rollups } from './rollups.js';
import { type Encoding, executionInsertRow, executionValues, stepInsertRow, stepValues, toExecution, toStep } from '../core/rows.js';
import { executionSteps as steps, workflowExecutions as executions } from './schema.js';
import { databaseBytes, reclaimSpace } from './space.js';
import { prepareStatements, UpdateStatements } from './statements.js';
import { getExecutionStats } from './stats.js';
import { readStorageState, storageFullError } from './storage-full.js';
import { Timelines } from './timeline.js';
import { WalLimit } from './wal.js';
import { getWorkflowSummaries } from './workflow-summaries.js';
import { searchSqlite } from './payload-search.js';

type Args<K extends keyof HistoryBackend> = HistoryBackend[K] extends (...args: infer A) => unknown ? A : never;

export interface SqliteBackendSettings {
  /** Redacts and serialises what is written. */
  encoding: Encoding;
  /** The store's clock, checked at every reading. */
  now: () => number;
  busyTimeoutMs: number;
  walLimitBytes: number;
  insights: ExecutionStoreOptions['insights'];
  /** Who this store is: recorded on its executions, kept current by its heartbeat. */
  instance: InstanceIdentity;
  /** Whether this backend keeps its instance's row current (default true): a batch worker's store beats for it. */
  beats?: boolean;
  /** Told when this backend registers its instance (a batch worker tells its store). */
  onRegistered?: () => void;
  /**
   * How a batch worker on this file encodes, as the store does; given only for a file the store opened itself (a
   * caller's connection may have been set up in ways a second connection would not be).
   */
  batchWorker?: { maxPayloadBytes: number; redactKeys: readonly (string | RegExp)[] };
}

export class SqliteBackend implements HistoryBackend {
  private readonly db: HistoryDatabase;
  readonly encoding: Encoding;
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
  private readonly busyTimeoutMs: number;
  private readonly instance: InstanceIdentity;
  private readonly instanceRows: InstanceRows;
  /** Started once the instance's row is written, with its first execution: a store that only reads has none. */
  private readonly heartbeat: Heartbeat;
  private registered = false;
  private readonly beats: boolean;
  private readonly onRegistered: (() => void) | undefined;
  /** How a batch worker would be started: undefined where there can be none (see openBatchChannel). */
  private readonly workerSettings: (NonNullable<SqliteBackendSettings['batchWorker']> & { path: string; walLimitBytes: number }) | undefined;
  /** Started with the first channel opened, for all of them. */
  private batchWorker: BatchWorker | undefined;

  /** Sets the connection's pragmas and applies pending migrations. */
  constructor(
    private readonly sqlite: BetterSqlite3.Database,
    { encoding, now, busyTimeoutMs, walLimitBytes, insights, instance, beats = true, onRegistered, batchWorker }: SqliteBackendSettings,
  ) {
    this.encoding = encoding;
    this.beats = beats;
    this.onRegistered = onRegistered;
    // The path resolved now: a later process.chdir() must not point the worker at another file.
    this.workerSettings = batchWorker && { ...batchWorker, path: resolve(sqlite.name), walLimitBytes };
    this.now = now;
    this.instance = instance;
    this.busyTimeoutMs = busyTimeoutMs;
    this.db = this.guard('opening the execution history', () => prepareDatabase(sqlite, busyTimeoutMs));
    this.instanceRows = new InstanceRows(sqlite, instance, busyTimeoutMs);
    this.heartbeat = new Heartbeat(() => this.instanceRows.beat(), instance.heartbeatMs);
    this.wal = new WalLimit(sqlite, walLimitBytes, busyTimeoutMs);
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
    if (insights !== undefined && Object.values(insights).some((value) => value !== undefined)) {
      const file = sqlite.memory ? 'this in-memory database' : `"${sqlite.name}"`;
      this.guard('ExecutionStore', () => this.inWriteTransaction(() => this.settings.pin(insights, 'ExecutionStore', file)));
    }
  }

  async createExecution(input: ValidExecution): Promise<string> {
    const what = 'createExecution';
    const row = this.executionRow(input, what);
    this.writeOwned(what, 1, (changes) => {
      this.statements.insertExecution.run(row);
      changes.execution(row as unknown as ExecutionFacts, 1);
    });
    return row.id as string;
  }

  async updateExecution(...[id, changes]: Args<'updateExecution'>): Promise<void> {
    const values = executionValues(changes, this.encoding);
    this.updateById(this.executionUpdates, this.statements.executionExists, id, values, 'updateExecution', 'execution', this.executionFacts(id, values));
  }

  async getExecution(id: string): Promise<WorkflowExecution | null> {
    const row = this.guard('getExecution', () => this.statements.executionById.get({ id }));
    return row === undefined ? null : toExecution(row);
  }

  async getExecutionWithSteps(id: string): Promise<ExecutionWithSteps | null> {
    const found = this.guard('getExecutionWithSteps', () => this.inReadTransaction(() => {
      const execution = this.statements.executionById.get({ id });
      return execution && { execution, steps: this.statements.stepsOfExecution.all({ executionId: id }) };
    }));
    if (found === undefined) return null;
    return { ...toExecution(found.execution), steps: found.steps.map(toStep) };
  }

  async queryExecutions(request: PageRequest): Promise<WorkflowExecution[]> {
    return this.guard('queryExecutions', () => this.pages.rows(request)).map(toExecution);
  }

  async deleteExecution(id: string): Promise<boolean> {
    let deleted = false;
    this.inTransaction('deleteExecution', 1, () => {
      const doomed = this.countDoomed([id]);
      deleted = this.statements.deleteExecution.run({ id }).changes > 0;
      this.applyDoomed(doomed);
    });
    return deleted;
  }

  async addSteps(inputs: ValidStep[], what: string): Promise<string[]> {
    const rows = inputs.map((input) => this.stepRow(input, what));
    this.writeCounted(what, rows.length, (changes) => this.insertSteps(rows, what, changes));
    return rows.map((row) => row.id as string);
  }

  async recordExecution(...[input, runSteps]: Args<'recordExecution'>): Promise<RecordedExecution> {
    const what = 'recordExecution';
    const execution = this.executionRow(input, what);
    const executionId = execution.id as string;
    const rows = runSteps.map((step) => this.stepRow({ ...step, executionId } as ValidStep, what));
    this.writeOwned(what, rows.length + 1, (changes) => {
      this.statements.insertExecution.run(execution);
      changes.execution(execution as unknown as ExecutionFacts, 1);
      this.insertSteps(rows, what, changes, { workflowId: execution.workflowId as string, startedAt: execution.startedAt as number });
    });
    return { executionId, stepIds: rows.map((row) => row.id as string) };
  }

  /**
   * `inLock`, a batch worker's: called in the transaction once it holds the write lock, before anything is written;
   * what it throws (wrapped as a CallbackFailure) rolls the transaction back and is thrown as it is.
   */
  async writeBatch(batch: ValidBatch, lockWaitMs?: number, inLock?: () => void): Promise<WrittenBatch> {
    if (lockWaitMs === undefined) return this.writeBatchNow(batch, inLock);
    // The busy handler waits synchronously: for this write, only as long as the caller lets it.
    this.sqlite.pragma(`busy_timeout = ${lockWaitMs}`);
    try {
      return await this.writeBatchNow(batch, inLock);
    } finally {
      if (this.sqlite.open) this.sqlite.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    }
  }

  private async writeBatchNow(batch: ValidBatch, inLock: (() => void) | undefined): Promise<WrittenBatch> {
    const what = 'writeBatch';
    const executionRows = batch.executions.map((input) => this.executionRow(input, what, input.id));
    const stepRows = batch.steps.map((input) => this.stepRow(input, what, input.id));
    const updates = batch.updates.map(({ id, changes }) => ({ id, values: executionValues(changes, this.encoding) }));
    const written: WrittenBatch = { executions: 0, steps: 0, updated: 0, counted: 0, missing: [] };
    const rows = executionRows.length + stepRows.length + updates.length + batch.countedOnly.length;
    // Only a batch that creates executions registers the instance (their owner).
    const write = executionRows.length > 0 ? this.writeOwned.bind(this) : this.writeCounted.bind(this);
    write(what, rows, (changes) => {
      inLock?.();
      const missing = new Set<string>();
      for (const row of executionRows) {
        if (this.statements.insertExecutionIfNew.run(row).changes === 0) continue;
        changes.execution(row as unknown as ExecutionFacts, 1);
        written.executions += 1;
      }
      // Where the steps are counted: their executions' workflow and start, as stored (this batch's among them).
      const keys = new Map<string, { workflowId: string; startedAt: number } | undefined>();
      for (const row of stepRows) {
        const executionId = row.executionId as string;
        if (!keys.has(executionId)) keys.set(executionId, this.rollups.executionKey(executionId));
        const key = keys.get(executionId);
        if (key === undefined) missing.add(executionId);
        else if (this.statements.insertStepIfNew.run(row).changes > 0) {
          changes.step(stepFactsOf(row, key), 1);
          written.steps += 1;
        }
      }
      for (const { id, values } of updates) {
        if (Object.keys(values).length === 0) {
          if (this.statements.executionExists.get({ id }) === undefined) missing.add(id);
        } else if (this.updateCounted(this.executionUpdates, id, values, what, this.executionFacts(id, values), changes) > 0) written.updated += 1;
        else missing.add(id);
      }
      const kept = new DeletedStepsSummary();
      const deletedSteps: DeletedSteps[] = [];
      for (const run of batch.countedOnly) {
        if (run.id !== undefined) {
          // Its stored row goes, counted out (the run is counted below, as it ended); its stored steps go and stay
          // counted, as deleted steps whose insights outlive them do.
          for (const facts of this.rollups.executionFacts([run.id])) changes.execution(facts, -1);
          deletedSteps.push(...this.rollups.summarizeDoomedSteps([run.id]));
          this.statements.deleteExecution.run({ id: run.id });
        }
        countUnstoredRun(changes, kept, run, what);
        written.counted += 1;
      }
      written.missing = [...missing];
      return () => this.rollups.retireDeletedSteps([...deletedSteps, ...kept.all]);
    });
    return written;
  }

  async updateStep(...[id, changes]: Args<'updateStep'>): Promise<void> {
    const values = stepValues(changes, this.encoding);
    const facts = () => ({ execution: [], steps: [this.rollups.stepFacts(id)].filter((step) => step !== undefined) });
    this.updateById(this.stepUpdates, this.statements.stepExists, id, values, 'updateStep', 'step', facts);
  }

  async getStepsForExecution(executionId: string): Promise<ExecutionStep[]> {
    return this.guard('getStepsForExecution', () => this.statements.stepsOfExecution.all({ executionId })).map(toStep);
  }

  async cleanupOldExecutions(...[maxAgeMs, settings]: Args<'cleanupOldExecutions'>): Promise<number> {
    const what = 'cleanupOldExecutions';
    const where = finishedStartedBefore(this.now() - maxAgeMs, settings?.workflowId);
    if (settings?.dryRun) return this.guard(what, () => countMatching(this.db, where));
    return this.cleanUp(what, (batch) => deleteInBatches(this.db, where, batch, { onProgress: callerCallback(settings?.onProgress) }));
  }

  async cleanupByCount(...[maxCount, workflowId, settings]: Args<'cleanupByCount'>): Promise<number> {
    const what = 'cleanupByCount';
    if (settings?.dryRun) return this.guard(what, () => this.inReadTransaction(() => countMatching(this.db, finishedOlderThanNewest(this.db, maxCount, workflowId))));
    return this.cleanUp(what, (batch) =>
      deleteInBatches(this.db, finishedOlderThanNewest(this.db, maxCount, workflowId), batch, { onProgress: callerCallback(settings?.onProgress) }),
    );
  }

  async findExecutionIds(prefix: string, limit: number): Promise<string[]> {
    return this.guard('findExecutionIds', () => executionIdsStartingWith(this.db, prefix, limit));
  }

  async recoverInterruptedExecutions(startedBefore: number | undefined): Promise<RecoveredExecutions> {
    const scope = startedBefore === undefined ? runningOfGoneInstances(this.instance.id) : runningStartedBefore(startedBefore);
    let recovered: RecoveredExecutions = { executions: 0, steps: 0 };
    this.writeCounted('recoverInterruptedExecutions', 0, (changes) => {
      recovered = this.markInterruptedCounted(changes, scope);
    });
    return recovered;
  }

  get instanceId(): string {
    return this.instance.id;
  }

  async getInstances(): Promise<HistoryInstance[]> {
    return this.guard('getInstances', () => this.instanceRows.listed(this.instance.id));
  }

  async reclaimSpace(): Promise<ReclaimedSpace> {
    const what = 'reclaimSpace';
    const before = this.guard(what, () => databaseBytes(this.sqlite));
    // It gives pages back in steps, each committed: on a full disk, say how far it got.
    const given = () => before - databaseBytes(this.sqlite);
    return this.guard(what, () => reclaimSpace(this.sqlite), () =>
      given() > 0 ? `this call had given ${given()} bytes back to the disk, in steps each committed whole; calling reclaimSpace again goes on from there` : undefined,
    );
  }

  async getExecutionStats(...[filter]: Args<'getExecutionStats'>): Promise<ExecutionStats> {
    // One snapshot: the counts and the percentiles describe the same executions while others write.
    return this.guard('getExecutionStats', () => this.inReadTransaction(() => getExecutionStats(this.db, filter)));
  }

  async getNodeStats(...[request]: Args<'getNodeStats'>): Promise<NodeStats[]> {
    return this.guard('getNodeStats', () =>
      this.inReadTransaction(() => getNodeStats(this.db, request, this.spans(request, this.settings.kept().nodeHoursFrom))),
    );
  }

  async getTimeline(request: Required<TimelineQuery>): Promise<TimelineEntry[]> {
    return this.guard('getTimeline', () =>
      this.inReadTransaction(() => this.timelines.get(request, this.settings.kept(), this.settings.current().outliveDeletes)),
    );
  }

  async getErrorGroups(...[request]: Args<'getErrorGroups'>): Promise<ErrorGroup[]> {
    return this.guard('getErrorGroups', () => getErrorGroups(this.db, request));
  }

  async getWorkflowSummaries(...[request]: Args<'getWorkflowSummaries'>): Promise<WorkflowSummary[]> {
    return this.guard('getWorkflowSummaries', () =>
      this.inReadTransaction(() => getWorkflowSummaries(this.db, this.spans(request, this.settings.kept().workflowHoursFrom))),
    );
  }

  async rebuildInsights(onProgress: RebuildOptions['onProgress']): Promise<RebuiltInsights> {
    const what = 'rebuildInsights';
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

  async compactInsights(): Promise<CompactedInsights> {
    const progress = { weeks: 0 };
    this.guard('compactInsights', () => this.compactWeeks(progress), () =>
      progress.weeks > 0
        ? `this call had compacted ${progress.weeks} week(s), each committed whole; calling compactInsights again goes on from there`
        : undefined,
    );
    return progress;
  }

  async getInsightSettings(): Promise<InsightSettings> {
    return this.guard('getInsightSettings', () => this.settings.describe());
  }

  async setInsightRetention(...[change]: Args<'setInsightRetention'>): Promise<InsightSettings> {
    const what = 'setInsightRetention';
    return this.guard(what, () =>
      this.inWriteTransaction(() => {
        this.settings.setRetention(change, what);
        return this.settings.describe();
      }),
    );
  }

  async searchExecutions(...[search]: Args<'searchExecutions'>): ReturnType<HistoryBackend['searchExecutions']> {
    return searchSqlite(this.db, this.sqlite, search, (read) => this.guard('searchExecutions', read));
  }

  /**
   * A channel to a worker thread writing this file's batches on a connection of its own; undefined where there can be
   * none: an in-memory or unnamed database (no second connection sees it), a caller's connection, no worker file
   * beside the package's code. `validate` is the store's validation of writeBatch's input.
   */
  openBatchChannel(validate: (batch: HistoryBatch) => ValidBatch): BatchChannel | undefined {
    if (this.workerSettings === undefined || this.sqlite.memory || this.sqlite.name === '' || !this.sqlite.open) return undefined;
    if (this.batchWorker === undefined) {
      const entry = batchWorkerEntry();
      if (entry === undefined) return undefined;
      this.batchWorker = new BatchWorker(
        entry,
        { ...this.workerSettings, busyTimeoutMs: this.busyTimeoutMs, instance: this.instance },
        { now: this.now, encode: this.encoding.payload, registered: () => this.adoptRegistration() },
      );
    }
    return this.batchWorker.channel(validate);
  }

  async close(): Promise<void> {
    this.heartbeat.stop();
    this.sqlite.close();
    // After the batches it was sent: what a recorder's writer had in flight is written, or fails, first.
    await this.batchWorker?.close();
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

  /** A validated execution → the full row to insert, with its id (a new one unless given) and derived duration. */
  private executionRow(input: ValidExecution, what: string, id = idAt(input.startedAt)): Record<string, unknown> {
    const durationMs = input.durationMs ?? derivedDuration(input.startedAt, input.completedAt, what);
    return executionInsertRow(input, { id, durationMs, instanceId: this.instance.id }, this.encoding);
  }

  /** A validated step → the full row to insert, with its id (a new one unless given) and derived duration. */
  private stepRow(input: ValidStep, what: string, id = stepIdOf(input.executionId, input.startedAt)): Record<string, unknown> {
    const durationMs = input.durationMs ?? derivedDuration(input.startedAt, input.completedAt, what);
    return stepInsertRow(input, { id, durationMs }, this.encoding);
  }

  /** What an update of an execution changes in the counts: the execution, and its steps if it moves them. */
  private executionFacts(id: string, values: Record<string, unknown>): () => { execution: ExecutionFacts[]; steps: StepFacts[] } {
    // Its steps are counted under its workflow and start hour: if either moves, so do they.
    const movesSteps = values.workflowId !== undefined || values.startedAt !== undefined;
    return () => ({
      execution: this.rollups.executionFacts([id]),
      steps: movesSteps ? this.rollups.stepFactsOfExecutions([id]) : [],
    });
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
  private applyDoomed({ changes, deletedSteps }: ReturnType<SqliteBackend['countDoomed']>): void {
    this.rollups.apply(changes);
    this.rollups.retireDeletedSteps(deletedSteps);
  }

  /** Counts the executions (with their steps) in `changes` as they are now, with `sign`. */
  private countFacts(changes: RollupChanges, ids: string[], sign: 1 | -1): void {
    for (const facts of this.rollups.executionFacts(ids)) changes.execution(facts, sign);
    for (const facts of this.rollups.stepFactsOfExecutions(ids)) changes.step(facts, sign);
  }

  /** Marks what `scope` selects as interrupted, with the rollups' changes (the executions counted out, then in). */
  private markInterruptedCounted(changes: RollupChanges, scope: SQL): RecoveredExecutions {
    const ids = interruptedIds(this.db, scope);
    this.countFacts(changes, ids, -1);
    const recovered = markInterrupted(this.db, scope);
    this.countFacts(changes, ids, 1);
    return recovered;
  }

  /**
   * A counted write that creates executions: the first one also registers the store's instance in its transaction
   * (taking over, as InstanceOptions.id says, what a previous holder of the id left running) and starts the heartbeat.
   */
  private writeOwned(what: string, rows: number, work: (changes: RollupChanges) => void | (() => void)): void {
    const registering = !this.registered;
    this.writeCounted(what, rows, (changes) => {
      if (registering && this.instanceRows.register()) this.markInterruptedCounted(changes, runningOfInstance(this.instance.id));
      return work(changes);
    });
    if (registering) {
      this.adoptRegistration();
      this.onRegistered?.();
    }
  }

  /** The instance's row is written (by this connection, or by this store's batch worker): it is kept current from here. */
  private adoptRegistration(): void {
    this.registered = true;
    if (this.beats) this.heartbeat.start();
  }

  /**
   * A write transaction whose rows are counted in the totals and rollups by the same transaction; what `work` answers
   * runs after the rollups are written.
   */
  private writeCounted(what: string, rows: number, work: (changes: RollupChanges) => void | (() => void)): void {
    this.inTransaction(what, rows, () => {
      const changes = new RollupChanges();
      const afterRollups = work(changes);
      this.rollups.apply(changes);
      afterRollups?.();
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
    let changed = 0;
    // Nothing to change still has to answer whether the row exists.
    if (Object.keys(values).length === 0) changed = this.guard(what, () => Number(exists.get({ id }) !== undefined));
    else this.writeCounted(what, 1, (changes) => {
      changed = this.updateCounted(updates, id, values, what, facts, changes);
    });
    if (changed === 0) throw new ExecutionStoreError('NOT_FOUND', `${what}: no ${noun} with id "${id}"`);
  }

  /** Updates a row by id in the write transaction under way, counting what it changes in `changes`; rows changed (0 or 1). */
  private updateCounted(
    updates: UpdateStatements,
    id: string,
    values: { startedAt?: number; completedAt?: number | null; durationMs?: number | null },
    what: string,
    facts: () => { execution: ExecutionFacts[]; steps: StepFacts[] },
    changes: RollupChanges,
  ): number {
    const { startedAt, completedAt, durationMs } = values;
    const derive = completedAt != null && durationMs === undefined;
    // With a new startedAt the duration is known here; without, SQL subtracts the stored one (no read first), and
    // the duration CHECK rejects a completedAt before it.
    const set = derive && startedAt !== undefined ? { ...values, durationMs: derivedDuration(startedAt, completedAt, what) } : values;
    const before = facts();
    const changed = updates.run(id, set, derive && startedAt === undefined);
    const after = facts();
    // Most updates change payloads or messages, not what is counted: then the rollups are left alone.
    if (JSON.stringify(before) === JSON.stringify(after)) return changed;
    for (const execution of before.execution) changes.execution(execution, -1);
    for (const step of before.steps) changes.step(step, -1);
    for (const execution of after.execution) changes.execution(execution, 1);
    for (const step of after.steps) changes.step(step, 1);
    return changed;
  }
}

