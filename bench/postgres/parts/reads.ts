// Parts 3, 4 and 5 on PostgreSQL: pages of 50, deep pages by cursor, an execution with its steps. The raw side sends
// the same SQL the store's query builder sends (the same filters, the same ORDER BY with ids in byte order), so that
// the same index serves both; the difference is the store's work around the query.
import type { ExecutionQuery, ExecutionStore } from '../../../src/index.js';
import { DAY, HISTORY_DAYS, HISTORY_START, HUNDRED_STEP_EVERY, WORKFLOW_COUNT } from '../../dataset.js';
import { type Row, median, row, sideBySide } from '../../measure.js';
import { countRoundTrips, type Raw } from '../raw.js';

const PAGE = 50;
const ORDER = 'ORDER BY started_at DESC, id COLLATE "C" DESC';

/** "store N, raw M round trips per call", counted on one call of each outside the timed runs. */
export async function roundTrips(store: () => Promise<unknown>, raw: () => Promise<unknown>): Promise<string> {
  return `round trips per call: store ${await countRoundTrips(store)}, raw ${await countRoundTrips(raw)}`;
}

export async function pageParts(store: ExecutionStore, raw: Raw, reps: number, calls: number): Promise<Row[]> {
  const workflow = (i: number) => `wf-${(i * 7) % WORKFLOW_COUNT}`;
  const day = (i: number) => HISTORY_START + ((i * 3) % 29) * DAY;
  const variants: [string, (i: number) => ExecutionQuery, string, (i: number) => unknown[]][] = [
    ['no filter', () => ({}), `${ORDER} LIMIT $1`, () => [PAGE]],
    ['by workflow', (i) => ({ workflowId: workflow(i) }), `WHERE workflow_id = $1 ${ORDER} LIMIT $2`, (i) => [workflow(i), PAGE]],
    ['by status', () => ({ status: 'error' }), `WHERE status = $1 ${ORDER} LIMIT $2`, () => ['error', PAGE]],
    [
      'by time range (one day)',
      (i) => ({ startedAfter: day(i), startedBefore: day(i) + DAY }),
      `WHERE started_at >= $1 AND started_at < $2 ${ORDER} LIMIT $3`,
      (i) => [day(i), day(i) + DAY, PAGE],
    ],
    [
      'workflow + status',
      (i) => ({ workflowId: workflow(i), status: 'error' }),
      `WHERE workflow_id = $1 AND status = $2 ${ORDER} LIMIT $3`,
      (i) => [workflow(i), 'error', PAGE],
    ],
    [
      'sorted by duration',
      () => ({ orderBy: 'duration_ms' }),
      // The raw baseline sorts on the same expression, which is what the expression index serves.
      'ORDER BY (case when duration_ms is null then -1 else duration_ms end) DESC, id COLLATE "C" DESC LIMIT $1',
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
      async (rep) => {
        for (let i = 0; i < calls; i++) await rawPage(...parameters(i + rep));
        return calls;
      },
    );
    const trips = await roundTrips(() => store.queryExecutions({ ...query(0), limit: PAGE }), () => rawPage(...parameters(0)));
    rows.push(row('3 pages of 50', name, measured, 1.5, trips));
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
  const offsetPage = raw.page(`SELECT * FROM workflow_executions ${ORDER} LIMIT $1 OFFSET $2`);
  const offsetTimes: number[] = [];
  for (let i = 0; i < reps; i++) {
    const started = performance.now();
    await offsetPage(PAGE, (depth - 1) * PAGE);
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
  const idsAt = async (indexes: number[]) => {
    const ids: string[] = [];
    for (const i of indexes) {
      const [found] = await raw.rows('SELECT id FROM workflow_executions WHERE started_at = $1', [HISTORY_START + Math.floor((i * HISTORY_DAYS * DAY) / total)]);
      ids.push(found?.id as string);
    }
    return ids;
  };
  const tenStepIds = await idsAt(Array.from({ length: 50 }, (_, i) => (i * 997 + 11) % total).filter((i) => i % HUNDRED_STEP_EVERY !== 7));
  const hundredStepIds = await idsAt(
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
      async () => {
        for (const id of ids) await raw.executionWithSteps(id);
        return ids.length;
      },
    );
    const id = ids[0] as string;
    const trips = await roundTrips(() => store.getExecutionWithSteps(id), () => raw.executionWithSteps(id));
    rows.push(row('5 execution with steps', `getExecutionWithSteps, ${name}`, measured, 2, `${trips} (the store reads the execution and its steps in one statement, one snapshot)`));
  }
  return rows;
}
