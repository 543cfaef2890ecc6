// The insight settings live in the file: every process that writes it counts the same way, the command included.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { type ExecutionStoreOptions, openExecutionStore } from '../src/index.js';
import { forEachBackend, type TestBackend } from './backends.js';
import { CLI } from './cli-fixture.js';
import { T0, newExecution, newRunStep, track } from './factories.js';
import { nameInMessages, queryColumn, recountedRollupsOf, reopenableTarget, storedRollupsOf } from './rollup-rows.js';

const DAY = 86_400_000;
const NOW = T0 + 30 * DAY;

/** A database (a file on SQLite) holding six runs, written by a store opened with these options and closed. */
async function historyFile(backend: TestBackend, options: ExecutionStoreOptions = {}) {
  const file = await reopenableTarget(backend);
  const store = track(await openExecutionStore(file, { now: () => NOW, ...options }));
  for (let i = 0; i < 6; i++) {
    const startedAt = T0 + i * 5 * DAY;
    await store.recordExecution(newExecution({ startedAt, status: 'success', completedAt: startedAt + 100 + i }), [
      newRunStep({ nodeId: 'a', startedAt, status: 'success', completedAt: startedAt + 50 + i }),
    ]);
  }
  await store.close();
  return file;
}

forEachBackend((backend) => {
  describe('insight settings kept in the file', () => {
    it('are pinned by the first process that gives them, read by those that leave them out, and refused when they differ', async () => {
      const file = await historyFile(backend, { insights: { outliveDeletes: false } });
      const reader = track(await openExecutionStore(file));
      expect(await reader.getInsightSettings()).toEqual({ outliveDeletes: false, hourlyDays: 35, dailyDays: 365, pinned: ['outliveDeletes'] });
      await expect(openExecutionStore(file, { insights: { outliveDeletes: true } })).rejects.toMatchObject({
        code: 'VALIDATION',
        message:
          `ExecutionStore: invalid input: options.insights.outliveDeletes: ${nameInMessages(file)} keeps insights with outliveDeletes = false, and every ` +
          'process writing a file must use the same (got true); expected false, or the option left out to use the file\'s',
      });
      // The same value again is fine, and pins nothing new; a new setting is pinned beside it.
      track(await openExecutionStore(file, { insights: { outliveDeletes: false, dailyDays: 400 } }));
      expect(await reader.getInsightSettings()).toEqual({ outliveDeletes: false, hourlyDays: 35, dailyDays: 400, pinned: ['outliveDeletes', 'dailyDays'] });
      await expect(openExecutionStore(file, { insights: { dailyDays: 365 } })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: expect.stringContaining('keeps insights with dailyDays = 400, and every process writing a file must use the same (got 365); expected 400, or the option left out to use the file\'s, or setInsightRetention({ dailyDays }) to change it for the file'),
      });
    });

    it('pin outliveDeletes as it is in force at the first delete, so a process counting the other way is refused', async () => {
      const file = await historyFile(backend);
      const first = track(await openExecutionStore(file, { now: () => NOW }));
      expect(await first.getInsightSettings()).toMatchObject({ pinned: [] });
      expect(await first.deleteExecution('no-such-execution')).toBe(false); // deletes nothing, pins nothing
      expect(await first.getInsightSettings()).toMatchObject({ pinned: [] });
      const [oldest] = await first.queryExecutions({ orderDir: 'asc', limit: 1 });
      expect(await first.deleteExecution(oldest?.id as string)).toBe(true);
      expect(await first.getInsightSettings()).toEqual({ outliveDeletes: true, hourlyDays: 35, dailyDays: 365, pinned: ['outliveDeletes'] });
      await expect(openExecutionStore(file, { insights: { outliveDeletes: false } })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: expect.stringContaining('keeps insights with outliveDeletes = true'),
      });
    });

    it('are the defaults, pinned by nobody, in a file opened without them', async () => {
      const file = await historyFile(backend);
      const store = track(await openExecutionStore(file));
      expect(await store.getInsightSettings()).toEqual({ outliveDeletes: true, hourlyDays: 35, dailyDays: 365, pinned: [] });
    });

    it('change for every process through setInsightRetention, and bad changes are refused', async () => {
      const file = await historyFile(backend, { insights: { hourlyDays: 10 } });
      const first = track(await openExecutionStore(file, { insights: { hourlyDays: 10 } }));
      const second = track(await openExecutionStore(file));
      expect(await first.setInsightRetention({ hourlyDays: 20, dailyDays: 90 })).toEqual({
        outliveDeletes: true, hourlyDays: 20, dailyDays: 90, pinned: ['hourlyDays', 'dailyDays'],
      });
      expect(await second.getInsightSettings()).toMatchObject({ hourlyDays: 20, dailyDays: 90 });
      await expect(first.setInsightRetention({})).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'setInsightRetention: invalid input: retention: expected hourlyDays, dailyDays or both',
      });
      await expect(first.setInsightRetention({ dailyDays: 0 })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'setInsightRetention: invalid input: dailyDays: expected at least 1 day (got 0)',
      });
      await expect(first.setInsightRetention({ outliveDeletes: false } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(first.setInsightRetention({ dailyDays: 10 })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'setInsightRetention: invalid input: retention: hourlyDays (20) is more than dailyDays (10); expected hourly rollups kept no longer than the daily ones they add up to',
      });
      await expect(openExecutionStore(await reopenableTarget(backend), { insights: { hourlyDays: 400 } })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'ExecutionStore: invalid input: options.insights: hourlyDays (400) is more than dailyDays (365); expected hourly rollups kept no longer than the daily ones they add up to',
      });
    });

    it("reach the command: prune on a file kept with outliveDeletes false takes the deleted runs out of the insights", async () => {
      const file = await historyFile(backend, { insights: { outliveDeletes: false } });
      const before = await storedRollupsOf(file);
      const pruned = spawnSync(process.execPath, [CLI, '--db', file, '--json', 'prune', '--older-than', '12d'], {
        encoding: 'utf8',
        env: { ...process.env, EXECUTION_HISTORY_NOW: String(NOW) },
      });
      expect(pruned.stderr).toBe('');
      expect(JSON.parse(pruned.stdout)).toMatchObject({ executions: 4 });
      const after = await storedRollupsOf(file);
      // The rollups equal a recount of the two executions left, not of all six.
      expect(after).toEqual(await recountedRollupsOf(file));
      expect(after.nodes.filter((row) => row.grain === 'day')).toHaveLength(2);
      expect(before.nodes.filter((row) => row.grain === 'day')).toHaveLength(6);
      expect((await queryColumn(file, 'SELECT outlive_deletes FROM insight_settings'))[0]).toBe(0);
    });
  });
});
