// Deleting history through the viewer, on a SQLite file and on PostgreSQL: never without --allow-writes, never
// without the token in its header, never from another origin; a bulk delete takes exactly the runs it counted or
// refuses; retention as the store applies it.
import { describe, expect, it } from 'vitest';
import type { ExecutionStore } from '../src/index.js';
import { newExecutionId } from '../src/index.js';
import { forEachBackend } from './backends.js';
import { T0, track } from './factories.js';
import { databaseOn, getJson, HOUR, type ModelRun, NOW, openOn, recordHistory, TOKEN, type ViewerApp, viewerOn } from './viewer-fixture.js';

const bearer = { authorization: `Bearer ${TOKEN}` };
const json = { 'content-type': 'application/json' };

forEachBackend((backend) => {
  async function history(writes = true): Promise<{ store: ExecutionStore; model: ModelRun[]; app: ViewerApp; run: (name: string) => ModelRun }> {
    const store = track(await openOn((await databaseOn(backend, false)).target));
    const model = await recordHistory(store);
    return { store, model, app: viewerOn(store, { writes }), run: (name) => model.find((each) => each.name === name) as ModelRun };
  }
  const remove = (app: ViewerApp, id: string, headers: Record<string, string> = bearer) => getJson(app, `/api/runs/${id}`, { method: 'DELETE', headers });

  describe('permission', () => {
    it('a read-only viewer refuses every write with 403, token or not', async () => {
      const { app, run, store } = await history(false);
      const refused = { status: 403, body: { error: { code: 'writes_disabled', message: 'this viewer is read-only; start it with --allow-writes to delete runs or apply retention' } } };
      expect(await remove(app, run('ok').id)).toEqual(refused);
      expect(await getJson(app, '/api/retention', { method: 'POST', headers: { ...bearer, ...json }, body: '{"keep":1}' })).toEqual(refused);
      expect(await getJson(app, '/api/runs/delete?status=error', { method: 'POST', headers: { ...bearer, ...json }, body: '{}' })).toEqual(refused);
      expect(await store.getExecution(run('ok').id)).not.toBeNull();
    });

    it('writes need the token in the Authorization header (401), from this origin (403), as JSON (415)', async () => {
      const { app, run, store } = await history();
      const id = run('ok').id;
      expect(await remove(app, id, {})).toEqual({
        status: 401,
        body: { error: { code: 'token_required', message: 'writes need the token printed by the serve command, as the header "Authorization: Bearer <token>"' } },
      });
      expect((await remove(app, id, { authorization: 'Bearer wrong' })).body.error.message).toBe(
        'writes need the token printed by the serve command, as the header "Authorization: Bearer <token>" (the one given is not it)',
      );
      // The cookie a browser attaches to any request is not enough for a write.
      expect((await remove(app, id, { cookie: `execution-history-test=${TOKEN}` })).status).toBe(401);
      expect(await remove(app, id, { ...bearer, origin: 'https://evil.example' })).toEqual({
        status: 403,
        body: { error: { code: 'cross_origin', message: 'writes are taken from this server\'s own origin only (http://localhost), not from https://evil.example' } },
      });
      expect((await remove(app, id, { ...bearer, origin: 'null' })).status).toBe(403);
      expect((await remove(app, id, { ...bearer, 'sec-fetch-site': 'cross-site' })).body.error.code).toBe('cross_origin');
      expect((await remove(app, id, { ...bearer, 'sec-fetch-site': 'same-site' })).status).toBe(403); // another port of localhost
      // A form can post text/plain, urlencoded or multipart without a preflight, never JSON.
      const form = await getJson(app, '/api/retention', { method: 'POST', headers: { ...bearer, 'content-type': 'text/plain' }, body: '{"keep":0}' });
      expect(form).toEqual({
        status: 415,
        body: { error: { code: 'unsupported_media_type', message: 'a write\'s body must be JSON, sent with "Content-Type: application/json" (got "text/plain")' } },
      });
      // A body larger than any write needs is not read.
      const huge = await getJson(app, '/api/retention', { method: 'POST', headers: { ...bearer, ...json }, body: JSON.stringify({ keep: 1, workflow: 'x'.repeat(20_000) }) });
      expect(huge).toEqual({ status: 413, body: { error: { code: 'too_large', message: 'a request body may hold at most 16384 bytes' } } });
      expect(await store.getExecution(id)).not.toBeNull();
      expect(await remove(app, id, { ...bearer, origin: 'http://localhost', 'sec-fetch-site': 'same-origin' })).toEqual({ status: 200, body: { deleted: true, id } });
      expect(await store.getExecution(id)).toBeNull();
    });
  });

  it('DELETE /api/runs/:id deletes a finished run with its steps; 409 for a running one, 404 for one not stored', async () => {
    const { app, run, store } = await history();
    const failed = run('failed').id;
    expect(await remove(app, failed)).toEqual({ status: 200, body: { deleted: true, id: failed } });
    expect(await store.getStepsForExecution(failed)).toEqual([]);
    expect((await getJson(app, `/api/runs/${failed}`)).status).toBe(404);
    expect(await remove(app, failed)).toMatchObject({ status: 404, body: { error: { code: 'not_found', runId: failed } } });
    const running = run('running').id;
    expect(await remove(app, running)).toEqual({
      status: 409,
      body: { error: { code: 'conflict', runId: running, message: `run ${running} is still running; a running run is never deleted (if its process died, recovery marks it as interrupted first)` } },
    });
    expect(await store.getExecution(running)).not.toBeNull();
  });

  describe('bulk delete', () => {
    const post = (app: ViewerApp, query: string, body: unknown) =>
      getJson(app, `/api/runs/delete?${query}`, { method: 'POST', headers: { ...bearer, ...json }, body: JSON.stringify(body) });

    it('deletes exactly the runs its preview counted (running ones excluded), and nothing else', async () => {
      const { app, model, store } = await history();
      const query = 'workflow=wf-orders&from=' + T0;
      const preview = await getJson(app, `/api/runs/delete-preview?${query}`);
      const doomed = model.filter((r) => r.workflowId === 'wf-orders' && r.startedAt >= T0 && r.status !== 'running');
      expect(preview).toEqual({ status: 200, body: { count: doomed.length, selection: expect.any(String), running: 1, tooMany: false, max: 1000 } });
      expect(doomed.length).toBe(4);
      expect(await post(app, query, { count: preview.body.count, selection: preview.body.selection })).toEqual({ status: 200, body: { deleted: 4, alreadyGone: 0 } });
      const left = await store.queryExecutions({ limit: 1000 });
      expect(left.map((r) => r.id).sort()).toEqual(model.filter((r) => !doomed.includes(r)).map((r) => r.id).sort());
      // Sent again, the same count describes runs that are gone: refused, with what the filter selects now.
      expect(await post(app, query, { count: 4, selection: preview.body.selection })).toEqual({
        status: 409,
        body: {
          error: {
            code: 'selection_changed',
            count: 0,
            selection: expect.any(String),
            running: 1,
            message: 'the filter now selects 0 runs, not the 4 counted; nothing was deleted. Show the new count and send it again',
          },
        },
      });
    });

    it('refuses, deleting nothing, when the selection changed since it was counted, even at the same count', async () => {
      const { app, store, run } = await history();
      const query = 'status=error&workflow=wf-orders';
      const preview = (await getJson(app, `/api/runs/delete-preview?${query}`)).body;
      expect(preview.count).toBe(3);
      // One counted failure goes, another failure comes: still three, but not the three that were counted.
      await store.deleteExecution(run('timeout').id);
      await store.recordExecution({ workflowId: 'wf-orders', workflowName: 'Sync orders', triggerType: 'manual', status: 'error', startedAt: T0 + 5 * HOUR, completedAt: T0 + 5 * HOUR + 1, errorMessage: 'new' });
      const refused = await post(app, query, { count: preview.count, selection: preview.selection });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'selection_changed', count: 3 });
      expect(refused.body.error.selection).not.toBe(preview.selection);
      expect((await store.queryExecutions({ status: 'error', workflowId: 'wf-orders' })).length).toBe(3);
      expect(await post(app, query, { count: 3, selection: refused.body.error.selection })).toEqual({ status: 200, body: { deleted: 3, alreadyGone: 0 } });
    });

    it('refuses more than 1000 runs, and bodies without the preview\'s count and selection', async () => {
      const { app, store } = await history();
      const executions = Array.from({ length: 1001 }, (_, i) => ({
        id: newExecutionId(T0 - 2 * HOUR + i),
        workflowId: 'wf-many',
        workflowName: 'Many',
        triggerType: 'internal_event' as const,
        status: 'success' as const,
        startedAt: T0 - 2 * HOUR + i,
        completedAt: T0 - 2 * HOUR + i + 1,
      }));
      await store.writeBatch({ executions });
      const preview = (await getJson(app, '/api/runs/delete-preview?workflow=wf-many')).body;
      expect(preview).toEqual({ count: 1001, selection: '', running: 0, tooMany: true, max: 1000 });
      expect(await post(app, 'workflow=wf-many', { count: 1000, selection: 'x' })).toEqual({
        status: 413,
        body: { error: { code: 'too_many', max: 1000, message: 'the filter selects over 1000 runs, more than one delete takes; narrow it, or use retention' } },
      });
      expect(await post(app, 'workflow=wf-many', { count: 1 })).toEqual({
        status: 400,
        body: { error: { code: 'bad_body', message: 'expected { "count", "selection" } as GET /api/runs/delete-preview returned them for the same filter' } },
      });
      expect((await post(app, 'workflow=wf-many', [1])).body.error).toEqual({ code: 'bad_body', message: 'the body must be a JSON object with count, selection' });
      expect((await post(app, 'workflow=wf-many', { count: 1, selection: 'x', extra: 1 })).body.error.parameter).toBe('extra');
      const notJson = await getJson(app, '/api/runs/delete?workflow=wf-many', { method: 'POST', headers: { ...bearer, ...json }, body: '{count' });
      expect(notJson).toEqual({ status: 400, body: { error: { code: 'bad_body', message: 'the body is not JSON; expected an object with count, selection' } } });
      expect((await store.getExecutionStats({ workflowId: 'wf-many' })).total).toBe(1001);
    });
  });

  describe('retention', () => {
    const post = (app: ViewerApp, body: unknown) => getJson(app, '/api/retention', { method: 'POST', headers: { ...bearer, ...json }, body: JSON.stringify(body) });

    it('by age and by count, for one workflow or all, previewed first, as the store applies them', async () => {
      const { app, model, store } = await history();
      // Older than 7.5 hours at NOW (T0 + 8 h): the bulk runs and the first ones after T0.
      const old = model.filter((r) => r.status !== 'running' && r.startedAt < NOW - 7.5 * HOUR);
      expect(old.length).toBeGreaterThan(60);
      expect(await getJson(app, '/api/retention/preview?olderThan=7.5h')).toEqual({ status: 200, body: { olderThanMs: 7.5 * HOUR, keep: null, workflowId: null, wouldDelete: old.length } });
      const oldOrders = old.filter((r) => r.workflowId === 'wf-orders');
      expect((await getJson(app, `/api/retention/preview?olderThan=${7.5 * HOUR}&workflow=Sync%20orders`)).body).toEqual({
        olderThanMs: 7.5 * HOUR,
        keep: null,
        workflowId: 'wf-orders',
        wouldDelete: oldOrders.length,
      });
      expect(await post(app, { olderThan: '7.5h', workflow: 'wf-orders' })).toEqual({ status: 200, body: { olderThanMs: 7.5 * HOUR, keep: null, workflowId: 'wf-orders', deleted: oldOrders.length } });
      // Keep the 10 newest of the bulk import.
      expect(await post(app, { keep: 10, workflow: 'wf-bulk' })).toEqual({ status: 200, body: { olderThanMs: null, keep: 10, workflowId: 'wf-bulk', deleted: 50 } });
      expect((await store.queryExecutions({ workflowId: 'wf-bulk', limit: 1000 })).map((r) => r.id)).toEqual(
        model.filter((r) => r.workflowId === 'wf-bulk').slice(-10).reverse().map((r) => r.id),
      );
    });

    it('needs exactly one rule, in a known unit', async () => {
      const { app } = await history();
      const oneRule = 'expected exactly one of olderThan (a duration such as 14d, or milliseconds) or keep (how many of the newest runs to keep)';
      expect(await post(app, {})).toEqual({ status: 400, body: { error: { code: 'bad_parameter', parameter: 'olderThan', message: oneRule } } });
      expect((await post(app, { olderThan: '1d', keep: 3 })).body.error.message).toBe(oneRule);
      expect((await post(app, { olderThan: 'a fortnight' })).body.error.message).toBe('olderThan: expected whole milliseconds or a duration such as 30m, 24h or 14d, got "a fortnight"');
      expect((await post(app, { keep: -1 })).body.error.parameter).toBe('keep');
      expect((await post(app, { keep: { n: 1 } })).body.error).toEqual({ code: 'bad_body', field: 'keep', message: 'keep: expected a string, a number or true/false, got {"n":1}' });
      expect((await getJson(app, '/api/retention/preview?keep=1&workflow=Same%20name')).body.error.workflowIds).toEqual(['wf-same-b', 'wf-same-a']);
    });
  });
});
