// Owned runs, in one process: every execution records the instance that created it, instances are listed with
// their state, and recovery without options marks only what instances that are gone left running. (Several
// processes, a killed one, a paused one and skewed clocks: tests/owned-runs.test.ts.)
import { describe, expect, it } from 'vitest';
import { INTERRUPTED_EXECUTION_MESSAGE, INTERRUPTED_STEP_MESSAGE } from '../src/core/interrupted.js';
import { type HistoryInstance, openExecutionStore } from '../src/index.js';
import { forEachBackend } from './backends.js';
import { T0, newExecution, newRunStep, newStep, track } from './factories.js';
import { executeStatements, queryRows, recountedRollupsOf, reopenableTarget, storedRollupsOf } from './rollup-rows.js';

const LEASE = 1_000;

/** Waits until `instanceId` counts as gone in `store`'s listing (the database's clock), or fails after 10 s. */
async function untilGone(store: Awaited<ReturnType<typeof openExecutionStore>>, instanceId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await store.getInstances()).find((instance) => instance.id === instanceId)?.state !== 'gone') {
    if (Date.now() > deadline) throw new Error(`${instanceId} did not count as gone within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

forEachBackend((backend) => {
  describe('instances', () => {
    it('every execution records the instance that created it: the option, or one id per process', async () => {
      const named = await backend.open({ instance: { id: 'worker-7' } });
      expect(named.instanceId).toBe('worker-7');
      const created = await named.createExecution(newExecution());
      const recorded = await named.recordExecution(newExecution({ status: 'success', completedAt: T0 + 5 }), [newRunStep()]);
      expect(await named.getExecution(created)).toEqual({ ...newExecution(), id: created, instanceId: 'worker-7' });
      expect(await named.getExecution(recorded.executionId)).toEqual({
        ...newExecution({ status: 'success', completedAt: T0 + 5 }),
        id: recorded.executionId,
        durationMs: 5,
        instanceId: 'worker-7',
      });
      const first = await backend.open();
      const second = await backend.open();
      expect(first.instanceId).toBe(second.instanceId);
      expect(first.instanceId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // Not the caller's to set, neither at creation nor after.
      await expect(named.createExecution({ ...newExecution(), instanceId: 'other' } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(named.updateExecution(created, { instanceId: 'other' } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    });

    it('lists the instances that have written, with their state and running executions; a store that only reads is none', async () => {
      const target = await reopenableTarget(backend);
      const reader = track(await openExecutionStore(target, { instance: { id: 'reader' } }));
      expect(await reader.getInstances()).toEqual([]);
      const worker = track(await openExecutionStore(target, { instance: { id: 'worker-1', leaseMs: 5_000 } }));
      await worker.createExecution(newExecution());
      await worker.createExecution(newExecution({ status: 'success', completedAt: T0 + 1 }));
      await worker.createExecution(newExecution());

      const [listed, ...others] = await reader.getInstances();
      expect(others).toEqual([]);
      expect(listed).toEqual({
        id: 'worker-1',
        host: (await import('node:os')).hostname(),
        pid: process.pid,
        startedAt: expect.any(Number),
        heardAt: expect.any(Number),
        leaseMs: 5_000,
        silentMs: expect.any(Number),
        state: 'alive',
        runningExecutions: 2,
        current: false,
      } satisfies HistoryInstance);
      // Times by the database's clock, which is this machine's here.
      expect(Math.abs((listed?.heardAt ?? 0) - Date.now())).toBeLessThan(5_000);
      expect((await worker.getInstances())[0]?.current).toBe(true);
    });

    it('keeps the heartbeat going while the store is open, without a write', async () => {
      const target = await reopenableTarget(backend);
      const worker = track(await openExecutionStore(target, { instance: { id: 'beating', leaseMs: LEASE } }));
      await worker.createExecution(newExecution());
      const heardAt = async () => (await worker.getInstances())[0]?.heardAt ?? 0;
      const registered = await heardAt();
      await new Promise((resolve) => setTimeout(resolve, 2.5 * LEASE));
      // Two and a half leases later, with no write since: heard of within the lease, so alive.
      const [instance] = await worker.getInstances();
      expect(instance).toMatchObject({ id: 'beating', state: 'alive' });
      expect((instance?.heardAt ?? 0) - registered).toBeGreaterThan(LEASE);
    });

    it('recovers without options only what instances that are gone left running: never a live one, nor its own', async () => {
      const target = await reopenableTarget(backend);
      const options = (id: string) => ({ now: () => T0 + 60_000, instance: { id, leaseMs: LEASE } });
      const crashed = track(await openExecutionStore(target, options('crashed')));
      const live = track(await openExecutionStore(target, options('live')));
      const recoverer = track(await openExecutionStore(target, options('recoverer')));

      const lost = await crashed.createExecution(newExecution({ startedAt: T0 }));
      const finishedStep = await crashed.addStep(newStep(lost, { stepIndex: 0, status: 'success', completedAt: T0 + 50 }));
      const runningStep = await crashed.addStep(newStep(lost, { stepIndex: 1, startedAt: T0 + 60 }));
      const crashedDone = await crashed.createExecution(newExecution({ status: 'success', completedAt: T0 + 9 }));
      const liveRun = await live.createExecution(newExecution({ startedAt: T0 }));
      await live.addStep(newStep(liveRun, { stepIndex: 0 }));
      const ownRun = await recoverer.createExecution(newExecution({ startedAt: T0 }));

      // All alive: nothing to recover, however old the runs.
      expect(await recoverer.recoverInterruptedExecutions()).toEqual({ executions: 0, steps: 0 });
      // The crashed instance's heartbeat stops (as when its process dies); the others' goes on.
      await crashed.close();
      await untilGone(recoverer, 'crashed');

      expect(await recoverer.recoverInterruptedExecutions()).toEqual({ executions: 1, steps: 1 });
      expect(await recoverer.getExecutionWithSteps(lost)).toEqual({
        ...newExecution({ startedAt: T0 }),
        id: lost,
        instanceId: 'crashed',
        status: 'error',
        errorMessage: INTERRUPTED_EXECUTION_MESSAGE,
        completedAt: T0 + 60, // when it was last heard of: its last step's start
        durationMs: 60,
        steps: [
          { ...newStep(lost, { stepIndex: 0, status: 'success', completedAt: T0 + 50 }), id: finishedStep, durationMs: 50 },
          { ...newStep(lost, { stepIndex: 1, startedAt: T0 + 60 }), id: runningStep, status: 'error', errorMessage: INTERRUPTED_STEP_MESSAGE },
        ],
      });
      const statuses = await queryRows(target, 'SELECT id, status FROM workflow_executions ORDER BY id');
      expect(Object.fromEntries(statuses.map((row) => [row.id, row.status]))).toEqual({
        [lost]: 'error',
        [crashedDone]: 'success',
        [liveRun]: 'running',
        [ownRun]: 'running',
      });
      expect(await recoverer.getStepsForExecution(liveRun)).toMatchObject([{ status: 'running' }]);
      expect(await recoverer.recoverInterruptedExecutions()).toEqual({ executions: 0, steps: 0 });
      expect(
        (await recoverer.getInstances()).map(({ id, state, runningExecutions }) => ({ id, state, runningExecutions })).sort((a, b) => a.id.localeCompare(b.id)),
      ).toEqual([
        { id: 'crashed', state: 'gone', runningExecutions: 0 },
        { id: 'live', state: 'alive', runningExecutions: 1 },
        { id: 'recoverer', state: 'alive', runningExecutions: 1 },
      ]);
      // The totals and rollups saw the runs change status.
      expect(await recoverer.getExecutionStats()).toMatchObject({ total: 4, running: 2, success: 1, error: 1 });
      expect(await storedRollupsOf(target)).toEqual(await recountedRollupsOf(target));
    });

    it('leaves executions recorded before instances (no owner) to recovery by startedBefore', async () => {
      const target = await reopenableTarget(backend);
      const store = track(await openExecutionStore(target, { instance: { id: 'current', leaseMs: LEASE } }));
      const legacy = await store.createExecution(newExecution({ startedAt: T0 }));
      await executeStatements(target, `UPDATE workflow_executions SET instance_id = NULL WHERE id = '${legacy}'`);
      const other = track(await openExecutionStore(target, { instance: { id: 'other', leaseMs: LEASE } }));

      expect(await other.recoverInterruptedExecutions()).toEqual({ executions: 0, steps: 0 });
      expect(await other.getExecution(legacy)).toEqual({ ...newExecution({ startedAt: T0 }), id: legacy });
      expect(await other.recoverInterruptedExecutions({ startedBefore: T0 + 1 })).toEqual({ executions: 1, steps: 0 });
      expect(await other.getExecution(legacy)).toMatchObject({ status: 'error', errorMessage: INTERRUPTED_EXECUTION_MESSAGE });
    });

    it('a gone instance that owns no running execution is still listed, and counts none', async () => {
      const target = await reopenableTarget(backend);
      const brief = track(await openExecutionStore(target, { instance: { id: 'brief', leaseMs: LEASE } }));
      await brief.recordExecution(newExecution({ status: 'success', completedAt: T0 + 1 }));
      await brief.close();
      const looker = track(await openExecutionStore(target));
      await untilGone(looker, 'brief');
      expect((await looker.getInstances()).map(({ id, state, runningExecutions }) => ({ id, state, runningExecutions }))).toEqual([
        { id: 'brief', state: 'gone', runningExecutions: 0 },
      ]);
    });

    it('rejects bad instance options with what was expected', async () => {
      await expect(backend.open({ instance: { leaseMs: 999 } })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'ExecutionStore: invalid input: instance.leaseMs: expected at least 1000 ms (got 999)',
      });
      await expect(backend.open({ instance: { id: '' } })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'ExecutionStore: invalid input: instance.id: expected a non-empty string (got "")',
      });
      await expect(backend.open({ instance: { lease: 5 } } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    });
  });
});
