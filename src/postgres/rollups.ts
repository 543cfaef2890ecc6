// Keeping the running totals and rollups in step with the rows, inside the caller's write, as on SQLite: the facts
// a write changes are read before and after it, and the difference is written once per touched row. What differs
// here: several instances write at once. The rows are written by one statement in one fixed order
// (rollup-upsert.ts); the hot rows (every write adds to the ALL_WORKFLOWS rows of its hour and day, and to its
// workflow's totals) have shards: a write adds to the row of one shard, picked at random, so that writers do not
// queue behind one lock. This file reads the facts, settles what the upsert answers (rows left empty, histogram
// lists grown long, maxima and last errors to recount) and keeps the summaries of deleted steps.
import { ExecutionStoreError } from '../core/errors.js';
import { mergeHistogramList } from '../core/histogram.js';
import { isLaterError, packError, unpackError } from '../core/last-error.js';
import type { KeptRollups } from '../core/kept-rollups.js';
import {
  type ExecutionFacts,
  GRAIN_SIZE,
  type Grain,
  type NodeRollupChange,
  type RollupChanges,
  type StepFacts,
} from '../core/rollup-changes.js';
import { compositeKey } from '../core/composite-key.js';
import { type DeletedSteps, DeletedStepsSummary } from '../core/deleted-steps.js';

export type { DeletedSteps };
import { packedErrorText } from './packed-error.js';
import type { Transaction } from './transactions.js';
import { WeeklyNodeRollups, weekOf } from './rollup-weeks.js';
import { addRollupUpserts, isRemoval, type ReturnedNodeRow, type ReturnedRollups } from './rollup-upsert.js';
import { SqlStatement } from './sql-statement.js';

/** How many rows each hot total is spread over. More shards: less waiting; readers sum a few more rows. */
export const SHARDS = 8;


const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));
const byKey = <T>(key: (item: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
const workflowKeyOf = (change: { grain: string; workflowId: string; bucketStart: number }) => compositeKey(change.grain, change.workflowId, change.bucketStart);
const nodeKeyOf = (change: { grain: string; workflowId: string; bucketStart: number; nodeId: string }) =>
  compositeKey(change.grain, change.workflowId, change.bucketStart, change.nodeId);

const EXECUTION_FACTS = `SELECT id, workflow_id, workflow_name, trigger_type, status, started_at, duration_ms FROM workflow_executions`;
/** A step's StepFacts, from the steps joined to their executions. */
const STEP_FACTS = `SELECT e.workflow_id, e.started_at, s.node_id, s.node_type, s.node_name, s.status, s.duration_ms, s.error_message,
  coalesce(s.completed_at, s.started_at) AS at
  FROM execution_steps s JOIN workflow_executions e ON e.id = s.execution_id`;

type Row = Record<string, unknown>;

export function toExecutionFacts(row: Row): ExecutionFacts {
  return {
    workflowId: row.workflow_id as string,
    workflowName: row.workflow_name as string,
    triggerType: row.trigger_type as ExecutionFacts['triggerType'],
    status: row.status as ExecutionFacts['status'],
    startedAt: Number(row.started_at),
    durationMs: num(row.duration_ms),
  };
}

export function toStepFacts(row: Row): StepFacts {
  return {
    workflowId: row.workflow_id as string,
    executionStartedAt: Number(row.started_at),
    nodeId: row.node_id as string,
    nodeType: row.node_type as string,
    nodeName: (row.node_name as string | null) ?? null,
    status: row.status as StepFacts['status'],
    durationMs: num(row.duration_ms),
    errorMessage: (row.error_message as string | null) ?? null,
    at: Number(row.at),
  };
}

const deletedError = packedErrorText('deleted_last_error_at', 'deleted_last_error_message');

export class Rollups {
  readonly weeks: WeeklyNodeRollups;

  /**
   * @param dailySince where the kept daily rollups start: older ones are pruned.
   * @param kept where the kept rollup rows begin (the database's record of what was pruned).
   */
  /**
   * @param stepIdRange the range of ids the steps of executions lie in (src/postgres/partitions.ts), which statements
   *   finding steps by execution_id add so that PostgreSQL reads their partitions only
   */
  constructor(
    dailySince: (tx: Transaction) => Promise<number>,
    private readonly kept: (tx: Transaction) => Promise<KeptRollups>,
    private readonly stepIdRange: (executionIds: string[]) => { from: string; to: string },
  ) {
    this.weeks = new WeeklyNodeRollups(dailySince);
  }

  /** The facts of these executions; `lock` takes their row locks first (they are about to change or go). */
  async executionFacts(tx: Transaction, ids: string[], lock = false): Promise<{ id: string; facts: ExecutionFacts }[]> {
    if (ids.length === 0) return [];
    const { rows } = await tx.client.query(`${EXECUTION_FACTS} WHERE id = ANY($1::text[]) ORDER BY id COLLATE "C"${lock ? ' FOR UPDATE' : ''}`, [ids]);
    return rows.map((row) => ({ id: row.id as string, facts: toExecutionFacts(row) }));
  }

  async stepFactsOfExecutions(tx: Transaction, ids: string[]): Promise<StepFacts[]> {
    if (ids.length === 0) return [];
    const { from, to } = this.stepIdRange(ids);
    const { rows } = await tx.client.query(`${STEP_FACTS} WHERE s.execution_id = ANY($1::text[]) AND s.id >= $2 AND s.id < $3`, [ids, from, to]);
    return rows.map(toStepFacts);
  }

  /** The workflow and start of executions: where their steps are counted; `keyShare` locks them against moves. */
  async executionKeys(tx: Transaction, ids: string[], keyShare = false): Promise<Map<string, { workflowId: string; startedAt: number }>> {
    const { rows } = await tx.client.query(
      `SELECT id, workflow_id, started_at FROM workflow_executions WHERE id = ANY($1::text[])${keyShare ? ' ORDER BY id COLLATE "C" FOR KEY SHARE' : ''}`,
      [ids],
    );
    return new Map(rows.map((row) => [row.id as string, { workflowId: row.workflow_id as string, startedAt: Number(row.started_at) }]));
  }

  /**
   * Deletes these executions' steps and answers their maxima and last errors per node rollup row (hours and days),
   * for insights that outlive deletes; retireDeletedSteps writes them once the executions are gone.
   */
  async deleteStepsSummarized(tx: Transaction, executionIds: string[], keys: Map<string, { workflowId: string; startedAt: number }>): Promise<DeletedSteps[]> {
    if (executionIds.length === 0) return [];
    // The steps are deleted here, answering what they were, rather than read and then deleted by the cascade: one
    // statement instead of two over the same rows. Their executions are locked: no step can be added meanwhile.
    const { from, to } = this.stepIdRange(executionIds);
    const { rows } = await tx.client.query(
      `DELETE FROM execution_steps WHERE execution_id = ANY($1::text[]) AND id >= $2 AND id < $3
       RETURNING execution_id, node_id, status, duration_ms,
         case when status = 'error' then coalesce(completed_at, started_at) end AS error_at,
         case when status = 'error' then error_message end AS error_message`,
      [executionIds, from, to],
    );
    const summary = new DeletedStepsSummary();
    for (const row of rows) {
      if (row.status === 'running') continue; // not in the rollups
      const { workflowId, startedAt } = keys.get(row.execution_id as string) as { workflowId: string; startedAt: number };
      const error = row.error_at === null ? null : { at: Number(row.error_at), message: (row.error_message as string | null) ?? null };
      summary.add(workflowId, startedAt, row.node_id as string, num(row.duration_ms), error);
    }
    return summary.all;
  }

  /**
   * Keeps the summaries of deleted steps in their node rollup rows; call in the deleting transaction, after the delete,
   * or before it with `goingIds`: the range of ids of a day partition about to be detached, whose executions count
   * as gone already.
   */
  async retireDeletedSteps(tx: Transaction, summaries: DeletedSteps[], goingIds?: { from: string | null; to: string }): Promise<void> {
    if (summaries.length === 0) return;
    // A bucket of a workflow with no execution stored any more: every step its node rows count is a deleted one, so
    // what the deleted steps were is what the rows say. One statement for all such buckets.
    const buckets = new Map<string, { grain: Grain; workflowId: string; bucketStart: number }>();
    for (const summary of summaries) buckets.set(workflowKeyOf(summary), summary);
    const candidates = [...buckets.values()];
    const going = goingIds === undefined ? '' : ` AND NOT (e.id >= coalesce($4, '') AND e.id < $5)`;
    const { rows } = await tx.client.query(
      `SELECT v.i FROM unnest($1::text[], $2::int8[], $3::int8[]) WITH ORDINALITY AS v(workflow_id, from_ms, to_ms, i)
       WHERE NOT EXISTS (SELECT 1 FROM workflow_executions e WHERE e.workflow_id = v.workflow_id AND e.started_at >= v.from_ms AND e.started_at < v.to_ms${going})`,
      [
        candidates.map((bucket) => bucket.workflowId),
        candidates.map((bucket) => bucket.bucketStart),
        candidates.map((bucket) => bucket.bucketStart + GRAIN_SIZE[bucket.grain]),
        ...(goingIds === undefined ? [] : [goingIds.from, goingIds.to]),
      ],
    );
    const emptied = rows.map((row) => candidates[Number(row.i) - 1] as (typeof candidates)[number]).sort(byKey(workflowKeyOf));
    const emptiedKeys = new Set(emptied.map(workflowKeyOf));
    if (emptied.length > 0) {
      // Only rows that change are written: an update is a new row version and two index entries.
      await tx.client.query(
        `UPDATE node_rollups AS r SET deleted_duration_max = r.duration_max, deleted_last_error_at = r.last_error_at, deleted_last_error_message = r.last_error_message
         FROM unnest($1::text[], $2::text[], $3::int8[]) AS v(grain, workflow_id, bucket_start)
         WHERE r.grain = v.grain AND r.workflow_id = v.workflow_id AND r.bucket_start = v.bucket_start
           AND (r.deleted_duration_max IS DISTINCT FROM r.duration_max OR r.deleted_last_error_at IS DISTINCT FROM r.last_error_at
             OR r.deleted_last_error_message IS DISTINCT FROM r.last_error_message)`,
        [emptied.map((bucket) => bucket.grain), emptied.map((bucket) => bucket.workflowId), emptied.map((bucket) => bucket.bucketStart)],
      );
    }
    const rest = summaries.filter((summary) => !emptiedKeys.has(workflowKeyOf(summary))).sort(byKey(nodeKeyOf));
    if (rest.length === 0) return;
    // Folds each summary into its row's deleted_* columns, writing only the rows it changes.
    const lastError = (summary: DeletedSteps) => (summary.lastError === null ? null : packError(summary.lastError));
    await tx.client.query(
      `UPDATE node_rollups AS r SET
         deleted_duration_max = nullif(greatest(coalesce(r.deleted_duration_max, -1), coalesce(v.duration_max, -1)), -1),
         deleted_last_error_at = case when v.last_error collate "C" > coalesce(${deletedError.replaceAll('deleted_', 'r.deleted_')}, '') then v.last_error_at else r.deleted_last_error_at end,
         deleted_last_error_message = case when v.last_error collate "C" > coalesce(${deletedError.replaceAll('deleted_', 'r.deleted_')}, '') then v.last_error_message else r.deleted_last_error_message end
       FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::int8[], $6::text[], $7::int8[], $8::text[])
         AS v(grain, workflow_id, bucket_start, node_id, duration_max, last_error, last_error_at, last_error_message)
       WHERE r.grain = v.grain AND r.workflow_id = v.workflow_id AND r.bucket_start = v.bucket_start AND r.node_id = v.node_id
         AND (coalesce(v.duration_max, -1) > coalesce(r.deleted_duration_max, -1) OR v.last_error collate "C" > coalesce(${deletedError.replaceAll('deleted_', 'r.deleted_')}, ''))`,
      [
        rest.map((summary) => summary.grain),
        rest.map((summary) => summary.workflowId),
        rest.map((summary) => summary.bucketStart),
        rest.map((summary) => summary.nodeId),
        rest.map((summary) => summary.durationMax),
        rest.map(lastError),
        rest.map((summary) => summary.lastError?.at ?? null),
        rest.map((summary) => summary.lastError?.message ?? null),
      ],
    );
  }

  /**
   * Writes the changes: one statement upserts every row (rollup-upsert.ts), then what it answers is settled. Call
   * inside the write transaction that made them, after the rows themselves changed.
   */
  async apply(tx: Transaction, changes: RollupChanges, addRows?: (statement: SqlStatement) => void): Promise<void> {
    const statement = new SqlStatement();
    addRows?.(statement);
    const shard = randomShard();
    const select = addRollupUpserts(statement, changes, shard);
    if (!statement.hasParts) return;
    const { rows } = await tx.client.query(statement.text(select), statement.values);
    await this.settle(tx.client, rows[0] as ReturnedRollups, changes, shard, tx);
  }

  /**
   * After the upserts: deletes the rows they left empty, merges histogram lists grown long, and recounts the maximum
   * and last error of node rows whose holder was removed. Without `tx` (a write of one statement, which only adds),
   * only merges are possible, and they are: a merge writes only if the list is still the one it read.
   */
  async settle(client: Queryable, returned: ReturnedRollups, changes: RollupChanges, shard: number, tx?: Transaction): Promise<void> {
    const counts = returned.counts ?? [];
    if (counts.length > 0) {
      await client.query(
        `DELETE FROM execution_counts c USING unnest($1::text[], $2::text[], $3::text[]) AS v(workflow_id, trigger_type, status)
         WHERE c.workflow_id = v.workflow_id AND c.trigger_type = v.trigger_type AND c.status = v.status AND c.shard = $4
           AND c.executions = 0 AND c.duration_count = 0 AND c.duration_sum = 0`,
        [counts.map((c) => c.workflow_id), counts.map((c) => c.trigger_type), counts.map((c) => c.status), shard],
      );
    }
    const workflows = returned.workflows ?? [];
    const emptiedWorkflows = workflows.filter((row) => row.empty);
    if (emptiedWorkflows.length > 0) {
      await client.query(
        `DELETE FROM workflow_rollups r USING unnest($1::text[], $2::text[], $3::int8[], $4::int4[]) AS v(grain, workflow_id, bucket_start, shard)
         WHERE r.grain = v.grain AND r.workflow_id = v.workflow_id AND r.bucket_start = v.bucket_start AND r.shard = v.shard
           AND r.success = 0 AND r.error = 0 AND r.duration_count = 0 AND r.duration_sum = 0`,
        [emptiedWorkflows.map((r) => r.grain), emptiedWorkflows.map((r) => r.workflow_id), emptiedWorkflows.map((r) => r.bucket_start), emptiedWorkflows.map((r) => r.shard)],
      );
    }
    const longWorkflows = workflows.filter((row) => !row.empty && row.histogram !== null);
    if (longWorkflows.length > 0) {
      // A shard's row may hold negative counts (another shard holds what they cancel): they are kept.
      await client.query(
        `UPDATE workflow_rollups AS r SET histogram = v.merged
         FROM unnest($1::text[], $2::text[], $3::int8[], $4::int4[], $5::text[], $6::text[]) AS v(grain, workflow_id, bucket_start, shard, listed, merged)
         WHERE r.grain = v.grain AND r.workflow_id = v.workflow_id AND r.bucket_start = v.bucket_start AND r.shard = v.shard AND r.histogram = v.listed`,
        [
          longWorkflows.map((r) => r.grain),
          longWorkflows.map((r) => r.workflow_id),
          longWorkflows.map((r) => r.bucket_start),
          longWorkflows.map((r) => r.shard),
          longWorkflows.map((r) => r.histogram),
          longWorkflows.map((r) => mergeHistogramList(r.histogram as string, false)),
        ],
      );
    }
    await this.settleNodes(client, returned.nodes ?? [], changes, tx);
  }

  private async settleNodes(client: Queryable, rows: ReturnedNodeRow[], changes: RollupChanges, tx: Transaction | undefined): Promise<void> {
    if (rows.length === 0) return;
    const weekly = weeklyChanges(changes);
    const emptied: ReturnedNodeRow[] = [];
    const recounts: NodeRollupChange[] = [];
    for (const row of rows) {
      const key = nodeKeyOf({ grain: row.grain, workflowId: row.workflow_id, bucketStart: row.bucket_start, nodeId: row.node_id });
      const change = row.grain === 'week' ? weekly.get(key) : changes.nodes.get(key);
      if (change === undefined || !isRemoval(change)) continue;
      if (change.success < 0 || change.error < 0 || change.skipped < 0) {
        if (row.success + row.error + row.skipped === 0) {
          emptied.push(row);
          continue;
        }
      }
      if (change.removedMax === null && change.removedLastError === null) continue;
      // A removal below the maximum left its holder counted, and one before the last error left that one: then
      // nothing is recounted. Only the removal of a holder (or of its equal) reads the row's stored steps.
      const lastError = row.last_error_at === null ? null : { at: row.last_error_at, message: row.last_error_message };
      const maxRemoved = change.removedMax !== null && (row.duration_max === null || change.removedMax >= row.duration_max);
      const errorRemoved = change.removedLastError !== null && (lastError === null || !isLaterError(lastError, change.removedLastError));
      if (maxRemoved || errorRemoved) recounts.push(change);
    }
    const emptiedKeys = new Set(emptied.map((row) => nodeKeyOf({ grain: row.grain, workflowId: row.workflow_id, bucketStart: row.bucket_start, nodeId: row.node_id })));
    const long = rows.filter((row) => row.histogram !== null && !emptiedKeys.has(nodeKeyOf({ grain: row.grain, workflowId: row.workflow_id, bucketStart: row.bucket_start, nodeId: row.node_id })));
    if (long.length > 0) {
      // A stored node histogram has no negative counts; only a damaged one could leave some, which are dropped.
      await client.query(
        `UPDATE node_rollups AS r SET histogram = v.merged
         FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::text[]) AS v(grain, workflow_id, bucket_start, node_id, listed, merged)
         WHERE r.grain = v.grain AND r.workflow_id = v.workflow_id AND r.bucket_start = v.bucket_start AND r.node_id = v.node_id AND r.histogram = v.listed`,
        [long.map((r) => r.grain), long.map((r) => r.workflow_id), long.map((r) => r.bucket_start), long.map((r) => r.node_id), long.map((r) => r.histogram), long.map((r) => mergeHistogramList(r.histogram as string, true))],
      );
    }
    if (emptied.length + recounts.length === 0) return;
    if (tx === undefined) throw new Error('Rollups.settle: a removal is settled inside its write transaction');
    if (emptied.length > 0) {
      await client.query(
        `DELETE FROM node_rollups r USING unnest($1::text[], $2::text[], $3::int8[], $4::text[]) AS v(grain, workflow_id, bucket_start, node_id)
         WHERE r.grain = v.grain AND r.workflow_id = v.workflow_id AND r.bucket_start = v.bucket_start AND r.node_id = v.node_id`,
        [emptied.map((r) => r.grain), emptied.map((r) => r.workflow_id), emptied.map((r) => r.bucket_start), emptied.map((r) => r.node_id)],
      );
    }
    if (recounts.length === 0) return;
    // Finest first: a day's maximum and last error are recounted from its hours, a week's from its days.
    const kept = await this.kept(tx);
    for (const grain of ['hour', 'day', 'week'] as const) {
      for (const change of recounts) if (change.grain === grain) await this.recountMaxAndLastError(tx, change, kept);
    }
  }

  /** A node rollup row's maximum and last error after the removal of their holder: from finer rows, else from the steps. */
  private async recountMaxAndLastError(tx: Transaction, change: NodeRollupChange, kept: KeptRollups): Promise<void> {
    const key = [change.grain, change.workflowId, change.bucketStart, change.nodeId];
    const bucketEnd = change.bucketStart + GRAIN_SIZE[change.grain];
    // A week is the sum of its days and a kept day of its hours, each exact already (applied first): their maxima and
    // last errors give the row's, deleted steps included, from 7 or 24 rows instead of all the steps of the bucket.
    const finer = change.grain === 'week' ? 'day' : change.grain === 'day' && change.bucketStart >= kept.nodeHoursFrom ? 'hour' : null;
    if (finer !== null) {
      const { rows } = await tx.client.query(
        `SELECT max(duration_max) AS duration_max, max(${packedErrorText('last_error_at', 'last_error_message')}) AS last_error FROM node_rollups
         WHERE grain = $1 AND workflow_id = $2 AND bucket_start >= $3 AND bucket_start < $4 AND node_id = $5`,
        [finer, change.workflowId, change.bucketStart, bucketEnd, change.nodeId],
      );
      const error = unpackError((rows[0]?.last_error as string | null) ?? null);
      await tx.client.query(
        'UPDATE node_rollups SET duration_max = $5, last_error_at = $6, last_error_message = $7 WHERE grain = $1 AND workflow_id = $2 AND bucket_start = $3 AND node_id = $4',
        [...key, num(rows[0]?.duration_max), error?.at ?? null, error?.message ?? null],
      );
      return;
    }
    // The finest rows kept are recounted from the stored steps (finished ones), with the deleted steps they still count.
    const { rows } = await tx.client.query(
      `SELECT max(s.duration_ms) AS duration_max,
         max(case when s.status = 'error' then ${packedErrorText('coalesce(s.completed_at, s.started_at)', 's.error_message')} end) AS last_error
       FROM execution_steps s JOIN workflow_executions e ON e.id = s.execution_id
       WHERE e.workflow_id = $1 AND e.started_at >= $2 AND e.started_at < $3 AND s.node_id = $4 AND s.status <> 'running'`,
      [change.workflowId, change.bucketStart, bucketEnd, change.nodeId],
    );
    const stored = unpackError((rows[0]?.last_error as string | null) ?? null);
    const storedPacked = stored === null ? null : packError(stored);
    await tx.client.query(
      `UPDATE node_rollups SET
         duration_max = nullif(greatest(coalesce($5::int8, -1), coalesce(deleted_duration_max, -1)), -1),
         last_error_message = case when $8::text is not null and $8::text collate "C" >= coalesce(${deletedError}, '') then $7 else deleted_last_error_message end,
         last_error_at = case when $8::text is not null and $8::text collate "C" >= coalesce(${deletedError}, '') then $6::int8 else deleted_last_error_at end
       WHERE grain = $1 AND workflow_id = $2 AND bucket_start = $3 AND node_id = $4`,
      [...key, num(rows[0]?.duration_max), stored?.at ?? null, stored?.message ?? null, storedPacked],
    );
  }
}

/** A shard of the sharded rows for one write, picked at random. */
export const randomShard = () => Math.floor(Math.random() * SHARDS);

/** A pooled client or the pool itself: what a statement can be sent to. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * The changes of the weekly rows of compacted weeks, summed from their days as the upsert sums them, for deciding
 * what a removal leaves to recount (only the removal parts matter there).
 */
function weeklyChanges(changes: RollupChanges): Map<string, NodeRollupChange> {
  const weekly = new Map<string, NodeRollupChange>();
  for (const change of changes.nodes.values()) {
    if (change.grain !== 'day' || !isRemoval(change)) continue;
    const week = { ...change, grain: 'week' as const, bucketStart: weekOf(change.bucketStart) };
    const key = nodeKeyOf(week);
    const found = weekly.get(key);
    if (found === undefined) {
      weekly.set(key, week);
      continue;
    }
    found.success += week.success;
    found.error += week.error;
    found.skipped += week.skipped;
    if (week.removedMax !== null && (found.removedMax === null || week.removedMax > found.removedMax)) found.removedMax = week.removedMax;
    if (week.removedLastError !== null && isLaterError(week.removedLastError, found.removedLastError)) found.removedLastError = week.removedLastError;
  }
  return weekly;
}

/** Thrown when a step names an execution that does not exist (its foreign key failed). */
export function missingExecution(what: string, executionId: string, cause: unknown): ExecutionStoreError {
  return new ExecutionStoreError('NOT_FOUND', `${what}: no execution with id "${executionId}"; create the execution before its steps`, { cause });
}
