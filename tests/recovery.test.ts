import { describe, expect, it } from 'vitest';
import { INTERRUPTED_EXECUTION_MESSAGE, INTERRUPTED_STEP_MESSAGE } from '../src/sqlite/recovery.js';
import { forEachBackend } from './backends.js';
import { T0, newExecution, newStep } from './factories.js';

forEachBackend((backend) => {
  describe('recoverInterruptedExecutions', () => {
    // Given a time, recovery marks whatever was running before it, whoever runs it: what a history that one process
    // alone writes does at start-up. (Without one, only gone instances' runs: tests/instances.test.ts.)
    it('marks running executions and their running steps as interrupted, and touches nothing else', async () => {
      const store = await backend.open({ now: () => T0 + 10_000 });
      const interrupted = await store.createExecution(newExecution({ startedAt: T0 }));
      const finishedStep = await store.addStep(newStep(interrupted, { stepIndex: 0, status: 'success', completedAt: T0 + 50 }));
      const runningStep = await store.addStep(newStep(interrupted, { stepIndex: 1, startedAt: T0 + 60 }));
      const silent = await store.createExecution(newExecution({ startedAt: T0 + 100 })); // died before its first step
      const succeeded = await store.createExecution(newExecution({ status: 'success', completedAt: T0 + 30 }));
      const failed = await store.createExecution(newExecution({ status: 'error', completedAt: T0 + 40, errorMessage: 'HTTP 500' }));
      // A finished execution whose step was left 'running' is not the recovery's business either.
      await store.addStep(newStep(succeeded, { stepIndex: 0 }));
      const finishedBefore = await Promise.all([succeeded, failed].map((id) => store.getExecutionWithSteps(id)));

      expect(await store.recoverInterruptedExecutions({ startedBefore: T0 + 10_000 })).toEqual({ executions: 2, steps: 1 });

      expect(await store.getExecutionWithSteps(interrupted)).toEqual({
        ...newExecution({ startedAt: T0 }),
        id: interrupted,
        instanceId: store.instanceId,
        status: 'error',
        errorMessage: INTERRUPTED_EXECUTION_MESSAGE,
        completedAt: T0 + 60, // when it was last heard of: its last step's start
        durationMs: 60,
        steps: [
          { ...newStep(interrupted, { stepIndex: 0, status: 'success', completedAt: T0 + 50 }), id: finishedStep, durationMs: 50 },
          { ...newStep(interrupted, { stepIndex: 1, startedAt: T0 + 60 }), id: runningStep, status: 'error', errorMessage: INTERRUPTED_STEP_MESSAGE },
        ],
      });
      expect(await store.getExecution(silent)).toEqual({
        ...newExecution({ startedAt: T0 + 100 }),
        id: silent,
        instanceId: store.instanceId,
        status: 'error',
        errorMessage: INTERRUPTED_EXECUTION_MESSAGE,
        completedAt: T0 + 100,
        durationMs: 0,
      });
      expect(await Promise.all([succeeded, failed].map((id) => store.getExecutionWithSteps(id)))).toEqual(finishedBefore);
      expect(await store.recoverInterruptedExecutions({ startedBefore: T0 + 10_000 })).toEqual({ executions: 0, steps: 0 });
    });

    it('leaves executions that started at or after startedBefore running', async () => {
      const store = await backend.open();
      const old = await store.createExecution(newExecution({ startedAt: T0 }));
      const current = await store.createExecution(newExecution({ startedAt: T0 + 500 }));
      await store.addStep(newStep(current, { startedAt: T0 + 600 }));

      expect(await store.recoverInterruptedExecutions({ startedBefore: T0 + 500 })).toEqual({ executions: 1, steps: 0 });
      expect((await store.getExecution(old))?.status).toBe('error');
      expect(await store.getExecutionWithSteps(current)).toMatchObject({ status: 'running', steps: [{ status: 'running' }] });
    });

    it('rejects bad options', async () => {
      const store = await backend.open();
      await expect(store.recoverInterruptedExecutions({ startedBefore: -1 })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'recoverInterruptedExecutions: invalid input: startedBefore: expected a non-negative integer (got -1)',
      });
      await expect(store.recoverInterruptedExecutions({ before: 1 } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    });
  });
});
