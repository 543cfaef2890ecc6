// The reference for the PostgreSQL rollup tests, as tests/rollup-recount.ts is for SQLite: the totals and rollups
// the store keeps, read as a reader sees them (a sharded bucket is the sum of its shard rows, histograms added
// across shards; a bucket summing to nothing does not exist), next to a recount of the stored rows by plain SQL and
// JavaScript. Both are read in one snapshot, so a writer still committing cannot make them disagree.
import { Client } from 'pg';
import { bucketOf, decodeHistogram } from '../../src/core/histogram.js';
import { isLaterError } from '../../src/core/last-error.js';
import type { ExecutionStore } from '../../src/index.js';

const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;
const GRAINS = [
  ['hour', HOUR],
  ['day', 24 * HOUR],
  ['week', WEEK], // node rollups of compacted weeks only
] as const;

type Row = Record<string, unknown>;

export interface Snapshot {
  /** execution_counts by (workflow, trigger, status), summed over shards. */
  counts: Row[];
  /** workflow_rollups by (grain, workflow, bucket), summed over shards; names left out (they are "the latest"). */
  workflows: Row[];
  /** node_rollups (not sharded); names, types and the deleted_* columns left out. */
  nodes: Row[];
}

const asNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value));
const histogramObject = (text: string) =>
  Object.fromEntries([...decodeHistogram(text)].filter(([, count]) => count !== 0).sort(([a], [b]) => a - b));
const histogramOf = (durations: number[]) => {
  const histogram: Record<string, number> = {};
  for (const duration of durations) histogram[bucketOf(duration)] = (histogram[bucketOf(duration)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(histogram).sort(([a], [b]) => Number(a) - Number(b)));
};

/** What the store keeps and what the stored rows say it should keep, read in one REPEATABLE READ snapshot. */
export async function storedAndRecounted(url: string): Promise<{ stored: Snapshot; recounted: Snapshot }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const stored = await storedRollups(client);
    const recounted = await recountedRollups(client);
    await client.query('COMMIT');
    return { stored, recounted };
  } finally {
    await client.end();
  }
}

/** The rollups as a reader sees them. */
export async function storedRollups(client: Client): Promise<Snapshot> {
  const { rows: countRows } = await client.query(
    `SELECT workflow_id, trigger_type, status, sum(executions) AS executions, sum(duration_count) AS duration_count,
       sum(duration_sum) AS duration_sum
     FROM execution_counts GROUP BY 1, 2, 3
     HAVING sum(executions) <> 0 OR sum(duration_count) <> 0 OR sum(duration_sum) <> 0`,
  );
  const counts = countRows.map((row) => ({
    workflow_id: row.workflow_id,
    trigger_type: row.trigger_type,
    status: row.status,
    executions: Number(row.executions),
    duration_count: Number(row.duration_count),
    duration_sum: Number(row.duration_sum),
  }));

  const { rows: shardRows } = await client.query(
    'SELECT grain, workflow_id, bucket_start, success, error, duration_count, duration_sum, histogram FROM workflow_rollups',
  );
  interface Bucket {
    grain: string;
    workflow_id: string;
    bucket_start: number;
    success: number;
    error: number;
    duration_count: number;
    duration_sum: number;
    histogramText: string;
  }
  const buckets = new Map<string, Bucket>();
  for (const row of shardRows) {
    const key = `${row.grain}|${row.workflow_id}|${row.bucket_start}`;
    const bucket = buckets.get(key) ?? {
      grain: row.grain, workflow_id: row.workflow_id, bucket_start: Number(row.bucket_start),
      success: 0, error: 0, duration_count: 0, duration_sum: 0, histogramText: '',
    };
    bucket.success += Number(row.success);
    bucket.error += Number(row.error);
    bucket.duration_count += Number(row.duration_count);
    bucket.duration_sum += Number(row.duration_sum);
    // Each shard's histogram may itself be a list of parts (the writers append): the bucket's is all of them.
    bucket.histogramText = [bucket.histogramText, row.histogram as string].filter((text) => text !== '').join(',');
    buckets.set(key, bucket);
  }
  const workflows = [...buckets.values()]
    .map(({ histogramText, ...bucket }) => ({ ...bucket, histogram: histogramObject(histogramText) }))
    // A bucket whose shards sum to nothing (and whose histogram too) does not exist for readers.
    .filter((bucket) =>
      bucket.success !== 0 || bucket.error !== 0 || bucket.duration_count !== 0 || bucket.duration_sum !== 0 || Object.keys(bucket.histogram).length > 0);

  const { rows: nodeRows } = await client.query(
    `SELECT grain, workflow_id, bucket_start, node_id, success, error, skipped, duration_count, duration_sum, duration_max,
       histogram, last_error_message, last_error_at FROM node_rollups`,
  );
  const nodes = nodeRows.map((row) => ({
    grain: row.grain,
    workflow_id: row.workflow_id,
    bucket_start: Number(row.bucket_start),
    node_id: row.node_id,
    success: Number(row.success),
    error: Number(row.error),
    skipped: Number(row.skipped),
    duration_count: Number(row.duration_count),
    duration_sum: Number(row.duration_sum),
    duration_max: asNumber(row.duration_max),
    last_error_message: row.last_error_message ?? null,
    last_error_at: asNumber(row.last_error_at),
    histogram: histogramObject(row.histogram as string),
  }));
  return sorted({ counts, workflows, nodes });
}

/** The same, recounted from the executions and steps stored now; weekly node rows for the weeks marked compacted. */
export async function recountedRollups(client: Client): Promise<Snapshot> {
  const { rows: countRows } = await client.query(
    `SELECT workflow_id, trigger_type, status, count(*) AS executions, count(duration_ms) AS duration_count,
       coalesce(sum(duration_ms), 0) AS duration_sum
     FROM workflow_executions GROUP BY 1, 2, 3`,
  );
  const counts = countRows.map((row) => ({
    workflow_id: row.workflow_id,
    trigger_type: row.trigger_type,
    status: row.status,
    executions: Number(row.executions),
    duration_count: Number(row.duration_count),
    duration_sum: Number(row.duration_sum),
  }));
  const { rows: executions } = await client.query('SELECT workflow_id, status, started_at, duration_ms FROM workflow_executions');
  const { rows: steps } = await client.query(
    `SELECT e.workflow_id, e.started_at AS execution_started_at, s.node_id, s.status, s.duration_ms, s.error_message,
       coalesce(s.completed_at, s.started_at) AS at
     FROM execution_steps s JOIN workflow_executions e ON e.id = s.execution_id`,
  );
  const { rows: weekRows } = await client.query('SELECT week_start FROM compacted_weeks');
  const compactedWeeks = new Set(weekRows.map((row) => Number(row.week_start)));

  const workflows = new Map<string, Row & { durations: number[] }>();
  const nodes = new Map<string, Row & { durations: number[] }>();
  for (const [grain, size] of GRAINS) {
    for (const execution of executions) {
      if (execution.status === 'running' || grain === 'week') continue; // rollups count finished executions
      const bucketStart = Math.floor(Number(execution.started_at) / size) * size;
      for (const workflowId of [execution.workflow_id as string, '']) {
        const key = `${grain}|${workflowId}|${bucketStart}`;
        const row = workflows.get(key) ?? {
          grain, workflow_id: workflowId, bucket_start: bucketStart, success: 0, error: 0, duration_count: 0, duration_sum: 0, durations: [],
        } as Row & { durations: number[] };
        (row[execution.status as string] as number)++;
        if (execution.duration_ms !== null) {
          (row.duration_count as number)++;
          (row.duration_sum as number) += Number(execution.duration_ms);
          row.durations.push(Number(execution.duration_ms));
        }
        workflows.set(key, row);
      }
    }
    for (const step of steps) {
      if (step.status === 'running') continue;
      const bucketStart = Math.floor(Number(step.execution_started_at) / size) * size;
      if (grain === 'week' && !compactedWeeks.has(bucketStart)) continue;
      const key = `${grain}|${step.workflow_id}|${bucketStart}|${step.node_id}`;
      const row = nodes.get(key) ?? {
        grain, workflow_id: step.workflow_id, bucket_start: bucketStart, node_id: step.node_id,
        success: 0, error: 0, skipped: 0, duration_count: 0, duration_sum: 0, duration_max: null,
        last_error_message: null, last_error_at: null, durations: [],
      } as Row & { durations: number[] };
      (row[step.status as string] as number)++;
      if (step.duration_ms !== null) {
        const duration = Number(step.duration_ms);
        (row.duration_count as number)++;
        (row.duration_sum as number) += duration;
        row.duration_max = Math.max((row.duration_max as number | null) ?? 0, duration);
        row.durations.push(duration);
      }
      const at = Number(step.at);
      const current = row.last_error_at === null ? null : { at: row.last_error_at as number, message: row.last_error_message as string | null };
      if (step.status === 'error' && isLaterError({ at, message: (step.error_message as string | null) ?? null }, current)) {
        row.last_error_at = at;
        row.last_error_message = step.error_message ?? null;
      }
      nodes.set(key, row);
    }
  }
  const withHistogram = ({ durations, ...row }: Row & { durations: number[] }) => ({ ...row, histogram: histogramOf(durations) });
  return sorted({ counts, workflows: [...workflows.values()].map(withHistogram), nodes: [...nodes.values()].map(withHistogram) });
}

const byKey = (rows: Row[], key: (row: Row) => string) => rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

function sorted(snapshot: Snapshot): Snapshot {
  byKey(snapshot.counts, (row) => `${row.workflow_id}|${row.trigger_type}|${row.status}`);
  byKey(snapshot.workflows, (row) => `${row.grain}|${row.workflow_id}|${row.bucket_start}`);
  byKey(snapshot.nodes, (row) => `${row.grain}|${row.workflow_id}|${row.bucket_start}|${row.node_id}`);
  return snapshot;
}

/**
 * What a user reads from the totals and rollups over a range, all workflows and each: stats, node stats, hourly and
 * daily timelines, workflow summaries. For comparing a store's answers before and after something that must not
 * change them (rebuildInsights, a clean-up whose insights outlive deletes).
 */
export async function insightAnswers(store: ExecutionStore, range: { startedAfter: number; startedBefore: number }, workflowIds: readonly string[]) {
  const perWorkflow = async <T>(read: (workflowId: string | undefined) => Promise<T>) => {
    const answers: Record<string, T> = {};
    for (const workflowId of [undefined, ...workflowIds]) answers[workflowId ?? '(all)'] = await read(workflowId);
    return answers;
  };
  return {
    stats: await perWorkflow((workflowId) => store.getExecutionStats(workflowId === undefined ? {} : { workflowId })),
    nodeStats: await perWorkflow((workflowId) => store.getNodeStats({ ...range, ...(workflowId === undefined ? {} : { workflowId }), limit: 1000 })),
    hourly: await perWorkflow((workflowId) => store.getTimeline({ ...range, ...(workflowId === undefined ? {} : { workflowId }), bucket: 'hour' })),
    daily: await perWorkflow((workflowId) => store.getTimeline({ ...range, ...(workflowId === undefined ? {} : { workflowId }), bucket: 'day' })),
    summaries: await store.getWorkflowSummaries(range),
    allTimeSummaries: await store.getWorkflowSummaries(),
  };
}
