import { describe, expect, it } from 'vitest';
import { ExecutionStoreError } from '../src/index.js';
import { forEachBackend } from './backends.js';
import { T0, newExecution, newStep } from './factories.js';

forEachBackend((backend) => {
  describe('executions', () => {
    it('creates an execution with a time-ordered uuid v7 id and reads it back whole', async () => {
      const store = await backend.open();
      const first = await store.createExecution(newExecution());
      const second = await store.createExecution(newExecution());

      expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(second > first).toBe(true);
      expect(await store.getExecution(first)).toEqual({
        id: first,
        workflowId: 'wf-orders',
        workflowName: 'Sync orders',
        triggerType: 'webhook',
        triggerData: { body: { orderId: 42 } },
        status: 'running',
        startedAt: T0,
        instanceId: store.instanceId,
      });
      expect((await store.getExecution(first))?.instanceId).toBe(store.instanceId);
    });

    it('returns absent optional fields, never null', async () => {
      const store = await backend.open();
      const id = await store.createExecution(newExecution({ triggerData: undefined }));
      const execution = await store.getExecution(id);

      expect(Object.values(execution ?? {})).not.toContain(null);
      expect(Object.keys(execution ?? {}).sort()).toEqual(
        ['id', 'instanceId', 'startedAt', 'status', 'triggerType', 'workflowId', 'workflowName'].sort(),
      );
    });

    it('updates the status and derives durationMs from completedAt', async () => {
      const store = await backend.open();
      const id = await store.createExecution(newExecution());
      await store.updateExecution(id, {
        status: 'error',
        completedAt: T0 + 1234,
        errorMessage: 'HTTP 502 from orders API',
        errorStack: 'Error: HTTP 502\n    at fetchOrder',
        metadata: { attempt: 2 },
      });

      expect(await store.getExecution(id)).toEqual({
        ...newExecution(),
        id,
        instanceId: store.instanceId,
        status: 'error',
        completedAt: T0 + 1234,
        durationMs: 1234,
        errorMessage: 'HTTP 502 from orders API',
        errorStack: 'Error: HTTP 502\n    at fetchOrder',
        metadata: { attempt: 2 },
      });
    });

    it('derives durationMs from a startedAt changed in the same update, and keeps an explicit durationMs', async () => {
      const store = await backend.open();
      const id = await store.createExecution(newExecution());
      await store.updateExecution(id, { startedAt: T0 + 100, completedAt: T0 + 400 });
      expect((await store.getExecution(id))?.durationMs).toBe(300);

      await store.updateExecution(id, { completedAt: T0 + 900, durationMs: 7 });
      expect((await store.getExecution(id))?.durationMs).toBe(7);
    });

    it('derives durationMs when an execution is created already finished', async () => {
      const store = await backend.open();
      const id = await store.createExecution(newExecution({ status: 'success', completedAt: T0 + 50 }));
      expect((await store.getExecution(id))?.durationMs).toBe(50);
    });

    it('clears an optional field when a change sets it to null', async () => {
      const store = await backend.open();
      const id = await store.createExecution(newExecution({ errorMessage: 'transient' }));
      await store.updateExecution(id, { errorMessage: null, status: 'success' });
      expect(await store.getExecution(id)).toEqual({ ...newExecution(), id, instanceId: store.instanceId, status: 'success' });
    });

    it('rejects a completedAt before startedAt without writing anything', async () => {
      const store = await backend.open();
      const id = await store.createExecution(newExecution());

      await expect(store.updateExecution(id, { status: 'success', completedAt: T0 - 1 })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: expect.stringContaining('completedAt >= startedAt'),
      });
      await expect(store.createExecution(newExecution({ completedAt: T0 - 1 }))).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'createExecution: invalid input: completedAt (' + (T0 - 1) + ') is before startedAt (' + T0 + '); expected completedAt >= startedAt',
      });
      expect(await store.getExecution(id)).toEqual({ ...newExecution(), id, instanceId: store.instanceId });
      expect(await store.queryExecutions()).toHaveLength(1);
    });

    it('returns null for an unknown id and throws NOT_FOUND when updating one', async () => {
      const store = await backend.open();
      expect(await store.getExecution('missing')).toBeNull();
      expect(await store.getExecutionWithSteps('missing')).toBeNull();

      const update = store.updateExecution('missing', { status: 'success' });
      await expect(update).rejects.toBeInstanceOf(ExecutionStoreError);
      await expect(update).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: 'updateExecution: no execution with id "missing"',
      });
      await expect(store.updateExecution('missing', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('deletes an execution together with its steps', async () => {
      const store = await backend.open();
      const doomed = await store.createExecution(newExecution());
      const kept = await store.createExecution(newExecution());
      await store.addStep(newStep(doomed, { stepIndex: 0 }));
      await store.addStep(newStep(doomed, { stepIndex: 1 }));
      const keptStep = await store.addStep(newStep(kept));

      expect(await store.deleteExecution(doomed)).toBe(true);
      expect(await store.deleteExecution(doomed)).toBe(false);
      expect(await store.getExecution(doomed)).toBeNull();
      expect(await store.getStepsForExecution(doomed)).toEqual([]);
      expect((await store.getStepsForExecution(kept)).map((step) => step.id)).toEqual([keptStep]);
    });
  });
});
