// Keeping the running totals and rollups in step with the rows, inside the caller's write transaction: the facts
// a write changes are read before and after it, and the difference is written once per touched rollup row.
import type BetterSqlite3 from 'better-sqlite3';
import { and, desc, eq, gte, inArray, lt, max, ne, type SQL, sql } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { encodeHistogram, HISTOGRAM_MERGE_FUNCTION, registerHistogramFunctions } from '../core/histogram.js';
import { type AnySQLiteColumn, SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import { isLaterError, type LastError, packError, unpackError } from '../core/last-error.js';
import { packedError } from './packed-error.js';
import type { ExecutionFacts, NodeRollupChange, RollupChanges, StepFacts, WorkflowRollupChange } from '../core/rollup-changes.js';
import { bucketStartOf, GRAIN_SIZE, GRAINS, type Grain } from '../core/rollup-changes.js';
import { executionCounts, executionSteps as steps, nodeRollups, workflowExecutions as executions, workflowRollups } from './schema.js';
import { WeeklyNodeRollups } from './rollup-weeks.js';
import { allColumnPlaceholders, prepareDirect } from './statements.js';
import { compositeKey } from '../core/composite-key.js';
import type { DeletedSteps } from '../core/deleted-steps.js';

export type { DeletedSteps };
import type { KeptRollups } from '../core/kept-rollups.js';

const p = sql.placeholder;
/** Ids as one JSON array parameter: a retention batch has thousands, more than SQLite's parameter limit. */
const idsIn = (column: typeof executions.id | typeof steps.executionId) =>
  inArray(column, sql`(select value from json_each(${p('ids')}))`);

const executionFactColumns = {
  workflowId: executions.workflowId,
  workflowName: executions.workflowName,
  triggerType: executions.triggerType,
  status: executions.status,
  startedAt: executions.startedAt,
  durationMs: executions.durationMs,
};
/** A step's StepFacts, selected from the steps joined to their executions. */
export const stepFactColumns = {
  workflowId: executions.workflowId,
  executionStartedAt: executions.startedAt,
  nodeId: steps.nodeId,
  nodeType: steps.nodeType,
  nodeName: steps.nodeName,
  status: steps.status,
  durationMs: steps.durationMs,
  errorMessage: steps.errorMessage,
  at: sql<number>`coalesce(${steps.completedAt}, ${steps.startedAt})`,
};

/** A primary key's columns, each equal to the placeholder of its name. */
function keyOf(columns: Record<string, AnySQLiteColumn>) {
  return and(...Object.entries(columns).map(([name, column]) => eq(column, p(name))));
}

/** Counting columns that an upsert adds to. */
function addUp(columns: string[]) {
  return Object.fromEntries(columns.map((name) => [camel(name), sql.raw(`"${name}" + excluded."${name}"`)]));
}

const camel = (name: string) => name.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase());

/** The stored histogram plus the one being inserted, added up in SQL: no read of the row first. */
function mergedHistogram(column: AnySQLiteColumn) {
  // Most changes (a start, a status) carry no duration: then the stored histogram is not even decoded.
  return sql`case when excluded.histogram = '' then ${column} else ${sql.raw(HISTOGRAM_MERGE_FUNCTION)}(${column}, excluded.histogram) end`;
}

// Most upserts carry no error: then nothing is packed.
const newerError = sql`excluded.last_error_at is not null and ${packedError(sql`excluded.last_error_at`, sql`excluded.last_error_message`)} > coalesce(${packedError(nodeRollups.lastErrorAt, nodeRollups.lastErrorMessage)}, '')`;
const deletedError = packedError(nodeRollups.deletedLastErrorAt, nodeRollups.deletedLastErrorMessage);

/**
 * What the steps of executions about to be deleted contribute to the `deleted_*` columns of their node rollup rows
 * (every grain), when insights outlive deletes: their counts stay in the rows, and a maximum or last error recounted
 * later must still see them. Aggregated in SQL into one JSON text, read before the delete and written after it (so
 * that on a file at its size limit the update can use the pages the delete freed).
 */
// The steps alone (their executions' workflow and start are read once per execution): a join read an execution per
// step. The error columns are read only for failed steps; they sit after the payloads in the row.
const SUMMARIZE_DOOMED_STEPS = `SELECT s.execution_id, s.node_id, s.duration_ms,
    case when s.status = 'error' then coalesce(s.completed_at, s.started_at) end, case when s.status = 'error' then s.error_message end
  FROM execution_steps s
  WHERE s.execution_id IN (SELECT value FROM json_each(?)) AND s.status <> 'running'`;
const KEYS_OF_EXECUTIONS = 'SELECT id, workflow_id, started_at FROM workflow_executions WHERE id IN (SELECT value FROM json_each(?))';
/** Folds one summary into a row's deleted_* columns, writing only when it changes them. */
const RETIRE_DELETED_STEP = `UPDATE node_rollups SET
  deleted_duration_max = nullif(max(coalesce(deleted_duration_max, -1), coalesce(@durationMax, -1)), -1),
  deleted_last_error_at = case when @lastError > coalesce(${sqlText(deletedError)}, '') then @lastErrorAt else deleted_last_error_at end,
  deleted_last_error_message = case when @lastError > coalesce(${sqlText(deletedError)}, '') then @lastErrorMessage else deleted_last_error_message end
WHERE grain = @grain AND workflow_id = @workflowId AND bucket_start = @bucketStart AND node_id = @nodeId
  AND (coalesce(@durationMax, -1) > coalesce(deleted_duration_max, -1) OR @lastError > coalesce(${sqlText(deletedError)}, ''))`;

/**
 * A bucket of a workflow with no execution stored any more: every step its node rows count is a deleted one, so what
 * the deleted steps were is simply what the rows say. One statement for all of the bucket's nodes: retention empties
 * whole hours and days, and one statement per node row was most of a clean-up's time.
 */
const RETIRE_EMPTIED_BUCKET = `UPDATE node_rollups SET deleted_duration_max = duration_max,
  deleted_last_error_at = last_error_at, deleted_last_error_message = last_error_message
WHERE grain = @grain AND workflow_id = @workflowId AND bucket_start = @bucketStart`;

/** Weeks are recounted from their days, so only hours and days keep what their deleted steps were. */
const GRAINS_KEPT_FOR_DELETES = GRAINS;


/** A SQL fragment without parameters as text, for a statement written by hand. */
function sqlText(fragment: SQL): string {
  return new SQLiteSyncDialect().sqlToQuery(fragment).sql;
}

export class Rollups {
  private readonly statements;
  readonly weeks: WeeklyNodeRollups;

  /**
   * @param dailySince where the kept daily rollups start: older ones are pruned.
   * @param kept where the kept rollup rows begin (the file's record of what was pruned).
   */
  constructor(
    db: HistoryDatabase,
    sqlite: BetterSqlite3.Database,
    dailySince: () => number,
    private readonly kept: () => KeptRollups,
  ) {
    registerHistogramFunctions(sqlite);
    this.weeks = new WeeklyNodeRollups(db, sqlite, dailySince, (change) => this.applyNodeRollup(change));
    const countKey = keyOf({ workflowId: executionCounts.workflowId, triggerType: executionCounts.triggerType, status: executionCounts.status });
    const workflowKey = keyOf({ grain: workflowRollups.grain, workflowId: workflowRollups.workflowId, bucketStart: workflowRollups.bucketStart });
    const nodeKey = keyOf({
      grain: nodeRollups.grain,
      workflowId: nodeRollups.workflowId,
      bucketStart: nodeRollups.bucketStart,
      nodeId: nodeRollups.nodeId,
    });
    const storedWins = sql`${p('lastErrorAt')} is not null and ${packedError(p('lastErrorAt'), p('lastErrorMessage'))} >= coalesce(${deletedError}, '')`;
    // The stored steps of one node rollup row: for recounting its maximum and last error.
    // The stored steps a node rollup row counts: finished ones (a running step may carry a duration, and is not counted).
    const stepsOfNodeRollup = and(
      eq(executions.workflowId, p('workflowId')),
      gte(executions.startedAt, p('bucketStart')),
      lt(executions.startedAt, p('bucketEnd')),
      eq(steps.nodeId, p('nodeId')),
      ne(steps.status, 'running'),
    );
    const nodeUpsert = db
  .insert(nodeRollups)
      .values(allColumnPlaceholders(nodeRollups) as never)
      .onConflictDoUpdate({
        target: [nodeRollups.grain, nodeRollups.workflowId, nodeRollups.bucketStart, nodeRollups.nodeId],
        set: {
          ...addUp(['success', 'error', 'skipped', 'duration_count', 'duration_sum']),
          nodeType: sql`case when ${p('named')} then excluded.node_type else ${nodeRollups.nodeType} end`,
          nodeName: sql`case when ${p('named')} then excluded.node_name else ${nodeRollups.nodeName} end`,
          durationMax: sql`nullif(max(coalesce(${nodeRollups.durationMax}, -1), coalesce(excluded.duration_max, -1)), -1)`,
          lastErrorMessage: sql`case when ${newerError} then excluded.last_error_message else ${nodeRollups.lastErrorMessage} end`,
          lastErrorAt: sql`case when ${newerError} then excluded.last_error_at else ${nodeRollups.lastErrorAt} end`,
          histogram: mergedHistogram(nodeRollups.histogram),
        },
      });
    this.statements = {
      addCounts: prepareDirect(
        sqlite,
        db
          .insert(executionCounts)
          .values(allColumnPlaceholders(executionCounts) as never)
          .onConflictDoUpdate({
            target: [executionCounts.workflowId, executionCounts.triggerType, executionCounts.status],
            set: addUp(['executions', 'duration_count', 'duration_sum']),
          })
          .returning({ executions: executionCounts.executions }),
      ),
      deleteCounts: prepareDirect(sqlite, db.delete(executionCounts).where(countKey)),
      addWorkflowRollup: prepareDirect(
        sqlite,
        db
          .insert(workflowRollups)
          .values(allColumnPlaceholders(workflowRollups) as never)
          .onConflictDoUpdate({
            target: [workflowRollups.grain, workflowRollups.workflowId, workflowRollups.bucketStart],
            set: {
              ...addUp(['success', 'error', 'duration_count', 'duration_sum']),
              workflowName: sql`case when ${p('named')} then excluded.workflow_name else ${workflowRollups.workflowName} end`,
              histogram: mergedHistogram(workflowRollups.histogram),
            },
          }),
      ),
      // A change that only removes must not create the row it removes from (pruned, or never counted: history from
      // before the rollups): an upsert would insert negative counts.
      workflowRollupExists: prepareDirect(sqlite, db.select({ grain: workflowRollups.grain }).from(workflowRollups).where(workflowKey)),
      nodeRollupExists: prepareDirect(sqlite, db.select({ grain: nodeRollups.grain }).from(nodeRollups).where(nodeKey)),
      deleteEmptyWorkflowRollup: prepareDirect(
        sqlite,
        db.delete(workflowRollups).where(and(workflowKey, sql`${workflowRollups.success} + ${workflowRollups.error} = 0`)),
      ),
      // Two forms of one upsert: a change that removes steps reads the row's maximum and last error back, to know
      // whether it removed them; recording only adds, and reads nothing.
      addNodeRollup: prepareDirect(sqlite, nodeUpsert),
      addNodeRollupReturning: prepareDirect(
        sqlite,
        nodeUpsert.returning({ durationMax: nodeRollups.durationMax, lastErrorAt: nodeRollups.lastErrorAt, lastErrorMessage: nodeRollups.lastErrorMessage }),
      ),
      // The recount of the stored steps, with the deleted steps the row still counts.
      setNodeRollupRecount: prepareDirect(
        sqlite,
        db
          .update(nodeRollups)
          .set({
            durationMax: sql`nullif(max(coalesce(${p('durationMax')}, -1), coalesce(${nodeRollups.deletedDurationMax}, -1)), -1)`,
            lastErrorMessage: sql`case when ${storedWins} then ${p('lastErrorMessage')} else ${nodeRollups.deletedLastErrorMessage} end`,
            lastErrorAt: sql`case when ${storedWins} then ${p('lastErrorAt')} else ${nodeRollups.deletedLastErrorAt} end`,
          } as never)
          .where(nodeKey),
      ),
      summarizeDoomedSteps: sqlite.prepare(SUMMARIZE_DOOMED_STEPS).raw(),
      keysOfExecutions: sqlite.prepare(KEYS_OF_EXECUTIONS).raw(),
      retireDeletedStep: sqlite.prepare(RETIRE_DELETED_STEP),
      retireEmptiedBucket: sqlite.prepare(RETIRE_EMPTIED_BUCKET),
      executionStoredIn: prepareDirect(
        sqlite,
        db
          .select({ id: executions.id })
          .from(executions)
          .where(and(eq(executions.workflowId, p('workflowId')), gte(executions.startedAt, p('from')), lt(executions.startedAt, p('to'))))
          .limit(1),
      ),
      maxAndLastErrorOfRows: prepareDirect(
        sqlite,
        db
          .select({ durationMax: max(nodeRollups.durationMax), lastError: sql`max(${packedError(nodeRollups.lastErrorAt, nodeRollups.lastErrorMessage)})` })
          .from(nodeRollups)
          .where(
            and(
              eq(nodeRollups.grain, p('grain')),
              eq(nodeRollups.workflowId, p('workflowId')),
              gte(nodeRollups.bucketStart, p('bucketStart')),
              lt(nodeRollups.bucketStart, p('bucketEnd')),
              eq(nodeRollups.nodeId, p('nodeId')),
            ),
          ),
      ),
      setNodeRollupMaxAndLastError: prepareDirect(
        sqlite,
        db
          .update(nodeRollups)
          .set({ durationMax: p('durationMax'), lastErrorMessage: p('lastErrorMessage'), lastErrorAt: p('lastErrorAt') } as never)
          .where(nodeKey),
      ),
      deleteEmptyNodeRollup: prepareDirect(
        sqlite,
        db
          .delete(nodeRollups)
          .where(and(nodeKey, sql`${nodeRollups.success} + ${nodeRollups.error} + ${nodeRollups.skipped} = 0`)),
      ),
      maxOfNodeRollup: prepareDirect(
        sqlite,
        db
          .select({ durationMax: max(steps.durationMs) })
          .from(steps)
          .innerJoin(executions, eq(executions.id, steps.executionId))
          .where(stepsOfNodeRollup),
      ),
      lastErrorOfNodeRollup: prepareDirect(
        sqlite,
        db
          .select({ message: steps.errorMessage, at: stepFactColumns.at })
          .from(steps)
          .innerJoin(executions, eq(executions.id, steps.executionId))
          .where(and(stepsOfNodeRollup, eq(steps.status, 'error')))
          // The latest, and of two in the same millisecond the greater message (src/core/last-error.ts); DESC puts NULL last.
          .orderBy(desc(stepFactColumns.at), desc(steps.errorMessage))
          .limit(1),
      ),
      executionFacts: db.select(executionFactColumns).from(executions).where(idsIn(executions.id)).prepare(),
      // One execution's facts, on every update: a plain lookup by key, run directly (rows as arrays, no mapping).
      executionFactsById: prepareDirect(sqlite, db.select(executionFactColumns).from(executions).where(eq(executions.id, p('id')))),
      stepFactsOfExecutions: db
        .select(stepFactColumns)
        .from(steps)
        .innerJoin(executions, eq(executions.id, steps.executionId))
        .where(idsIn(steps.executionId))
        .prepare(),
      stepFacts: prepareDirect(
        sqlite,
        db.select(stepFactColumns).from(steps).innerJoin(executions, eq(executions.id, steps.executionId)).where(eq(steps.id, p('id'))),
      ),
      executionKey: prepareDirect(
        sqlite,
        db.select({ workflowId: executions.workflowId, startedAt: executions.startedAt }).from(executions).where(eq(executions.id, p('id'))),
      ),
    };
  }

  executionFacts(ids: string[]): ExecutionFacts[] {
    if (ids.length !== 1) return ids.length === 0 ? [] : this.statements.executionFacts.all({ ids: JSON.stringify(ids) });
    const row = this.statements.executionFactsById.get({ id: ids[0] });
    if (row === undefined) return [];
    const [workflowId, workflowName, triggerType, status, startedAt, durationMs] = row;
    return [{ workflowId, workflowName, triggerType, status, startedAt, durationMs } as ExecutionFacts];
  }

  stepFactsOfExecutions(ids: string[]): StepFacts[] {
    return ids.length === 0 ? [] : this.statements.stepFactsOfExecutions.all({ ids: JSON.stringify(ids) });
  }

  stepFacts(id: string): StepFacts | undefined {
    const row = this.statements.stepFacts.get({ id });
    if (row === undefined) return undefined;
    const [workflowId, executionStartedAt, nodeId, nodeType, nodeName, status, durationMs, errorMessage, at] = row;
    return { workflowId, executionStartedAt, nodeId, nodeType, nodeName, status, durationMs, errorMessage, at } as StepFacts;
  }

  /** The workflow and start of an execution: where its steps are counted. */
  executionKey(id: string): { workflowId: string; startedAt: number } | undefined {
    const row = this.statements.executionKey.get({ id });
    return row && { workflowId: row[0] as string, startedAt: row[1] as number };
  }

  /**
   * The maxima and last errors of these executions' steps per node rollup row (every grain), read before they are
   * deleted, for insights that outlive deletes; retireDeletedSteps writes them once the executions are gone. Summed by
   * hour in SQL, and into days and weeks here.
   */
  summarizeDoomedSteps(executionIds: string[]): DeletedSteps[] {
    if (executionIds.length === 0) return [];
    const summaries = new Map<string, DeletedSteps>();
    const fold = (grain: Grain, workflowId: string, bucketStart: number, nodeId: string, durationMax: number | null, lastError: LastError | null) => {
      const key = compositeKey(grain, workflowId, bucketStart, nodeId);
      const summary = summaries.get(key);
      if (summary === undefined) {
        summaries.set(key, { grain, workflowId, bucketStart, nodeId, durationMax, lastError });
        return;
      }
      if (durationMax !== null && (summary.durationMax === null || durationMax > summary.durationMax)) summary.durationMax = durationMax;
      if (lastError !== null && isLaterError(lastError, summary.lastError)) summary.lastError = lastError;
    };
    const ids = JSON.stringify(executionIds);
    const keys = new Map((this.statements.keysOfExecutions.all(ids) as [string, string, number][]).map(([id, workflowId, startedAt]) => [id, { workflowId, startedAt }]));
    const steps = this.statements.summarizeDoomedSteps.all(ids) as [string, string, number | null, number | null, string | null][];
    for (const [executionId, nodeId, durationMs, errorAt, errorMessage] of steps) {
      const { workflowId, startedAt } = keys.get(executionId) as { workflowId: string; startedAt: number };
      const error = errorAt === null ? null : { at: errorAt, message: errorMessage };
      for (const [grain, size] of GRAINS_KEPT_FOR_DELETES) fold(grain, workflowId, bucketStartOf(startedAt, size), nodeId, durationMs, error);
    }
    return [...summaries.values()];
  }

  /** Keeps the summaries of deleted steps in their node rollup rows; call in the deleting transaction, after the delete. */
  retireDeletedSteps(summaries: DeletedSteps[]): void {
    const emptied = new Map<string, boolean>();
    for (const { grain, workflowId, bucketStart, nodeId, durationMax, lastError } of summaries) {
      const bucket = compositeKey(grain, workflowId, bucketStart);
      let isEmpty = emptied.get(bucket);
      if (isEmpty === undefined) {
        const range = { workflowId, from: bucketStart, to: bucketStart + GRAIN_SIZE[grain] };
        isEmpty = this.statements.executionStoredIn.get(range) === undefined;
        if (isEmpty) this.statements.retireEmptiedBucket.run({ grain, workflowId, bucketStart });
        emptied.set(bucket, isEmpty);
      }
      if (isEmpty) continue;
      this.statements.retireDeletedStep.run({
        grain, workflowId, bucketStart, nodeId, durationMax,
        lastError: lastError === null ? null : packError(lastError),
        lastErrorAt: lastError?.at ?? null,
        lastErrorMessage: lastError?.message ?? null,
      });
    }
  }

  /** Writes the changes; call inside the write transaction that made them, after the rows themselves changed. */
  apply(changes: RollupChanges): void {
    for (const change of changes.counts.values()) {
      if (change.executions === 0 && change.durationCount === 0 && change.durationSum === 0) continue;
      const [left] = this.statements.addCounts.get(change) as [number];
      if (left === 0) this.statements.deleteCounts.run(change);
    }
    // Rows of buckets before the kept ones were pruned, and readers count the stored rows there instead: a change to
    // such a bucket (a run recorded late, a delete) must not bring back a row that would then be wrong.
    const kept = changes.workflows.size + changes.nodes.size === 0 ? undefined : this.kept();
    const keptWorkflow = (change: WorkflowRollupChange) =>
      change.bucketStart >= ((kept as KeptRollups)[change.grain === 'hour' ? 'workflowHoursFrom' : 'daysFrom']);
    const keptNode = (change: NodeRollupChange) => change.bucketStart >= ((kept as KeptRollups)[change.grain === 'hour' ? 'nodeHoursFrom' : 'daysFrom']);
    for (const change of changes.workflows.values()) if (keptWorkflow(change)) this.applyWorkflowRollup(change);
    // Finest first: a day's maximum and last error are recounted from its hours, a week's from its days.
    const nodes = [...changes.nodes.values()].filter(keptNode);
    for (const change of nodes) if (change.grain === 'hour') this.applyNodeRollup(change);
    for (const change of nodes) if (change.grain === 'day') this.applyNodeRollup(change);
    this.weeks.mirror(nodes.filter((change) => change.grain === 'day'));
  }

  private applyWorkflowRollup(change: WorkflowRollupChange): void {
    if (change.workflowName === null && this.statements.workflowRollupExists.get(change) === undefined) return;
    this.statements.addWorkflowRollup.run({
      ...change,
      named: change.workflowName === null ? 0 : 1,
      workflowName: change.workflowName ?? '',
      histogram: encodeHistogram(change.histogram),
    });
    if (change.success < 0 || change.error < 0) this.statements.deleteEmptyWorkflowRollup.run(change);
  }

  private applyNodeRollup(change: NodeRollupChange): void {
    if (change.latest === null && this.statements.nodeRollupExists.get(change) === undefined) return;
    const values = {
      ...change,
      named: change.latest === null ? 0 : 1,
      nodeType: change.latest?.nodeType ?? '',
      nodeName: change.latest?.nodeName ?? null,
      durationMax: change.addedMax,
      lastErrorMessage: change.lastError?.message ?? null,
      lastErrorAt: change.lastError?.at ?? null,
      histogram: encodeHistogram(change.histogram),
    };
    if (change.removedMax === null && change.removedLastError === null) {
      this.statements.addNodeRollup.run(values);
      if (change.success < 0 || change.error < 0 || change.skipped < 0) this.statements.deleteEmptyNodeRollup.run(change);
      return;
    }
    const [durationMax, lastErrorAt, lastErrorMessage] = this.statements.addNodeRollupReturning.get(values) as [number | null, number | null, string | null];
    const removed = change.success < 0 || change.error < 0 || change.skipped < 0;
    if (removed && this.statements.deleteEmptyNodeRollup.run(change).changes > 0) return;
    // A removal below the maximum left its holder counted, and one before the last error left that one: then
    // nothing is recounted. Only the removal of a holder (or of its equal) reads the row's stored steps.
    const lastError = lastErrorAt === null ? null : { at: lastErrorAt, message: lastErrorMessage };
    const maxRemoved = change.removedMax !== null && (durationMax === null || change.removedMax >= durationMax);
    const errorRemoved = change.removedLastError !== null && (lastError === null || !isLaterError(lastError, change.removedLastError));
    if (!maxRemoved && !errorRemoved) return;
    const key = { ...change, bucketEnd: change.bucketStart + GRAIN_SIZE[change.grain] };
    // A week is the sum of its days and a kept day of its hours, each exact already (applied first): their maxima and
    // last errors give the row's, deleted steps included, from 7 or 24 rows instead of all the steps of the bucket.
    const finer = change.grain === 'week' ? 'day' : change.grain === 'day' && change.bucketStart >= this.kept().nodeHoursFrom ? 'hour' : null;
    if (finer !== null) {
      const [durationMaxOfRows, lastErrorOfRows] = this.statements.maxAndLastErrorOfRows.get({ ...key, grain: finer }) as [number | null, string | null];
      const error = unpackError(lastErrorOfRows);
      this.statements.setNodeRollupMaxAndLastError.run({ ...change, durationMax: durationMaxOfRows, lastErrorAt: error?.at ?? null, lastErrorMessage: error?.message ?? null });
      return;
    }
    // The finest rows kept are recounted from the stored steps, with the deleted steps they still count.
    const storedLastError = this.statements.lastErrorOfNodeRollup.get(key);
    this.statements.setNodeRollupRecount.run({
      ...change,
      durationMax: (this.statements.maxOfNodeRollup.get(key)?.[0] as number | null) ?? null,
      lastErrorMessage: (storedLastError?.[0] as string | null) ?? null,
      lastErrorAt: (storedLastError?.[1] as number | null) ?? null,
    });
  }

}

