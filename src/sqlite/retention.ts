// Deleting old history. Deletes run in short batches so that other processes recording runs on the same
// file wait for the write lock for milliseconds, not for the whole clean-up (the batch size adapts as
// src/core/retention-batch-size.ts says). Steps go by ON DELETE CASCADE.
import { performance } from 'node:perf_hooks';
import { and, count, desc, eq, inArray, lt, ne, or, type SQL } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { workflowExecutions as executions } from './schema.js';
import type { CleanupOptions } from '../core/types.js';
import { FIRST_RETENTION_BATCH, nextRetentionBatchSize } from '../core/retention-batch-size.js';

const finished = ne(executions.status, 'running');

/** How the caller runs one batch: its delete in a transaction with its bookkeeping, and what happens in between. */
export interface RetentionBatch {
  /** In one write transaction: reads the batch's ids, deletes those executions, returns how many went. */
  run(selectIds: () => string[], deleteRows: (ids: string[]) => number): number;
  betweenBatches(): void;
}

/** Finished executions (of one workflow, or of all) that started before `cutoff` (ms since epoch). */
export function finishedStartedBefore(cutoff: number, workflowId: string | undefined): SQL | undefined {
  return and(finished, lt(executions.startedAt, cutoff), workflowId === undefined ? undefined : eq(executions.workflowId, workflowId));
}

/** Finished executions (of one workflow, or of all) other than the `keep` newest; null when there are none. */
export function finishedOlderThanNewest(db: HistoryDatabase, keep: number, workflowId: string | undefined): SQL | undefined | null {
  const scope = workflowId === undefined ? undefined : eq(executions.workflowId, workflowId);
  if (keep === 0) return and(finished, scope);
  // The oldest execution that is kept; everything strictly older in (started_at, id) order may go.
  const oldestKept = db
    .select({ startedAt: executions.startedAt, id: executions.id })
    .from(executions)
    .where(scope)
    .orderBy(desc(executions.startedAt), desc(executions.id))
    .limit(1)
    .offset(keep - 1)
    .get();
  if (oldestKept === undefined) return null;
  const older = or(
    lt(executions.startedAt, oldestKept.startedAt),
    and(eq(executions.startedAt, oldestKept.startedAt), lt(executions.id, oldestKept.id)),
  );
  return and(finished, scope, older);
}

/** How many executions a clean-up would delete: its dry run. */
export function countMatching(db: HistoryDatabase, where: SQL | undefined | null): number {
  if (where === null) return 0;
  return db.select({ count: count() }).from(executions).where(where).get()?.count ?? 0;
}

/** Deletes the executions `where` selects, in batches; null selects none. */
export function deleteInBatches(
  db: HistoryDatabase,
  where: SQL | undefined | null,
  batch: RetentionBatch,
  options?: CleanupOptions,
): number {
  if (where === null) return 0;
  const sqlite = db.$client;
  // Checkpoint between batches rather than inside them: SQLite's automatic checkpoint runs in the COMMIT of
  // whichever batch takes the WAL past 1000 pages, and that batch then took twice as long.
  const autoCheckpoint = sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;
  sqlite.pragma('wal_autocheckpoint = 0');
  try {
    let deleted = 0;
    let batchSize = FIRST_RETENTION_BATCH;
    for (;;) {
      const started = performance.now();
      // One write transaction per batch: the lock is held for this batch only. The ids are read inside it, so that
      // a batch never deletes an execution another process has just changed.
      const changes = batch.run(
        () => db.select({ id: executions.id }).from(executions).where(where).limit(batchSize).all().map((row) => row.id),
        (ids) => (ids.length === 0 ? 0 : db.delete(executions).where(inArray(executions.id, ids)).run().changes),
      );
      const batchMs = performance.now() - started;
      batch.betweenBatches(); // a checkpoint that does not block writers
      deleted += changes;
      options?.onProgress?.({ deleted, batchDeleted: changes, batchMs });
      if (changes < batchSize) return deleted;
      batchSize = nextRetentionBatchSize(batchSize, batchMs);
    }
  } finally {
    sqlite.pragma(`wal_autocheckpoint = ${autoCheckpoint}`);
  }
}
