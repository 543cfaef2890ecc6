// How many executions a clean-up deletes per batch. Each batch is one transaction that holds the write lock
// (SQLite) or its rows' locks (PostgreSQL), and writers recording runs wait behind it; so the size adapts to a
// target duration: executions with many or large steps take longer to delete, and a writer waiting behind a batch
// waits about this long at most. One rule for every backend.

/** How long one delete batch should hold its locks. */
export const RETENTION_BATCH_TARGET_MS = 60;
export const FIRST_RETENTION_BATCH = 200;
const SMALLEST_BATCH = 10;
const LARGEST_BATCH = 5000;

/**
 * The size of the next batch after one of `size` executions took `batchMs`: aimed at the target, growing at most
 * twofold a step so that one quick batch cannot overshoot it.
 */
export function nextRetentionBatchSize(size: number, batchMs: number): number {
  const scaled = Math.round((size * RETENTION_BATCH_TARGET_MS) / Math.max(batchMs, 1));
  return Math.min(LARGEST_BATCH, 2 * size, Math.max(SMALLEST_BATCH, scaled));
}
