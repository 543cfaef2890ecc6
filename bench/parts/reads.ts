// Parts 3, 4 and 5: reads on the dataset: pages of 50, deep pages, an execution with its steps.
import type { ExecutionQuery, ExecutionStore } from '../../src/index.js';
import { DAY, HISTORY_DAYS, HISTORY_START, HUNDRED_STEP_EVERY, WORKFLOW_COUNT } from '../dataset.js';
import { type Row, median, row, sideBySide } from '../measure.js';
import type { openRaw } from '../raw.js';

type Raw = ReturnType<typeof openRaw>;
const PAGE = 50;

export async function pageParts(store: ExecutionStore, raw: Raw, reps: number, calls: number): Promise<Row[]> {
  const workflow = (i: number) => `wf-${(i * 7) % WORKFLOW_COUNT}`;
  const day = (i: number) => HISTORY_START + ((i * 3) % 29) * DAY;
  const variants: [string, (i: number) => ExecutionQuery, string, (i: number) => unknown[]][] = [
    ['no filter', () => ({}), 'ORDER BY started_at DESC, id DESC LIMIT ?', () => [PAGE]],
    [
      'by workflow',
      (i) => ({ workflowId: workflow(i) }),
      'WHERE workflow_id = ? ORDER BY started_at DESC, id DESC LIMIT ?',
      (i) => [workflow(i), PAGE],
    ],
    ['by status', () => ({ status: 'error' }), "WHERE status = ? ORDER BY started_at DESC, id DESC LIMIT ?", () => ['error', PAGE]],
    [
      'by time range (one day)',
      (i) => ({ startedAfter: day(i), startedBefore: day(i) + DAY }),
      'WHERE started_at >= ? AND started_at < ? ORDER BY started_at DESC, id DESC LIMIT ?',
      (i) => [day(i), day(i) + DAY, PAGE],
    ],
    [
      'workflow + status',
      (i) => ({ workflowId: workflow(i), status: 'error' }),
      'WHERE workflow_id = ? AND status = ? ORDER BY started_at DESC, id DESC LIMIT ?',
      (i) => [workflow(i), 'error', PAGE],
    ],
    [
      'sorted by duration',
      () => ({ orderBy: 'duration_ms' }),
      // The raw baseline sorts on the same expression, which is what the expression index serves.
      'ORDER BY (case when duration_ms is null then -1 else duration_ms end) DESC, id DESC LIMIT ?',
      () => [PAGE],
    ],
  ];
  const rows: Row[] = [];
  for (const [name, query, rawSql, parameters] of variants) {
    const rawPage = raw.page(`SELECT * FROM workflow_executions ${rawSql}`);
    const measured = await sideBySide(
      reps,
      async (rep) => {
        for (let i = 0; i < calls; i++) await store.queryExecutions({ ...query(i + rep), limit: PAGE });
        return calls;
      },
      (rep) => {
        for (let i = 0; i < calls; i++) rawPage(...parameters(i + rep));
        return calls;
      },
    );
    rows.push(row('3 pages of 50', name, measured, 1.5));
  }
  return rows;
}

export async function deepPageParts(store: ExecutionStore, raw: Raw, total: number, reps: number): Promise<Row[]> {
  const depth = Math.min(2000, Math.floor(total / PAGE) - 1);
  let cursor: string | undefined;
  for (let page = 1; page < depth; page++) {
    cursor = (await store.queryExecutionsPage({ limit: PAGE, cursor })).nextCursor ?? undefined;
  }
  const measured = await sideBySide(
    reps * 4,
    async () => {
      await store.queryExecutionsPage({ limit: PAGE, cursor });
      return 1;
    },
    async () => {
      await store.queryExecutionsPage({ limit: PAGE });
      return 1;
    },
  );
  const offsetPage = raw.page('SELECT * FROM workflow_executions ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?');
  const offsetTimes: number[] = [];
  for (let i = 0; i < reps; i++) {
    const started = performance.now();
    offsetPage(PAGE, (depth - 1) * PAGE);
    offsetTimes.push(performance.now() - started);
  }
  return [
    {
      ...row('4 deep pages', `cursor page ${depth} against page 1 (store both)`, measured, 1.5),
      note: `OFFSET ${(depth - 1) * PAGE} with raw SQL: ${median(offsetTimes).toFixed(2)} ms`,
    },
  ];
}

export async function withStepsParts(store: ExecutionStore, raw: Raw, total: number, reps: number): Promise<Row[]> {
  // Run i of the dataset started at a known, unique time (see makeRun).
  const byStart = raw.db.prepare('SELECT id FROM workflow_executions WHERE started_at = ?');
  const idsAt = (indexes: number[]) =>
    indexes.map((i) => (byStart.get(HISTORY_START + Math.floor((i * HISTORY_DAYS * DAY) / total)) as { id: string }).id);
  const tenStepIds = idsAt(Array.from({ length: 50 }, (_, i) => (i * 997 + 11) % total).filter((i) => i % HUNDRED_STEP_EVERY !== 7));
  const hundredStepIds = idsAt(
    Array.from({ length: Math.min(20, Math.floor(total / HUNDRED_STEP_EVERY)) }, (_, i) => i * HUNDRED_STEP_EVERY + 7),
  );
  const rows: Row[] = [];
  for (const [name, ids] of [
    ['about 10 steps', tenStepIds],
    ['100 steps', hundredStepIds],
  ] as const) {
    const measured = await sideBySide(
      reps,
      async () => {
        for (const id of ids) await store.getExecutionWithSteps(id);
        return ids.length;
      },
      () => {
        for (const id of ids) raw.executionWithSteps(id);
        return ids.length;
      },
    );
    rows.push(row('5 execution with steps', `getExecutionWithSteps, ${name}`, measured, 2));
  }
  return rows;
}
