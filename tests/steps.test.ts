import Database from 'better-sqlite3';
import { asc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as schema from '../src/index.js';
import { ExecutionStore, type ExecutionWithSteps } from '../src/index.js';
import { forEachBackend } from './backends.js';
import { T0, newExecution, newStep, track } from './factories.js';

forEachBackend((backend) => {
  describe('steps', () => {
    it('adds steps and returns them ordered by stepIndex, whatever the insert order', async () => {
      const store = await backend.open();
      const executionId = await store.createExecution(newExecution());
      const third = await store.addStep(newStep(executionId, { stepIndex: 2, nodeId: 'node-c', status: 'skipped' }));
      const first = await store.addStep(newStep(executionId, { stepIndex: 0, nodeId: 'node-a' }));
      const second = await store.addStep(newStep(executionId, { stepIndex: 1, nodeId: 'node-b' }));

      const steps = await store.getStepsForExecution(executionId);
      expect(steps.map((step) => step.id)).toEqual([first, second, third]);
      expect(steps[2]).toEqual({ ...newStep(executionId, { stepIndex: 2, nodeId: 'node-c', status: 'skipped' }), id: third });
    });

    it('updates a step, deriving its duration, and reads the execution with its steps in one call', async () => {
      const store = await backend.open();
      const executionId = await store.createExecution(newExecution());
      const stepId = await store.addStep(newStep(executionId));
      await store.updateStep(stepId, {
        status: 'error',
        completedAt: T0 + 812,
        outputData: { statusCode: 502 },
        errorMessage: 'Bad gateway',
      });
      await store.updateExecution(executionId, { status: 'error', completedAt: T0 + 900, errorMessage: 'Bad gateway' });

      const withSteps: ExecutionWithSteps | null = await store.getExecutionWithSteps(executionId);
      expect(withSteps).toEqual({
        ...newExecution(),
        id: executionId,
        instanceId: store.instanceId,
        status: 'error',
        completedAt: T0 + 900,
        durationMs: 900,
        errorMessage: 'Bad gateway',
        steps: [
          {
            ...newStep(executionId),
            id: stepId,
            status: 'error',
            completedAt: T0 + 812,
            durationMs: 812,
            outputData: { statusCode: 502 },
            errorMessage: 'Bad gateway',
          },
        ],
      });
      expectTypeOf(withSteps).toEqualTypeOf<ExecutionWithSteps | null>();
    });

    it('returns an execution without steps with an empty steps list', async () => {
      const store = await backend.open();
      const executionId = await store.createExecution(newExecution());
      expect(await store.getExecutionWithSteps(executionId)).toEqual({ ...newExecution(), id: executionId, instanceId: store.instanceId, steps: [] });
    });

    it('throws NOT_FOUND for a step of an unknown execution and writes nothing', async () => {
      const store = await backend.open();
      await expect(store.addStep(newStep('no-such-execution'))).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: 'addStep: no execution with id "no-such-execution"; create the execution before its steps',
      });
      expect(await store.getStepsForExecution('no-such-execution')).toEqual([]);
    });

    it('throws NOT_FOUND when updating an unknown step', async () => {
      const store = await backend.open();
      await expect(store.updateStep('missing', { status: 'success' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: 'updateStep: no step with id "missing"',
      });
    });

    it('does not let an update move a step to another execution', async () => {
      const store = await backend.open();
      const executionId = await store.createExecution(newExecution());
      const stepId = await store.addStep(newStep(executionId));
      // A plain-JavaScript caller can send what the types forbid.
      const move = { executionId: 'other' } as unknown as Parameters<typeof store.updateStep>[1];
      await expect(store.updateStep(stepId, move)).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'updateStep: invalid input: changes: Unrecognized key: "executionId"',
      });
    });
  });
});

// SQLite only: Drizzle's relational query runs on the caller's own better-sqlite3 handle.
describe('steps', () => {
  it('the exported schema and relations give an execution with its steps in one Drizzle relational query', async () => {
    const sqlite = new Database(':memory:');
    const store = track(new ExecutionStore(sqlite));
    const executionId = await store.createExecution(newExecution());
    const second = await store.addStep(newStep(executionId, { stepIndex: 1 }));
    const first = await store.addStep(newStep(executionId, { stepIndex: 0 }));

    const db = drizzle(sqlite, { schema });
    const found = await db.query.workflowExecutions.findFirst({
      where: eq(schema.workflowExecutions.id, executionId),
      with: { steps: { orderBy: [asc(schema.executionSteps.stepIndex)], columns: { id: true, stepIndex: true } } },
    });
    expect(found?.steps).toEqual([
      { id: first, stepIndex: 0 },
      { id: second, stepIndex: 1 },
    ]);
  });
});
