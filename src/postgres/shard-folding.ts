// Folding the shards of past workflow buckets into one row. A bucket's all-workflow and per-workflow rows are spread
// over up to SHARDS rows while the bucket is written (instances add to a random shard, not queueing behind one
// row); once it is over, nobody writes it but the odd late run or delete, and readers would sum 8 rows for 1 for
// ever: a 30-day hourly timeline read 5,760 rows, summaries 12,000. compactInsights (and so every clean-up) folds
// them, one UTC day of buckets per transaction. A write that comes later adds a shard row again, summed as before.
import { mergeHistogramList } from '../core/histogram.js';
import { DAY, HOUR } from '../core/rollup-changes.js';
import type { Transaction } from './transactions.js';

/** How long after its end a bucket is folded: writes recording a run late go to buckets this recent. */
const FOLD_AFTER_MS = HOUR;

/**
 * Folds the shard rows of the earliest day that has buckets ended before `now` with more than one row; returns that
 * day, or null when there is none. Call it in a write transaction of its own, again until it returns null.
 */
export async function foldNextDay(tx: Transaction, now: number): Promise<number | null> {
  const cut = now - FOLD_AFTER_MS;
  const ended = `bucket_start + case when grain = 'hour' then ${HOUR} else ${DAY} end <= $1`;
  const { rows: first } = await tx.client.query(`SELECT min(bucket_start) AS day FROM workflow_rollups WHERE shard <> 0 AND ${ended}`, [cut]);
  if (first[0]?.day === null || first[0] === undefined) return null;
  const day = Math.floor(Number(first[0].day) / DAY) * DAY;
  // Every row of the day's ended buckets that have a row off shard 0, locked in key order (writers adding to one
  // wait, then add to a row of their own again).
  const { rows } = await tx.client.query(
    `SELECT grain, workflow_id, bucket_start, shard, workflow_name, success, error, duration_count, duration_sum, histogram, named_at
     FROM workflow_rollups r
     WHERE bucket_start >= $2 AND bucket_start < $3 AND ${ended}
       AND EXISTS (SELECT 1 FROM workflow_rollups o WHERE o.grain = r.grain AND o.workflow_id = r.workflow_id AND o.bucket_start = r.bucket_start AND o.shard <> 0)
     ORDER BY grain COLLATE "C", workflow_id COLLATE "C", bucket_start, shard
     FOR UPDATE`,
    [cut, day, day + DAY],
  );
  const buckets = new Map<string, Folded>();
  for (const row of rows) {
    const key = `${row.grain}\u0000${row.workflow_id}\u0000${row.bucket_start}`;
    const namedAt = Number(row.named_at);
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      bucket = { grain: row.grain, workflowId: row.workflow_id, bucketStart: Number(row.bucket_start), workflowName: row.workflow_name, namedAt, success: 0, error: 0, durationCount: 0, durationSum: 0, histograms: [] };
      buckets.set(key, bucket);
    }
    bucket.success += Number(row.success);
    bucket.error += Number(row.error);
    bucket.durationCount += Number(row.duration_count);
    bucket.durationSum += Number(row.duration_sum);
    if (row.histogram !== '') bucket.histograms.push(row.histogram as string);
    // The bucket's name is the one its latest named execution gave, as readers pick it.
    if (namedAt > bucket.namedAt) {
      bucket.namedAt = namedAt;
      bucket.workflowName = row.workflow_name;
    }
  }
  const folded = [...buckets.values()];
  await tx.client.query(
    `DELETE FROM workflow_rollups r USING unnest($1::text[], $2::text[], $3::int8[]) AS v(grain, workflow_id, bucket_start)
     WHERE r.grain = v.grain AND r.workflow_id = v.workflow_id AND r.bucket_start = v.bucket_start`,
    [folded.map((b) => b.grain), folded.map((b) => b.workflowId), folded.map((b) => b.bucketStart)],
  );
  // A bucket whose shards summed to nothing is no row at all, as one that a delete emptied.
  const kept = folded
    .map((bucket) => ({ ...bucket, histogram: mergeHistogramList(bucket.histograms.join(','), false) }))
    .filter((b) => b.success !== 0 || b.error !== 0 || b.durationCount !== 0 || b.durationSum !== 0 || b.histogram !== '');
  await tx.client.query(
    `INSERT INTO workflow_rollups (grain, workflow_id, bucket_start, shard, workflow_name, success, error, duration_count, duration_sum, histogram, named_at)
     SELECT v.grain, v.workflow_id, v.bucket_start, 0, v.workflow_name, v.success, v.error, v.duration_count, v.duration_sum, v.histogram, v.named_at
     FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::int8[], $6::int8[], $7::int8[], $8::int8[], $9::text[], $10::int8[])
       AS v(grain, workflow_id, bucket_start, workflow_name, success, error, duration_count, duration_sum, histogram, named_at)`,
    [
      kept.map((b) => b.grain),
      kept.map((b) => b.workflowId),
      kept.map((b) => b.bucketStart),
      kept.map((b) => b.workflowName),
      kept.map((b) => b.success),
      kept.map((b) => b.error),
      kept.map((b) => b.durationCount),
      kept.map((b) => b.durationSum),
      kept.map((b) => b.histogram),
      kept.map((b) => b.namedAt),
    ],
  );
  return day;
}

interface Folded {
  grain: string;
  workflowId: string;
  bucketStart: number;
  workflowName: string;
  namedAt: number;
  success: number;
  error: number;
  durationCount: number;
  durationSum: number;
  histograms: string[];
}
