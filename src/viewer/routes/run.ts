// One run: GET /api/runs/:id gives its header and its steps without payloads; each payload is read on its own,
// summarised when large, whole with ?full=1, or a slice at a time (?path=/rows&offset=100&limit=100):
//   GET /api/runs/:id/trigger-data, GET /api/runs/:id/metadata,
//   GET /api/runs/:id/steps/:stepId (its summary with both payloads), GET /api/runs/:id/steps/:stepId/input|output.
import type { ExecutionStep, JsonObject } from '../../core/types.js';
import type { ExecutionStore } from '../../store.js';
import { notFound } from '../http/api-error.js';
import { type QueryParams, queryOf } from '../http/query-params.js';
import { MAX_SLICE, type ViewRequest, viewPayload } from '../payloads/payload-view.js';
import { runHeader, stepSummaries, stepSummary } from '../runs/run-shapes.js';
import type { RouteContext, ViewerApp } from './route-context.js';

const VIEW_PARAMETERS = ['full', 'path', 'offset', 'limit'];

export function registerRun(app: ViewerApp, { store }: RouteContext): void {
  app.get('/api/runs/:id', async (c) => {
    queryOf(c.req.url, []);
    const run = await store.getExecutionWithSteps(c.req.param('id'));
    if (run === null) throw unknownRun(c.req.param('id'));
    const { steps, ...execution } = run;
    const whole: ViewRequest = { full: false };
    return c.json({
      run: runHeader(execution),
      triggerData: execution.triggerData === undefined ? null : viewPayload(execution.triggerData, whole),
      metadata: execution.metadata === undefined ? null : viewPayload(execution.metadata, whole),
      steps: stepSummaries(steps),
    });
  });

  for (const [segment, field] of [
    ['trigger-data', 'triggerData'],
    ['metadata', 'metadata'],
  ] as const) {
    app.get(`/api/runs/:id/${segment}`, async (c) => {
      const request = viewRequest(queryOf(c.req.url, VIEW_PARAMETERS));
      const run = await store.getExecution(c.req.param('id'));
      if (run === null) throw unknownRun(c.req.param('id'));
      return c.json(viewPayload(present(run[field], `run ${run.id} has no ${field}`), request));
    });
  }

  app.get('/api/runs/:id/steps/:stepId', async (c) => {
    const full = queryOf(c.req.url, ['full']).flag('full');
    const { step, occurrence } = await findStep(store, c.req.param('id'), c.req.param('stepId'));
    return c.json({
      step: stepSummary(step, occurrence),
      input: step.inputData === undefined ? null : viewPayload(step.inputData, { full }),
      output: step.outputData === undefined ? null : viewPayload(step.outputData, { full }),
    });
  });

  for (const [segment, field] of [
    ['input', 'inputData'],
    ['output', 'outputData'],
  ] as const) {
    app.get(`/api/runs/:id/steps/:stepId/${segment}`, async (c) => {
      const request = viewRequest(queryOf(c.req.url, VIEW_PARAMETERS));
      const { step } = await findStep(store, c.req.param('id'), c.req.param('stepId'));
      return c.json(viewPayload(present(step[field], `step ${step.id} has no ${segment}`), request));
    });
  }
}

export function unknownRun(id: string) {
  return notFound(`no run has the id "${id}" (deleted, or never recorded)`, { runId: id });
}

function present(payload: JsonObject | undefined, absent: string): JsonObject {
  if (payload === undefined) throw notFound(absent);
  return payload;
}

/** The step and which run of its node it is; 404 for an unknown run, or a step that is not the run's. */
async function findStep(store: ExecutionStore, runId: string, stepId: string): Promise<{ step: ExecutionStep; occurrence: number }> {
  const steps = await store.getStepsForExecution(runId);
  const position = steps.findIndex((each) => each.id === stepId);
  const step = steps[position];
  if (step === undefined) {
    if (steps.length === 0 && (await store.getExecution(runId)) === null) throw unknownRun(runId);
    throw notFound(`run ${runId} has no step with the id "${stepId}"`, { runId, stepId });
  }
  const occurrence = steps.slice(0, position).filter((each) => each.nodeId === step.nodeId).length;
  return { step, occurrence };
}

function viewRequest(query: QueryParams): ViewRequest {
  return {
    full: query.flag('full'),
    // `path=` (empty) names the payload itself.
    path: query.raw('path'),
    offset: query.integer('offset', 0, Number.MAX_SAFE_INTEGER),
    limit: query.integer('limit', 1, MAX_SLICE),
  };
}
