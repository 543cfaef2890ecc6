// Deleting old history, as on SQLite: in short batches, each its own transaction with what it takes from the totals
// and rollups, so that writers of other instances never wait long for a row this clean-up locks (the batch size
// adapts as src/core/retention-batch-size.ts says). Steps go by ON DELETE CASCADE. What differs: several instances
// may clean up at once. Each batch locks the executions it is about to count and delete (FOR UPDATE SKIP LOCKED) in
// the transaction that deletes them, so an execution another instance's batch holds is left to that batch, and no
// execution is counted out of the totals or deleted twice. A last batch waits for the rows still held, as SQLite
// waits for its write lock, so that nothing matching is left behind.
import { performance } from 'node:perf_hooks';
import { and, asc, count, desc, eq, inArray, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import { inByteOrder } from './byte-order.js';
import type { PostgresQueries } from './connection.js';
import { workflowExecutions as executions } from './schema.js';
import type { CleanupOptions } from '../core/types.js';
import type { ExecutionFacts } from '../core/rollup-changes.js';

/** An execution a batch locked to delete, with what it counts in the totals and rollups. */
export interface DoomedExecution {
  id: string;
  facts: ExecutionFacts;
}
import { FIRST_RETENTION_BATCH, nextRetentionBatchSize } from '../core/retention-batch-size.js';

const finished = ne(executions.status, 'running');
/** Ids compared byte by byte, as SQLite compares them, whatever the database's collation. */
const idInByteOrder = inByteOrder(executions.id);

/**
 * How the caller runs one batch: in one write transaction of its own, `tx`, it calls selectIds(tx), which locks and
 * returns the batch's executions with their counted columns; counts what those executions take from the totals and rollups; calls deleteRows(tx, ids);
 * writes the counts; and returns what deleteRows returned. Nothing is shared between batches but the caller's counts.
 */
export interface RetentionBatch {
  run(selectIds: (tx: PostgresQueries) => Promise<DoomedExecution[]>, deleteRows: (tx: PostgresQueries, ids: string[]) => Promise<number>): Promise<number>;
  /** Between two batches' transactions (nothing to do on PostgreSQL but what the caller wants, say a pause). */
  betweenBatches(): Promise<void>;
}

/** Finished executions (of one workflow, or of all) that started before `cutoff` (ms since epoch). */
export function finishedStartedBefore(cutoff: number, workflowId: string | undefined): SQL | undefined {
  return and(finished, lt(executions.startedAt, cutoff), workflowId === undefined ? undefined : eq(executions.workflowId, workflowId));
}

/** Finished executions (of one workflow, or of all) other than the `keep` newest; null when there are none. */
export async function finishedOlderThanNewest(db: PostgresQueries, keep: number, workflowId: string | undefined): Promise<SQL | undefined | null> {
  const scope = workflowId === undefined ? undefined : eq(executions.workflowId, workflowId);
  if (keep === 0) return and(finished, scope);
  // The oldest execution that is kept; everything strictly older in (started_at, id) order may go.
  const [oldestKept] = await db
    .select({ startedAt: executions.startedAt, id: executions.id })
    .from(executions)
    .where(scope)
    .orderBy(desc(executions.startedAt), desc(idInByteOrder))
    .limit(1)
    .offset(keep - 1);
  if (oldestKept === undefined) return null;
  const older = or(
    lt(executions.startedAt, oldestKept.startedAt),
    and(eq(executions.startedAt, oldestKept.startedAt), sql`${idInByteOrder} < ${oldestKept.id}`),
  );
  return and(finished, scope, older);
}

/** How many executions a clean-up would delete: its dry run. */
export async function countMatching(db: PostgresQueries, where: SQL | undefined | null): Promise<number> {
  if (where === null) return 0;
  const [row] = await db.select({ count: count() }).from(executions).where(where);
  return row?.count ?? 0;
}

/**
 * Deletes the executions `where` selects, in batches; null selects none. `_db` is there for the same call as on
 * SQLite: every batch reads and deletes in the transaction batch.run gives it.
 */
export async function deleteInBatches(
  _db: PostgresQueries,
  where: SQL | undefined | null,
  batch: RetentionBatch,
  options?: CleanupOptions,
): Promise<number> {
  if (where === null) return 0;
  let deleted = 0;
  let batchSize = FIRST_RETENTION_BATCH;
  let waitForLocked = false;
  for (;;) {
    const started = performance.now();
    const size = batchSize;
    const waiting = waitForLocked;
    const changes = await batch.run(
      (tx) => lockBatch(tx, where, size, waiting),
      async (tx, ids) => (ids.length === 0 ? 0 : ((await tx.delete(executions).where(inArray(executions.id, ids))).rowCount ?? 0)),
    );
    const batchMs = performance.now() - started;
    await batch.betweenBatches();
    deleted += changes;
    options?.onProgress?.({ deleted, batchDeleted: changes, batchMs });
    if (changes < size) {
      if (waiting) return deleted;
      // What is left is held by other transactions: another instance's batches, which delete it, or a writer changing
      // an execution, which SQLite would have waited for. One last batch waits for those locks; rows deleted meanwhile
      // drop out of it (PostgreSQL reads a row again once its lock is free), so none is deleted or counted twice.
      waitForLocked = true;
      continue;
    }
    waitForLocked = false;
    batchSize = nextRetentionBatchSize(size, batchMs);
  }
}

/**
 * Locks and returns up to `size` ids of executions `where` selects, oldest first, skipping those another transaction
 * holds unless `wait`. Read and locked in the deleting transaction, so that a batch never deletes an execution another
 * instance has just changed, nor one it is deleting. Rows are locked in one fixed order, (started_at, id) compared
 * byte by byte: the index on started_at gives it without sorting every matching row for each batch (an incremental
 * sort orders the ties); ordering by id alone sorted all of them, 0.4 s a batch with 500,000 to delete (measured).
 */
async function lockBatch(tx: PostgresQueries, where: SQL | undefined, size: number, wait: boolean): Promise<DoomedExecution[]> {
  // The counted columns come with the lock: what the batch takes from the totals needs no second read.
  const query = tx
    .select({
      id: executions.id,
      workflowId: executions.workflowId,
      workflowName: executions.workflowName,
      triggerType: executions.triggerType,
      status: executions.status,
      startedAt: executions.startedAt,
      durationMs: executions.durationMs,
    })
    .from(executions)
    .where(where)
    .orderBy(asc(executions.startedAt), asc(idInByteOrder))
    .limit(size);
  const rows = await (wait ? query.for('update') : query.for('update', { skipLocked: true }));
  return rows.map(({ id, ...facts }) => ({ id, facts }));
}
