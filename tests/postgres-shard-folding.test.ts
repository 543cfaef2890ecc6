// PostgreSQL only: the shard rows of past workflow buckets folded into one by compactInsights, with every answer the
// same before and after, the buckets still being written left alone, and a late write into a folded bucket counted.
import { Client } from 'pg';
import { describe, expect, it } from 'vitest';
import { openExecutionStore } from '../src/index.js';
import { newExecution, newRunStep, T0, track } from './factories.js';
import { insightAnswers, storedAndRecounted } from './postgres/recount.js';
import { freshPostgresUrl, postgresSkipReason } from './postgres/test-database.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The store's clock: two days of history before it, and the current hour being written. */
const NOW = T0 + 2 * DAY + 30 * 60_000;
const WORKFLOWS = ['wf-orders', 'wf-billing', 'wf-mail'];

async function rowsPerBucket(url: string): Promise<{ grain: string; workflow_id: string; bucket_start: number; rows: number; at_zero: boolean }[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT grain, workflow_id, bucket_start::float8 AS bucket_start, count(*)::int AS rows, bool_and(shard = 0) AS at_zero
       FROM workflow_rollups GROUP BY 1, 2, 3 ORDER BY grain, workflow_id COLLATE "C", 3`,
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(postgresSkipReason !== undefined)('PostgreSQL: shards of past buckets', () => {
  it('are folded into one row per bucket by compactInsights, answering the same; current buckets keep theirs; later writes still count', async () => {
    const url = await freshPostgresUrl();
    const store = track(await openExecutionStore(url, { now: () => NOW }));
    // 240 runs over the two past days and 12 in the current hour: each write adds to a random one of 8 shards.
    const record = async (startedAt: number, i: number) =>
      store.recordExecution(
        newExecution({ workflowId: WORKFLOWS[i % 3], workflowName: `Flow ${i % 3}`, status: i % 7 === 0 ? 'error' : 'success', startedAt, completedAt: startedAt + 10 + (i % 50) * 13 }),
        [newRunStep({ nodeId: 'fetch', status: 'success', startedAt, completedAt: startedAt + 5 + (i % 40) })],
      );
    for (let i = 0; i < 240; i++) await record(T0 + Math.floor((i * 2 * DAY) / 240), i);
    const currentHour = Math.floor(NOW / HOUR) * HOUR;
    for (let i = 0; i < 12; i++) await record(currentHour + i * 60_000, i);

    const range = { startedAfter: T0 - DAY, startedBefore: NOW + HOUR };
    const before = await insightAnswers(store, range, WORKFLOWS);
    const bucketsBefore = await rowsPerBucket(url);
    expect(bucketsBefore.some((bucket) => bucket.rows > 1)).toBe(true);

    await store.compactInsights();

    const bucketsAfter = await rowsPerBucket(url);
    const ended = (bucket: { grain: string; bucket_start: number }) => bucket.bucket_start + (bucket.grain === 'hour' ? HOUR : DAY) <= NOW - HOUR;
    // The same buckets; every ended one in one row at shard 0; the current hour's and day's untouched.
    expect(bucketsAfter.map(({ grain, workflow_id, bucket_start }) => ({ grain, workflow_id, bucket_start }))).toEqual(
      bucketsBefore.map(({ grain, workflow_id, bucket_start }) => ({ grain, workflow_id, bucket_start })),
    );
    expect(bucketsAfter.filter(ended).every((bucket) => bucket.rows === 1 && bucket.at_zero)).toBe(true);
    expect(bucketsAfter.filter((bucket) => !ended(bucket))).toEqual(bucketsBefore.filter((bucket) => !ended(bucket)));
    expect(await insightAnswers(store, range, WORKFLOWS)).toEqual(before);
    const folded = await storedAndRecounted(url);
    expect(folded.stored).toEqual(folded.recounted);

    // A run recorded late into a folded hour: counted beside the folded row, read as one bucket.
    await record(T0 + 5 * 60_000, 1);
    const late = await storedAndRecounted(url);
    expect(late.stored).toEqual(late.recounted);
    const hourly = await store.getTimeline({ ...range, bucket: 'hour' });
    expect(hourly.find((entry) => entry.start === T0)?.total).toBe((before.hourly['(all)']?.find((entry) => entry.start === T0)?.total ?? 0) + 1);
  });
});
