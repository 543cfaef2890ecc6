// Duration histograms with a fixed relative error, for percentiles over rollups. Bucket i > 0 holds durations d
// with GAMMA^(i-1) < d <= GAMMA^i; bucket 0 holds 0 ms. Reporting a bucket as 2·GAMMA^i / (GAMMA + 1) is then within
// RELATIVE_ERROR of every duration in it (the DDSketch construction), so a percentile read from a histogram is
// within 1% of the exact one, and equal to it below 50 ms once rounded to whole milliseconds. A bucket is a JSON
// key; a day of one node with durations from 1 ms to an hour needs at most ~400 of them, usually a few dozen.

export const RELATIVE_ERROR = 0.01;
const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR);
const LOG_GAMMA = Math.log(GAMMA);

/** Bucket index → count. */
export type Histogram = Map<number, number>;

export function bucketOf(durationMs: number): number {
  return durationMs <= 0 ? 0 : Math.max(1, Math.ceil(Math.log(durationMs) / LOG_GAMMA));
}

function valueOf(bucket: number): number {
  return bucket === 0 ? 0 : (2 * GAMMA ** bucket) / (GAMMA + 1);
}

/** Adds `count` (negative to remove) durations of one bucket; empty buckets disappear. */
export function addToHistogram(histogram: Histogram, bucket: number, count: number): void {
  const next = (histogram.get(bucket) ?? 0) + count;
  if (next === 0) histogram.delete(bucket);
  else histogram.set(bucket, next);
}

export function mergeInto(target: Histogram, source: Histogram): void {
  for (const [bucket, count] of source) addToHistogram(target, bucket, count);
}

export function parseHistogram(json: string): Histogram {
  const histogram: Histogram = new Map();
  for (const [bucket, count] of Object.entries(JSON.parse(json) as Record<string, number>)) {
    if (count !== 0) histogram.set(Number(bucket), count); // removals leave zero counts behind
  }
  return histogram;
}

export function serializeHistogram(histogram: Histogram): string {
  return JSON.stringify(Object.fromEntries(histogram));
}

/**
 * The nearest-rank percentile (the ceil(p% × n)-th smallest duration), to within RELATIVE_ERROR, rounded to whole
 * milliseconds and kept within [0, maxMs] when the exact maximum is known. Null for an empty histogram.
 */
export function histogramPercentile(histogram: Histogram, percent: number, maxMs?: number | null): number | null {
  let total = 0;
  for (const count of histogram.values()) total += count;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((percent * total) / 100));
  // The largest duration is known exactly where a maximum is kept.
  if (rank === total && maxMs != null) return maxMs;
  let seen = 0;
  for (const bucket of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bucket) as number;
    if (seen >= rank) {
      const value = Math.round(valueOf(bucket));
      return maxMs == null ? value : Math.min(value, maxMs);
    }
  }
  return null; // not reached: the counts add up to total
}
