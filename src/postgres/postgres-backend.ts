// The PostgreSQL backend: everything the store does in a PostgreSQL database, behind the HistoryBackend seam. The
// same bookkeeping as the SQLite backend (src/sqlite/sqlite-backend.ts), in transactions on a pool: several
// instances write one database at once, so rows about to change are locked before their facts are read, and
// rollup rows are written in one fixed order (src/postgres/rollups.ts).
import { idAt, stepIdOf } from '../core/time-ordered-id.js';
import type { SQL } from 'drizzle-orm';
import type { Pool } from 'pg';
import type { HistoryBackend, PageRequest } from '../backend.js';
import { CallbackFailure, callerCallback, ExecutionStoreError } from '../core/errors.js';
import type { KeptRollups } from '../core/kept-rollups.js';
import { type ExecutionFacts, DAY, RollupChanges, type StepFacts, stepFactsOf } from '../core/rollup-changes.js';
import { derivedDuration } from '../core/derived-duration.js';
import { type RollupSpan, rollupSpans } from '../core/rollup-spans.js';
import { type Encoding, executionInsertRow, executionValues, stepInsertRow, stepValues, toExecution, toStep } from '../core/rows.js';
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
} from '../core/types.js';
import type { ValidBatch, ValidExecution, ValidStep } from '../core/validation.js';
import { countUnstoredRun } from '../core/counted-runs.js';
import { DeletedStepsSummary } from '../core/deleted-steps.js';
import { postgresErrorCode, toStoreError } from './driver-errors.js';
import { getErrorGroups } from './error-groups.js';
import { executionIdsStartingWith } from './id-prefix.js';
import { SharedInsightSettings } from './insight-settings.js';
import { getNodeStats } from './node-stats.js';
import { pageRows } from './pages.js';
import { EXECUTION_BY_ID, EXECUTION_WITH_STEPS, type ExecutionRow, rowsOf, STEPS_OF_EXECUTION, type StepRow } from './reads.js';
import { lockInterrupted, markInterrupted, runningStartedBefore } from './recovery.js';
import { beat, listInstances, registerInstance, runningOfGoneInstances, runningOfInstance } from './instances.js';
import { Heartbeat } from '../core/heartbeat.js';
import { attachedPartitions, DAY_MS, DAYS_AHEAD, ensureDays, ensureDaysAround, stepIdRange } from './partitions.js';
import { dropDaysBefore } from './day-retention.js';
import type { InstanceIdentity } from '../core/instance.js';
import { countMatching, deleteInBatches, type DoomedExecution, finishedOlderThanNewest, finishedStartedBefore } from './retention.js';
import { rebuildRollups } from './rollup-rebuild.js';
import { pruneRollups } from './rollup-retention.js';
import { type DeletedSteps, missingExecution, randomShard, Rollups, toExecutionFacts, toStepFacts } from './rollups.js';
import { foldNextDay } from './shard-folding.js';
import { reclaimSpace } from './space.js';
import { getExecutionStats } from './stats.js';
import { getTimeline } from './timeline.js';
import { type Transaction, Transactions } from './transactions.js';
import { getWorkflowSummaries } from './workflow-summaries.js';
import { addExecutionInsert, addExecutionKeysCheck, addGuardedUpdate, addStepInsert, insertIfNewStatement, updateWithFactsStatement } from './statements.js';
import { addRollupUpserts, removesFromNodes, type ReturnedRollups, type UpsertOptions } from './rollup-upsert.js';
import { executionFactsAfter, KnownRows, stepAfter } from './known-rows.js';
import { SqlStatement } from './sql-statement.js';
import { searchPostgres } from './payload-search.js';

type CleanupProgressCallback = (progress: { deleted: number; batchDeleted: number; batchMs: number }) => void;
type Args<K extends keyof HistoryBackend> = HistoryBackend[K] extends (...args: infer A) => unknown ? A : never;

export interface PostgresBackendSettings {
  /** Redacts and serialises what is written. */
  encoding: Encoding;
  /** The store's clock, checked at every reading. */
  now: () => number;
  insights: ExecutionStoreOptions['insights'];
  /** Whether the store opened the pool (and so ends it on close). */
  ownsPool: boolean;
  /** How the database is named in messages: its URL without the password. */
  name: string;
  /** Who this store is: recorded on its executions, kept current by its heartbeat. */
  instance: InstanceIdentity;
  /** Whether retention drops whole days (PostgresOptions.dropDays). */
  dropDays: boolean;
}

export class PostgresBackend implements HistoryBackend {
  readonly encoding: Encoding;
  private readonly now: () => number;
  private readonly transactions: Transactions;
  private readonly rollups: Rollups;
  /** The insight settings every instance writing the database shares, kept in it. */
  private readonly settings = new SharedInsightSettings();
  /** What this store last wrote in the rows a runtime changes next (see known-rows.ts). */
  private readonly known = new KnownRows();
  private readonly ownsPool: boolean;
  private readonly name: string;
  private closed: Promise<void> | undefined;
  private readonly instance: InstanceIdentity;
  /** Started once the instance's row is written, before its first execution: a store that only reads has none. */
  private readonly heartbeat: Heartbeat;
  private readonly dropsDays: boolean;
  /** Where the legacy partition (ids from before partitions) ends, read at open; null when there is none. */
  private legacyTo: string | null = null;
  /** Until when the day partitions are made, and the making of them under way. */
  private daysMadeUntil = 0;
  private makingDays: Promise<unknown> | undefined;
  /** The instance's registration, once it has been asked for (cleared when it failed, to be tried again). */
  private registration: Promise<void> | undefined;

  /** Takes a pool on a migrated database (see openPostgresBackend). */
  private constructor(
    private readonly pool: Pool,
    { encoding, now, ownsPool, name, instance, dropDays }: PostgresBackendSettings,
  ) {
    this.dropsDays = dropDays;
    this.instance = instance;
    this.heartbeat = new Heartbeat(() => beat(pool, instance), instance.heartbeatMs);
    this.encoding = encoding;
    this.now = now;
    this.ownsPool = ownsPool;
    this.name = name;
    this.transactions = new Transactions(pool, (ms) => ensureDays(pool, ms, ms));
    this.rollups = new Rollups(
      async (tx) => this.now() - (await this.settings.current(tx.db)).dailyDays * DAY,
      (tx) => this.settings.kept(tx.db),
      (executionIds) => stepIdRange(executionIds, this.legacyTo),
    );
  }

  /** A backend on a pool whose database has the package's migrations; pins the insight settings given. */
  static async open(pool: Pool, settings: PostgresBackendSettings): Promise<PostgresBackend> {
    const backend = new PostgresBackend(pool, settings);
    const { insights } = settings;
    if (insights !== undefined && Object.values(insights).some((value) => value !== undefined)) {
      await backend.guard('ExecutionStore', () =>
        backend.transactions.write((tx) => backend.settings.pin(tx.db, insights, 'ExecutionStore', settings.name)),
      );
    }
    await backend.guard('ExecutionStore', async () => {
      await backend.keepDaysAhead();
      backend.legacyTo = (await attachedPartitions(pool)).find((partition) => partition.from === null)?.to ?? null;
    });
    return backend;
  }

  /**
   * Makes the partitions of the days ahead (src/postgres/partitions.ts) when the ones made do not reach three days
   * ahead any more: at open, and from writes, which do not wait for it (a write that finds its day missing makes it).
   */
  private keepDaysAhead(): Promise<unknown> {
    if (Date.now() + 3 * DAY_MS < this.daysMadeUntil) return Promise.resolve();
    this.makingDays ??= ensureDaysAround(this.pool, Date.now())
      .then(() => {
        this.daysMadeUntil = Date.now() + DAYS_AHEAD * DAY_MS;
      })
      .finally(() => {
        this.makingDays = undefined;
      });
    return this.makingDays;
  }

  async createExecution(input: ValidExecution): Promise<string> {
    const what = 'createExecution';
    const row = this.executionRow(input, what);
    const facts = row as unknown as ExecutionFacts;
    const changes = new RollupChanges();
    changes.execution(facts, 1);
    await this.registered(what);
    this.keepDaysAhead().catch(() => undefined);
    await this.writeOneStatement(what, changes, (statement) => addExecutionInsert(statement, row));
    this.known.executions.set(row.id as string, factsOfExecution(facts));
    return row.id as string;
  }

  async updateExecution(...[id, changes]: Args<'updateExecution'>): Promise<void> {
    const what = 'updateExecution';
    const values = executionValues(changes, this.encoding);
    if (await this.updateKnownExecution(id, values, what)) return;
    const after = await this.updateById('workflow_executions', id, values, what, 'execution', executionFactsOfRow, this.movedSteps(id, values));
    if (after?.execution[0] !== undefined && !movesSteps(values)) this.known.executions.set(id, after.execution[0]);
  }

  /**
   * The steps an update of an execution moves, before and after it: its steps are counted under its workflow and
   * start hour, so they move if either does. Only then are they read (and, before, with the execution locked first,
   * so that nothing changes them in between).
   */
  private movedSteps(id: string, values: Record<string, unknown>): (tx: Transaction, when: 'before' | 'after') => Promise<StepFacts[]> {
    return async (tx, when) => {
      if (!movesSteps(values)) return [];
      if (when === 'before') await this.rollups.executionFacts(tx, [id], true);
      return this.rollups.stepFactsOfExecutions(tx, [id]);
    };
  }

  /**
   * updateExecution of an execution this store knows (it created it, or last changed it): the update and its rollup
   * changes in one statement, applied only if the row still holds what the store knows. False when it did not
   * apply (then nothing was written).
   */
  private async updateKnownExecution(id: string, values: Record<string, unknown>, what: string): Promise<boolean> {
    const before = this.known.executions.get(id);
    const after = before === undefined ? undefined : executionFactsAfter(before, values);
    if (before === undefined || after === undefined) return false;
    const { set, derive } = this.updateSet(values, what);
    const changes = new RollupChanges();
    if (JSON.stringify(before) !== JSON.stringify(after)) {
      changes.execution(before, -1);
      changes.execution(after, 1);
    }
    const expected: [string, unknown][] = [
      ['workflow_id', before.workflowId],
      ['workflow_name', before.workflowName],
      ['trigger_type', before.triggerType],
      ['status', before.status],
      ['started_at', before.startedAt],
      ['duration_ms', before.durationMs],
    ];
    const applied = await this.writeOneStatement(what, changes, (statement) => {
      addGuardedUpdate(statement, 'workflow_executions', id, set, derive, expected);
      return { guard: '(SELECT count(*) FROM u) = 1', answer: '(SELECT count(*) FROM u) AS applied' };
    });
    if (Number(applied.applied) === 1) {
      this.known.executions.set(id, after);
      return true;
    }
    this.known.executions.delete(id);
    return false;
  }

  async getExecution(id: string): Promise<WorkflowExecution | null> {
    const rows = await this.guard('getExecution', () => rowsOf<ExecutionRow>(this.pool, EXECUTION_BY_ID, { id }));
    return rows[0] === undefined ? null : toExecution(rows[0]);
  }

  async getExecutionWithSteps(id: string): Promise<ExecutionWithSteps | null> {
    // One statement is one snapshot: the execution and its steps agree without a transaction around two reads.
    const rows = await this.guard('getExecutionWithSteps', () => rowsOf<ExecutionRow & StepRow>(this.pool, EXECUTION_WITH_STEPS, this.withStepRange(id)));
    const [first, ...stepRows] = rows;
    if (first === undefined) return null;
    return { ...toExecution(first), steps: stepRows.map(toStep) };
  }

  async queryExecutions(request: PageRequest): Promise<WorkflowExecution[]> {
    return (await this.guard('queryExecutions', () => pageRows(this.pool, request))).map(toExecution);
  }

  async deleteExecution(id: string): Promise<boolean> {
    return this.guard('deleteExecution', () =>
      this.transactions.write(async (tx) => {
        const doomed = await this.countDoomed(tx, [id]);
        const { rowCount } = await tx.client.query('DELETE FROM workflow_executions WHERE id = $1', [id]);
        await this.applyDoomed(tx, doomed);
        return (rowCount ?? 0) > 0;
      }),
    );
  }

  async addSteps(inputs: ValidStep[], what: string): Promise<string[]> {
    const rows = inputs.map((input) => this.stepRow(input, what));
    let keys = await this.addStepsToKnownExecutions(rows, what);
    if (keys === undefined) {
      await this.writeCounted(what, async (tx, changes) => {
      // Where the steps are counted: their executions' workflow and start, read with a KEY SHARE lock (what the
      // foreign key takes anyway), so that an update moving an execution waits until these steps are counted.
      const read = await this.rollups.executionKeys(tx, [...new Set(rows.map((row) => row.executionId as string))], true);
      for (const row of rows) {
        const key = read.get(row.executionId as string);
        if (key === undefined) throw missingExecution(what, row.executionId as string, undefined);
        changes.step(stepFactsOf(row, key), 1);
      }
      keys = read;
      return (statement) => addStepInsert(statement, rows);
    });
    }
    for (const row of rows) this.rememberStep(row, keys?.get(row.executionId as string));
    return rows.map((row) => row.id as string);
  }

  /**
   * addSteps to executions this store knows the key of (workflow and start: where their steps are counted): the
   * steps and their rollup changes in one statement, applied only if every execution still has that key. False
   * when it did not apply (then nothing was written).
   */
  private async addStepsToKnownExecutions(rows: Record<string, unknown>[], what: string): Promise<Map<string, ExecutionKey> | undefined> {
    const keys = new Map<string, ExecutionKey & { id: string }>();
    for (const row of rows) {
      const id = row.executionId as string;
      const known = this.known.executions.get(id);
      if (known === undefined) return undefined;
      keys.set(id, { id, workflowId: known.workflowId, startedAt: known.startedAt });
    }
    const changes = new RollupChanges();
    for (const row of rows) changes.step(stepFactsOf(row, keys.get(row.executionId as string) as { workflowId: string; startedAt: number }), 1);
    const applied = await this.writeOneStatement(what, changes, (statement) => {
      const guard = addExecutionKeysCheck(statement, [...keys.values()]);
      addStepInsert(statement, rows, guard);
      return { guard, answer: '(SELECT n FROM chk) AS applied' };
    });
    if (Number(applied.applied) === keys.size) return keys;
    for (const id of keys.keys()) this.known.executions.delete(id);
    return undefined;
  }

  /** Remembers a step this store wrote, under its execution's key, for the update that comes next. */
  private rememberStep(row: Record<string, unknown>, execution: ExecutionKey | undefined): void {
    if (execution === undefined) return;
    this.known.steps.set(row.id as string, {
      executionId: row.executionId as string,
      facts: stepFactsOf(row, execution),
      startedAt: row.startedAt as number,
      completedAt: (row.completedAt as number | null) ?? null,
    });
  }

  async recordExecution(...[input, runSteps]: Args<'recordExecution'>): Promise<RecordedExecution> {
    const what = 'recordExecution';
    const execution = this.executionRow(input, what);
    const executionId = execution.id as string;
    const rows = runSteps.map((step) => this.stepRow({ ...step, executionId } as ValidStep, what));
    const changes = new RollupChanges();
    changes.execution(execution as unknown as ExecutionFacts, 1);
    const key = { workflowId: execution.workflowId as string, startedAt: execution.startedAt as number };
    for (const row of rows) changes.step(stepFactsOf(row, key), 1);
    await this.registered(what);
    this.keepDaysAhead().catch(() => undefined);
    await this.writeOneStatement(what, changes, (statement) => {
      addExecutionInsert(statement, execution);
      if (rows.length > 0) addStepInsert(statement, rows);
    });
    this.known.executions.set(executionId, factsOfExecution(execution as unknown as ExecutionFacts));
    // Steps still running are the ones a runtime changes next.
    for (const row of rows) if (row.status === 'running') this.rememberStep(row, key);
    return { executionId, stepIds: rows.map((row) => row.id as string) };
  }

  async writeBatch(batch: ValidBatch): Promise<WrittenBatch> {
    const what = 'writeBatch';
    const executionRows = batch.executions.map((input) => this.executionRow(input, what, input.id));
    const stepRows = batch.steps.map((input) => this.stepRow(input, what, input.id));
    // Locked in one order in every transaction (by id), so that two batches touching the same runs do not deadlock.
    const updates = batch.updates
      .map(({ id, changes }) => ({ id, values: executionValues(changes, this.encoding) }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let written: WrittenBatch = { executions: 0, steps: 0, updated: 0, counted: 0, missing: [] };
    // What the counted-only runs leave in the node rollups as deleted steps, written after the rollups.
    let deletedSteps: DeletedSteps[] = [];
    // Only a batch that creates executions registers the instance (their owner).
    if (executionRows.length > 0) {
      await this.registered(what);
      this.keepDaysAhead().catch(() => undefined);
    }
    await this.writeCounted(what, async (tx, changes) => {
      // The transaction runs again after making a missing day: each attempt counts from nothing.
      written = { executions: 0, steps: 0, updated: 0, counted: 0, missing: [] };
      const missing = new Set<string>();
      if (executionRows.length > 0) {
        const { text, values } = insertIfNewStatement('workflow_executions', executionRows);
        const inserted = new Set((await tx.client.query<{ id: string }>(text, values)).rows.map((row) => row.id));
        for (const row of executionRows) if (inserted.has(row.id as string)) changes.execution(row as unknown as ExecutionFacts, 1);
        written.executions = inserted.size;
      }
      if (stepRows.length > 0) {
        // Where the steps are counted: their executions' workflow and start, as stored (this batch's among them), read
        // with a KEY SHARE lock (as the foreign key a partitioned table cannot have would take).
        const keys = await this.rollups.executionKeys(tx, [...new Set(stepRows.map((row) => row.executionId as string))], true);
        const kept = stepRows.filter((row) => keys.has(row.executionId as string) || !missing.add(row.executionId as string));
        if (kept.length > 0) {
          const { text, values } = insertIfNewStatement('execution_steps', kept);
          const inserted = new Set((await tx.client.query<{ id: string }>(text, values)).rows.map((row) => row.id));
          for (const row of kept) {
            if (inserted.has(row.id as string)) changes.step(stepFactsOf(row, keys.get(row.executionId as string) as ExecutionKey), 1);
          }
          written.steps = inserted.size;
        }
      }
      for (const { id, values } of updates) {
        if (Object.keys(values).length === 0) {
          // Nothing to change (as updateExecution with nothing): only whether it is stored.
          if (((await tx.client.query('SELECT 1 FROM workflow_executions WHERE id = $1', [id])).rowCount ?? 0) === 0) missing.add(id);
          continue;
        }
        this.known.executions.delete(id); // what this store knew of it is no longer so
        const changed = await this.updateCounted(tx, changes, 'workflow_executions', id, values, what, executionFactsOfRow, this.movedSteps(id, values));
        if (changed.rows > 0) written.updated += 1;
        else missing.add(id);
      }
      const kept = new DeletedStepsSummary();
      deletedSteps = [];
      for (const run of batch.countedOnly) {
        if (run.id !== undefined) {
          // Its stored row goes, counted out (the run is counted below, as it ended); its stored steps go and stay
          // counted, as deleted steps whose insights outlive them do.
          this.known.executions.delete(run.id);
          const stored = await this.rollups.executionFacts(tx, [run.id], true);
          for (const { facts } of stored) changes.execution(facts, -1);
          const keys = new Map(stored.map(({ id, facts }) => [id, { workflowId: facts.workflowId, startedAt: facts.startedAt }]));
          deletedSteps.push(...(await this.rollups.deleteStepsSummarized(tx, [run.id], keys)));
          await tx.client.query('DELETE FROM workflow_executions WHERE id = $1', [run.id]);
        }
        countUnstoredRun(changes, kept, run, what);
        written.counted += 1;
      }
      deletedSteps.push(...kept.all);
      written.missing = [...missing];
    }, (tx) => this.rollups.retireDeletedSteps(tx, deletedSteps));
    return written;
  }

  async updateStep(...[id, changes]: Args<'updateStep'>): Promise<void> {
    const what = 'updateStep';
    const values = stepValues(changes, this.encoding);
    if (await this.updateKnownStep(id, values, what)) return;
    this.known.steps.delete(id);
    await this.updateById('execution_steps', id, values, what, 'step', (row) => ({ execution: [], steps: [toStepFacts(row)] }));
  }

  /**
   * updateStep of a step this store knows (it added it, or last changed it): as updateKnownExecution, the step also
   * guarded by its execution's key (KEY SHARE: an execution moving its steps waits). Not for a change that takes a
   * finished step out of a node row (its maximum or last error may need a recount): that goes the locking way.
   */
  private async updateKnownStep(id: string, values: Record<string, unknown>, what: string): Promise<boolean> {
    const before = this.known.steps.get(id);
    if (before === undefined) return false;
    const { set, derive } = this.updateSet(values, what);
    const after = stepAfter(before, set);
    const changes = new RollupChanges();
    if (JSON.stringify(before.facts) !== JSON.stringify(after.facts)) {
      changes.step(before.facts, -1);
      changes.step(after.facts, 1);
    }
    if (removesFromNodes(changes)) return false;
    const { facts } = before;
    const expected: [string, unknown][] = [
      ['execution_id', before.executionId],
      ['node_id', facts.nodeId],
      ['node_type', facts.nodeType],
      ['node_name', facts.nodeName],
      ['status', facts.status],
      ['duration_ms', facts.durationMs],
      ['error_message', facts.errorMessage],
      ['started_at', before.startedAt],
      ['completed_at', before.completedAt],
    ];
    const applied = await this.writeOneStatement(what, changes, (statement) => {
      const keyGuard = addExecutionKeysCheck(statement, [{ id: before.executionId, workflowId: facts.workflowId, startedAt: facts.executionStartedAt }]);
      addGuardedUpdate(statement, 'execution_steps', id, set, derive, expected, keyGuard);
      return { guard: '(SELECT count(*) FROM u) = 1', answer: '(SELECT count(*) FROM u) AS applied' };
    });
    if (Number(applied.applied) !== 1) return false;
    this.known.steps.set(id, after);
    return true;
  }

  async getStepsForExecution(executionId: string): Promise<ExecutionStep[]> {
    return (await this.guard('getStepsForExecution', () => this.stepsOf(executionId))).map(toStep);
  }

  async cleanupOldExecutions(...[maxAgeMs, settings]: Args<'cleanupOldExecutions'>): Promise<number> {
    const what = 'cleanupOldExecutions';
    const cut = this.now() - maxAgeMs;
    const where = finishedStartedBefore(cut, settings?.workflowId);
    if (settings?.dryRun) return this.guard(what, () => countMatching(this.transactions.db, where));
    // Whole days first (src/postgres/day-retention.ts), then what is left in batches.
    const onProgress = callerCallback(settings?.onProgress);
    const dropped = settings?.workflowId === undefined && this.dropsDays ? await this.dropDays(what, cut, onProgress) : 0;
    const rest = await this.cleanUp(what, async () => where, onProgress && ((progress) => onProgress({ ...progress, deleted: dropped + progress.deleted })));
    return dropped + rest;
  }

  /** Drops the day partitions wholly before `cut`, when insights outlive deletes; how many executions went. */
  private async dropDays(what: string, cut: number, onProgress: CleanupProgressCallback | undefined): Promise<number> {
    let dropped = 0;
    return this.guard(
      what,
      async () => {
        await this.keepDaysAhead();
        const outliveDeletes = () => this.settings.outliveDeletesForDelete(this.transactions.db);
        return dropDaysBefore(this.pool, cut, this.rollups, outliveDeletes, (day) => {
          dropped += day.executions;
          onProgress?.({ deleted: dropped, batchDeleted: day.executions, batchMs: day.ms });
        });
      },
      () => (dropped === 0 ? undefined : `this call had dropped ${dropped} executions in whole days, each committed with what it took from the totals; calling ${what} again goes on from there`),
    );
  }

  async cleanupByCount(...[maxCount, workflowId, settings]: Args<'cleanupByCount'>): Promise<number> {
    const what = 'cleanupByCount';
    if (settings?.dryRun) {
      return this.guard(what, () =>
        this.transactions.read(async (tx) => countMatching(tx.db, await finishedOlderThanNewest(tx.db, maxCount, workflowId))),
      );
    }
    return this.cleanUp(what, () => finishedOlderThanNewest(this.transactions.db, maxCount, workflowId), settings?.onProgress);
  }

  async findExecutionIds(prefix: string, limit: number): Promise<string[]> {
    return this.guard('findExecutionIds', () => executionIdsStartingWith(this.transactions.db, prefix, limit));
  }

  async recoverInterruptedExecutions(startedBefore: number | undefined): Promise<RecoveredExecutions> {
    const scope = startedBefore === undefined ? runningOfGoneInstances(this.instance.id) : runningStartedBefore(startedBefore);
    let recovered: RecoveredExecutions = { executions: 0, steps: 0 };
    await this.writeCounted('recoverInterruptedExecutions', async (tx, changes) => {
      recovered = await this.markInterruptedCounted(tx, changes, scope);
    });
    return recovered;
  }

  get instanceId(): string {
    return this.instance.id;
  }

  async getInstances(): Promise<HistoryInstance[]> {
    return this.guard('getInstances', () => listInstances(this.pool, this.instance.id));
  }

  async reclaimSpace(): Promise<ReclaimedSpace> {
    return this.guard('reclaimSpace', () => reclaimSpace(this.pool));
  }

  async getExecutionStats(...[filter]: Args<'getExecutionStats'>): Promise<ExecutionStats> {
    // One statement, one snapshot: the counts and the percentiles describe the same executions while others write.
    return this.guard('getExecutionStats', () => getExecutionStats(this.pool, filter));
  }

  async getNodeStats(...[request]: Args<'getNodeStats'>): Promise<NodeStats[]> {
    return this.guard('getNodeStats', () => getNodeStats(this.pool, request, (hoursFrom) => this.spans(request, hoursFrom)));
  }

  async getTimeline(request: Required<TimelineQuery>): Promise<TimelineEntry[]> {
    return this.guard('getTimeline', () => getTimeline(this.pool, request));
  }

  async getErrorGroups(...[request]: Args<'getErrorGroups'>): Promise<ErrorGroup[]> {
    return this.guard('getErrorGroups', () => getErrorGroups(this.pool, request));
  }

  async getWorkflowSummaries(...[request]: Args<'getWorkflowSummaries'>): Promise<WorkflowSummary[]> {
    return this.guard('getWorkflowSummaries', () => getWorkflowSummaries(this.pool, (hoursFrom) => this.spans(request, hoursFrom)));
  }

  async rebuildInsights(onProgress: RebuildOptions['onProgress']): Promise<RebuiltInsights> {
    const what = 'rebuildInsights';
    const now = this.now(); // read before anything is written
    let done: RebuildProgress | undefined;
    const rebuilt = await this.guard(
      what,
      () =>
        rebuildRollups(this.transactions, this.rollups, (progress) => {
          done = progress;
          onProgress?.(progress);
        }),
      () =>
        done &&
        `this call had recounted ${done.days} of ${done.totalDays} days, each committed whole, and the insights are consistent; ` +
          `calling rebuildInsights again recounts every day (the first ${done.days} are right already)`,
    );
    await this.compactUnlessFull(what, now);
    return rebuilt;
  }

  async compactInsights(): Promise<CompactedInsights> {
    const progress = { weeks: 0 };
    await this.guard('compactInsights', () => this.compactWeeks(progress), () =>
      progress.weeks > 0
        ? `this call had compacted ${progress.weeks} week(s), each committed whole; calling compactInsights again goes on from there`
        : undefined,
    );
    return progress;
  }

  async getInsightSettings(): Promise<InsightSettings> {
    return this.guard('getInsightSettings', () => this.settings.describe(this.transactions.db));
  }

  async setInsightRetention(...[change]: Args<'setInsightRetention'>): Promise<InsightSettings> {
    const what = 'setInsightRetention';
    return this.guard(what, () =>
      this.transactions.write(async (tx) => {
        await this.settings.setRetention(tx.db, change, what);
        return this.settings.describe(tx.db);
      }),
    );
  }

  async searchExecutions(...[search]: Args<'searchExecutions'>): ReturnType<HistoryBackend['searchExecutions']> {
    return this.guard('searchExecutions', () => searchPostgres(this.pool, this.legacyTo, search));
  }

  close(): Promise<void> {
    this.heartbeat.stop();
    // A pool the caller handed in is theirs to end; the store only stops using it.
    this.closed ??= this.ownsPool ? this.pool.end() : Promise.resolve();
    return this.closed;
  }

  /**
   * Runs a database call and turns what it throws into an ExecutionStoreError. `committed` says, for calls that
   * commit in steps, how far the call got.
   */
  private async guard<T>(what: string, run: () => Promise<T>, committed?: () => string | undefined): Promise<T> {
    if (this.closed !== undefined) throw new ExecutionStoreError('VALIDATION', `${what}: the store is closed; open a new one`);
    try {
      return await run();
    } catch (error) {
      // The caller's own callback threw: its exception is theirs, not a database failure (what was reported is committed).
      if (error instanceof CallbackFailure) throw error.thrown;
      const storeError = toStoreError(error, what, this.name);
      const progress = committed?.();
      if (progress === undefined || storeError.code === 'VALIDATION' || storeError.code === 'NOT_FOUND') throw storeError;
      throw new ExecutionStoreError(storeError.code, `${storeError.message}; ${progress}`, { cause: error });
    }
  }

  /** An execution's id with the range of ids its steps lie in (stepIdRange), for the statements that read them. */
  private withStepRange(id: string): { id: string; stepsFrom: string; stepsTo: string } {
    const { from, to } = stepIdRange([id], this.legacyTo);
    return { id, stepsFrom: from, stepsTo: to };
  }

  private async stepsOf(executionId: string) {
    return rowsOf<StepRow>(this.pool, STEPS_OF_EXECUTION, this.withStepRange(executionId));
  }

  /**
   * Compacts the weeks that are due, then folds the shards of the workflow buckets that are over (shard-folding.ts),
   * each week and each day in a write transaction of its own.
   */
  private async compactWeeks(progress = { weeks: 0 }, now = this.now()): Promise<void> {
    while ((await this.transactions.write((tx) => this.rollups.weeks.compactNext(tx, now))) !== null) progress.weeks++;
    while ((await this.transactions.write((tx) => foldNextDay(tx, now))) !== null);
  }

  /** Compacts the weeks that are due, unless the disk is full: compaction is a speed-up that needs new pages. */
  private async compactUnlessFull(what: string, now = this.now()): Promise<void> {
    try {
      await this.compactWeeks(undefined, now);
    } catch (error) {
      if (postgresErrorCode(error) !== '53100') throw toStoreError(error, what, this.name);
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

  /**
   * What deleting these executions takes away from the totals (and, unless insights outlive deletes, from the
   * rollups), to be written once they are deleted; locks the executions first (`locked`: already locked, with their
   * facts), and deletes their steps (when insights outlive deletes, answering what they were: deleteStepsSummarized).
   * Call in the deleting transaction.
   */
  private async countDoomed(tx: Transaction, ids: string[], locked?: DoomedExecution[]): Promise<{ changes: RollupChanges; deletedSteps: DeletedSteps[] }> {
    const doomed = locked ?? (await this.rollups.executionFacts(tx, ids, true));
    if (doomed.length === 0) return { changes: new RollupChanges(), deletedSteps: [] };
    const outliveDeletes = await this.settings.outliveDeletesForDelete(tx.db);
    const changes = new RollupChanges(!outliveDeletes);
    for (const { facts } of doomed) changes.execution(facts, -1);
    const doomedIds = doomed.map(({ id }) => id);
    if (outliveDeletes) {
      const keys = new Map(doomed.map(({ id, facts }) => [id, { workflowId: facts.workflowId, startedAt: facts.startedAt }]));
      return { changes, deletedSteps: await this.rollups.deleteStepsSummarized(tx, doomedIds, keys) };
    }
    for (const facts of await this.rollups.stepFactsOfExecutions(tx, doomedIds)) changes.step(facts, -1);
    // No foreign key cascades (the tables are partitioned): the steps go here, their executions locked above.
    const { from, to } = stepIdRange(doomedIds, this.legacyTo);
    await tx.client.query('DELETE FROM execution_steps WHERE execution_id = ANY($1::text[]) AND id >= $2 AND id < $3', [doomedIds, from, to]);
    return { changes, deletedSteps: [] };
  }

  /**
   * Writes what deleting executions changed, once they are deleted. The deleted steps are retired first and the totals
   * written last: every writer updates the same totals rows, and a row updated here stays locked until the commit, so
   * it is held for the last statement only. (In this order or the other the rows end the same: deleted steps are only
   * kept when insights outlive deletes, and then the changes touch the totals alone, not the node rollups.)
   */
  private async applyDoomed(tx: Transaction, { changes, deletedSteps }: Awaited<ReturnType<PostgresBackend['countDoomed']>>): Promise<void> {
    await this.rollups.retireDeletedSteps(tx, deletedSteps);
    await this.rollups.apply(tx, changes);
  }

  /** Marks what `scope` selects as interrupted, with the rollups' changes (the executions counted out, then in). */
  private async markInterruptedCounted(tx: Transaction, changes: RollupChanges, scope: SQL): Promise<RecoveredExecutions> {
    const ids = await lockInterrupted(tx.db, scope); // locked: another instance recovering waits
    await this.countFacts(tx, changes, ids, -1);
    const recovered = await markInterrupted(tx.db, ids); // exactly those counted out above
    await this.countFacts(tx, changes, ids, 1);
    return recovered;
  }

  /**
   * Before the store's first execution: registers its instance (taking over, as InstanceOptions.id says, what a
   * previous holder of the id left running) and starts the heartbeat. One transaction, once per store.
   */
  private registered(what: string): Promise<void> {
    this.registration ??= this.writeCounted(what, async (tx, changes) => {
      if (await registerInstance(tx, this.instance)) await this.markInterruptedCounted(tx, changes, runningOfInstance(this.instance.id));
    }).then(
      () => this.heartbeat.start(),
      (error: unknown) => {
        this.registration = undefined;
        throw error;
      },
    );
    return this.registration;
  }

  private async countFacts(tx: Transaction, changes: RollupChanges, ids: string[], sign: 1 | -1): Promise<void> {
    for (const { facts } of await this.rollups.executionFacts(tx, ids)) changes.execution(facts, sign);
    for (const facts of await this.rollups.stepFactsOfExecutions(tx, ids)) changes.step(facts, sign);
  }

  /**
   * A write transaction whose rows are counted in the totals and rollups by the same transaction. `work` may answer
   * rows to insert, which then go in the rollups' statement (one round trip for both).
   */
  private async writeCounted(
    what: string,
    work: (tx: Transaction, changes: RollupChanges) => Promise<((statement: SqlStatement) => void) | void>,
    afterRollups?: (tx: Transaction) => Promise<void>,
  ): Promise<void> {
    await this.guard(what, () =>
      this.transactions.write(async (tx) => {
        const changes = new RollupChanges();
        const rows = await work(tx, changes);
        await this.insertingRows(what, () => this.rollups.apply(tx, changes, rows ?? undefined));
        await afterRollups?.(tx);
      }),
    );
  }

  /**
   * A write of new rows that only adds to the totals and rollups (counted in `changes` beforehand): the rows and
   * every rollup row they change go in one statement, which PostgreSQL commits by itself: one round trip.
   */
  private async writeOneStatement(
    what: string,
    changes: RollupChanges,
    addRows: (statement: SqlStatement) => UpsertOptions | void,
  ): Promise<Record<string, unknown>> {
    return this.guard(what, () =>
      this.transactions.statement(async (client) => {
        const statement = new SqlStatement();
        const options = addRows(statement) ?? {};
        const shard = randomShard();
        const select = addRollupUpserts(statement, changes, shard, options);
        const { rows } = await this.insertingRows(what, () => client.query(statement.text(select), statement.values));
        const answer = rows[0] as ReturnedRollups & Record<string, unknown>;
        // What is left deletes rows left at zero and merges histogram lists grown long; either may as well wait for
        // the next write to that row: once the rows are committed, the caller gets success.
        await this.rollups.settle(client, answer, changes, shard).catch(() => undefined);
        return answer;
      }),
    );
  }

  /** An update's values, with the duration when it can be derived here, and whether SQL derives it from the stored start. */
  private updateSet(values: { startedAt?: number; completedAt?: number | null; durationMs?: number | null }, what: string) {
    const { startedAt, completedAt, durationMs } = values;
    const derive = completedAt != null && durationMs === undefined;
    // With a new startedAt the duration is known here; without, SQL subtracts the stored one (no read first), and
    // the duration CHECK rejects a completedAt before it.
    const set = derive && startedAt !== undefined ? { ...values, durationMs: derivedDuration(startedAt, completedAt, what) } : values;
    return { set: set as Record<string, unknown>, derive: derive && startedAt === undefined };
  }

  /** Runs an insert of steps, turning a step whose execution does not exist (its foreign key failed) into NOT_FOUND. */
  private async insertingRows<T>(what: string, insert: () => Promise<T>): Promise<T> {
    try {
      return await insert();
    } catch (error) {
      if (postgresErrorCode(error) !== '23503') throw error;
      const executionId = /\(execution_id\)=\(([^)]*)\)/.exec((error as { detail?: string }).detail ?? '')?.[1] ?? '';
      throw missingExecution(what, executionId, error);
    }
  }

  /** Runs a batched clean-up: one transaction per batch, with what the batch takes from the insights. */
  private async cleanUp(
    what: string,
    selection: () => Promise<ReturnType<typeof finishedStartedBefore> | null>,
    onProgress: ((progress: { deleted: number; batchDeleted: number; batchMs: number }) => void) | undefined,
  ): Promise<number> {
    const now = this.now(); // read before anything is written: a broken clock fails the call, not its last step
    const progress = { deleted: 0, batches: 0 };
    const deletedSoFar = () =>
      `this call had deleted ${progress.deleted} executions in ${progress.batches} batch(es), each committed whole with what it took from the insights`;
    const deleted = await this.guard(
      what,
      async () =>
        deleteInBatches(this.transactions.db, await selection(), {
          run: (selectIds, deleteRows) =>
            this.transactions.write(async (tx) => {
              const locked = await selectIds(tx.db);
              const ids = locked.map(({ id }) => id);
              const doomed = await this.countDoomed(tx, ids, locked);
              const batchDeleted = await deleteRows(tx.db, ids);
              await this.applyDoomed(tx, doomed);
              return batchDeleted;
            }).then((batchDeleted) => {
              progress.deleted += batchDeleted;
              progress.batches += 1;
              return batchDeleted;
            }),
          betweenBatches: async () => undefined,
        }, { onProgress: callerCallback(onProgress) }),
      () => (progress.batches === 0 ? undefined : `${deletedSoFar()}; calling ${what} again goes on from there`),
    );
    await this.guard(
      what,
      () => this.transactions.write((tx) => pruneRollups(tx.db, this.settings, now)),
      () => `${deletedSoFar()}, which is all it had to, but not yet pruned the insight rollups; calling ${what} again prunes them`,
    );
    await this.compactUnlessFull(what, now);
    return deleted;
  }

  /**
   * Updates one row by id and counts the change: one statement locks the row, updates it and answers its counted
   * columns before and after (`factsOf` reads them); the rollups change only when those do (most updates change
   * payloads or messages). `movedSteps` reads steps that the update moves to other rollup rows, before and after.
   */
  private async updateById(
    table: 'workflow_executions' | 'execution_steps',
    id: string,
    values: { startedAt?: number; completedAt?: number | null; durationMs?: number | null },
    what: string,
    noun: string,
    factsOf: (row: Record<string, unknown>) => { execution: ExecutionFacts[]; steps: StepFacts[] },
    movedSteps: (tx: Transaction, when: 'before' | 'after') => Promise<StepFacts[]> = async () => [],
  ): Promise<{ execution: ExecutionFacts[]; steps: StepFacts[] } | undefined> {
    let changed = 0;
    let counted: { execution: ExecutionFacts[]; steps: StepFacts[] } | undefined;
    if (Object.keys(values).length === 0) {
      // Nothing to change still has to answer whether the row exists.
      const { rowCount } = await this.guard(what, () => this.pool.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id]));
      changed = rowCount ?? 0;
    } else {
      await this.writeCounted(what, async (tx, changes) => {
        ({ rows: changed, counted } = await this.updateCounted(tx, changes, table, id, values, what, factsOf, movedSteps));
      });
    }
    if (changed === 0) throw new ExecutionStoreError('NOT_FOUND', `${what}: no ${noun} with id "${id}"`);
    return counted;
  }

  /**
   * Updates a row by id in the transaction under way, counting what it changes in `changes`: rows changed (0 or 1),
   * and the row's counted columns after it.
   */
  private async updateCounted(
    tx: Transaction,
    changes: RollupChanges,
    table: 'workflow_executions' | 'execution_steps',
    id: string,
    values: { startedAt?: number; completedAt?: number | null; durationMs?: number | null },
    what: string,
    factsOf: (row: Record<string, unknown>) => { execution: ExecutionFacts[]; steps: StepFacts[] },
    movedSteps: (tx: Transaction, when: 'before' | 'after') => Promise<StepFacts[]>,
  ): Promise<{ rows: number; counted?: { execution: ExecutionFacts[]; steps: StepFacts[] } }> {
    const { set, derive } = this.updateSet(values, what);
    const stepsBefore = await movedSteps(tx, 'before');
    const { text, values: parameters } = updateWithFactsStatement(table, id, set, derive);
    const { rows } = await tx.client.query(text, parameters);
    if (rows[0] === undefined) return { rows: 0 };
    const before = factsOf(rows[0].before as Record<string, unknown>);
    const after = factsOf(rows[0].after as Record<string, unknown>);
    before.steps.push(...stepsBefore);
    const counted = factsOf(rows[0].after as Record<string, unknown>);
    after.steps.push(...(await movedSteps(tx, 'after')));
    if (JSON.stringify(before) !== JSON.stringify(after)) {
      for (const execution of before.execution) changes.execution(execution, -1);
      for (const step of before.steps) changes.step(step, -1);
      for (const execution of after.execution) changes.execution(execution, 1);
      for (const step of after.steps) changes.step(step, 1);
    }
    return { rows: rows.length, counted };
  }
}

/** Where an execution's steps are counted. */
type ExecutionKey = { workflowId: string; startedAt: number };

/** Whether an update of an execution moves its steps to other rollup rows: their workflow and start are its. */
const movesSteps = (values: Record<string, unknown>) => values.workflowId !== undefined || values.startedAt !== undefined;

/** An execution's counted columns as an update answers them (see updateWithFactsStatement). */
const executionFactsOfRow = (row: Record<string, unknown>) => ({ execution: [toExecutionFacts(row)], steps: [] as StepFacts[] });

/** The counted columns alone, as the known rows keep them. */
function factsOfExecution(facts: ExecutionFacts): ExecutionFacts {
  const { workflowId, workflowName, triggerType, status, startedAt, durationMs } = facts;
  return { workflowId, workflowName, triggerType, status, startedAt, durationMs };
}



export type { KeptRollups };
