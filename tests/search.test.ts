// searchExecutions on both backends: what matches (a key at any depth holding a value, loosely; text, ASCII case
// ignored), where (fields, filters, time range), in what order, paged by cursor to the end, within its cost bound,
// past damaged payloads and redacted secrets, and what it refuses.
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { searchBounds } from '../src/core/search-scan.js';
import {
  type ExecutionSearch,
  type ExecutionSearchResult,
  type ExecutionStore,
  ExecutionStore as Store,
  type JsonObject,
  openExecutionStore,
  type SearchHit,
} from '../src/index.js';
import { type TestBackend, forEachBackend } from './backends.js';
import { T0, newExecution, newRunStep, track } from './factories.js';

interface RunSpec {
  at?: number;
  workflowId?: string;
  status?: 'running' | 'success' | 'error';
  triggerData?: JsonObject;
  metadata?: JsonObject;
  steps?: { input?: JsonObject; output?: JsonObject }[];
}

/** Records a run; its id and its steps' ids. */
async function run(store: ExecutionStore, spec: RunSpec): Promise<{ id: string; steps: string[] }> {
  const at = spec.at ?? T0;
  const { executionId, stepIds } = await store.recordExecution(
    newExecution({
      workflowId: spec.workflowId ?? 'wf-orders',
      status: spec.status ?? 'success',
      startedAt: at,
      completedAt: spec.status === 'running' ? undefined : at + 100,
      triggerData: spec.triggerData ?? { kind: 'plain' },
      metadata: spec.metadata,
    }),
    (spec.steps ?? []).map((step, stepIndex) =>
      newRunStep({ nodeId: `node-${stepIndex}`, stepIndex, startedAt: at + stepIndex, status: 'success', inputData: step.input ?? { n: stepIndex }, outputData: step.output }),
    ),
  );
  return { id: executionId, steps: stepIds };
}

/** The items a search should return: each execution as getExecution reads it, with its hits. */
async function expected(store: ExecutionStore, items: [string, SearchHit[]][]) {
  return Promise.all(items.map(async ([id, hits]) => ({ execution: await store.getExecution(id), hits })));
}

const stepHit = (field: 'inputData' | 'outputData', runOf: { steps: string[] }, stepIndex: number): SearchHit => ({
  field,
  stepId: runOf.steps[stepIndex] as string,
  nodeId: `node-${stepIndex}`,
  stepIndex,
});

/** Every call of a search to the end of its range. */
async function allCalls(store: ExecutionStore, search: ExecutionSearch): Promise<ExecutionSearchResult[]> {
  const calls: ExecutionSearchResult[] = [];
  let cursor: string | undefined;
  do {
    const result = await store.searchExecutions({ ...search, cursor });
    calls.push(result);
    cursor = result.nextCursor ?? undefined;
  } while (cursor !== undefined && calls.length < 1000);
  return calls;
}

/** A store with a way to write its tables by hand (to damage a payload as another tool could). */
async function storeWithSql(backend: TestBackend): Promise<{ store: ExecutionStore; exec: (sql: string, values: unknown[]) => Promise<void> }> {
  if (backend.name === 'sqlite') {
    const sqlite = new BetterSqlite3(':memory:');
    const store = track(new Store(sqlite));
    return { store, exec: async (sql, values) => void sqlite.prepare(sql.replace(/\$\d/g, '?')).run(...values) };
  }
  const pool = new pg.Pool({ connectionString: await backend.target(), max: 2 });
  pools.push(pool);
  const store = track(await openExecutionStore(pool));
  return { store, exec: async (sql, values) => void (await pool.query(sql, values)) };
}
const pools: pg.Pool[] = [];
const defaultBounds = { ...searchBounds };
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.end();
  // As they were: a chunk size a test set must not stay (the backend's own is used when none is set).
  delete searchBounds.chunk;
  Object.assign(searchBounds, defaultBounds);
});

forEachBackend((backend) => {
  describe('searchExecutions', () => {
    it('finds a key at any depth holding the value, a number and the string of its digits alike, and nothing else', async () => {
      const store = await backend.open();
      const nested = await run(store, { at: T0, triggerData: { order: { orderId: 1002, lines: 2 } } });
      const inArray = await run(store, { at: T0 + 1, steps: [{ input: { a: 1 } }, { input: { items: [{ sku: 'x' }, { orderId: '1002' }] }, output: { orderId: 1002 } }] });
      await run(store, { at: T0 + 2, metadata: { orderId: 10020, other: '1002' } }); // the needles, not the value
      await run(store, { at: T0 + 3, steps: [{ output: { note: 'orderId 1002', orderId: { id: 1002 } } }] }); // no key holding it
      await run(store, { at: T0 + 4, triggerData: { other: 1002, orderId: 7 } }); // both texts, different keys
      const spelled = await run(store, { at: T0 + 5, triggerData: { orderId: '1002.0' } });
      const inMetadata = await run(store, { at: T0 + 6, metadata: { deep: [[{ orderId: 1002 }]] } });

      const byNumber = await store.searchExecutions({ key: 'orderId', equals: 1002 });
      expect(byNumber).toEqual({
        items: await expected(store, [
          [inMetadata.id, [{ field: 'metadata' }]],
          [inArray.id, [stepHit('inputData', inArray, 1), stepHit('outputData', inArray, 1)]],
          [nested.id, [{ field: 'triggerData' }]],
        ]),
        scanned: { executions: 7, steps: 3 },
        nextCursor: null,
      });
      expect(await store.searchExecutions({ key: 'orderId', equals: '1002' })).toEqual(byNumber);
      // '1002.0' is that string, or the number it spells: 1002, never the string '1002'.
      const spelledHits = (await store.searchExecutions({ key: 'orderId', equals: '1002.0' })).items.map((item) => [item.execution.id, item.hits]);
      expect(spelledHits).toEqual([
        [inMetadata.id, [{ field: 'metadata' }]],
        [spelled.id, [{ field: 'triggerData' }]],
        [inArray.id, [stepHit('outputData', inArray, 1)]],
        [nested.id, [{ field: 'triggerData' }]],
      ]);
      expect((await store.searchExecutions({ key: 'orderid', equals: 1002 })).items).toEqual([]);
    });

    it('matches booleans and null by themselves and by their spelling', async () => {
      const store = await backend.open();
      const ids = [];
      for (const [i, flag] of [true, 'true', false, 'false', null, 'null', 'True', 1].entries()) ids.push((await run(store, { at: T0 + i, triggerData: { flag } })).id);
      const found = async (equals: ExecutionSearch['equals']) => (await store.searchExecutions({ key: 'flag', equals })).items.map((item) => item.execution.id);
      expect(await found(true)).toEqual([ids[1], ids[0]]);
      expect(await found('true')).toEqual([ids[1], ids[0]]);
      expect(await found(false)).toEqual([ids[3], ids[2]]);
      expect(await found(null)).toEqual([ids[5], ids[4]]);
      expect(await found('null')).toEqual([ids[5], ids[4]]);
      expect(await found('True')).toEqual([ids[6]]);
      expect(await found(1)).toEqual([ids[7]]);
    });

    it('finds text anywhere in the stored JSON, ignoring the case of ASCII letters only, as typed or as JSON escapes it', async () => {
      const store = await backend.open();
      const declined = await run(store, { at: T0, triggerData: { message: 'Payment DECLINED for Ünïcode Café' } });
      const quoted = await run(store, { at: T0 + 1, steps: [{ output: { note: 'he said "hi" twice' } }] });
      const byKey = await run(store, { at: T0 + 2, metadata: { customerEmail: 'x' } });
      const ids = async (text: string) => (await store.searchExecutions({ text })).items.map((item) => item.execution.id);

      expect(await store.searchExecutions({ text: 'payment declined' })).toEqual({
        items: await expected(store, [[declined.id, [{ field: 'triggerData' }]]]),
        scanned: { executions: 3, steps: 1 },
        nextCursor: null,
      });
      expect(await ids('ÜNïCODE CAFé')).toEqual([declined.id]); // the same letters outside ASCII
      expect(await ids('ünïcode')).toEqual([]); // non-ASCII case is not folded, on either backend
      expect(await ids('ÜNÏCODE')).toEqual([]);
      expect(await ids('Ünïcode CAFÉ')).toEqual([]);
      expect(await ids('SAID "HI"')).toEqual([quoted.id]);
      expect(await ids('said \\"hi')).toEqual([quoted.id]); // as stored
      expect(await ids('CUSTOMEREMAIL')).toEqual([byKey.id]); // keys are text too
      expect((await store.searchExecutions({ text: 'said "hi"' })).items[0]?.hits).toEqual([stepHit('outputData', quoted, 0)]);
    });

    it('reads only the fields `in` names', async () => {
      const store = await backend.open();
      const trigger = await run(store, { at: T0, triggerData: { ref: 'A-7' } });
      const output = await run(store, { at: T0 + 1, steps: [{ input: { ref: 'A-7' }, output: { ref: 'A-7' } }] });
      const meta = await run(store, { at: T0 + 2, metadata: { ref: 'A-7' } });
      const search = (fields: ExecutionSearch['in']) => store.searchExecutions({ key: 'ref', equals: 'A-7', in: fields });
      expect(await search(['outputData'])).toEqual({
        items: await expected(store, [[output.id, [stepHit('outputData', output, 0)]]]),
        scanned: { executions: 3, steps: 1 },
        nextCursor: null,
      });
      // Without a step field, steps are not read at all.
      expect(await search(['metadata', 'triggerData'])).toEqual({
        items: await expected(store, [
          [meta.id, [{ field: 'metadata' }]],
          [trigger.id, [{ field: 'triggerData' }]],
        ]),
        scanned: { executions: 3, steps: 0 },
        nextCursor: null,
      });
      expect((await search(undefined)).items.map((item) => item.hits.length)).toEqual([1, 2, 1]);
    });

    it('filters by workflow, status and time range (from inclusive, until exclusive)', async () => {
      const store = await backend.open();
      const made: Record<string, string> = {};
      const specs: [string, RunSpec][] = [
        ['before', { at: T0 - 1 }],
        ['from', { at: T0 }],
        ['failed', { at: T0 + 10, status: 'error' }],
        ['other', { at: T0 + 20, workflowId: 'wf-other' }],
        ['last', { at: T0 + 99 }],
        ['until', { at: T0 + 100 }],
      ];
      for (const [name, spec] of specs) made[name] = (await run(store, { ...spec, triggerData: { tag: 'x' } })).id;
      const ids = async (filters: Partial<ExecutionSearch>) =>
        (await store.searchExecutions({ key: 'tag', equals: 'x', ...filters })).items.map((item) => Object.keys(made).find((name) => made[name] === item.execution.id));
      expect(await ids({ startedAfter: T0, startedBefore: T0 + 100 })).toEqual(['last', 'other', 'failed', 'from']);
      expect(await ids({ workflowId: 'wf-orders', startedAfter: T0 })).toEqual(['until', 'last', 'failed', 'from']);
      expect(await ids({ status: 'error' })).toEqual(['failed']);
      expect(await ids({ workflowId: 'wf-other', status: 'success' })).toEqual(['other']);
      expect(await ids({ startedBefore: T0 })).toEqual(['before']);
      // A run whose start was moved is found by its startedAt, not by the time its id holds (on PostgreSQL the id's
      // day partition): a time range cannot be turned into a range of ids.
      const moved = await run(store, { at: T0 - 10 * 86_400_000, triggerData: { tag: 'x' }, steps: [{ output: { tag: 'x' } }] });
      await store.updateExecution(moved.id, { startedAt: T0 + 50 });
      made.moved = moved.id;
      expect(await ids({ startedAfter: T0 + 30, startedBefore: T0 + 60 })).toEqual(['moved']);
      // Its steps too (read with the others of its chunk, whose ids hold days apart).
      expect((await store.searchExecutions({ key: 'tag', equals: 'x', startedAfter: T0 - 1 })).items.find((item) => item.execution.id === moved.id)?.hits).toEqual([
        { field: 'triggerData' },
        stepHit('outputData', moved, 0),
      ]);
      expect(await ids({ startedBefore: T0 - 86_400_000 })).toEqual([]);
    });

    it('pages newest first through nextCursor to the end: every match once, in the order of the executions', async () => {
      const store = await backend.open();
      const matching: string[] = [];
      for (let i = 0; i < 23; i++) {
        // Pairs share a start time (ties by id); every third run holds the value only in its second step's output.
        const id = (
          await run(store, {
            at: T0 + Math.floor(i / 2) * 1000,
            triggerData: { customer: i % 3 === 1 ? 'c-2' : `c-${i % 5 === 0 ? 9 : 1}` },
            steps: [{}, { output: { customer: i % 3 === 0 ? 'c-2' : 'c-1' } }],
          })
        ).id;
        if (i % 3 !== 2) matching.push(id);
      }
      const order = (await store.queryExecutions({ limit: 1000 })).map((execution) => execution.id);
      const calls = await allCalls(store, { key: 'customer', equals: 'c-2', limit: 4 });
      const found = calls.flatMap((call) => call.items.map((item) => item.execution.id));

      expect(found).toEqual(order.filter((id) => matching.includes(id)));
      expect(calls.map((call) => call.items.length)).toEqual([4, 4, 4, 4]);
      expect(calls.at(-1)?.nextCursor).toBeNull();
      // A call stops at its limit-th match and the next starts after it: the executions read add up to one pass.
      expect(calls.reduce((sum, call) => sum + call.scanned.executions, 0)).toBeGreaterThanOrEqual(23);
      expect(calls.at(-1)?.scanned.executions).toBe(order.length - order.indexOf(found[11] as string) - 1);
      // A limit of 1 continued at every call finds the same ones.
      expect((await allCalls(store, { key: 'customer', equals: 'c-2', limit: 1 })).flatMap((call) => call.items.map((item) => item.execution.id))).toEqual(found);
    });

    it('reads at most the bound per call, counting every execution and step read, and goes on where it stopped', async () => {
      const store = await backend.open();
      Object.assign(searchBounds, { stepsPerCall: 10, chunk: 3 });
      const runs: string[] = [];
      for (let i = 0; i < 12; i++) {
        runs.push((await run(store, { at: T0 + i, steps: [{}, {}, { output: { hit: i % 4 === 0 } }] })).id);
      }
      const large = (await run(store, { at: T0 + 50, steps: Array.from({ length: 15 }, () => ({ output: { hit: true } })) })).id;
      const calls = await allCalls(store, { key: 'hit', equals: true, limit: 200 });

      // The run with 15 steps (more than the bound) is searched alone, whole; then 3 runs of 3 steps per call. The
      // executions of a chunk whose steps would pass the bound are read (and counted), and searched by the next call;
      // that last chunk is sized to what is likely to fit (here 1 run, and 1 more to find the bound).
      expect(calls.map((call) => call.scanned)).toEqual([
        { executions: 3, steps: 15 },
        { executions: 5, steps: 9 },
        { executions: 5, steps: 9 },
        { executions: 5, steps: 9 },
        { executions: 3, steps: 9 },
      ]);
      expect(calls.flatMap((call) => call.items.map((item) => item.execution.id))).toEqual([large, runs[8], runs[4], runs[0]]);
      expect(calls.map((call) => call.nextCursor === null)).toEqual([false, false, false, false, true]);

      // Executions without steps count against the bound too.
      Object.assign(searchBounds, { stepsPerCall: 5, chunk: 2 });
      const bare = await backend.open();
      for (let i = 0; i < 11; i++) await run(bare, { at: T0 + i, triggerData: { hit: i === 0 } });
      const bareCalls = await allCalls(bare, { key: 'hit', equals: true });
      expect(bareCalls.map((call) => [call.scanned.executions, call.items.length])).toEqual([[5, 0], [5, 0], [1, 1]]);
    });

    it('passes over a damaged payload: the key search does not match it, text search still finds its text', async () => {
      const { store, exec } = await storeWithSql(backend);
      const damaged = await run(store, { at: T0, triggerData: { orderId: 1002 }, steps: [{ output: { orderId: 1002 } }] });
      const intact = await run(store, { at: T0 + 1, triggerData: { orderId: 1002 } });
      await exec('UPDATE workflow_executions SET trigger_data = $1 WHERE id = $2', ['{"orderId": 1002, "cut', damaged.id]);
      await exec('UPDATE execution_steps SET output_data = $1 WHERE id = $2', ['not json "orderId":1002', damaged.steps[0]]);

      expect(await store.searchExecutions({ key: 'orderId', equals: 1002 })).toEqual({
        items: await expected(store, [[intact.id, [{ field: 'triggerData' }]]]),
        scanned: { executions: 2, steps: 1 },
        nextCursor: null,
      });
      expect((await store.searchExecutions({ text: '"orderId": 1002, "CUT' })).items.map((item) => [item.execution.id, item.hits])).toEqual([
        [damaged.id, [{ field: 'triggerData' }]],
      ]);
      expect((await store.searchExecutions({ text: 'NOT JSON' })).items.map((item) => item.hits)).toEqual([[stepHit('outputData', damaged, 0)]]);
    });

    it('never finds a redacted secret by its value; [REDACTED] itself is found', async () => {
      const store = await backend.open();
      const login = await run(store, { at: T0, triggerData: { user: 'bob', password: 'hunter2-canary' }, steps: [{ input: { headers: { Authorization: 'Bearer abcdef123456' } } }] });
      expect((await store.searchExecutions({ text: 'hunter2-canary' })).items).toEqual([]);
      expect((await store.searchExecutions({ key: 'password', equals: 'hunter2-canary' })).items).toEqual([]);
      expect((await store.searchExecutions({ text: 'abcdef123456' })).items).toEqual([]);
      expect((await store.searchExecutions({ text: '[redacted]' })).items).toEqual(await expected(store, [[login.id, [{ field: 'triggerData' }, stepHit('inputData', login, 0)]]]));
      expect((await store.searchExecutions({ key: 'password', equals: '[REDACTED]' })).items.map((item) => item.execution.id)).toEqual([login.id]);
    });

    it('refuses bad searches and cursors with what was wrong and what was expected', async () => {
      const store = await backend.open();
      await run(store, { triggerData: { a: 1 } });
      const refused = async (search: unknown) => {
        const error = await store.searchExecutions(search as ExecutionSearch).then(() => undefined, (thrown: unknown) => thrown);
        expect(error).toMatchObject({ code: 'VALIDATION' });
        return (error as Error).message;
      };
      expect(await refused({})).toBe('searchExecutions: invalid input: search: expected key with equals, or text');
      expect(await refused({ key: 'a', equals: 1, text: 'b' })).toBe('searchExecutions: invalid input: search: expected either key with equals, or text, not both');
      expect(await refused({ key: 'a' })).toBe('searchExecutions: invalid input: equals: expected the value the key holds (a string, a number, a boolean or null)');
      expect(await refused({ equals: 1 })).toBe('searchExecutions: invalid input: key: expected the key whose value equals names');
      expect(await refused({ key: 'a', equals: { b: 1 } })).toBe('searchExecutions: invalid input: equals: expected a string, a finite number, a boolean or null (got an object)');
      expect(await refused({ text: 'a', in: ['input'] })).toMatch(/^searchExecutions: invalid input: in\[0\]: Invalid option: expected one of "triggerData"\|"metadata"\|"inputData"\|"outputData"/);
      expect(await refused({ text: 'a', limit: 500 })).toBe('searchExecutions: invalid input: limit: expected at most 200 (got 500)');
      expect(await refused({ text: 'a', startedAfter: T0, startedBefore: T0 })).toBe('searchExecutions: invalid input: startedBefore: expected startedAfter before startedBefore');
      expect(await refused(null)).toMatch(/^searchExecutions: invalid input: search: expected a search: \{ key, equals \} or \{ text \}/);

      const cursorOf = async (search: ExecutionSearch) => {
        Object.assign(searchBounds, { stepsPerCall: 1, chunk: 1 });
        await run(store, { at: T0 + 5, triggerData: { a: 2 } });
        return (await store.searchExecutions(search)).nextCursor as string;
      };
      const cursor = await cursorOf({ key: 'a', equals: 1 });
      expect(cursor).toEqual(expect.any(String));
      expect(await refused({ key: 'a', equals: 2, cursor })).toBe(
        'searchExecutions: invalid input: cursor: it continues another search (another key, value, text, fields, workflow, status or time range); expected the nextCursor of a previous searchExecutions call with the same search',
      );
      expect(await refused({ key: 'a', equals: 1, cursor: 'garbage' })).toBe(
        'searchExecutions: invalid input: cursor: not a cursor this store issued; expected the nextCursor of a previous searchExecutions call with the same search',
      );
      const pageCursor = (await store.queryExecutionsPage({ limit: 1 })).nextCursor as string;
      expect(await refused({ key: 'a', equals: 1, cursor: pageCursor })).toBe(
        'searchExecutions: invalid input: cursor: a page cursor of queryExecutionsPage, not of a search; expected the nextCursor of a previous searchExecutions call with the same search',
      );
      // The same search with another limit goes on.
      expect((await store.searchExecutions({ key: 'a', equals: 1, cursor, limit: 5 })).items).toHaveLength(1);
    });
  });
});
