// A workflow rollup bucket as the readers that add buckets up (timelines, workflow summaries) take it from a
// backend, and how they add it. SQLite keeps a bucket in one row with one histogram; PostgreSQL may spread it over
// shard rows, which its query sums, listing their histograms separated by commas (and a row's histogram may itself
// be such a list). A histogram text is read the same way either way.
import type { DurationCounts } from './histogram.js';

/** What a workflow rollup bucket counts of the executions that finished in it. */
export interface RollupCounts {
  success: number;
  error: number;
  durationCount: number;
  durationSum: number;
}

export interface WorkflowRollupBucket extends RollupCounts {
  /** The bucket's durations: one stored histogram, or several separated by commas. */
  histograms: string;
}

/** Adds a bucket's counts and durations to a sum of buckets (a timeline bucket, a workflow's totals). */
export function addRollupBucket(sum: RollupCounts & { durations: DurationCounts }, bucket: WorkflowRollupBucket): void {
  sum.success += bucket.success;
  sum.error += bucket.error;
  sum.durationCount += bucket.durationCount;
  sum.durationSum += bucket.durationSum;
  // Kept as text while it is all the sum holds: an hourly timeline then needs no array per bucket.
  sum.durations.addStored(bucket.histograms);
}
