// Two stores on one database, as two runtime instances sharing a history: each changes rows the other wrote or last
// changed, and every answer and every rollup row stays what the stored rows say. On PostgreSQL a store writes the
// rows it wrote itself in one guarded statement, trusting what it last wrote there; these are the cases where that
// is out of date (the other store moved the execution, finished the step, changed the run), which must take the
// locking way, count under the row's real key, and never count twice.
import { describe, expect, it } from 'vitest';
import { openExecutionStore } from '../src/index.js';
import { forEachBackend } from './backends.js';
import { T0, newExecution, newRunStep, newStep, track } from './factories.js';
import { recountedRollupsOf, reopenableTarget, storedRollupsOf } from './rollup-rows.js';

const HOUR = 3_600_000;
const NOW = T0 + 40 * 24 * HOUR;

forEachBackend((backend) => {
  describe('two stores on one database', () => {
    it('change each other\'s executions and steps, and the totals and rollups stay a recount of the rows', async () => {
      const target = await reopenableTarget(backend);
      const a = track(await openExecutionStore(target, { now: () => NOW }));
      const b = track(await openExecutionStore(target, { now: () => NOW }));

      // A starts a run and one step; B moves the run two hours later (its steps move with it).
      const run = await a.createExecution(newExecution({ status: 'running', startedAt: T0, completedAt: undefined }));
      const [first] = await a.addSteps([newStep(run, { nodeId: 'fetch', stepIndex: 0, status: 'running', startedAt: T0, completedAt: undefined })]);
      await b.updateExecution(run, { startedAt: T0 + 2 * HOUR });
      // A still thinks the run starts at T0: its next step must be counted where the run is now.
      await a.addStep(newStep(run, { nodeId: 'parse', stepIndex: 1, status: 'success', startedAt: T0 + 2 * HOUR, completedAt: T0 + 2 * HOUR + 40 }));
      // B finishes A's first step; then A, which added it as running, fails it.
      await b.updateStep(first as string, { status: 'success', completedAt: T0 + 2 * HOUR + 30 });
      await a.updateStep(first as string, { status: 'error', completedAt: T0 + 2 * HOUR + 35, errorMessage: 'HTTP 502' });
      // A finishes the run it created, which B moved.
      await a.updateExecution(run, { status: 'error', completedAt: T0 + 2 * HOUR + 90, errorMessage: 'HTTP 502' });
      // B renames the workflow of a run A recorded whole, then A finishes a step of it that was still running.
      const recorded = await a.recordExecution(newExecution({ workflowId: 'wf-b', status: 'running', startedAt: T0 + HOUR, completedAt: undefined }), [
        newRunStep({ nodeId: 'send', status: 'running', startedAt: T0 + HOUR, completedAt: undefined }),
      ]);
      await b.updateExecution(recorded.executionId, { workflowId: 'wf-c', workflowName: 'Renamed' });
      await a.updateStep(recorded.stepIds[0] as string, { status: 'success', completedAt: T0 + HOUR + 20 });
      await a.updateExecution(recorded.executionId, { status: 'success', completedAt: T0 + HOUR + 25 });
      // B deletes a run A created: A's next write to it finds nothing, and writes nothing.
      const gone = await a.createExecution(newExecution({ status: 'running', startedAt: T0 + 3 * HOUR, completedAt: undefined }));
      expect(await b.deleteExecution(gone)).toBe(true);
      await expect(a.addStep(newStep(gone, { nodeId: 'x', stepIndex: 0 }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(a.updateExecution(gone, { status: 'success', completedAt: T0 + 3 * HOUR + 5 })).rejects.toMatchObject({ code: 'NOT_FOUND' });

      const stored = await b.getExecutionWithSteps(run);
      expect({ ...stored, id: undefined, steps: stored?.steps.map((step) => ({ ...step, id: undefined })) }).toEqual({
        ...newExecution({ status: 'error', startedAt: T0 + 2 * HOUR, completedAt: T0 + 2 * HOUR + 90, errorMessage: 'HTTP 502' }),
        id: undefined,
        instanceId: a.instanceId,
        durationMs: 90,
        steps: [
          { ...newStep(run, { nodeId: 'fetch', stepIndex: 0, status: 'error', startedAt: T0, completedAt: T0 + 2 * HOUR + 35, errorMessage: 'HTTP 502' }), id: undefined, durationMs: 2 * HOUR + 35 },
          { ...newStep(run, { nodeId: 'parse', stepIndex: 1, status: 'success', startedAt: T0 + 2 * HOUR, completedAt: T0 + 2 * HOUR + 40 }), id: undefined, durationMs: 40 },
        ],
      });
      expect(await a.getExecution(recorded.executionId)).toMatchObject({ workflowId: 'wf-c', workflowName: 'Renamed', status: 'success', durationMs: 25 });
      expect(await a.getExecutionStats()).toMatchObject({ total: 2, running: 0, success: 1, error: 1 });
      expect(await storedRollupsOf(target)).toEqual(await recountedRollupsOf(target));
    });
  });
});
