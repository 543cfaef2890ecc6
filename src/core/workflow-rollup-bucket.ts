// A workflow rollup bucket as the readers that add buckets up (timelines, workflow summaries) take it from a
// backend, and how they add it. SQLite keeps a bucket in one row with one histogram; PostgreSQL spreads it over shard
// rows, which its query sums, listing their histograms separated by commas. Everything else about adding buckets up
// is the same, so the readers take the bucket in this one shape and are told which of the two ways its histogram
// text comes.
import type { DurationCounts } from './histogram.js';

/** What a workflow rollup bucket counts of the executions that finished in it. */
export interface RollupCounts {
  success: number;
  error: number;
  durationCount: number;
  durationSum: number;
}

export interface WorkflowRollupBucket extends RollupCounts {
  /** The bucket's durations: one stored histogram, or several separated by commas (see HistogramText). */
  histograms: string;
}

/**
 * How a backend's `histograms` text is read: 'one' stored histogram per bucket (kept as text while it is all a
 * DurationCounts holds, which spares an hourly timeline an array per bucket), or a comma-separated 'list'.
 */
export type HistogramText = 'one' | 'list';

/** Adds a bucket's counts and durations to a sum of buckets (a timeline bucket, a workflow's totals). */
export function addRollupBucket(sum: RollupCounts & { durations: DurationCounts }, bucket: WorkflowRollupBucket, text: HistogramText): void {
  sum.success += bucket.success;
  sum.error += bucket.error;
  sum.durationCount += bucket.durationCount;
  sum.durationSum += bucket.durationSum;
  if (text === 'one') sum.durations.addStored(bucket.histograms);
  else sum.durations.addStoredList(bucket.histograms);
}
