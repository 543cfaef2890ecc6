// Every rollup row a write changes, written by one statement: the totals (execution_counts), the workflow rows and
// the node rows (hours, days, and the weeks already compacted), as data-modifying CTEs of the statement that may also
// insert the rows themselves. One round trip instead of one or two per table: a round trip costs more than the rows.
//
// - Fixed order. The three upserts run one after another (each waits for the previous one through a scalar
//   subquery over it), and each writes its rows sorted by key in byte order, so that writers lock rows in one order
//   and cannot deadlock each other (in random order four writers measured 145 deadlocks against 144 commits).
// - No JavaScript in SQL, and no read of the row first. A histogram change is appended to the stored histogram as
//   one more comma-separated part (readers add up such lists already: string_agg over rows gives the same form), and
//   a row whose list grew long is merged in code afterwards (see rollups.ts), rarely: a row is merged once per
//   HISTOGRAM_PARTS appends.
// - What the write used to read first is part of the statement: which buckets are kept (rows before them were
//   pruned and must not come back), which weeks are compacted (their weekly rows follow their days), whether a row
//   exists (a change that only removes must not create its row).
import { encodeHistogram } from '../core/histogram.js';
import { packError } from '../core/last-error.js';
import { compositeKey } from '../core/composite-key.js';
import type { NodeRollupChange, RollupChanges } from '../core/rollup-changes.js';
import { packedErrorText } from './packed-error.js';
import { weekOf } from './rollup-weeks.js';
import type { SqlStatement } from './sql-statement.js';

/** A stored histogram list of this many parts is merged into one (rollups.ts). */
export const HISTOGRAM_PARTS = 64;

/** Appends a histogram change to the stored list (an empty one is no part). */
const APPEND_HISTOGRAM = `case when excluded.histogram = '' then r.histogram when r.histogram = '' then excluded.histogram
  else r.histogram || ',' || excluded.histogram end`;
/** Whether a stored list has reached HISTOGRAM_PARTS parts. */
const longList = (column: string) => `(length(${column}) - length(replace(${column}, ',', '')) >= ${HISTOGRAM_PARTS - 1})`;

// Most upserts carry no error: then nothing is packed.
const newerError = `excluded.last_error_at is not null and ${packedErrorText('excluded.last_error_at', 'excluded.last_error_message')}
  > coalesce(${packedErrorText('r.last_error_at', 'r.last_error_message')}, '')`;

const MIN_INT8 = '(-9223372036854775808)::int8';

/** A counts row the upsert left at zero (to delete). */
export interface ReturnedCount {
  workflow_id: string;
  trigger_type: string;
  status: string;
}

/** A workflow row the upsert emptied, or whose histogram list grew long (`histogram` then set). */
export interface ReturnedWorkflowRow {
  grain: string;
  workflow_id: string;
  bucket_start: number;
  shard: number;
  empty: boolean;
  histogram: string | null;
}

/** A node row as the upsert left it: every row when the write removed something, else only long lists. */
export interface ReturnedNodeRow {
  grain: 'hour' | 'day' | 'week';
  workflow_id: string;
  bucket_start: number;
  node_id: string;
  success: number;
  error: number;
  skipped: number;
  duration_max: number | null;
  last_error_at: number | null;
  last_error_message: string | null;
  histogram: string | null;
}

export interface ReturnedRollups {
  counts: ReturnedCount[] | null;
  workflows: ReturnedWorkflowRow[] | null;
  nodes: ReturnedNodeRow[] | null;
}

/** Whether the changes remove anything: then the rows may need deleting or recounting afterwards. */
export function removesAnything(changes: RollupChanges): boolean {
  for (const change of changes.counts.values()) if (change.executions < 0 || change.durationCount < 0) return true;
  for (const change of changes.workflows.values()) if (change.success < 0 || change.error < 0 || change.durationCount < 0) return true;
  for (const change of changes.nodes.values()) if (isRemoval(change)) return true;
  return false;
}

export const isRemoval = (change: NodeRollupChange) =>
  change.success < 0 || change.error < 0 || change.skipped < 0 || change.durationCount < 0 || change.removedMax !== null || change.removedLastError !== null;

/** Whether the changes take anything from node rows: then a maximum or last error may need a recount, in a transaction. */
export function removesFromNodes(changes: RollupChanges): boolean {
  for (const change of changes.nodes.values()) if (isRemoval(change)) return true;
  return false;
}

export interface UpsertOptions {
  /** A condition every upsert waits for and needs (a guarded write's "the rows were as expected"). */
  guard?: string;
  /** More columns for the answering SELECT, e.g. `(SELECT n FROM chk) AS checked`. */
  answer?: string;
}


/**
 * Adds the upserts of `changes` to `statement` (adding to shard `shard` of the sharded rows) and returns the SELECT
 * that ends it, answering one row of ReturnedRollups (and the columns of `answer`).
 */
export function addRollupUpserts(
  statement: SqlStatement,
  changes: RollupChanges,
  shard: number,
  { guard = 'true', answer }: UpsertOptions = {},
): string {
  const removals = removesAnything(changes);
  const counts = [...changes.counts.values()].filter((change) => change.executions !== 0 || change.durationCount !== 0 || change.durationSum !== 0);
  const workflows = [...changes.workflows.values()];
  const dayAndHours = [...changes.nodes.values()];
  // Whether a change may only remove (then it must not create its row, which takes a lookup to know).
  const workflowsOnlyRemoving = workflows.some((change) => change.workflowName === null);
  const nodesOnlyRemoving = dayAndHours.some((change) => change.latest === null);
  // A compacted week's weekly row follows its days. A write changes one day of a week per node, mostly: then the
  // day's change is the week's, a row like the others (written if its week is compacted). Several days of one week
  // are summed per node by SQL instead (addWeeklyChanges), which costs more to plan.
  const weeks = weeklyRows(dayAndHours);
  const nodes: (NodeRollupChange & { keptAt?: number })[] = weeks === undefined ? dayAndHours : [...dayAndHours, ...weeks];
  const shardParam = counts.length + workflows.length > 0 ? statement.param(shard, 'int4') : '';
  let previous: string | null = null;
  const afterPrevious = () => `${guard} AND ${previous === null ? 'true' : `(SELECT count(*) FROM ${previous}) >= 0`}`;
  const returned = { counts: 'NULL::json', workflows: 'NULL::json', nodes: 'NULL::json' };

  if (workflows.length + nodes.length > 0) {
    // Rows of buckets before the kept ones were pruned, and readers count the stored rows there instead: a change to
    // such a bucket (a run recorded late, a delete) must not bring back a row that would then be wrong. An aggregate:
    // one row even when a tool deleted the settings row.
    statement.with(
      'kept',
      `SELECT coalesce(max(node_hours_kept_from), ${MIN_INT8}) AS node_hours, coalesce(max(workflow_hours_kept_from), ${MIN_INT8}) AS workflow_hours,
         coalesce(max(days_kept_from), ${MIN_INT8}) AS days FROM insight_settings WHERE id = 1`,
    );
  }

  if (counts.length > 0) {
    statement.with(
      'c',
      `INSERT INTO execution_counts AS c (workflow_id, trigger_type, status, shard, executions, duration_count, duration_sum)
       SELECT v.workflow_id, v.trigger_type, v.status, ${shardParam}, v.executions, v.duration_count, v.duration_sum
       FROM unnest(${statement.param(counts.map((c) => c.workflowId), 'text[]')}, ${statement.param(counts.map((c) => c.triggerType), 'text[]')},
         ${statement.param(counts.map((c) => c.status), 'text[]')}, ${statement.param(counts.map((c) => c.executions), 'int8[]')},
         ${statement.param(counts.map((c) => c.durationCount), 'int8[]')}, ${statement.param(counts.map((c) => c.durationSum), 'int8[]')})
         AS v(workflow_id, trigger_type, status, executions, duration_count, duration_sum)
       WHERE ${guard}
       ORDER BY v.workflow_id COLLATE "C", v.trigger_type COLLATE "C", v.status COLLATE "C"
       ON CONFLICT (workflow_id, trigger_type, status, shard) DO UPDATE SET
         executions = c.executions + excluded.executions, duration_count = c.duration_count + excluded.duration_count,
         duration_sum = c.duration_sum + excluded.duration_sum
       RETURNING c.workflow_id, c.trigger_type, c.status, c.executions, c.duration_count, c.duration_sum`,
    );
    previous = 'c';
    returned.counts = `(SELECT json_agg(json_build_object('workflow_id', c.workflow_id, 'trigger_type', c.trigger_type, 'status', c.status))
      FROM c WHERE c.executions = 0 AND c.duration_count = 0 AND c.duration_sum = 0)`;
  }

  if (workflows.length > 0) {
    statement.with(
      'w',
      `INSERT INTO workflow_rollups AS r (grain, workflow_id, bucket_start, shard, workflow_name, success, error, duration_count, duration_sum, histogram, named_at)
       SELECT v.grain, v.workflow_id, v.bucket_start, ${shardParam}, v.workflow_name, v.success, v.error, v.duration_count, v.duration_sum, v.histogram,
         case when v.named then (extract(epoch from clock_timestamp()) * 1000000)::int8 else 0 end
       FROM unnest(${statement.param(workflows.map((c) => c.grain), 'text[]')}, ${statement.param(workflows.map((c) => c.workflowId), 'text[]')},
         ${statement.param(workflows.map((c) => c.bucketStart), 'int8[]')}, ${statement.param(workflows.map((c) => c.workflowName ?? ''), 'text[]')},
         ${statement.param(workflows.map((c) => c.success), 'int8[]')}, ${statement.param(workflows.map((c) => c.error), 'int8[]')},
         ${statement.param(workflows.map((c) => c.durationCount), 'int8[]')}, ${statement.param(workflows.map((c) => c.durationSum), 'int8[]')},
         ${statement.param(workflows.map((c) => encodeHistogram(c.histogram)), 'text[]')}, ${statement.param(workflows.map((c) => c.workflowName !== null), 'bool[]')})
         AS v(grain, workflow_id, bucket_start, workflow_name, success, error, duration_count, duration_sum, histogram, named)
       CROSS JOIN kept
       WHERE v.bucket_start >= case when v.grain = 'hour' then kept.workflow_hours else kept.days end
         -- A change that only removes must not create the bucket it removes from (pruned, or never counted: history
         -- from before the rollups): an insert would hold negative counts. A bucket exists when any shard has its row.
         ${workflowsOnlyRemoving ? 'AND (v.named OR EXISTS (SELECT 1 FROM workflow_rollups x WHERE x.grain = v.grain AND x.workflow_id = v.workflow_id AND x.bucket_start = v.bucket_start))' : ''}
         AND ${afterPrevious()}
       ORDER BY v.grain COLLATE "C", v.workflow_id COLLATE "C", v.bucket_start
       ON CONFLICT (grain, workflow_id, bucket_start, shard) DO UPDATE SET
         success = r.success + excluded.success, error = r.error + excluded.error,
         duration_count = r.duration_count + excluded.duration_count, duration_sum = r.duration_sum + excluded.duration_sum,
         histogram = ${APPEND_HISTOGRAM},
         workflow_name = case when excluded.named_at > 0 then excluded.workflow_name else r.workflow_name end,
         named_at = case when excluded.named_at > 0 then excluded.named_at else r.named_at end
       RETURNING r.grain, r.workflow_id, r.bucket_start, r.shard, r.success, r.error, r.duration_count, r.duration_sum, r.histogram`,
    );
    previous = 'w';
    const empty = 'w.success = 0 AND w.error = 0 AND w.duration_count = 0 AND w.duration_sum = 0';
    returned.workflows = `(SELECT json_agg(json_build_object('grain', w.grain, 'workflow_id', w.workflow_id, 'bucket_start', w.bucket_start, 'shard', w.shard,
        'empty', ${empty}, 'histogram', case when ${longList('w.histogram')} then w.histogram end))
      FROM w WHERE (${empty}) OR ${longList('w.histogram')})`;
  }

  if (nodes.length > 0) {
    const latest = (change: NodeRollupChange) => change.latest;
    statement.with(
      'nv',
      `SELECT v.* FROM unnest(${statement.param(nodes.map((c) => c.grain), 'text[]')}, ${statement.param(nodes.map((c) => c.workflowId), 'text[]')},
         ${statement.param(nodes.map((c) => c.bucketStart), 'int8[]')}, ${statement.param(nodes.map((c) => c.nodeId), 'text[]')},
         ${statement.param(nodes.map((c) => latest(c)?.nodeType ?? ''), 'text[]')}, ${statement.param(nodes.map((c) => latest(c)?.nodeName ?? null), 'text[]')},
         ${statement.param(nodes.map((c) => latest(c) !== null), 'bool[]')},
         ${statement.param(nodes.map((c) => c.success), 'int8[]')}, ${statement.param(nodes.map((c) => c.error), 'int8[]')},
         ${statement.param(nodes.map((c) => c.skipped), 'int8[]')}, ${statement.param(nodes.map((c) => c.durationCount), 'int8[]')},
         ${statement.param(nodes.map((c) => c.durationSum), 'int8[]')}, ${statement.param(nodes.map((c) => c.addedMax), 'int8[]')},
         ${statement.param(nodes.map((c) => encodeHistogram(c.histogram)), 'text[]')},
         ${statement.param(nodes.map((c) => c.lastError?.message ?? null), 'text[]')}, ${statement.param(nodes.map((c) => c.lastError?.at ?? null), 'int8[]')},
         ${statement.param(nodes.map((c) => (c.lastError === null ? null : packError(c.lastError))), 'text[]')},
         ${statement.param(nodes.map((c) => weekOf(c.bucketStart)), 'int8[]')}, ${statement.param(nodes.map((c) => c.keptAt ?? c.bucketStart), 'int8[]')})
         WITH ORDINALITY AS v(grain, workflow_id, bucket_start, node_id, node_type, node_name, has_latest, success, error, skipped,
           duration_count, duration_sum, duration_max, histogram, last_error_message, last_error_at, last_error_packed, week, kept_at, i)
       CROSS JOIN kept
       WHERE v.kept_at >= case when v.grain = 'hour' then kept.node_hours else kept.days end AND ${guard}
         ${weeks === undefined ? '' : "AND (v.grain <> 'week' OR EXISTS (SELECT 1 FROM compacted_weeks cw WHERE cw.week_start = v.bucket_start))"}`,
    );
    const weeksSummed = weeks === undefined && dayAndHours.some((change) => change.grain === 'day');
    if (weeksSummed) addWeeklyChanges(statement);
    const columns = `grain, workflow_id, bucket_start, node_id, node_type, node_name, has_latest, success, error, skipped, duration_count, duration_sum,
      duration_max, histogram, last_error_message, last_error_at`;
    statement.with(
      'n',
      `INSERT INTO node_rollups AS r (grain, workflow_id, bucket_start, node_id, node_type, node_name, success, error, skipped,
         duration_count, duration_sum, duration_max, histogram, last_error_message, last_error_at)
       SELECT u.grain, u.workflow_id, u.bucket_start, u.node_id, u.node_type, u.node_name, u.success, u.error, u.skipped,
         u.duration_count, u.duration_sum, u.duration_max, u.histogram, u.last_error_message, u.last_error_at
       FROM (SELECT ${columns} FROM nv${weeksSummed ? ` UNION ALL SELECT ${columns} FROM nw` : ''}) u
       WHERE ${afterPrevious()}
         -- A change that only removes updates its row if there is one, never creates it.
         ${nodesOnlyRemoving ? `AND (u.has_latest OR EXISTS (SELECT 1 FROM node_rollups x
           WHERE x.grain = u.grain AND x.workflow_id = u.workflow_id AND x.bucket_start = u.bucket_start AND x.node_id = u.node_id))` : ''}
       ORDER BY u.grain COLLATE "C", u.workflow_id COLLATE "C", u.bucket_start, u.node_id COLLATE "C"
       ON CONFLICT (grain, workflow_id, bucket_start, node_id) DO UPDATE SET
         success = r.success + excluded.success, error = r.error + excluded.error, skipped = r.skipped + excluded.skipped,
         duration_count = r.duration_count + excluded.duration_count, duration_sum = r.duration_sum + excluded.duration_sum,
         node_type = case when excluded.node_type <> '' then excluded.node_type else r.node_type end,
         node_name = case when excluded.node_type <> '' then excluded.node_name else r.node_name end,
         duration_max = nullif(greatest(coalesce(r.duration_max, -1), coalesce(excluded.duration_max, -1)), -1),
         histogram = ${APPEND_HISTOGRAM},
         last_error_message = case when ${newerError} then excluded.last_error_message else r.last_error_message end,
         last_error_at = case when ${newerError} then excluded.last_error_at else r.last_error_at end
       RETURNING r.grain, r.workflow_id, r.bucket_start, r.node_id, r.success, r.error, r.skipped, r.duration_max, r.last_error_at,
         r.last_error_message, r.histogram`,
    );
    // Additions need nothing back but long lists; a removal may have emptied a row or taken its maximum or last error.
    returned.nodes = `(SELECT json_agg(json_build_object('grain', n.grain, 'workflow_id', n.workflow_id, 'bucket_start', n.bucket_start,
        'node_id', n.node_id, 'success', n.success, 'error', n.error, 'skipped', n.skipped, 'duration_max', n.duration_max,
        'last_error_at', n.last_error_at, 'last_error_message', n.last_error_message, 'histogram', case when ${longList('n.histogram')} then n.histogram end))
      FROM n WHERE ${removals ? 'true' : longList('n.histogram')})`;
  }
  return `SELECT ${returned.counts} AS counts, ${returned.workflows} AS workflows, ${returned.nodes} AS nodes${answer === undefined ? '' : `, ${answer}`}`;
}

/**
 * The weekly rows' changes when each week has the change of one day per node (the day's change, under the week,
 * kept only if that day is); undefined when some week has two days changed, to be summed in SQL.
 */
function weeklyRows(changes: NodeRollupChange[]): (NodeRollupChange & { keptAt: number })[] | undefined {
  const weeks = new Map<string, NodeRollupChange & { keptAt: number }>();
  for (const change of changes) {
    if (change.grain !== 'day') continue;
    const week = { ...change, grain: 'week' as const, bucketStart: weekOf(change.bucketStart), keptAt: change.bucketStart };
    const key = compositeKey(week.workflowId, week.nodeId, week.bucketStart);
    if (weeks.has(key)) return undefined;
    weeks.set(key, week);
  }
  return [...weeks.values()];
}

/** The CTE `nw`: the changes to days of compacted weeks, summed per weekly row (from `nv`). */
function addWeeklyChanges(statement: SqlStatement): void {
  const ofLatestDay = (column: string) => `(array_agg(nv.${column} ORDER BY nv.i DESC) FILTER (WHERE nv.has_latest))[1]`;
  const ofLastError = (column: string) => `(array_agg(nv.${column} ORDER BY nv.last_error_packed COLLATE "C" DESC NULLS LAST))[1]`;
  statement.with(
    'nw',
    `SELECT 'week'::text AS grain, nv.workflow_id, nv.week AS bucket_start, nv.node_id, coalesce(${ofLatestDay('node_type')}, '') AS node_type,
       ${ofLatestDay('node_name')} AS node_name, bool_or(nv.has_latest) AS has_latest, sum(nv.success)::int8 AS success, sum(nv.error)::int8 AS error,
       sum(nv.skipped)::int8 AS skipped, sum(nv.duration_count)::int8 AS duration_count, sum(nv.duration_sum)::int8 AS duration_sum,
       max(nv.duration_max) AS duration_max, coalesce(string_agg(nullif(nv.histogram, ''), ',' ORDER BY nv.i), '') AS histogram,
       ${ofLastError('last_error_message')} AS last_error_message, ${ofLastError('last_error_at')} AS last_error_at
     FROM nv WHERE nv.grain = 'day' AND EXISTS (SELECT 1 FROM compacted_weeks cw WHERE cw.week_start = nv.week)
     GROUP BY nv.workflow_id, nv.week, nv.node_id`,
  );
}
