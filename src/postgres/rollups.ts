// Keeping the running totals and rollups in step with the rows, inside the caller's write transaction, as on SQLite:
// the facts a write changes are read before and after it, and the difference is written once per touched row.
// What differs here:
// - Several instances write at once. Every transaction writes its rollup rows in one fixed order (totals, workflow
//   rows, node rows; each sorted by key): in random order four writers measured 145 deadlocks against 144 commits.
// - The hot rows (every write adds to the ALL_WORKFLOWS rows of its hour and day, and to its workflow's totals) have
//   shards: a transaction adds to the row of one shard, picked at random, so writers do not queue behind one lock.
// - No JavaScript runs inside SQL: a histogram is merged here, under the row lock the upsert took, and written back
//   in one statement for all the rows of a transaction.
// - Rows are written in one statement per table (unnest of arrays), not one per row: a round trip to the server
//   costs more than the write itself.
import { ExecutionStoreError } from '../core/errors.js';
import { addHistograms, encodeHistogram } from '../core/histogram.js';
import { isLaterError, type LastError, packError, unpackError } from '../core/last-error.js';
import type { KeptRollups } from '../core/kept-rollups.js';
import {
  bucketStartOf,
  type ExecutionFacts,
  GRAIN_SIZE,
  GRAINS,
  type Grain,
  type NodeRollupChange,
  type RollupChanges,
  type StepFacts,
  type WorkflowRollupChange,
} from '../core/rollup-changes.js';
import { compositeKey } from '../core/composite-key.js';
import type { DeletedSteps } from '../core/deleted-steps.js';

export type { DeletedSteps };
import { packedErrorText } from './packed-error.js';
import type { Transaction } from './transactions.js';
import { WeeklyNodeRollups } from './rollup-weeks.js';

/** How many rows each hot total is spread over. More shards: less waiting; readers sum a few more rows. */
export const SHARDS = 8;


const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));
const byKey = <T>(key: (item: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
const workflowKeyOf = (change: { grain: string; workflowId: string; bucketStart: number }) => compositeKey(change.grain, change.workflowId, change.bucketStart);
const nodeKeyOf = (change: { grain: string; workflowId: string; bucketStart: number; nodeId: string }) =>
  compositeKey(change.grain, change.workflowId, change.bucketStart, change.nodeId);

const EXECUTION_FACTS = `SELECT workflow_id, workflow_name, trigger_type, status, started_at, duration_ms FROM workflow_executions`;
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
  constructor(
    dailySince: (tx: Transaction) => Promise<number>,
    private readonly kept: (tx: Transaction) => Promise<KeptRollups>,
  ) {
    this.weeks = new WeeklyNodeRollups(dailySince, (tx, changes) => this.applyNodeRollups(tx, changes));
  }

  /** The facts of these executions; `lock` takes their row locks first (they are about to change or go). */
  async executionFacts(tx: Transaction, ids: string[], lock = false): Promise<ExecutionFacts[]> {
    if (ids.length === 0) return [];
    const sorted = [...ids].sort();
    const { rows } = await tx.client.query(
      `${EXECUTION_FACTS} WHERE id = ANY($1::text[]) ORDER BY id COLLATE "C"${lock ? ' FOR UPDATE' : ''}`,
      [sorted],
    );
    return rows.map(toExecutionFacts);
  }

  async stepFactsOfExecutions(tx: Transaction, ids: string[]): Promise<StepFacts[]> {
    if (ids.length === 0) return [];
    const { rows } = await tx.client.query(`${STEP_FACTS} WHERE s.execution_id = ANY($1::text[])`, [ids]);
    return rows.map(toStepFacts);
  }

  /** One step's facts; `lock` takes the step's row lock first (it is about to change). */
  async stepFacts(tx: Transaction, id: string, lock = false): Promise<StepFacts | undefined> {
    const { rows } = await tx.client.query(`${STEP_FACTS} WHERE s.id = $1${lock ? ' FOR UPDATE OF s' : ''}`, [id]);
    return rows[0] === undefined ? undefined : toStepFacts(rows[0]);
  }

  /** The workflow and start of executions: where their steps are counted. */
  async executionKeys(tx: Transaction, ids: string[]): Promise<Map<string, { workflowId: string; startedAt: number }>> {
    const { rows } = await tx.client.query('SELECT id, workflow_id, started_at FROM workflow_executions WHERE id = ANY($1::text[])', [ids]);
    return new Map(rows.map((row) => [row.id as string, { workflowId: row.workflow_id as string, startedAt: Number(row.started_at) }]));
  }

  /**
   * The maxima and last errors of these executions' steps per node rollup row (hours and days), read before they are
   * deleted, for insights that outlive deletes; retireDeletedSteps writes them once the executions are gone.
   */
  async summarizeDoomedSteps(tx: Transaction, executionIds: string[]): Promise<DeletedSteps[]> {
    if (executionIds.length === 0) return [];
    const keys = await this.executionKeys(tx, executionIds);
    const { rows } = await tx.client.query(
      `SELECT execution_id, node_id, duration_ms,
         case when status = 'error' then coalesce(completed_at, started_at) end AS error_at,
         case when status = 'error' then error_message end AS error_message
       FROM execution_steps WHERE execution_id = ANY($1::text[]) AND status <> 'running'`,
      [executionIds],
    );
    const summaries = new Map<string, DeletedSteps>();
    for (const row of rows) {
      const { workflowId, startedAt } = keys.get(row.execution_id as string) as { workflowId: string; startedAt: number };
      const durationMax = num(row.duration_ms);
      const error = row.error_at === null ? null : { at: Number(row.error_at), message: (row.error_message as string | null) ?? null };
      for (const [grain, size] of GRAINS) {
        const summary = { grain, workflowId, bucketStart: bucketStartOf(startedAt, size), nodeId: row.node_id as string, durationMax, lastError: error };
        const key = nodeKeyOf(summary);
        const found = summaries.get(key);
        if (found === undefined) {
          summaries.set(key, summary);
          continue;
        }
        if (durationMax !== null && (found.durationMax === null || durationMax > found.durationMax)) found.durationMax = durationMax;
        if (error !== null && isLaterError(error, found.lastError)) found.lastError = error;
      }
    }
    return [...summaries.values()];
  }

  /** Keeps the summaries of deleted steps in their node rollup rows; call in the deleting transaction, after the delete. */
  async retireDeletedSteps(tx: Transaction, summaries: DeletedSteps[]): Promise<void> {
    if (summaries.length === 0) return;
    // A bucket of a workflow with no execution stored any more: every step its node rows count is a deleted one, so
    // what the deleted steps were is what the rows say. One statement for all such buckets.
    const buckets = new Map<string, { grain: Grain; workflowId: string; bucketStart: number }>();
    for (const summary of summaries) buckets.set(workflowKeyOf(summary), summary);
    const candidates = [...buckets.values()];
    const { rows } = await tx.client.query(
      `SELECT v.i FROM unnest($1::text[], $2::int8[], $3::int8[]) WITH ORDINALITY AS v(workflow_id, from_ms, to_ms, i)
       WHERE NOT EXISTS (SELECT 1 FROM workflow_executions e WHERE e.workflow_id = v.workflow_id AND e.started_at >= v.from_ms AND e.started_at < v.to_ms)`,
      [candidates.map((bucket) => bucket.workflowId), candidates.map((bucket) => bucket.bucketStart), candidates.map((bucket) => bucket.bucketStart + GRAIN_SIZE[bucket.grain])],
    );
    const emptied = rows.map((row) => candidates[Number(row.i) - 1] as (typeof candidates)[number]).sort(byKey(workflowKeyOf));
    const emptiedKeys = new Set(emptied.map(workflowKeyOf));
    if (emptied.length > 0) {
      await tx.client.query(
        `UPDATE node_rollups AS r SET deleted_duration_max = r.duration_max, deleted_last_error_at = r.last_error_at, deleted_last_error_message = r.last_error_message
         FROM unnest($1::text[], $2::text[], $3::int8[]) AS v(grain, workflow_id, bucket_start)
         WHERE r.grain = v.grain AND r.workflow_id = v.workflow_id AND r.bucket_start = v.bucket_start`,
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

  /** Writes the changes; call inside the write transaction that made them, after the rows themselves changed. */
  async apply(tx: Transaction, changes: RollupChanges): Promise<void> {
    const shard = Math.floor(Math.random() * SHARDS);
    await this.applyCounts(tx, changes, shard);
    if (changes.workflows.size + changes.nodes.size === 0) return;
    // Rows of buckets before the kept ones were pruned, and readers count the stored rows there instead: a change to
    // such a bucket (a run recorded late, a delete) must not bring back a row that would then be wrong.
    const kept = await this.kept(tx);
    const keptWorkflow = (change: WorkflowRollupChange) => change.bucketStart >= kept[change.grain === 'hour' ? 'workflowHoursFrom' : 'daysFrom'];
    const keptNode = (change: NodeRollupChange) => change.bucketStart >= kept[change.grain === 'hour' ? 'nodeHoursFrom' : 'daysFrom'];
    await this.applyWorkflowRollups(tx, [...changes.workflows.values()].filter(keptWorkflow), shard);
    // Finest first: a day's maximum and last error are recounted from its hours, a week's from its days.
    const nodes = [...changes.nodes.values()].filter(keptNode);
    const days = nodes.filter((change) => change.grain === 'day');
    await this.applyNodeRollups(tx, nodes.filter((change) => change.grain === 'hour'), kept);
    await this.applyNodeRollups(tx, days, kept);
    await this.weeks.mirror(tx, days);
  }

  private async applyCounts(tx: Transaction, changes: RollupChanges, shard: number): Promise<void> {
    const counts = [...changes.counts.values()]
      .filter((change) => change.executions !== 0 || change.durationCount !== 0 || change.durationSum !== 0)
      .sort(byKey((change) => compositeKey(change.workflowId, change.triggerType, change.status)));
    if (counts.length === 0) return;
    const columns = [counts.map((c) => c.workflowId), counts.map((c) => c.triggerType), counts.map((c) => c.status), counts.map((c) => c.executions), counts.map((c) => c.durationCount), counts.map((c) => c.durationSum)];
    await tx.client.query(
      `INSERT INTO execution_counts AS c (workflow_id, trigger_type, status, shard, executions, duration_count, duration_sum)
       SELECT v.workflow_id, v.trigger_type, v.status, $7, v.executions, v.duration_count, v.duration_sum
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[]) AS v(workflow_id, trigger_type, status, executions, duration_count, duration_sum)
       ON CONFLICT (workflow_id, trigger_type, status, shard) DO UPDATE SET
         executions = c.executions + excluded.executions, duration_count = c.duration_count + excluded.duration_count, duration_sum = c.duration_sum + excluded.duration_sum`,
      [...columns, shard],
    );
    if (counts.some((change) => change.executions < 0)) {
      await tx.client.query(
        `DELETE FROM execution_counts c USING unnest($1::text[], $2::text[], $3::text[]) AS v(workflow_id, trigger_type, status)
         WHERE c.workflow_id = v.workflow_id AND c.trigger_type = v.trigger_type AND c.status = v.status AND c.shard = $4
           AND c.executions = 0 AND c.duration_count = 0 AND c.duration_sum = 0`,
        [columns[0], columns[1], columns[2], shard],
      );
    }
  }

  private async applyWorkflowRollups(tx: Transaction, all: WorkflowRollupChange[], shard: number): Promise<void> {
    if (all.length === 0) return;
    // A change that only removes must not create the bucket it removes from (pruned, or never counted: history from
    // before the rollups): an upsert would insert negative counts. A bucket exists when any shard has its row.
    const removalsOnly = all.filter((change) => change.workflowName === null);
    const existing = new Set<string>();
    if (removalsOnly.length > 0) {
      const { rows } = await tx.client.query(
        `SELECT DISTINCT r.grain, r.workflow_id, r.bucket_start FROM workflow_rollups r
         JOIN unnest($1::text[], $2::text[], $3::int8[]) AS v(grain, workflow_id, bucket_start)
           ON r.grain = v.grain AND r.workflow_id = v.workflow_id AND r.bucket_start = v.bucket_start`,
        [removalsOnly.map((c) => c.grain), removalsOnly.map((c) => c.workflowId), removalsOnly.map((c) => c.bucketStart)],
      );
      for (const row of rows) existing.add(compositeKey(row.grain as string, row.workflow_id as string, Number(row.bucket_start)));
    }
    const changes = all.filter((change) => change.workflowName !== null || existing.has(workflowKeyOf(change))).sort(byKey(workflowKeyOf));
    if (changes.length === 0) return;
    const { rows } = await tx.client.query(
      `INSERT INTO workflow_rollups AS r (grain, workflow_id, bucket_start, shard, workflow_name, success, error, duration_count, duration_sum, histogram, named_at)
       SELECT v.grain, v.workflow_id, v.bucket_start, $10, v.workflow_name, v.success, v.error, v.duration_count, v.duration_sum, v.histogram,
         case when v.named then (extract(epoch from clock_timestamp()) * 1000000)::int8 else 0 end
       FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::int8[], $6::int8[], $7::int8[], $8::int8[], $9::text[], $11::bool[])
         AS v(grain, workflow_id, bucket_start, workflow_name, success, error, duration_count, duration_sum, histogram, named)
       ON CONFLICT (grain, workflow_id, bucket_start, shard) DO UPDATE SET
         success = r.success + excluded.success, error = r.error + excluded.error,
         duration_count = r.duration_count + excluded.duration_count, duration_sum = r.duration_sum + excluded.duration_sum,
         workflow_name = case when excluded.named_at > 0 then excluded.workflow_name else r.workflow_name end,
         named_at = case when excluded.named_at > 0 then excluded.named_at else r.named_at end
       RETURNING r.grain, r.workflow_id, r.bucket_start, r.histogram, (r.xmax = 0) AS inserted, r.success, r.error, r.duration_count, r.duration_sum`,
      [
        changes.map((c) => c.grain),
        changes.map((c) => c.workflowId),
        changes.map((c) => c.bucketStart),
        changes.map((c) => c.workflowName ?? ''),
        changes.map((c) => c.success),
        changes.map((c) => c.error),
        changes.map((c) => c.durationCount),
        changes.map((c) => c.durationSum),
        changes.map((c) => encodeHistogram(c.histogram)),
        shard,
        changes.map((c) => c.workflowName !== null),
      ],
    );
    const byRow = new Map(changes.map((change) => [workflowKeyOf(change), change]));
    const histograms: { change: WorkflowRollupChange; histogram: string }[] = [];
    const emptied: WorkflowRollupChange[] = [];
    for (const row of rows) {
      const change = byRow.get(compositeKey(row.grain as string, row.workflow_id as string, Number(row.bucket_start))) as WorkflowRollupChange;
      if (Number(row.success) === 0 && Number(row.error) === 0 && Number(row.duration_count) === 0 && Number(row.duration_sum) === 0) {
        emptied.push(change);
        continue;
      }
      // An inserted row holds the change's histogram already; an updated one, the stored histogram, to be added to.
      if (row.inserted === true || change.histogram.size === 0) continue;
      histograms.push({ change, histogram: addHistograms(row.histogram as string, encodeHistogram(change.histogram), false) });
    }
    if (histograms.length > 0) {
      await tx.client.query(
        `UPDATE workflow_rollups AS r SET histogram = v.histogram
         FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[]) AS v(grain, workflow_id, bucket_start, histogram)
         WHERE r.grain = v.grain AND r.workflow_id = v.workflow_id AND r.bucket_start = v.bucket_start AND r.shard = $5`,
        [histograms.map((h) => h.change.grain), histograms.map((h) => h.change.workflowId), histograms.map((h) => h.change.bucketStart), histograms.map((h) => h.histogram), shard],
      );
    }
    if (emptied.length > 0) {
      await tx.client.query(
        `DELETE FROM workflow_rollups r USING unnest($1::text[], $2::text[], $3::int8[]) AS v(grain, workflow_id, bucket_start)
         WHERE r.grain = v.grain AND r.workflow_id = v.workflow_id AND r.bucket_start = v.bucket_start AND r.shard = $4`,
        [emptied.map((c) => c.grain), emptied.map((c) => c.workflowId), emptied.map((c) => c.bucketStart), shard],
      );
    }
  }

  /**
   * Node rollup rows (not sharded: one workflow's node in one hour is written by few writers at once). Additions go
   * in one upsert for all rows; a change that removes a row's maximum or last error (a delete, an update of a
   * finished step) is applied row by row, reading what it needs to recount them, as on SQLite.
   */
  private async applyNodeRollups(tx: Transaction, all: NodeRollupChange[], kept?: KeptRollups): Promise<void> {
    if (all.length === 0) return;
    const removalsOnly = all.filter((change) => change.latest === null);
    const existing = new Set<string>();
    if (removalsOnly.length > 0) {
      const { rows } = await tx.client.query(
        `SELECT r.grain, r.workflow_id, r.bucket_start, r.node_id FROM node_rollups r
         JOIN unnest($1::text[], $2::text[], $3::int8[], $4::text[]) AS v(grain, workflow_id, bucket_start, node_id)
           ON r.grain = v.grain AND r.workflow_id = v.workflow_id AND r.bucket_start = v.bucket_start AND r.node_id = v.node_id`,
        [removalsOnly.map((c) => c.grain), removalsOnly.map((c) => c.workflowId), removalsOnly.map((c) => c.bucketStart), removalsOnly.map((c) => c.nodeId)],
      );
      for (const row of rows) existing.add(compositeKey(row.grain as string, row.workflow_id as string, Number(row.bucket_start), row.node_id as string));
    }
    const changes = all.filter((change) => change.latest !== null || existing.has(nodeKeyOf(change))).sort(byKey(nodeKeyOf));
    if (changes.length === 0) return;
    const { rows } = await tx.client.query(
      `INSERT INTO node_rollups AS r (grain, workflow_id, bucket_start, node_id, node_type, node_name, success, error, skipped,
         duration_count, duration_sum, duration_max, histogram, last_error_message, last_error_at)
       SELECT v.grain, v.workflow_id, v.bucket_start, v.node_id, v.node_type, v.node_name, v.success, v.error, v.skipped,
         v.duration_count, v.duration_sum, v.duration_max, v.histogram, v.last_error_message, v.last_error_at
       FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::int8[], $9::int8[],
         $10::int8[], $11::int8[], $12::int8[], $13::text[], $14::text[], $15::int8[])
         AS v(grain, workflow_id, bucket_start, node_id, node_type, node_name, success, error, skipped,
           duration_count, duration_sum, duration_max, histogram, last_error_message, last_error_at)
       ON CONFLICT (grain, workflow_id, bucket_start, node_id) DO UPDATE SET
         success = r.success + excluded.success, error = r.error + excluded.error, skipped = r.skipped + excluded.skipped,
         duration_count = r.duration_count + excluded.duration_count, duration_sum = r.duration_sum + excluded.duration_sum,
         node_type = case when excluded.node_type <> '' then excluded.node_type else r.node_type end,
         node_name = case when excluded.node_type <> '' then excluded.node_name else r.node_name end,
         duration_max = nullif(greatest(coalesce(r.duration_max, -1), coalesce(excluded.duration_max, -1)), -1),
         last_error_message = case when ${newerError} then excluded.last_error_message else r.last_error_message end,
         last_error_at = case when ${newerError} then excluded.last_error_at else r.last_error_at end
       RETURNING r.grain, r.workflow_id, r.bucket_start, r.node_id, r.histogram, (r.xmax = 0) AS inserted,
         r.success, r.error, r.skipped, r.duration_max, r.last_error_at, r.last_error_message`,
      [
        changes.map((c) => c.grain),
        changes.map((c) => c.workflowId),
        changes.map((c) => c.bucketStart),
        changes.map((c) => c.nodeId),
        changes.map((c) => c.latest?.nodeType ?? ''),
        changes.map((c) => c.latest?.nodeName ?? null),
        changes.map((c) => c.success),
        changes.map((c) => c.error),
        changes.map((c) => c.skipped),
        changes.map((c) => c.durationCount),
        changes.map((c) => c.durationSum),
        changes.map((c) => c.addedMax),
        changes.map((c) => encodeHistogram(c.histogram)),
        changes.map((c) => c.lastError?.message ?? null),
        changes.map((c) => c.lastError?.at ?? null),
      ],
    );
    const byRow = new Map(changes.map((change) => [nodeKeyOf(change), change]));
    const histograms: { change: NodeRollupChange; histogram: string }[] = [];
    const emptied: NodeRollupChange[] = [];
    const recounts: { change: NodeRollupChange; durationMax: number | null; lastError: LastError | null }[] = [];
    for (const row of rows) {
      const change = byRow.get(compositeKey(row.grain as string, row.workflow_id as string, Number(row.bucket_start), row.node_id as string)) as NodeRollupChange;
      const removed = change.success < 0 || change.error < 0 || change.skipped < 0;
      if (removed && Number(row.success) + Number(row.error) + Number(row.skipped) === 0) {
        emptied.push(change);
        continue;
      }
      if (row.inserted !== true && change.histogram.size > 0) {
        histograms.push({ change, histogram: addHistograms(row.histogram as string, encodeHistogram(change.histogram), true) });
      }
      if (change.removedMax === null && change.removedLastError === null) continue;
      // A removal below the maximum left its holder counted, and one before the last error left that one: then
      // nothing is recounted. Only the removal of a holder (or of its equal) reads the row's stored steps.
      const durationMax = num(row.duration_max);
      const lastError = row.last_error_at === null ? null : { at: Number(row.last_error_at), message: (row.last_error_message as string | null) ?? null };
      const maxRemoved = change.removedMax !== null && (durationMax === null || change.removedMax >= durationMax);
      const errorRemoved = change.removedLastError !== null && (lastError === null || !isLaterError(lastError, change.removedLastError));
      if (maxRemoved || errorRemoved) recounts.push({ change, durationMax, lastError });
    }
    if (histograms.length > 0) {
      await tx.client.query(
        `UPDATE node_rollups AS r SET histogram = v.histogram
         FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[]) AS v(grain, workflow_id, bucket_start, node_id, histogram)
         WHERE r.grain = v.grain AND r.workflow_id = v.workflow_id AND r.bucket_start = v.bucket_start AND r.node_id = v.node_id`,
        [histograms.map((h) => h.change.grain), histograms.map((h) => h.change.workflowId), histograms.map((h) => h.change.bucketStart), histograms.map((h) => h.change.nodeId), histograms.map((h) => h.histogram)],
      );
    }
    if (emptied.length > 0) {
      await tx.client.query(
        `DELETE FROM node_rollups r USING unnest($1::text[], $2::text[], $3::int8[], $4::text[]) AS v(grain, workflow_id, bucket_start, node_id)
         WHERE r.grain = v.grain AND r.workflow_id = v.workflow_id AND r.bucket_start = v.bucket_start AND r.node_id = v.node_id`,
        [emptied.map((c) => c.grain), emptied.map((c) => c.workflowId), emptied.map((c) => c.bucketStart), emptied.map((c) => c.nodeId)],
      );
    }
    for (const { change } of recounts) await this.recountMaxAndLastError(tx, change, kept ?? (await this.kept(tx)));
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

// Most upserts carry no error: then nothing is packed.
const newerError = `excluded.last_error_at is not null and ${packedErrorText('excluded.last_error_at', 'excluded.last_error_message')} > coalesce(${packedErrorText('r.last_error_at', 'r.last_error_message')}, '')`;

/** Thrown when a step names an execution that does not exist (its foreign key failed). */
export function missingExecution(what: string, executionId: string, cause: unknown): ExecutionStoreError {
  return new ExecutionStoreError('NOT_FOUND', `${what}: no execution with id "${executionId}"; create the execution before its steps`, { cause });
}
