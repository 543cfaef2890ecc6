// One row per workflow for an overview screen: its latest run, and how it did over a time range. The numbers of
// src/sqlite/workflow-summaries.ts, from sharded rollups and totals: a bucket is the sum of its shard rows, named by
// the shard that last counted a named execution, and a bucket (or a total) that sums to nothing does not exist.
// Everything is read by one statement, for all workflows at once: one snapshot without a transaction, one round trip.
// A header row holds the settings and the small parts as JSON; the rollup buckets follow as plain rows (their
// histograms as JSON cost more than their sums). Put together by src/core/workflow-summary-totals.ts, as on SQLite.
import { ALL_WORKFLOWS } from '../core/constants.js';
import type { RollupSpan } from '../core/rollup-spans.js';
import type { WorkflowSummary } from '../core/types.js';
import { type LatestRun, WorkflowSummaryTotals } from '../core/workflow-summary-totals.js';
import { type Queryable, readPlanned, SETTINGS_COLUMN, settingsContext } from './insight-reads.js';

/**
 * Summaries of the workflows with stored executions or runs in a range, most recently run first.
 * @param spansFrom the rollup spans that cover the range when hourly rows begin at `hoursFrom`.
 */
export async function getWorkflowSummaries(db: Queryable, spansFrom: (hoursFrom: number) => RollupSpan[]): Promise<WorkflowSummary[]> {
  return readPlanned(db, (context) => {
    const spans = spansFrom(context.kept.workflowHoursFrom);
    return {
      text: SUMMARIES,
      values: [
        spans.map((span) => span.grain),
        spans.map((span) => span.from),
        spans.map((span) => span.to),
        spans[0]?.from ?? null,
        spans.at(-1)?.to ?? null,
      ],
      rowMode: 'array',
      contextOf: (rows) => settingsContext(headerOf(rows)[1], []),
      answer: (rows) => {
        const [, , stored, running, latestRuns] = headerOf(rows);
        const totals = new WorkflowSummaryTotals();
        for (const [kind, , , , , workflowId, bucketStart, workflowName, success, error, durationCount, durationSum, histograms] of rows as BucketRow[]) {
          if (kind === HEADER) continue;
          totals.add({
            workflowId,
            bucketStart: Number(bucketStart),
            workflowName,
            success: Number(success),
            error: Number(error),
            durationCount: Number(durationCount),
            durationSum: Number(durationSum),
            histograms,
          });
        }
        const ids = totals.workflowIds(stored);
        const latest = new Map(latestRuns.map(([workflowId, id, status, startedAt, workflowName]) => [workflowId, { id, status, startedAt, workflowName }]));
        const runningOf = new Map(running);
        return totals.summaries(
          ids,
          (workflowId) => latest.get(workflowId),
          (workflowId) => runningOf.get(workflowId) ?? 0,
        );
      },
    };
  });
}

/** The header row (kind 0): the settings, then the workflows with stored executions, running counts and latest runs as JSON. */
const HEADER = 0;
type LatestRow = [string, LatestRun['id'], LatestRun['status'], LatestRun['startedAt'], LatestRun['workflowName']];
type Header = [typeof HEADER, unknown, string[], [string, number][], LatestRow[]];
/** A bucket's row: kind 1, the header's columns empty, then the bucket (int8 and numeric as text). */
type BucketRow = [number, null, null, null, null, string, string, string, string, string, string, string, string];
const headerOf = (rows: unknown[]) => rows.find((row) => (row as unknown[])[0] === HEADER) as Header;

/**
 * Parameters: $1–$3 the rollup spans' grains, first and last bucket starts (exclusive), $4–$5 where they begin and end
 * (null for no spans). Each span is an index range scan of its own (a lateral subquery kept apart by OFFSET 0: the
 * planner cannot tell how many rows a span of an unnest() holds, and may otherwise scan the whole table).
 * - buckets: each workflow's rollup buckets in the spans, their shard rows summed. The name is that of the shard row
 *   that last counted a named execution (for two at the same instant, the greater name in byte order, so that the
 *   choice is the same whichever shards the writers used): the max() of the two packed into a text whose byte order
 *   is that order (named_at is never negative, 20 digits hold any bigint), since a plain aggregate lets PostgreSQL
 *   group by hashing, where an ordered array_agg() sorted the 12,000 shard rows of 30 days first.
 * - stored: the workflows with stored executions: a workflow's totals are its shard rows summed; all at 0 is none.
 * - running: running executions per workflow started in the spans, which the rollups do not count (few rows, which
 *   the partial index on the running executions holds).
 * - latest: the latest stored execution of each workflow of either list (ties on the start broken by the greater id
 *   in byte order), from the end of its (workflow_id, started_at) index.
 */
const SUMMARIES = `WITH buckets AS (
    SELECT r.workflow_id, r.bucket_start,
      substr(max(lpad(r.named_at::text, 20, '0') || r.workflow_name COLLATE "C"), 21) AS workflow_name,
      sum(r.success) AS success, sum(r.error) AS error, sum(r.duration_count) AS duration_count,
      sum(r.duration_sum) AS duration_sum, string_agg(r.histogram, ',') AS histograms
    FROM unnest($1::text[], $2::int8[], $3::int8[]) AS s(grain, from_, to_)
    CROSS JOIN LATERAL (SELECT * FROM workflow_rollups r
      WHERE r.grain = s.grain AND r.bucket_start >= s.from_ AND r.bucket_start < s.to_ AND r.workflow_id > '${ALL_WORKFLOWS}' OFFSET 0) AS r
    GROUP BY r.grain, r.workflow_id, r.bucket_start
    HAVING sum(r.success) + sum(r.error) <> 0
  ), stored AS (
    SELECT workflow_id FROM execution_counts GROUP BY workflow_id HAVING sum(executions) <> 0
  )
  SELECT ${HEADER} AS kind, ${SETTINGS_COLUMN},
    (SELECT coalesce(json_agg(workflow_id), '[]') FROM stored) AS stored,
    (SELECT coalesce(json_agg(json_build_array(workflow_id, running)), '[]') FROM (
      SELECT workflow_id, count(*) AS running FROM workflow_executions
      WHERE status = 'running' AND started_at >= $4 AND started_at < $5 GROUP BY workflow_id) AS counted) AS running,
    (SELECT coalesce(json_agg(json_build_array(wanted.workflow_id, latest.id, latest.status, latest.started_at, latest.workflow_name)), '[]')
      FROM (SELECT workflow_id FROM buckets UNION SELECT workflow_id FROM stored) AS wanted
      CROSS JOIN LATERAL (SELECT id, status, started_at, workflow_name FROM workflow_executions e
        WHERE e.workflow_id = wanted.workflow_id ORDER BY e.started_at DESC, e.id COLLATE "C" DESC LIMIT 1) AS latest) AS latest,
    NULL, NULL::int8, NULL, NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric, NULL
  UNION ALL
  SELECT 1, NULL, NULL, NULL, NULL, workflow_id, bucket_start, workflow_name, success, error, duration_count, duration_sum, histograms FROM buckets`;
