// Part 9: insights. Each store call beside the plain SQL a straightforward implementation would run: one
// aggregate over the rows with the best plain index. The targets are absolute times at the large scale; the two
// sides are timed apart (see `apart`), since the naive side scans gigabytes and empties the caches.
import { openExecutionStore } from '../../src/index.js';
import { DAY, HISTORY_END, HISTORY_START, WORKFLOW_COUNT } from '../dataset.js';
import { performance } from 'node:perf_hooks';
import { apart, type Row } from '../measure.js';
import type { openRaw } from '../raw.js';

type Raw = ReturnType<typeof openRaw>;
const HOUR = 3_600_000;
const BERLIN_WINTER_OFFSET = HOUR;
const KOLKATA_OFFSET = 5.5 * HOUR;
const DURATION_KEY = '(case when duration_ms is null then -1 else duration_ms end)';

export async function insightParts(file: string, raw: Raw, reps: number): Promise<Row[]> {
  // The clock at the end of the history, so that the 30 days are all within the kept hourly rollups.
  const store = await openExecutionStore(file, { now: () => HISTORY_END });
  // What a deployment's periodic clean-up does: the weeks that are over get their weekly node rollups.
  const compactStarted = performance.now();
  const { weeks } = await store.compactInsights();
  const compactMs = performance.now() - compactStarted;
  const sqlite = raw.db;
  const from = HISTORY_END - 30 * DAY;
  const workflow = (i: number) => `wf-${(i * 7) % WORKFLOW_COUNT}`;

  const statsSql = (where: string) =>
    sqlite.prepare(`SELECT count(*) total, count(*) filter (where status = 'running') running,
      count(*) filter (where status = 'success') success, count(*) filter (where status = 'error') error,
      count(duration_ms) n, avg(duration_ms), min(duration_ms), max(duration_ms), min(started_at), max(started_at)
      FROM workflow_executions ${where}`);
  const percentileSql = (where: string) =>
    sqlite.prepare(`SELECT duration_ms FROM workflow_executions ${where} ${where ? 'AND' : 'WHERE'} ${DURATION_KEY} >= 0
      ORDER BY ${DURATION_KEY} LIMIT 1 OFFSET ?`);
  const naiveStats = (where: string) => {
    const totals = statsSql(where);
    const percentile = percentileSql(where);
    return (...parameters: unknown[]) => {
      const { n } = totals.get(...parameters) as { n: number };
      for (const p of [50, 95]) percentile.get(...parameters, Math.max(0, Math.ceil((p * n) / 100) - 1));
    };
  };
  const nodeSql = (where: string) =>
    sqlite.prepare(`SELECT e.workflow_id, s.node_id, count(*), count(*) filter (where s.status = 'error'),
      count(*) filter (where s.status = 'skipped'), avg(s.duration_ms), max(s.duration_ms)
      FROM workflow_executions e JOIN execution_steps s ON s.execution_id = e.id
      WHERE ${where} e.started_at >= ? AND e.started_at < ? GROUP BY e.workflow_id, s.node_id`);
  const timelineSql = sqlite.prepare(`SELECT started_at / ${HOUR} hour, count(*), count(*) filter (where status = 'error'),
    count(*) filter (where status = 'running'), avg(duration_ms)
    FROM workflow_executions WHERE started_at >= ? AND started_at < ? GROUP BY hour`);
  // A plain implementation of local days: group by local hour (the start shifted by the zone's offset, daylight saving
  // ignored) and add the hours up into days. Grouped by day directly, SQLite's sorter held the rows: ~1 GB of the
  // process at the large scale, which the store's memory figure then carried.
  const localHourSql = sqlite.prepare(`SELECT (started_at + ?) / ${HOUR} hour, count(*), count(*) filter (where status = 'error'),
    count(*) filter (where status = 'running'), sum(duration_ms), count(duration_ms)
    FROM workflow_executions WHERE started_at >= ? AND started_at < ? GROUP BY hour`);
  const localDaySql = {
    all: (offset: number, after: number, before: number) => {
      const days = new Map<number, number[]>();
      for (const [hour, ...counts] of localHourSql.raw().all(offset, after, before) as number[][]) {
        const day = Math.floor((hour as number) / 24);
        const sums = days.get(day) ?? [0, 0, 0, 0, 0];
        counts.forEach((value, i) => (sums[i] = (sums[i] as number) + (value ?? 0)));
        days.set(day, sums);
      }
      return [...days.entries()];
    },
  };
  const summarySql = sqlite.prepare(`SELECT workflow_id, count(*), count(*) filter (where status = 'success'), avg(duration_ms)
    FROM workflow_executions WHERE started_at >= ? AND started_at < ? GROUP BY workflow_id`);
  const lastRunSql = sqlite.prepare('SELECT id, status, started_at FROM workflow_executions WHERE workflow_id = ? ORDER BY started_at DESC LIMIT 1');

  const allStats = naiveStats('');
  const workflowStats = naiveStats('WHERE workflow_id = ?');
  const oneWorkflowNodes = nodeSql('e.workflow_id = ? AND');
  const allNodes = nodeSql('');
  const cases: [string, number, number, (i: number) => Promise<unknown>, (i: number) => unknown][] = [
    ['getExecutionStats(), everything', 50, reps, () => store.getExecutionStats(), () => allStats()],
    ['getExecutionStats(workflowId)', 5, reps * 4, (i) => store.getExecutionStats(workflow(i)), (i) => workflowStats(workflow(i))],
    [
      'getNodeStats, one workflow, 30 days',
      20,
      reps * 4,
      (i) => store.getNodeStats({ workflowId: workflow(i), startedAfter: from, startedBefore: HISTORY_END }),
      (i) => oneWorkflowNodes.all(workflow(i), from, HISTORY_END),
    ],
    [
      'getNodeStats, all workflows, 30 days',
      100,
      Math.max(3, Math.ceil(reps / 2)),
      () => store.getNodeStats({ startedAfter: from, startedBefore: HISTORY_END, limit: 1000 }),
      () => allNodes.all(from, HISTORY_END),
    ],
    [
      'getTimeline, 30 days by hour',
      10,
      reps * 2,
      () => store.getTimeline({ startedAfter: from, startedBefore: HISTORY_END, bucket: 'hour' }),
      () => timelineSql.all(from, HISTORY_END),
    ],
    [
      // Local days are summed from hourly rollups (a Berlin day is not a UTC day).
      'getTimeline, 30 days by day in Europe/Berlin',
      10,
      reps * 2,
      () => store.getTimeline({ startedAfter: from, startedBefore: HISTORY_END, bucket: 'day', timeZone: 'Europe/Berlin' }),
      () => localDaySql.all(BERLIN_WINTER_OFFSET, from, HISTORY_END),
    ],
    [
      // +5:30: every day starts mid-hour, so its two edge hours are counted from the stored rows and checked.
      'getTimeline, 30 days by day in Asia/Kolkata',
      50,
      reps * 2,
      () => store.getTimeline({ startedAfter: from, startedBefore: HISTORY_END, bucket: 'day', timeZone: 'Asia/Kolkata' }),
      () => localDaySql.all(KOLKATA_OFFSET, from, HISTORY_END),
    ],
    [
      'getWorkflowSummaries, 50 workflows, 30 days',
      20,
      reps * 2,
      () => store.getWorkflowSummaries({ startedAfter: from, startedBefore: HISTORY_END }),
      () => {
        summarySql.all(from, HISTORY_END);
        for (let w = 0; w < WORKFLOW_COUNT; w++) lastRunSql.get(`wf-${w}`);
      },
    ],
  ];
  const rows: Row[] = [];
  for (const [name, targetMs, runs, viaStore, naive] of cases) {
    const measured = await apart(runs, viaStore, naive);
    rows.push({
      part: '9 insights',
      name,
      store: measured.store,
      raw: measured.raw,
      ratio: measured.store / measured.raw,
      target: Number.NaN,
      pass: measured.store <= targetMs,
      note: `target ≤ ${targetMs} ms (absolute); raw = the naive aggregate query; right after it: ${measured.storeAfterRaw.toFixed(1)} ms`,
    });
  }
  rows.push({
    part: '9 insights',
    name: 'compactInsights() over the generated history, ms',
    store: compactMs,
    raw: Number.NaN,
    ratio: Number.NaN,
    target: Number.NaN,
    pass: true,
    note: `${weeks} weeks compacted into weekly node rollups`,
  });
  // What the answers are worth: the rollups' p95 beside the exact one, for all executions.
  const exact = await store.getExecutionStats();
  const timeline = await store.getTimeline({ startedAfter: HISTORY_START, startedBefore: HISTORY_END, bucket: 'day' });
  const counted = timeline.reduce((sum, entry) => sum + entry.total, 0);
  rows.push({
    part: '9 insights',
    name: 'daily timeline total vs exact count',
    store: counted,
    raw: exact.total,
    ratio: counted / exact.total,
    target: 1,
    pass: counted === exact.total,
    note: 'rollups recount to the same executions',
  });
  store.close();
  return rows;
}
