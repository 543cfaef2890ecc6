// Part 9 on PostgreSQL: insights. Each store call beside the plain SQL a straightforward implementation would run on
// the same server: one aggregate over the rows with the best plain index. The same absolute targets as SQLite's part;
// the two sides are timed apart (see `apart`), since the naive side reads the whole range and empties the caches.
import { performance } from 'node:perf_hooks';
import { openExecutionStore } from '../../../src/index.js';
import { DAY, HISTORY_END, HISTORY_START, WORKFLOW_COUNT } from '../../dataset.js';
import { apart, type Row } from '../../measure.js';
import { countRoundTrips, type Raw } from '../raw.js';

const HOUR = 3_600_000;
const BERLIN_WINTER_OFFSET = HOUR;
const KOLKATA_OFFSET = 5.5 * HOUR;
const DURATION_KEY = '(case when duration_ms is null then -1 else duration_ms end)';

export async function insightParts(url: string, raw: Raw, reps: number): Promise<Row[]> {
  // The clock at the end of the history, so that the 30 days are all within the kept hourly rollups.
  const store = await openExecutionStore(url, { now: () => HISTORY_END });
  // What a deployment's periodic clean-up does: the weeks that are over get their weekly node rollups.
  const compactStarted = performance.now();
  const { weeks } = await store.compactInsights();
  const compactMs = performance.now() - compactStarted;
  const from = HISTORY_END - 30 * DAY;
  const workflow = (i: number) => `wf-${(i * 7) % WORKFLOW_COUNT}`;

  /** The totals, then the 50th and 95th percentile by OFFSET along the duration index; `where` uses $1… */
  const naiveStats = (where: string, parameterCount: number) => {
    const totals = `SELECT count(*) total, count(*) filter (where status = 'running') running,
      count(*) filter (where status = 'success') success, count(*) filter (where status = 'error') error,
      count(duration_ms) n, avg(duration_ms), min(duration_ms), max(duration_ms), min(started_at), max(started_at)
      FROM workflow_executions ${where}`;
    const percentile = `SELECT duration_ms FROM workflow_executions ${where} ${where ? 'AND' : 'WHERE'} ${DURATION_KEY} >= 0
      ORDER BY ${DURATION_KEY} LIMIT 1 OFFSET $${parameterCount + 1}`;
    return async (...parameters: unknown[]) => {
      const [found] = await raw.rows(totals, parameters);
      const n = Number(found?.n ?? 0);
      for (const p of [50, 95]) await raw.rows(percentile, [...parameters, Math.max(0, Math.ceil((p * n) / 100) - 1)]);
    };
  };
  const nodeSql = (where: string) => `SELECT e.workflow_id, s.node_id, count(*), count(*) filter (where s.status = 'error'),
      count(*) filter (where s.status = 'skipped'), avg(s.duration_ms), max(s.duration_ms)
      FROM workflow_executions e JOIN execution_steps s ON s.execution_id = e.id
      WHERE ${where} GROUP BY e.workflow_id, s.node_id`;
  const timelineSql = `SELECT started_at / ${HOUR} AS hour, count(*), count(*) filter (where status = 'error'),
    count(*) filter (where status = 'running'), avg(duration_ms)
    FROM workflow_executions WHERE started_at >= $1 AND started_at < $2 GROUP BY hour`;
  // A plain implementation of local days, as on SQLite: group by local hour (the start shifted by the zone's offset,
  // daylight saving ignored) and add the hours up into days.
  const localHourSql = `SELECT (started_at + $1) / ${HOUR} AS hour, count(*), count(*) filter (where status = 'error'),
    count(*) filter (where status = 'running'), sum(duration_ms), count(duration_ms)
    FROM workflow_executions WHERE started_at >= $2 AND started_at < $3 GROUP BY hour`;
  const localDays = async (offset: number, after: number, before: number) => {
    const days = new Map<number, number[]>();
    const { rows } = await raw.pool.query({ text: localHourSql, values: [offset, after, before], rowMode: 'array' });
    for (const [hour, ...counts] of rows as unknown[][]) {
      const day = Math.floor(Number(hour) / 24);
      const sums = days.get(day) ?? [0, 0, 0, 0, 0];
      counts.forEach((value, i) => (sums[i] = (sums[i] as number) + Number(value ?? 0)));
      days.set(day, sums);
    }
    return [...days.entries()];
  };
  const summarySql = `SELECT workflow_id, count(*), count(*) filter (where status = 'success'), avg(duration_ms)
    FROM workflow_executions WHERE started_at >= $1 AND started_at < $2 GROUP BY workflow_id`;
  const lastRunSql = 'SELECT id, status, started_at FROM workflow_executions WHERE workflow_id = $1 ORDER BY started_at DESC LIMIT 1';

  const allStats = naiveStats('', 0);
  const workflowStats = naiveStats('WHERE workflow_id = $1', 1);
  const cases: [string, number, number, (i: number) => Promise<unknown>, (i: number) => Promise<unknown>][] = [
    ['getExecutionStats(), everything', 50, reps, () => store.getExecutionStats(), () => allStats()],
    ['getExecutionStats(workflowId)', 5, reps * 4, (i) => store.getExecutionStats(workflow(i)), (i) => workflowStats(workflow(i))],
    [
      'getNodeStats, one workflow, 30 days',
      20,
      reps * 4,
      (i) => store.getNodeStats({ workflowId: workflow(i), startedAfter: from, startedBefore: HISTORY_END }),
      (i) => raw.rows(nodeSql('e.workflow_id = $1 AND e.started_at >= $2 AND e.started_at < $3'), [workflow(i), from, HISTORY_END]),
    ],
    [
      'getNodeStats, all workflows, 30 days',
      100,
      Math.max(3, Math.ceil(reps / 2)),
      () => store.getNodeStats({ startedAfter: from, startedBefore: HISTORY_END, limit: 1000 }),
      () => raw.rows(nodeSql('e.started_at >= $1 AND e.started_at < $2'), [from, HISTORY_END]),
    ],
    [
      'getTimeline, 30 days by hour',
      10,
      reps * 2,
      () => store.getTimeline({ startedAfter: from, startedBefore: HISTORY_END, bucket: 'hour' }),
      () => raw.rows(timelineSql, [from, HISTORY_END]),
    ],
    [
      // Local days are summed from hourly rollups (a Berlin day is not a UTC day).
      'getTimeline, 30 days by day in Europe/Berlin',
      10,
      reps * 2,
      () => store.getTimeline({ startedAfter: from, startedBefore: HISTORY_END, bucket: 'day', timeZone: 'Europe/Berlin' }),
      () => localDays(BERLIN_WINTER_OFFSET, from, HISTORY_END),
    ],
    [
      // +5:30: every day starts mid-hour, so its two edge hours are counted from the stored rows and checked.
      'getTimeline, 30 days by day in Asia/Kolkata',
      50,
      reps * 2,
      () => store.getTimeline({ startedAfter: from, startedBefore: HISTORY_END, bucket: 'day', timeZone: 'Asia/Kolkata' }),
      () => localDays(KOLKATA_OFFSET, from, HISTORY_END),
    ],
    [
      'getWorkflowSummaries, 50 workflows, 30 days',
      20,
      reps * 2,
      () => store.getWorkflowSummaries({ startedAfter: from, startedBefore: HISTORY_END }),
      async () => {
        await raw.rows(summarySql, [from, HISTORY_END]);
        for (let w = 0; w < WORKFLOW_COUNT; w++) await raw.rows(lastRunSql, [`wf-${w}`]);
      },
    ],
  ];
  const rows: Row[] = [];
  for (const [name, targetMs, runs, viaStore, naive] of cases) {
    const measured = await apart(runs, viaStore, naive);
    const trips = await countRoundTrips(() => viaStore(0));
    rows.push({
      part: '9 insights',
      name,
      store: measured.store,
      raw: measured.raw,
      ratio: measured.store / measured.raw,
      target: Number.NaN,
      pass: measured.store <= targetMs,
      note: `target ≤ ${targetMs} ms (absolute); raw = the naive aggregate query; right after it: ${measured.storeAfterRaw.toFixed(1)} ms; store round trips per call: ${trips}`,
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
  // What the answers are worth: a daily timeline's total beside the exact count of executions.
  const exact = await store.getExecutionStats();
  const [counted] = await raw.rows('SELECT count(*)::int AS n FROM workflow_executions');
  const timeline = await store.getTimeline({ startedAfter: HISTORY_START, startedBefore: HISTORY_END, bucket: 'day' });
  const total = timeline.reduce((sum, entry) => sum + entry.total, 0);
  const rowCount = Number(counted?.n);
  rows.push({
    part: '9 insights',
    name: 'daily timeline total vs exact count',
    store: total,
    raw: rowCount,
    ratio: total / rowCount,
    target: 1,
    pass: total === rowCount && exact.total === rowCount,
    note: `rollups recount to the same executions; getExecutionStats().total ${exact.total}, count(*) of the rows ${rowCount}`,
  });
  await store.close();
  return rows;
}
