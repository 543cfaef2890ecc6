// The viewer's JSON API (src/viewer/), asked in-process on a known history, on a real SQLite file and a real
// PostgreSQL database: every read route with its filters alone and combined, paging to the end, payload views and
// slices, compare, insights, and the errors a client can cause.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionStore, WorkflowExecution } from '../src/index.js';
import { ExecutionStoreError } from '../src/index.js';
import { asApiError } from '../src/viewer/http/api-error.js';
import { errorGroupId } from '../src/viewer/runs/error-group-id.js';
import { planScan } from '../src/viewer/runs/run-filter.js';
import { scanRuns } from '../src/viewer/runs/run-scan.js';
import { runListItem } from '../src/viewer/runs/run-shapes.js';
import { jsonBytes } from '../src/viewer/payloads/payload-facts.js';
import { forEachBackend } from './backends.js';
import { T0 } from './factories.js';
import {
  databaseOn,
  durationOf,
  getJson,
  HOUR,
  MAX_PAYLOAD_BYTES,
  type ModelRun,
  MINUTE,
  newestFirst,
  NOW,
  openOn,
  recordHistory,
  REPORT_ROWS,
  type ViewerApp,
  policy,
  viewerOn,
} from './viewer-fixture.js';
import { createViewerApp } from '../src/viewer/app.js';

/** What a list item holds of a run: no trigger data, metadata or stack, nor the store's instance (checked apart). */
const listed = (run: ModelRun) => {
  const { name: _name, steps: _steps, triggerData: _data, metadata: _metadata, errorStack: _stack, ...fields } = run;
  const durationMs = durationOf(run);
  return { ...fields, ...(durationMs === undefined ? {} : { durationMs }), instanceId: expect.any(String) };
};

forEachBackend((backend) => {
  let store: ExecutionStore;
  let model: ModelRun[];
  let app: ViewerApp;
  let remove: () => Promise<void>;
  const run = (name: string) => model.find((each) => each.name === name) as ModelRun;

  beforeAll(async () => {
    const database = await databaseOn(backend, true);
    remove = database.remove;
    store = await openOn(database.target);
    model = await recordHistory(store);
    app = viewerOn(store);
  });
  afterAll(async () => {
    await store?.close();
    await remove?.();
  });

  /** Every page of /api/runs with these parameters, to the end. */
  async function allPages(query: string, limit: number): Promise<{ ids: string[]; pages: number; items: any[] }> {
    const items: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { status, body } = await getJson(app, `/api/runs?${query}&limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(limit);
      items.push(...body.items);
      cursor = body.nextCursor;
      pages++;
      expect(pages).toBeLessThan(200);
    } while (cursor !== null);
    return { ids: items.map((item) => item.id), pages, items };
  }

  describe('GET /api/runs', () => {
    it('lists every run newest first, a page at a time to the end, without payloads', async () => {
      const expected = newestFirst(model);
      const { ids, pages, items } = await allPages('', 7);
      expect(ids).toEqual(expected.map((each) => each.id));
      expect(pages).toBe(Math.ceil(expected.length / 7));
      expect(items).toEqual(expected.map(listed));
    });

    it.each([
      ['workflow by id', 'workflow=wf-orders', (r: ModelRun) => r.workflowId === 'wf-orders'],
      ['workflow by name', 'workflow=Sync%20orders', (r: ModelRun) => r.workflowId === 'wf-orders'],
      ['a name two workflows share', 'workflow=Same%20name', (r: ModelRun) => r.workflowName === 'Same name'],
      ['status', 'status=error', (r: ModelRun) => r.status === 'error'],
      ['trigger', 'trigger=schedule', (r: ModelRun) => r.triggerType === 'schedule'],
      ['from and to', `from=${T0 - 30 * MINUTE}&to=${new Date(T0 + HOUR).toISOString()}`, (r: ModelRun) => r.startedAt >= T0 - 30 * MINUTE && r.startedAt < T0 + HOUR],
      ['minimum duration', 'minDuration=800', (r: ModelRun) => (durationOf(r) ?? -1) >= 800],
      ['minimum duration as a duration', 'minDuration=3s', (r: ModelRun) => (durationOf(r) ?? -1) >= 3000],
      ['status, workflow and duration', 'status=error&workflow=wf-bulk&minDuration=500', (r: ModelRun) => r.status === 'error' && r.workflowId === 'wf-bulk' && (durationOf(r) ?? -1) >= 500],
      ['trigger and time', `trigger=manual&from=${T0}`, (r: ModelRun) => r.triggerType === 'manual' && r.startedAt >= T0],
      ['an unknown workflow', 'workflow=nope', () => false],
    ])('filters by %s, paging to the end with exact counts', async (_what, query, keep) => {
      const expected = newestFirst(model.filter(keep));
      for (const limit of [3, 1000]) {
        const { ids } = await allPages(query, limit);
        expect(ids).toEqual(expected.map((each) => each.id));
      }
    });

    it('filters by id prefix: a whole id, a prefix, and one that matches nothing', async () => {
      const failed = run('failed');
      expect((await allPages(`idPrefix=${failed.id}`, 10)).ids).toEqual([failed.id]);
      const prefix = failed.id.slice(0, 8);
      expect((await allPages(`idPrefix=${prefix}`, 5)).ids).toEqual(newestFirst(model.filter((r) => r.id.startsWith(prefix))).map((r) => r.id));
      expect((await allPages(`idPrefix=${prefix}&status=success`, 5)).ids).toEqual(
        newestFirst(model.filter((r) => r.id.startsWith(prefix) && r.status === 'success')).map((r) => r.id),
      );
      expect((await allPages('idPrefix=ffffffff', 5)).ids).toEqual([]);
    });

    it('filters by error group: a node\'s failures, failures outside any step, combined with time', async () => {
      const fetchGroup = errorGroupId({ workflowId: 'wf-orders', nodeId: 'fetch', pattern: 'HTTP <n> from api.example.test' });
      expect((await allPages(`errorGroup=${fetchGroup}`, 1)).ids).toEqual([run('failed2').id, run('failed').id]);
      expect((await allPages(`errorGroup=${fetchGroup}&to=${T0 + 2 * HOUR}`, 10)).ids).toEqual([run('failed').id]);
      expect((await allPages(`errorGroup=${fetchGroup}&status=success`, 10)).ids).toEqual([]);
      const timeout = errorGroupId({ workflowId: 'wf-orders', nodeId: null, pattern: 'Timed out after <n> ms' });
      expect((await allPages(`errorGroup=${timeout}`, 10)).ids).toEqual([run('timeout').id]);
      const bulk = errorGroupId({ workflowId: 'wf-bulk', nodeId: null, pattern: 'Row <n> rejected' });
      expect((await allPages(`errorGroup=${bulk}`, 4)).ids).toEqual(newestFirst(model.filter((r) => r.workflowId === 'wf-bulk' && r.status === 'error')).map((r) => r.id));
      expect(await getJson(app, '/api/runs?errorGroup=bm90LWEtZ3JvdXA')).toEqual({
        status: 400,
        body: { error: { code: 'bad_parameter', parameter: 'errorGroup', expected: 'the id of an error group, as /api/insights/errors lists it', message: 'errorGroup: expected the id of an error group, as /api/insights/errors lists it, got "bm90LWEtZ3JvdXA"' } },
      });
    });

    it('sorts by duration either way; slowest first with a minimum ends at the first faster run', async () => {
      const finished = model.filter((r) => r.status !== 'running');
      const byDuration = (a: ModelRun, b: ModelRun) => (durationOf(a) as number) - (durationOf(b) as number) || (a.id < b.id ? -1 : 1);
      const ascending = [run('running'), ...[...finished].sort(byDuration)]; // no duration: first ascending
      expect((await allPages('sort=duration&order=asc', 9)).ids).toEqual(ascending.map((r) => r.id));
      const slow = [...finished].sort(byDuration).reverse().filter((r) => (durationOf(r) as number) >= 900);
      const page = await getJson(app, '/api/runs?sort=duration&minDuration=900&limit=1000');
      expect(page.body.items.map((item: { id: string }) => item.id)).toEqual(slow.map((r) => r.id));
      expect(page.body.nextCursor).toBeNull();
      // The scan stopped at the first run under the minimum instead of reading the rest.
      expect(page.body.examined).toBe(slow.length);
    });

    it('a request that examines its share of runs answers a short page whose cursor reads on, never skipping one', async () => {
      const filter = { minDurationMs: 900 };
      const order = { orderBy: 'started_at', orderDir: 'desc' } as const;
      const plan = await planScan(store, filter, order, NOW);
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      for (let request = 0; request < 100; request++) {
        const page = await scanRuns(store, plan, { ...order, limit: 4, budget: 7, ...(cursor === undefined ? {} : { cursor }) });
        expect(page.examined).toBeLessThanOrEqual(7);
        seen.push(...page.items.map((item) => item.id));
        sizes.push(page.items.length);
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(seen).toEqual(newestFirst(model.filter((r) => (durationOf(r) ?? -1) >= 900)).map((r) => r.id));
      expect(sizes.some((size) => size < 4 && size !== sizes.at(-1))).toBe(true); // short pages before the last
    });

    it('refuses bad parameters with what was expected', async () => {
      const refused = async (query: string) => getJson(app, `/api/runs?${query}`);
      expect(await refused('limit=0')).toEqual({
        status: 400,
        body: { error: { code: 'bad_parameter', parameter: 'limit', expected: 'a whole number from 1 to 1000', message: 'limit: expected a whole number from 1 to 1000, got "0"' } },
      });
      expect((await refused('status=done')).body.error.message).toBe('status: expected one of running, success, error, got "done"');
      expect((await refused('from=yesterday')).body.error.message).toBe(
        'from: expected milliseconds since the epoch or an ISO 8601 time (2026-11-01T12:00:00Z), got "yesterday"',
      );
      expect((await refused('minDuration=fast')).body.error.parameter).toBe('minDuration');
      expect((await refused(`from=${T0}&to=${T0 - 1}`)).body.error.message).toBe(`to: expected a time at or after from (${T0}), got ${T0 - 1}`);
      expect(await refused('stauts=error')).toEqual({
        status: 400,
        body: {
          error: {
            code: 'bad_parameter',
            parameter: 'stauts',
            allowed: ['workflow', 'status', 'trigger', 'from', 'to', 'minDuration', 'errorGroup', 'idPrefix', 'sort', 'order', 'limit', 'cursor'],
            message: 'stauts: not a parameter of this route, which takes only workflow, status, trigger, from, to, minDuration, errorGroup, idPrefix, sort, order, limit, cursor',
          },
        },
      });
      expect((await refused('status=error&status=success')).body.error.message).toBe('status: expected one value, got "error" and "success"');
      // The store's own refusal of a cursor from another sort, as a 400 with its message.
      const { body } = await getJson(app, '/api/runs?limit=2');
      const wrongSort = await refused(`sort=duration&cursor=${body.nextCursor}`);
      expect(wrongSort.status).toBe(400);
      expect(wrongSort.body.error).toMatchObject({ code: 'invalid', storeCode: 'VALIDATION' });
      expect(wrongSort.body.error.message).toContain('it continues a page sorted by started_at desc');
    });
  });

  it('GET /api/runs/refresh gives the current state of the runs asked for, and which are gone', async () => {
    const ids = [run('running').id, '00000000-0000-7000-8000-000000000000', run('ok').id];
    expect(await getJson(app, `/api/runs/refresh?ids=${ids.join(',')}`)).toEqual({
      status: 200,
      body: { items: [listed(run('running')), listed(run('ok'))], missing: ['00000000-0000-7000-8000-000000000000'] },
    });
    expect((await getJson(app, '/api/runs/refresh')).body.error.message).toBe('ids: expected 1 to 100 comma-separated run ids');
    expect((await getJson(app, `/api/runs/refresh?ids=${Array(101).fill('a').join(',')}`)).status).toBe(400);
  });

  describe('GET /api/runs/:id', () => {
    it('gives the header, trigger data, metadata and the steps without payloads, with their sizes and flags', async () => {
      const failed = run('failed');
      const stored = await store.getStepsForExecution(failed.id);
      const facts = (payload: object | undefined, redacted = false) => (payload === undefined ? null : { bytes: jsonBytes(payload), truncated: false, redacted, unreadable: false, unserializable: false });
      const { status, body } = await getJson(app, `/api/runs/${failed.id}`);
      expect(status).toBe(200);
      expect(body).toEqual({
        run: { ...listed(failed), errorStack: failed.errorStack },
        triggerData: { ...facts(failed.triggerData), kind: 'whole', value: failed.triggerData },
        metadata: { ...facts(failed.metadata), kind: 'whole', value: failed.metadata },
        steps: stored.map(({ inputData, outputData, ...step }, index) => ({
          ...step,
          occurrence: 0,
          input: facts(inputData, index === 1),
          output: facts(outputData),
        })),
      });
      // The secret was redacted by the store, and the step says so without sending its input.
      expect(stored[1]?.inputData).toEqual({ url: 'https://api.example.test/orders/2', retries: 0, headers: { authorization: '[REDACTED]' } });
    });

    it('404 for a run that is not stored, 400 for an id the store refuses', async () => {
      expect(await getJson(app, '/api/runs/00000000-0000-7000-8000-000000000000')).toEqual({
        status: 404,
        body: { error: { code: 'not_found', runId: '00000000-0000-7000-8000-000000000000', message: 'no run has the id "00000000-0000-7000-8000-000000000000" (deleted, or never recorded)' } },
      });
      const refused = await getJson(app, '/api/runs/%ED%A0%80'); // a lone surrogate, which the store refuses
      expect(refused.status === 400 || refused.status === 404).toBe(true);
      expect(await getJson(app, `/api/runs/${run('ok').id}?full=1`)).toMatchObject({ status: 400, body: { error: { parameter: 'full' } } });
    });

    it('trigger data and metadata on their own routes, whole or sliced; 404 when absent', async () => {
      const failed = run('failed');
      expect((await getJson(app, `/api/runs/${failed.id}/trigger-data`)).body).toMatchObject({ kind: 'whole', value: { body: { orderId: 2 } } });
      expect((await getJson(app, `/api/runs/${failed.id}/metadata?path=/worker`)).body).toMatchObject({ kind: 'value', path: '/worker', value: 'worker-2' });
      expect(await getJson(app, `/api/runs/${run('running').id}/metadata`)).toEqual({
        status: 404,
        body: { error: { code: 'not_found', message: `run ${run('running').id} has no metadata` } },
      });
    });
  });

  describe('a step\'s payloads', () => {
    const stepOf = async (name: string, nodeId: string) => (await store.getStepsForExecution(run(name).id)).find((step) => step.nodeId === nodeId)!;

    it('come whole when small, with the step\'s summary', async () => {
      const fetch = await stepOf('ok', 'fetch');
      const { body } = await getJson(app, `/api/runs/${run('ok').id}/steps/${fetch.id}`);
      const { inputData, outputData, ...fields } = fetch;
      const facts = (value: object) => ({ bytes: jsonBytes(value), truncated: false, redacted: false, unreadable: false, unserializable: false });
      expect(body).toEqual({
        step: { ...fields, occurrence: 0, input: facts(inputData!), output: facts(outputData!) },
        input: { ...facts(inputData!), kind: 'whole', value: { url: 'https://api.example.test/orders/1', retries: 0 } },
        output: { ...facts(outputData!), kind: 'whole', value: { status: 200, body: { id: 1, items: [1, 2, 3] } } },
      });
    });

    it('over 100 KB come as a summary, whole with full=1, and a slice of 100 at a time', async () => {
      const query = await stepOf('report', 'query');
      const base = `/api/runs/${run('report').id}/steps/${query.id}`;
      const bytes = jsonBytes({ rows: REPORT_ROWS, count: REPORT_ROWS.length });
      expect(bytes).toBeGreaterThan(100 * 1024);
      const facts = { bytes, truncated: false, redacted: false, unreadable: false, unserializable: false };
      expect((await getJson(app, `${base}/output`)).body).toEqual({
        ...facts,
        kind: 'summary',
        keyCount: 2,
        keys: [
          { key: 'rows', type: 'array', bytes: jsonBytes(REPORT_ROWS), length: 10_000 },
          { key: 'count', type: 'number', bytes: 5 },
        ],
      });
      expect((await getJson(app, `${base}?full=1`)).body.output).toEqual({ ...facts, kind: 'whole', value: { rows: REPORT_ROWS, count: 10_000 } });
      expect((await getJson(app, `${base}/output?full=1`)).body.value.rows).toHaveLength(10_000);
      // A page shows 100 rows at a time; the last slice is short, and past the end is empty.
      const slice = (offset: number) => getJson(app, `${base}/output?path=/rows&offset=${offset}`);
      expect((await slice(100)).body).toEqual({ ...facts, kind: 'slice', path: '/rows', type: 'array', length: 10_000, offset: 100, limit: 100, items: REPORT_ROWS.slice(100, 200), summarised: [] });
      expect((await slice(9950)).body.items).toEqual(REPORT_ROWS.slice(9950));
      expect((await slice(10_000)).body.items).toEqual([]);
      expect((await getJson(app, `${base}/output?path=/rows/42/name`)).body).toEqual({ ...facts, kind: 'value', path: '/rows/42/name', value: 'row-42' });
      expect((await getJson(app, `${base}/output?path=&limit=1`)).body).toEqual({ ...facts, kind: 'slice', path: '', type: 'object', length: 2, offset: 0, limit: 1, entries: [['rows', { type: 'array', bytes: jsonBytes(REPORT_ROWS), length: 10_000 }]], summarised: [0] });
    });

    it('stored truncated come as stored (the marker), summarised since the marker is over 100 KB', async () => {
      const dump = await stepOf('report', 'dump');
      const base = `/api/runs/${run('report').id}/steps/${dump.id}/output`;
      const original = jsonBytes({ blob: 'y'.repeat(MAX_PAYLOAD_BYTES + 200_000) });
      const summary = (await getJson(app, base)).body;
      expect(summary).toMatchObject({ kind: 'summary', truncated: true, originalBytes: original, keyCount: 3 });
      expect(summary.keys.map((key: { key: string }) => key.key)).toEqual(['__truncated', 'originalBytes', 'preview']);
      const whole = (await getJson(app, `${base}?full=1`)).body;
      expect(whole.value).toEqual(dump.outputData);
      expect(whole.value.__truncated).toBe(true);
    });

    it('refuse what does not exist or is malformed, saying what', async () => {
      const fetch = await stepOf('failed', 'fetch');
      const base = `/api/runs/${run('failed').id}/steps/${fetch.id}`;
      expect(await getJson(app, `${base}/output`)).toEqual({ status: 404, body: { error: { code: 'not_found', message: `step ${fetch.id} has no output` } } });
      expect(await getJson(app, `${base}/input?path=/headers/cookie`)).toEqual({
        status: 404,
        body: { error: { code: 'not_found', path: '/headers/cookie', message: 'nothing at "/headers/cookie": no such key at "/headers"' } },
      });
      expect((await getJson(app, `${base}/input?path=headers`)).body.error).toMatchObject({ code: 'bad_parameter', parameter: 'path' });
      expect((await getJson(app, `${base}/input?path=/url&limit=5`)).body.error.message).toBe(
        'path: expected an array or an object to slice with offset and limit (the value at "/url" is a string), got "/url"',
      );
      expect((await getJson(app, `${base}/input?limit=1001`)).body.error.message).toBe('limit: expected a whole number from 1 to 1000, got "1001"');
      const other = await stepOf('ok', 'fetch');
      expect(await getJson(app, `/api/runs/${run('failed').id}/steps/${other.id}`)).toEqual({
        status: 404,
        body: { error: { code: 'not_found', runId: run('failed').id, stepId: other.id, message: `run ${run('failed').id} has no step with the id "${other.id}"` } },
      });
      expect((await getJson(app, `/api/runs/00000000-0000-7000-8000-000000000000/steps/${other.id}`)).body.error.runId).toBe('00000000-0000-7000-8000-000000000000');
    });
  });

  describe('GET /api/runs/:id/compare', () => {
    it('lines a failure up with the last success before it, with what changed', async () => {
      const [failed, ok] = [run('failed'), run('ok')];
      const [now, before] = [await store.getStepsForExecution(failed.id), await store.getStepsForExecution(ok.id)];
      const { status, body } = await getJson(app, `/api/runs/${failed.id}/compare`);
      expect(status).toBe(200);
      expect(body.baseline.id).toBe(ok.id);
      expect(body.run.id).toBe(failed.id);
      expect(body.durationMs).toEqual({ run: 3000, baseline: 1200, deltaMs: 1800 });
      expect(body.maxDifferences).toBe(200);
      const same = { equal: true, differences: [], truncated: false };
      expect(body.steps.map(({ run: _r, baseline: _b, ...rest }: any) => rest)).toEqual([
        {
          nodeId: 'trigger',
          occurrence: 0,
          status: { run: 'success', baseline: 'success', changed: false },
          durationMs: { run: 10, baseline: 10, deltaMs: 0 },
          input: same,
          output: { equal: false, truncated: false, differences: [{ path: '/orderId', kind: 'changed', before: { value: 1 }, after: { value: 2 } }] },
        },
        {
          nodeId: 'fetch',
          occurrence: 0,
          status: { run: 'error', baseline: 'success', changed: true },
          durationMs: { run: 2990, baseline: 1000, deltaMs: 1990 },
          input: {
            equal: false,
            truncated: false,
            differences: [
              { path: '/url', kind: 'changed', before: { value: 'https://api.example.test/orders/1' }, after: { value: 'https://api.example.test/orders/2' } },
              { path: '/headers', kind: 'added', after: { value: { authorization: '[REDACTED]' } } },
            ],
          },
          output: { equal: false, truncated: false, differences: [{ path: '', kind: 'removed', before: { value: { status: 200, body: { id: 1, items: [1, 2, 3] } } } }] },
        },
        {
          nodeId: 'save',
          occurrence: 0,
          status: { run: 'skipped', baseline: 'success', changed: true },
          durationMs: { run: 0, baseline: 190, deltaMs: -190 },
          input: { equal: false, truncated: false, differences: [{ path: '', kind: 'removed', before: { value: { id: 1 } } }] },
          output: same,
        },
      ]);
      expect(body.steps.map((s: any) => [s.run.id, s.baseline.id])).toEqual(now.map((step, i) => [step.id, before[i]?.id]));
    });

    it('compares with a run given; says when there is no earlier success; refuses itself and unknown runs', async () => {
      const { body } = await getJson(app, `/api/runs/${run('failed2').id}/compare?with=${run('failed').id}`);
      expect(body.baseline.id).toBe(run('failed').id);
      expect(body.steps.map((s: any) => [s.nodeId, s.run?.stepIndex ?? null, s.baseline?.stepIndex ?? null])).toEqual([
        ['trigger', 0, 0],
        ['fetch', 1, 1],
        ['save', null, 2],
      ]);
      // The default for failed2 is ok: "failed" is not a success, and the runs of other workflows are not its.
      expect((await getJson(app, `/api/runs/${run('failed2').id}/compare`)).body.baseline.id).toBe(run('ok').id);
      expect(await getJson(app, `/api/runs/${run('ok').id}/compare`)).toEqual({
        status: 200,
        body: { run: expect.objectContaining({ id: run('ok').id }), baseline: null, reason: 'no successful run of workflow wf-orders started before this one', steps: [] },
      });
      expect((await getJson(app, `/api/runs/${run('ok').id}/compare?with=${run('ok').id}`)).status).toBe(400);
      expect(await getJson(app, `/api/runs/${run('ok').id}/compare?with=00000000-0000-7000-8000-000000000000`)).toEqual({
        status: 404,
        body: { error: { code: 'not_found', runId: '00000000-0000-7000-8000-000000000000', message: 'no run has the id "00000000-0000-7000-8000-000000000000" (the with parameter)' } },
      });
    });
  });

  describe('insights', () => {
    const range = { startedAfter: T0 - 2 * HOUR, startedBefore: T0 + 6 * HOUR };
    const q = `from=${range.startedAfter}&to=${range.startedBefore}`;

    it('GET /api/workflows and /api/insights/stats answer what the store answers', async () => {
      expect((await getJson(app, `/api/workflows?${q}`)).body).toEqual({ from: range.startedAfter, to: range.startedBefore, items: await store.getWorkflowSummaries(range) });
      expect((await getJson(app, `/api/insights/stats?${q}&workflow=Sync%20orders&trigger=webhook`)).body).toEqual({
        ...{ from: range.startedAfter, to: range.startedBefore, workflowId: 'wf-orders' },
        stats: await store.getExecutionStats({ workflowId: 'wf-orders', triggerType: 'webhook', ...range }),
      });
      const stats = (await getJson(app, `/api/insights/stats?${q}&workflow=wf-orders`)).body.stats;
      expect(stats).toMatchObject({ total: 5, running: 1, success: 1, error: 3, p95DurationMs: 30_000 });
    });

    it('GET /api/insights/timeline: hours of a time zone by default for a day, days beyond', async () => {
      const hourly = (await getJson(app, `/api/insights/timeline?${q}&workflow=wf-orders&timeZone=Asia/Kolkata`)).body;
      expect(hourly).toMatchObject({ bucket: 'hour', timeZone: 'Asia/Kolkata', workflowId: 'wf-orders' });
      expect(hourly.items).toEqual(await store.getTimeline({ ...range, workflowId: 'wf-orders', bucket: 'hour', timeZone: 'Asia/Kolkata' }));
      expect(hourly.items.reduce((sum: number, entry: { error: number }) => sum + entry.error, 0)).toBe(3);
      const daily = (await getJson(app, `/api/insights/timeline?from=${T0 - 10 * 24 * HOUR}&to=${NOW}`)).body;
      expect(daily.bucket).toBe('day');
      expect(daily.items).toEqual(await store.getTimeline({ startedAfter: T0 - 10 * 24 * HOUR, startedBefore: NOW, bucket: 'day', timeZone: 'UTC' }));
      expect((await getJson(app, `/api/insights/timeline?${q}&timeZone=%2B02:00`)).body.error).toMatchObject({ code: 'bad_parameter', parameter: 'timeZone' });
      const tooMany = await getJson(app, `/api/insights/timeline?from=0&to=${NOW}&bucket=minute`);
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.storeCode).toBe('VALIDATION');
    });

    it('GET /api/insights/nodes and /api/insights/errors, each error group with the id the runs list filters by', async () => {
      expect((await getJson(app, `/api/insights/nodes?${q}&workflow=wf-orders&sort=p95&limit=2`)).body.items).toEqual(
        await store.getNodeStats({ ...range, workflowId: 'wf-orders', sortBy: 'p95', limit: 2 }),
      );
      const groups = (await getJson(app, `/api/insights/errors?${q}`)).body.items;
      expect(groups).toEqual((await store.getErrorGroups(range)).map((group) => ({ id: errorGroupId(group), ...group })));
      for (const group of groups) {
        const { body } = await getJson(app, `/api/runs?errorGroup=${group.id}&${q}&limit=1000`);
        expect(body.items.length).toBe(group.count);
        expect(body.items.slice(0, 3).map((item: { id: string }) => item.id)).toEqual(group.exampleExecutionIds);
      }
    });

    it('refuses a name two workflows share, naming their ids', async () => {
      expect(await getJson(app, '/api/insights/nodes?workflow=Same%20name')).toEqual({
        status: 400,
        body: {
          error: {
            code: 'bad_parameter',
            parameter: 'workflow',
            workflowIds: ['wf-same-b', 'wf-same-a'],
            message: 'workflow: "Same name" is the name of 2 workflows; give one of their ids: wf-same-b, wf-same-a',
          },
        },
      });
      expect((await getJson(app, `/api/insights/stats?from=${NOW}&to=${NOW - 1}`)).body.error.message).toBe(`from: expected a time before to (${NOW - 1}), got ${NOW}`);
    });
  });

  it('a store that fails answers 500 with the store\'s message, the stack in the log only', async () => {
    // A database that fails under the store: SQLite's connection closed, PostgreSQL's database dropped.
    const database = await databaseOn(backend, true);
    const broken = await openOn(database.target);
    if (backend.name === 'sqlite') await broken.close();
    else await database.remove();
    const logged: string[] = [];
    const app = createViewerApp({ store: broken, access: policy(), database: { backend: backend.name, name: 'closed' }, log: (line) => logged.push(line) });
    const { status, body } = await getJson(app, '/api/runs');
    expect(status).toBe(500);
    expect(body.error).toMatchObject({ code: 'database', storeCode: 'DATABASE' });
    expect(body.error.message).toMatch(/queryExecutions/);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^viewer: GET \/api\/runs: ExecutionStoreError: /);
    if (backend.name === 'postgres') await broken.close();
    else await database.remove();
  });

  it('GET /api/search answers the store\'s searchExecutions: runs newest first with where each matched, what it read, where to go on', async () => {
    const failed = run('failed');
    const trigger = (await store.getStepsForExecution(failed.id)).find((step) => step.nodeId === 'trigger');
    const byKey = await getJson(app, '/api/search?key=orderId&equals=2&limit=5');
    const expected = await store.searchExecutions({ key: 'orderId', equals: 2, limit: 5 });
    expect(byKey).toEqual({
      status: 200,
      body: { items: expected.items.map(({ execution, hits }) => ({ run: runListItem(execution), hits })), scanned: expected.scanned, nextCursor: expected.nextCursor },
    });
    expect(byKey.body.items.find((item: any) => item.run.id === failed.id)).toEqual({
      run: runListItem((await store.getExecution(failed.id)) as WorkflowExecution),
      hits: [{ field: 'triggerData' }, { field: 'outputData', stepId: trigger?.id, nodeId: 'trigger', stepIndex: 0 }],
    });
    // The same search narrowed to the steps' output, in the failed run's workflow and status, as a link would hold it.
    const narrowed = await getJson(app, `/api/search?key=orderId&equals=2&in=outputData&workflow=${failed.workflowId}&status=error`);
    expect(narrowed.body.items.map((item: any) => [item.run.id, item.hits])).toEqual([[failed.id, [{ field: 'outputData', stepId: trigger?.id, nodeId: 'trigger', stepIndex: 0 }]]]);
    expect((await getJson(app, '/api/search?text=HTTP%20502&in=metadata')).body.items).toEqual([]);
    expect(await getJson(app, '/api/search')).toEqual({
      status: 400,
      body: { error: { code: 'invalid', storeCode: 'VALIDATION', message: expect.stringContaining('expected key with equals, or text') } },
    });
    expect((await getJson(app, '/api/search?text=x&limit=201')).body.error).toMatchObject({ code: 'bad_parameter', parameter: 'limit' });
    expect((await getJson(app, '/api/search?text=x&in=body')).body.error).toMatchObject({ code: 'bad_parameter', parameter: 'in' });
  });

  it('GET /api/meta says what the server allows; unknown routes are 404', async () => {
    expect(await getJson(app, '/api/meta')).toEqual({
      status: 200,
      body: {
        api: 1,
        instance: 'test-instance',
        database: { backend: 'sqlite', name: 'test' },
        writes: false,
        exposed: false,
        tokenRequired: false,
        authenticated: false,
        writeToken: null,
        limits: { pageSize: 1000, wholePayloadBytes: 102_400, slice: 1000, differences: 200, bulkDelete: 1000, refreshIds: 100 },
        search: { stepsPerCall: 50_000, limit: 200 },
      },
    });
    expect(await getJson(app, '/api/nothing')).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'no route answers GET /api/nothing; the API\'s routes are under /api/ (see /api/meta)' } },
    });
  });
});

describe('asApiError', () => {
  it('maps the store\'s codes to statuses, keeps their messages, and hides anything else behind a generic one', () => {
    const mapped = (['VALIDATION', 'NOT_FOUND', 'STORAGE_FULL', 'UNAVAILABLE', 'DATABASE'] as const).map((code) => {
      const error = asApiError(new ExecutionStoreError(code, `the ${code} message`));
      return [code, error.status, error.body];
    });
    expect(mapped).toEqual([
      ['VALIDATION', 400, { error: { code: 'invalid', storeCode: 'VALIDATION', message: 'the VALIDATION message' } }],
      ['NOT_FOUND', 404, { error: { code: 'not_found', storeCode: 'NOT_FOUND', message: 'the NOT_FOUND message' } }],
      ['STORAGE_FULL', 507, { error: { code: 'storage_full', storeCode: 'STORAGE_FULL', message: 'the STORAGE_FULL message' } }],
      ['UNAVAILABLE', 503, { error: { code: 'unavailable', storeCode: 'UNAVAILABLE', message: 'the UNAVAILABLE message' } }],
      ['DATABASE', 500, { error: { code: 'database', storeCode: 'DATABASE', message: 'the DATABASE message' } }],
    ]);
    const bug = asApiError(new TypeError('secret detail'));
    expect([bug.status, bug.body]).toEqual([500, { error: { code: 'internal', message: "the viewer failed to answer this request; its log (the serve command's standard error) says why" } }]);
  });
});
