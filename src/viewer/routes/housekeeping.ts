// Deleting history from the viewer, only when the server was started with --allow-writes (security/access.ts
// checks the token and the origin of every write):
//   DELETE /api/runs/:id                   one run (never a running one)
//   GET    /api/runs/delete-preview?<filter>  how many runs the filter would delete, and their digest
//   POST   /api/runs/delete?<filter>        { count, selection } from the preview: deletes exactly those runs
//   GET    /api/retention/preview?olderThan=|keep=[&workflow=]   what retention would delete
//   POST   /api/retention                   { olderThan | keep, workflow? }: applies it
import { ApiError } from '../http/api-error.js';
import { jsonBody } from '../http/json-body.js';
import { type QueryParams, queryOf } from '../http/query-params.js';
import { MAX_BULK_DELETE, selectForDelete } from '../runs/delete-selection.js';
import { oneWorkflowId } from '../runs/one-workflow.js';
import { FILTER_PARAMETERS, readRunFilter } from '../runs/run-filter.js';
import type { RouteContext, ViewerApp } from './route-context.js';
import { unknownRun } from './run.js';

const RETENTION_FIELDS = ['olderThan', 'keep', 'workflow'];

export function registerHousekeeping(app: ViewerApp, { store, now }: RouteContext): void {
  app.delete('/api/runs/:id', async (c) => {
    queryOf(c.req.url, []);
    const id = c.req.param('id');
    const run = await store.getExecution(id);
    if (run === null) throw unknownRun(id);
    if (run.status === 'running') {
      throw new ApiError(409, 'conflict', `run ${id} is still running; a running run is never deleted (if its process died, recovery marks it as interrupted first)`, { runId: id });
    }
    if (!(await store.deleteExecution(id))) throw unknownRun(id);
    return c.json({ deleted: true, id });
  });

  app.get('/api/runs/delete-preview', async (c) => {
    const selection = await selectForDelete(store, readRunFilter(queryOf(c.req.url, FILTER_PARAMETERS)), now());
    const { ids: _ids, ...preview } = selection;
    return c.json({ ...preview, max: MAX_BULK_DELETE });
  });

  app.post('/api/runs/delete', async (c) => {
    const filter = readRunFilter(queryOf(c.req.url, FILTER_PARAMETERS));
    const body = await jsonBody(c, ['count', 'selection']);
    const expectedCount = body.integer('count', 0, MAX_BULK_DELETE);
    const expectedSelection = body.raw('selection');
    if (expectedCount === undefined || expectedSelection === undefined) {
      throw new ApiError(400, 'bad_body', 'expected { "count", "selection" } as GET /api/runs/delete-preview returned them for the same filter');
    }
    const selection = await selectForDelete(store, filter, now());
    if (selection.tooMany) {
      throw new ApiError(413, 'too_many', `the filter selects over ${MAX_BULK_DELETE} runs, more than one delete takes; narrow it, or use retention`, { max: MAX_BULK_DELETE });
    }
    if (selection.count !== expectedCount || selection.selection !== expectedSelection) {
      throw new ApiError(409, 'selection_changed', `the filter now selects ${selection.count} runs, not the ${expectedCount} counted; nothing was deleted. Show the new count and send it again`, {
        count: selection.count,
        selection: selection.selection,
        running: selection.running,
      });
    }
    let deleted = 0;
    for (const id of selection.ids) if (await store.deleteExecution(id)) deleted++;
    // A run another process deleted in between is not deleted twice, and is counted apart.
    return c.json({ deleted, alreadyGone: selection.count - deleted });
  });

  app.get('/api/retention/preview', async (c) => {
    const rule = await retentionRule(queryOf(c.req.url, RETENTION_FIELDS));
    return c.json({ ...rule.described, wouldDelete: await rule.apply(true) });
  });

  app.post('/api/retention', async (c) => {
    queryOf(c.req.url, []);
    const rule = await retentionRule(await jsonBody(c, RETENTION_FIELDS));
    return c.json({ ...rule.described, deleted: await rule.apply(false) });
  });

  async function retentionRule(fields: QueryParams) {
    const olderThan = fields.duration('olderThan');
    const keep = fields.integer('keep', 0, Number.MAX_SAFE_INTEGER);
    const workflow = fields.string('workflow');
    if ((olderThan === undefined) === (keep === undefined)) {
      throw new ApiError(400, 'bad_parameter', 'expected exactly one of olderThan (a duration such as 14d, or milliseconds) or keep (how many of the newest runs to keep)', {
        parameter: olderThan === undefined ? 'olderThan' : 'keep',
      });
    }
    const workflowId = workflow === undefined ? undefined : await oneWorkflowId(store, workflow, 'workflow', now());
    return {
      described: { olderThanMs: olderThan ?? null, keep: keep ?? null, workflowId: workflowId ?? null },
      apply: (dryRun: boolean) =>
        olderThan !== undefined ? store.cleanupOldExecutions(olderThan, { workflowId, dryRun }) : store.cleanupByCount(keep as number, workflowId, { dryRun }),
    };
  }
}
