// The reference for the rollup tests: the totals and rollups recounted from the stored rows by plain SQL and
// JavaScript, independently of the code that keeps them.
import Database from 'better-sqlite3';
import { bucketOf, decodeHistogram } from '../src/core/histogram.js';
import { isLaterError } from '../src/core/last-error.js';

const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;
const GRAINS = [
  ['hour', HOUR],
  ['day', 24 * HOUR],
  ['week', WEEK], // node rollups of compacted weeks only
] as const;

type Row = Record<string, unknown>;

export interface Snapshot {
  counts: Row[];
  workflows: Row[];
  nodes: Row[];
}

const byKey = (rows: Row[], key: (row: Row) => string) => rows.sort((a, b) => key(a).localeCompare(key(b)));
const histogramOf = (durations: number[]) => {
  const histogram: Record<string, number> = {};
  for (const d of durations) histogram[bucketOf(d)] = (histogram[bucketOf(d)] ?? 0) + 1;
  return histogram;
};
const cleanHistogram = (text: string) => Object.fromEntries(decodeHistogram(text));

/** What the store keeps, read from the file; workflow and node names left out (they are "the latest"). */
export function storedRollups(file: string): Snapshot {
  const db = new Database(file, { readonly: true });
  try {
    return storedSnapshot({
      counts: db.prepare('SELECT * FROM execution_counts').all() as Row[],
      workflows: db.prepare('SELECT * FROM workflow_rollups').all() as Row[],
      nodes: db.prepare('SELECT * FROM node_rollups').all() as Row[],
    });
  } finally {
    db.close();
  }
}

/**
 * The rows of the three tables as stored (histograms encoded), as the snapshot compares them: histograms decoded,
 * workflow and node names left out. Shared with tests/rollup-rows.ts, which reads the same tables on PostgreSQL.
 */
export function storedSnapshot(tables: Snapshot): Snapshot {
  const workflows = tables.workflows.map(({ workflow_name: _, histogram, ...row }) => ({
    ...row,
    histogram: cleanHistogram(histogram as string),
  }));
  // The deleted_* columns hold what steps since deleted contributed, which no recount of the stored rows can see;
  // tests/insights-exact.test.ts checks them through the answers they give.
  const nodes = tables.nodes.map(
    ({ node_name: _n, node_type: _t, deleted_duration_max: _m, deleted_last_error_message: _e, deleted_last_error_at: _a, histogram, ...row }) => ({
      ...row,
      histogram: cleanHistogram(histogram as string),
    }),
  );
  return sorted({ counts: [...tables.counts], workflows, nodes });
}

/** The same tables recounted from the executions and steps stored now; weekly rows for the weeks marked compacted. */
export function recountedRollups(file: string): Snapshot {
  const db = new Database(file, { readonly: true });
  try {
    return recount({
      counts: db.prepare(RECOUNT_QUERIES.counts).all() as Row[],
      executions: db.prepare(RECOUNT_QUERIES.executions).all() as Row[],
      steps: db.prepare(RECOUNT_QUERIES.steps).all() as Row[],
      compactedWeeks: db.prepare(RECOUNT_QUERIES.compactedWeeks).pluck().all() as number[],
    });
  } finally {
    db.close();
  }
}

/** What a recount reads from the stored rows: plain SQL that SQLite and PostgreSQL both run (see tests/rollup-rows.ts). */
export const RECOUNT_QUERIES = {
  counts: `SELECT workflow_id, trigger_type, status, count(*) AS executions, count(duration_ms) AS duration_count,
    coalesce(sum(duration_ms), 0) AS duration_sum FROM workflow_executions GROUP BY 1, 2, 3`,
  executions: 'SELECT workflow_id, status, started_at, duration_ms FROM workflow_executions',
  steps: `SELECT e.workflow_id, e.started_at AS execution_started_at, s.node_id, s.status, s.duration_ms, s.error_message,
    coalesce(s.completed_at, s.started_at) AS at FROM execution_steps s JOIN workflow_executions e ON e.id = s.execution_id`,
  compactedWeeks: 'SELECT week_start FROM compacted_weeks',
} as const;

export interface StoredRows {
  /** RECOUNT_QUERIES.counts' rows. */
  counts: Row[];
  executions: Row[];
  steps: Row[];
  compactedWeeks: number[];
}

/** The rollups recounted in JavaScript from the stored rows. */
export function recount({ counts, executions, steps, compactedWeeks: weeks }: StoredRows): Snapshot {
  const compactedWeeks = new Set(weeks);
  const workflows = new Map<string, Row & { durations: number[] }>();
  const nodes = new Map<string, Row & { durations: number[] }>();
  for (const [grain, size] of GRAINS) {
    for (const execution of executions) {
      if (execution.status === 'running' || grain === 'week') continue; // rollups count finished executions
      const bucketStart = Math.floor((execution.started_at as number) / size) * size;
      for (const workflowId of [execution.workflow_id as string, '']) {
        const key = `${grain}|${workflowId}|${bucketStart}`;
        const row = workflows.get(key) ?? { grain, workflow_id: workflowId, bucket_start: bucketStart, success: 0, error: 0, duration_count: 0, duration_sum: 0, durations: [] };
        (row[execution.status as string] as number)++;
        if (execution.duration_ms !== null) {
          (row.duration_count as number)++;
          (row.duration_sum as number) += execution.duration_ms as number;
          row.durations.push(execution.duration_ms as number);
        }
        workflows.set(key, row);
      }
    }
    for (const step of steps) {
      if (step.status === 'running') continue;
      const bucketStart = Math.floor((step.execution_started_at as number) / size) * size;
      if (grain === 'week' && !compactedWeeks.has(bucketStart)) continue;
      const key = `${grain}|${step.workflow_id}|${bucketStart}|${step.node_id}`;
      const row = nodes.get(key) ?? {
        grain, workflow_id: step.workflow_id, bucket_start: bucketStart, node_id: step.node_id,
        success: 0, error: 0, skipped: 0, duration_count: 0, duration_sum: 0, duration_max: null,
        last_error_message: null, last_error_at: null, durations: [],
      };
      (row[step.status as string] as number)++;
      if (step.duration_ms !== null) {
        (row.duration_count as number)++;
        (row.duration_sum as number) += step.duration_ms as number;
        row.duration_max = Math.max((row.duration_max as number | null) ?? 0, step.duration_ms as number);
        row.durations.push(step.duration_ms as number);
      }
      if (step.status === 'error' && isLaterError({ at: step.at as number, message: step.error_message as string | null }, row.last_error_at === null ? null : { at: row.last_error_at as number, message: row.last_error_message as string | null })) {
        row.last_error_at = step.at;
        row.last_error_message = step.error_message;
      }
      nodes.set(key, row);
    }
  }
  const withHistogram = ({ durations, ...row }: Row & { durations: number[] }) => ({ ...row, histogram: histogramOf(durations) });
  return sorted({ counts, workflows: [...workflows.values()].map(withHistogram), nodes: [...nodes.values()].map(withHistogram) });
}

function sorted(snapshot: Snapshot): Snapshot {
  byKey(snapshot.counts, (row) => `${row.workflow_id}|${row.trigger_type}|${row.status}`);
  byKey(snapshot.workflows, (row) => `${row.grain}|${row.workflow_id}|${row.bucket_start}`);
  byKey(snapshot.nodes, (row) => `${row.grain}|${row.workflow_id}|${row.bucket_start}|${row.node_id}`);
  return snapshot;
}
