import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ExecutionStore } from '../src/index.js';
import { forEachBackend } from './backends.js';
import { T0, newExecution, newRunStep, newStep, track } from './factories.js';

forEachBackend((backend) => {
  describe('addSteps', () => {
    it('records steps of several executions in one call and returns their ids in order', async () => {
      const store = await backend.open();
      const first = await store.createExecution(newExecution());
      const second = await store.createExecution(newExecution());
      const ids = await store.addSteps([
        newStep(first, { stepIndex: 0, status: 'success', completedAt: T0 + 5 }),
        newStep(second, { stepIndex: 0, nodeId: 'node-x' }),
        newStep(first, { stepIndex: 1, status: 'skipped' }),
      ]);

      expect(ids).toHaveLength(3);
      expect(await store.getStepsForExecution(first)).toEqual([
        { ...newStep(first, { stepIndex: 0, status: 'success', completedAt: T0 + 5 }), id: ids[0], durationMs: 5 },
        { ...newStep(first, { stepIndex: 1, status: 'skipped' }), id: ids[2] },
      ]);
      expect(await store.getStepsForExecution(second)).toEqual([{ ...newStep(second, { stepIndex: 0, nodeId: 'node-x' }), id: ids[1] }]);
      expect(await store.addSteps([])).toEqual([]);
    });

    it('writes nothing when one step is invalid, naming which one', async () => {
      const store = await backend.open();
      const executionId = await store.createExecution(newExecution());
      const steps = [newStep(executionId), { ...newStep(executionId, { stepIndex: 1 }), status: 'paused' }];
      await expect(store.addSteps(steps as never)).rejects.toMatchObject({
        code: 'VALIDATION',
        message:
          'addSteps: invalid input: steps[1].status: Invalid option: expected one of "running"|"success"|"error"|"skipped" (got "paused")',
      });
      expect(await store.getStepsForExecution(executionId)).toEqual([]);
    });

    it('writes nothing when one step names an unknown execution', async () => {
      const store = await backend.open();
      const executionId = await store.createExecution(newExecution());
      await expect(store.addSteps([newStep(executionId), newStep('gone', { stepIndex: 1 })])).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: 'addSteps: no execution with id "gone"; create the execution before its steps',
      });
      expect(await store.getStepsForExecution(executionId)).toEqual([]);
    });

    it('rejects more than 10,000 steps in one batch', async () => {
      const store = await backend.open();
      const executionId = await store.createExecution(newExecution());
      const steps = Array.from({ length: 10_001 }, (_, stepIndex) => newStep(executionId, { stepIndex }));
      await expect(store.addSteps(steps)).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'addSteps: invalid input: steps: expected at most 10000 steps (got an array of 10001)',
      });
      expect(await store.getStepsForExecution(executionId)).toEqual([]);
    });
  });

  describe('recordExecution', () => {
    it('records an execution with its steps in one transaction', async () => {
      const store = await backend.open();
      const execution = newExecution({ status: 'error', completedAt: T0 + 300, errorMessage: 'boom' });
      const steps = [
        newRunStep({ stepIndex: 0, status: 'success', completedAt: T0 + 100 }),
        newRunStep({ stepIndex: 1, nodeId: 'node-b', status: 'error', startedAt: T0 + 100, completedAt: T0 + 300, errorMessage: 'boom' }),
        newRunStep({ stepIndex: 2, nodeId: 'node-c', status: 'skipped', startedAt: T0 + 300 }),
      ];
      const { executionId, stepIds } = await store.recordExecution(execution, steps);

      expect(await store.getExecutionWithSteps(executionId)).toEqual({
        ...execution,
        id: executionId,
        instanceId: store.instanceId,
        durationMs: 300,
        steps: [
          { ...steps[0], executionId, id: stepIds[0], durationMs: 100 },
          { ...steps[1], executionId, id: stepIds[1], durationMs: 200 },
          { ...steps[2], executionId, id: stepIds[2] },
        ],
      });
    });

    it('records nothing at all when a step is invalid', async () => {
      const store = await backend.open();
      const steps = [newRunStep(), { ...newRunStep({ stepIndex: 1 }), stepIndex: -1 }];
      await expect(store.recordExecution(newExecution(), steps)).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'recordExecution: invalid input: steps[1].stepIndex: expected a non-negative integer (got -1)',
      });
      expect(await store.queryExecutions()).toEqual([]);
    });
  });
});

// SQLite only: the failure is injected through the caller's own better-sqlite3 handle.
describe('recordExecution', () => {
  it('rolls the execution and earlier steps back when SQLite fails on a later step', async () => {
    const sqlite = new Database(':memory:');
    const store = track(new ExecutionStore(sqlite));
    // Fault injection: SQLite itself refuses the second step, after the execution and first step are written.
    sqlite.exec(`CREATE TRIGGER refuse_second_step BEFORE INSERT ON execution_steps WHEN NEW.step_index = 1
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);

    const failure = store.recordExecution(newExecution(), [newRunStep(), newRunStep({ stepIndex: 1 })]);
    await expect(failure).rejects.toMatchObject({ code: 'DATABASE', cause: expect.objectContaining({ message: 'injected failure' }) });
    expect(await store.queryExecutions()).toEqual([]);
    expect(sqlite.prepare('SELECT count(*) AS steps FROM execution_steps').get()).toEqual({ steps: 0 });

    const executionId = await store.createExecution(newExecution());
    await expect(store.addSteps([newStep(executionId), newStep(executionId, { stepIndex: 1 })])).rejects.toMatchObject({
      code: 'DATABASE',
    });
    expect(await store.getStepsForExecution(executionId)).toEqual([]);
  });
});
