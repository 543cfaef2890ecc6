// GET /api/runs/:id/compare[?with=<id>]: a run beside another of its workflow (by default the last successful one
// before it), step by step (lined up by node and occurrence), with what changed in status, duration, input and
// output.
import type { ExecutionStep, ExecutionWithSteps } from '../../core/types.js';
import { ApiError, badParameter } from '../http/api-error.js';
import { queryOf } from '../http/query-params.js';
import { lastSuccessBefore } from '../compare/baseline.js';
import { alignSteps } from '../compare/step-alignment.js';
import { diffValues, MAX_DIFFERENCES } from '../compare/structural-diff.js';
import { runHeader, stepSummary } from '../runs/run-shapes.js';
import type { RouteContext, ViewerApp } from './route-context.js';
import { unknownRun } from './run.js';

export function registerCompare(app: ViewerApp, { store }: RouteContext): void {
  app.get('/api/runs/:id/compare', async (c) => {
    const query = queryOf(c.req.url, ['with']);
    const withId = query.string('with');
    const run = await store.getExecutionWithSteps(c.req.param('id'));
    if (run === null) throw unknownRun(c.req.param('id'));
    let baseline: ExecutionWithSteps | null;
    if (withId !== undefined) {
      if (withId === run.id) throw badParameter('with', 'another run than the one compared', withId);
      baseline = await store.getExecutionWithSteps(withId);
      if (baseline === null) throw new ApiError(404, 'not_found', `no run has the id "${withId}" (the with parameter)`, { runId: withId });
    } else {
      const found = await lastSuccessBefore(store, run);
      baseline = found === null ? null : await store.getExecutionWithSteps(found.id);
    }
    const { steps: runSteps, ...runOnly } = run;
    if (baseline === null) {
      return c.json({ run: runHeader(runOnly), baseline: null, reason: `no successful run of workflow ${run.workflowId} started before this one`, steps: [] });
    }
    const { steps: baselineSteps, ...baselineOnly } = baseline;
    return c.json({
      run: runHeader(runOnly),
      baseline: runHeader(baselineOnly),
      durationMs: change(run.durationMs, baseline.durationMs),
      maxDifferences: MAX_DIFFERENCES,
      steps: alignSteps(runSteps, baselineSteps).map(({ nodeId, occurrence, run: now, baseline: before }) => ({
        nodeId,
        occurrence,
        run: now === null ? null : stepSummary(now, occurrence),
        baseline: before === null ? null : stepSummary(before, occurrence),
        status: { run: now?.status ?? null, baseline: before?.status ?? null, changed: now?.status !== before?.status },
        durationMs: change(now?.durationMs, before?.durationMs),
        input: diffValues(payloadOf(before, 'inputData'), payloadOf(now, 'inputData')),
        output: diffValues(payloadOf(before, 'outputData'), payloadOf(now, 'outputData')),
      })),
    });
  });
}

function change(now: number | undefined, before: number | undefined) {
  return { run: now ?? null, baseline: before ?? null, deltaMs: now === undefined || before === undefined ? null : now - before };
}

function payloadOf(step: ExecutionStep | null, field: 'inputData' | 'outputData') {
  return step?.[field];
}
