import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openExecutionStore } from '../src/index.js';
import type { ExecutionStoreOptions } from '../src/core/types.js';
import { forEachBackend, type TestBackend } from './backends.js';
import { T0, newExecution, newRunStep, newStep, track } from './factories.js';
import { executeStatements, queryColumn, queryRows, recountedRollupsOf, reopenableTarget, storedRollupsOf } from './rollup-rows.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** Weeks run from Thursday 00:00 UTC (the epoch's weekday): T0's began on 29 October 2026. */
const WEEK_OF_T0 = Math.floor(T0 / WEEK) * WEEK;
/** T0 is 2026-11-01 12:00 UTC; the store's clock sits a day later, so every test's rollups are recent. */
const NOW = T0 + DAY;

/** A store on a database that the test reads directly and can reopen: a file on SQLite; `file` is its target. */
async function fileStore(backend: TestBackend, options: ExecutionStoreOptions = {}) {
  const file = await reopenableTarget(backend);
  const store = track(await openExecutionStore(file, { now: () => NOW, ...options }));
  return { store, file };
}

/** A property over a hundred fresh stores: on PostgreSQL each is a database cloned from the template (SQLite keeps the default). */
const slowOn = (backend: TestBackend) => (backend.name === 'postgres' ? 600_000 : undefined);

const emptyBucket = (start: number, end: number) => ({
  start, end, total: 0, running: 0, success: 0, error: 0, avgDurationMs: null, p95DurationMs: null, complete: true,
});

forEachBackend((backend) => {
  describe('insights on an empty store', () => {
    it('answers with no rows, zero counts and empty buckets', async () => {
      const store = await backend.open({ now: () => NOW });
      expect(await store.getNodeStats()).toEqual([]);
      expect(await store.getErrorGroups()).toEqual([]);
      expect(await store.getWorkflowSummaries()).toEqual([]);
      expect(await store.getTimeline({ startedAfter: T0, startedBefore: T0 + 2 * HOUR, bucket: 'hour' })).toEqual([
        emptyBucket(T0, T0 + HOUR),
        emptyBucket(T0 + HOUR, T0 + 2 * HOUR),
      ]);
      expect(await store.getExecutionStats()).toEqual({
        total: 0, running: 0, success: 0, error: 0, successRate: null, avgDurationMs: null, minDurationMs: null,
        maxDurationMs: null, p50DurationMs: null, p95DurationMs: null, firstStartedAt: null, lastStartedAt: null,
      });
    });
  });

  describe('insights on one execution', () => {
    it('gives every figure of its finished steps, a skipped one included, and leaves out the one still running', async () => {
      const store = await backend.open({ now: () => NOW });
      const { executionId } = await store.recordExecution(newExecution({ status: 'error', completedAt: T0 + 900, errorMessage: 'Order 42 failed' }), [
        newRunStep({ nodeId: 'fetch', stepIndex: 0, status: 'success', completedAt: T0 + 120 }),
        newRunStep({ nodeId: 'check', nodeType: 'condition', nodeName: 'Check stock', stepIndex: 1, startedAt: T0 + 120, status: 'skipped', completedAt: T0 + 120 }),
        newRunStep({ nodeId: 'save', nodeType: 'db_query', nodeName: 'Save', stepIndex: 2, startedAt: T0 + 120, status: 'error', completedAt: T0 + 900, errorMessage: 'Deadlock on row 17' }),
        newRunStep({ nodeId: 'notify', nodeType: 'email', nodeName: 'Notify', stepIndex: 3, startedAt: T0 + 900, status: 'running' }),
      ]);
      const node = { workflowId: 'wf-orders', success: 0, error: 0, skipped: 0, lastError: null };
      expect(await store.getNodeStats({ workflowId: 'wf-orders', sortBy: 'p95' })).toEqual([
        { ...node, nodeId: 'save', nodeType: 'db_query', nodeName: 'Save', runs: 1, error: 1, errorRate: 1, avgDurationMs: 780,
          p50DurationMs: 780, p95DurationMs: 780, maxDurationMs: 780, lastError: { message: 'Deadlock on row 17', at: T0 + 900 } },
        { ...node, nodeId: 'fetch', nodeType: 'http_request', nodeName: 'Fetch order', runs: 1, success: 1, errorRate: 0,
          avgDurationMs: 120, p50DurationMs: 120, p95DurationMs: 120, maxDurationMs: 120 },
        { ...node, nodeId: 'check', nodeType: 'condition', nodeName: 'Check stock', runs: 1, skipped: 1, errorRate: null,
          avgDurationMs: 0, p50DurationMs: 0, p95DurationMs: 0, maxDurationMs: 0 },
      ]);
      expect(await store.getWorkflowSummaries()).toEqual([
        { workflowId: 'wf-orders', workflowName: 'Sync orders', lastRun: { executionId, status: 'error', startedAt: T0 },
          runs: 1, running: 0, success: 0, error: 1, successRate: 0, avgDurationMs: 900, p95DurationMs: 907 }, // within 1%
      ]);
      expect(await store.getErrorGroups()).toEqual([
        { workflowId: 'wf-orders', workflowName: 'Sync orders', nodeId: 'save', nodeType: 'db_query', nodeName: 'Save',
          pattern: 'Deadlock on row <n>', lastMessage: 'Deadlock on row 17', count: 1, firstSeenAt: T0 + 900,
          lastSeenAt: T0 + 900, exampleExecutionIds: [executionId] },
      ]);
    });
  });

  describe('getTimeline', () => {
    it('puts an execution that starts on a boundary in the later bucket, and stops before startedBefore', async () => {
      const store = await backend.open({ now: () => NOW });
      await store.createExecution(newExecution({ startedAt: T0 - 1, status: 'success', completedAt: T0 + 99 }));
      await store.createExecution(newExecution({ startedAt: T0, status: 'success', completedAt: T0 + 200 }));
      await store.createExecution(newExecution({ startedAt: T0 + HOUR - 1 })); // running
      await store.createExecution(newExecution({ startedAt: T0 + HOUR, status: 'error', completedAt: T0 + HOUR + 50 }));
      const full = (start: number, counts: object) => ({ ...emptyBucket(start, start + HOUR), ...counts });
      expect(await store.getTimeline({ startedAfter: T0 - HOUR, startedBefore: T0 + HOUR, bucket: 'hour' })).toEqual([
        full(T0 - HOUR, { total: 1, success: 1, avgDurationMs: 100, p95DurationMs: 100 }),
        full(T0, { total: 2, success: 1, running: 1, avgDurationMs: 200, p95DurationMs: 198 }), // 200 ms, within 1%
      ]);
      // The same from the stored rows (minute buckets), summed to the hour.
      const minutes = await store.getTimeline({ startedAfter: T0, startedBefore: T0 + 2 * HOUR, bucket: 'minute' });
      expect(minutes).toHaveLength(120);
      expect(minutes.filter((entry) => entry.total > 0)).toEqual([
        { ...emptyBucket(T0, T0 + MINUTE), total: 1, success: 1, avgDurationMs: 200, p95DurationMs: 198 },
        { ...emptyBucket(T0 + HOUR - MINUTE, T0 + HOUR), total: 1, running: 1 },
        { ...emptyBucket(T0 + HOUR, T0 + HOUR + MINUTE), total: 1, error: 1, avgDurationMs: 50, p95DurationMs: 50 },
      ]);
    });

    it('counts running executions in the hour they started, across workflows and for one, as the stored rows do', async () => {
      const store = await backend.open({ now: () => NOW });
      const starts = [0, 5 * MINUTE, HOUR + 59 * MINUTE, 3 * HOUR, 3 * HOUR + 1, 5 * HOUR + 30 * MINUTE];
      for (const [i, offset] of starts.entries()) {
        const workflowId = i % 2 === 0 ? 'wf-a' : 'wf-b';
        await store.createExecution(newExecution({ workflowId, startedAt: T0 + offset })); // running
        await store.createExecution(newExecution({ workflowId, startedAt: T0 + offset, status: 'success', completedAt: T0 + offset + 10 }));
      }
      const range = { startedAfter: T0 - HOUR, startedBefore: T0 + 7 * HOUR };
      for (const workflowId of [undefined, 'wf-a', 'wf-b']) {
        const hours = await store.getTimeline({ ...range, workflowId, bucket: 'hour' });
        const minutes = await store.getTimeline({ ...range, workflowId, bucket: 'minute' });
        const perHour = (entries: typeof hours) =>
          entries.reduce<number[]>((counts, entry) => {
            const hour = Math.floor((entry.start - range.startedAfter) / HOUR);
            counts[hour] = (counts[hour] ?? 0) + entry.running;
            return counts;
          }, []);
        expect(perHour(hours)).toEqual(perHour(minutes));
      }
      expect((await store.getTimeline({ ...range, bucket: 'hour' })).map((entry) => entry.running)).toEqual([0, 2, 1, 0, 2, 0, 1, 0]);
    });

    it('follows local days across daylight-saving changes, and half-hour time zones', async () => {
      const store = await backend.open({ now: () => Date.UTC(2026, 2, 31) });
      // Berlin: 2026-03-29 has 23 hours (02:00 → 03:00). Local midnights in UTC: 28th 23:00, 29th 22:00, 30th 22:00.
      const berlinMidnight28 = Date.UTC(2026, 2, 27, 23);
      const berlinMidnight29 = Date.UTC(2026, 2, 28, 23);
      const berlinMidnight30 = Date.UTC(2026, 2, 29, 22);
      const berlinMidnight31 = Date.UTC(2026, 2, 30, 22);
      for (const startedAt of [berlinMidnight29 - 1, berlinMidnight29, berlinMidnight30 - 1, berlinMidnight30, berlinMidnight31 - 1]) {
        await store.createExecution(newExecution({ startedAt, status: 'success', completedAt: startedAt + 10 }));
      }
      const day = (start: number, end: number, total: number) => ({
        ...emptyBucket(start, end), total, success: total, avgDurationMs: total ? 10 : null, p95DurationMs: total ? 10 : null,
      });
      expect(
        await store.getTimeline({ startedAfter: berlinMidnight28, startedBefore: berlinMidnight31, bucket: 'day', timeZone: 'Europe/Berlin' }),
      ).toEqual([
        day(berlinMidnight28, berlinMidnight29, 1),
        day(berlinMidnight29, berlinMidnight30, 2), // 23 hours
        day(berlinMidnight30, berlinMidnight31, 2),
      ]);
      // Kolkata is UTC+5:30: its midnights are not whole UTC hours, so the stored rows are counted instead.
      const kolkataMidnight29 = Date.UTC(2026, 2, 28, 18, 30);
      expect(
        await store.getTimeline({ startedAfter: kolkataMidnight29, startedBefore: kolkataMidnight29 + DAY, bucket: 'day', timeZone: 'Asia/Kolkata' }),
      ).toEqual([day(kolkataMidnight29, kolkataMidnight29 + DAY, 2)]); // 22:59:59.999 and 23:00 UTC; not 21:59 the next day
    });

    it('has 25 hours in the day New York falls back', async () => {
      const store = await backend.open({ now: () => Date.UTC(2026, 10, 3) });
      const midnight1 = Date.UTC(2026, 10, 1, 4); // EDT, UTC-4
      const midnight2 = Date.UTC(2026, 10, 2, 5); // EST, UTC-5
      const entries = await store.getTimeline({ startedAfter: midnight1, startedBefore: midnight2, bucket: 'day', timeZone: 'America/New_York' });
      expect(entries).toEqual([emptyBucket(midnight1, midnight2)]);
      expect(midnight2 - midnight1).toBe(25 * HOUR);
    });

    it('rejects a bad time zone, a reversed range and too many buckets with what was expected', async () => {
      const store = await backend.open();
      await expect(store.getTimeline({ startedAfter: T0, startedBefore: T0 + DAY, bucket: 'hour', timeZone: 'Mars/Olympus' })).rejects.toThrow(
        'getTimeline: invalid input: timeZone: expected an IANA time zone such as "UTC" or "Europe/Berlin" (got "Mars/Olympus")',
      );
      await expect(store.getTimeline({ startedAfter: T0, startedBefore: T0, bucket: 'hour' })).rejects.toThrow(
        'expected startedAfter before startedBefore',
      );
      await expect(store.getTimeline({ startedAfter: T0, startedBefore: T0 + 30 * DAY, bucket: 'minute' })).rejects.toThrow(
        'the range holds more than 5000 minute buckets; expected a shorter range or a larger bucket',
      );
    });
  });

  describe('getErrorGroups', () => {
    it('groups messages that differ in numbers, ids and quoted values; newest first, with three examples', async () => {
      const store = await backend.open({ now: () => NOW });
      const failed = async (at: number, message: string, nodeId = 'node-http') => {
        const { executionId } = await store.recordExecution(newExecution({ startedAt: at, status: 'error', completedAt: at + 5 }), [
          newRunStep({ nodeId, startedAt: at, status: 'error', completedAt: at + 5, errorMessage: message }),
        ]);
        return executionId;
      };
      const ids = [];
      for (let i = 0; i < 4; i++) ids.push(await failed(T0 + i * MINUTE, `HTTP 502 from "api-${i}.example.test" after ${1000 + i} ms`));
      const other = await failed(T0 + 10 * MINUTE, 'User 0190f3a2-1b2c-7d3e-8f90-123456789abc not found');
      const elsewhere = await failed(T0 + 5 * MINUTE, 'HTTP 502 from "api-9.example.test" after 3 ms', 'node-save');
      const { executionId: outsideSteps } = await store.recordExecution(
        newExecution({ startedAt: T0 + 20 * MINUTE, status: 'error', completedAt: T0 + 20 * MINUTE + 1, errorMessage: 'Trigger payload too large' }),
      );
      const group = { workflowId: 'wf-orders', workflowName: 'Sync orders', nodeType: 'http_request', nodeName: 'Fetch order' };
      expect(await store.getErrorGroups()).toEqual([
        { workflowId: 'wf-orders', workflowName: 'Sync orders', nodeId: null, nodeType: null, nodeName: null,
          pattern: 'Trigger payload too large', lastMessage: 'Trigger payload too large', count: 1,
          firstSeenAt: T0 + 20 * MINUTE + 1, lastSeenAt: T0 + 20 * MINUTE + 1, exampleExecutionIds: [outsideSteps] },
        { ...group, nodeId: 'node-http', pattern: 'User <id> not found', lastMessage: 'User 0190f3a2-1b2c-7d3e-8f90-123456789abc not found',
          count: 1, firstSeenAt: T0 + 10 * MINUTE + 5, lastSeenAt: T0 + 10 * MINUTE + 5, exampleExecutionIds: [other] },
        { ...group, nodeId: 'node-save', pattern: 'HTTP <n> from "…" after <n> ms', lastMessage: 'HTTP 502 from "api-9.example.test" after 3 ms',
          count: 1, firstSeenAt: T0 + 5 * MINUTE + 5, lastSeenAt: T0 + 5 * MINUTE + 5, exampleExecutionIds: [elsewhere] },
        { ...group, nodeId: 'node-http', pattern: 'HTTP <n> from "…" after <n> ms', lastMessage: 'HTTP 502 from "api-3.example.test" after 1003 ms',
          count: 4, firstSeenAt: T0 + 5, lastSeenAt: T0 + 3 * MINUTE + 5, exampleExecutionIds: [ids[3], ids[2], ids[1]] },
      ]);
      expect(await store.getErrorGroups({ startedBefore: T0 + 2 * MINUTE, limit: 1 })).toEqual([
        { ...group, nodeId: 'node-http', pattern: 'HTTP <n> from "…" after <n> ms', lastMessage: 'HTTP 502 from "api-1.example.test" after 1001 ms',
          count: 2, firstSeenAt: T0 + 5, lastSeenAt: T0 + MINUTE + 5, exampleExecutionIds: [ids[1], ids[0]] },
      ]);
    });
  });

  describe('getWorkflowSummaries and getNodeStats over a range', () => {
    it('counts the runs in the range (widened to whole hours) and names each workflow by its latest run', async () => {
      const store = await backend.open({ now: () => NOW });
      await store.recordExecution(newExecution({ workflowId: 'wf-a', workflowName: 'A (old name)', startedAt: T0 - 2 * HOUR, status: 'success', completedAt: T0 - 2 * HOUR + 40 }));
      const latestA = await store.createExecution(newExecution({ workflowId: 'wf-a', workflowName: 'A', startedAt: T0 + 30 * MINUTE }));
      const onlyB = await store.createExecution(newExecution({ workflowId: 'wf-b', workflowName: 'B', startedAt: T0 - 5 * HOUR, status: 'success', completedAt: T0 - 5 * HOUR + 10 }));
      expect(await store.getWorkflowSummaries({ startedAfter: T0 - 2 * HOUR + 10 * MINUTE, startedBefore: T0 + HOUR })).toEqual([
        { workflowId: 'wf-a', workflowName: 'A', lastRun: { executionId: latestA, status: 'running', startedAt: T0 + 30 * MINUTE },
          runs: 2, running: 1, success: 1, error: 0, successRate: 1, avgDurationMs: 40, p95DurationMs: 40 },
        { workflowId: 'wf-b', workflowName: 'B', lastRun: { executionId: onlyB, status: 'success', startedAt: T0 - 5 * HOUR },
          runs: 0, running: 0, success: 0, error: 0, successRate: null, avgDurationMs: null, p95DurationMs: null },
      ]);
    });

    it('finds p50 and p95 within 1% + 0.5 ms of the exact nearest-rank values, and exactly below 58 ms', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3_600_000 }), { minLength: 1, maxLength: 60 }), async (durations) => {
          const store = await backend.open({ now: () => NOW });
          try {
            await store.recordExecution(
              newExecution({ status: 'success', completedAt: T0 + 3_600_000 }),
              durations.map((durationMs, stepIndex) => newRunStep({ stepIndex, status: 'success', durationMs, completedAt: T0 + durationMs })),
            );
            const [node] = await store.getNodeStats();
            const sorted = [...durations].sort((a, b) => a - b);
            const exact = (p: number) => sorted[Math.max(1, Math.ceil((p * sorted.length) / 100)) - 1] as number;
            for (const [p, value] of [[50, node?.p50DurationMs], [95, node?.p95DurationMs]] as const) {
              const truth = exact(p);
              if (truth < 58) expect(value).toBe(truth);
              else expect(Math.abs((value as number) - truth)).toBeLessThanOrEqual(truth * 0.01 + 0.5);
            }
            expect(node?.maxDurationMs).toBe(sorted.at(-1));
            expect(node?.avgDurationMs).toBe(durations.reduce((a, b) => a + b, 0) / durations.length);
          } finally {
            await store.close();
          }
        }),
        { numRuns: 100 },
      );
    }, slowOn(backend));
  });

  describe('rollups agree with a recount of the stored rows', () => {
    /** A deterministic mix of every kind of write, then the snapshot of rollups next to a recount. */
    async function mixedHistory(options: ExecutionStoreOptions, deleteSome: boolean) {
      let clock = NOW;
      const { store, file } = await fileStore(backend, { now: () => clock, ...options });
      let seed = 7;
      const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
      const executions: string[] = [];
      const steps: string[] = [];
      for (let i = 0; i < 60; i++) {
        const startedAt = T0 - Math.floor(next() * 3 * DAY);
        const workflow = `wf-${i % 3}`;
        if (i % 2 === 0) {
          const finished = next() < 0.8;
          const { executionId, stepIds } = await store.recordExecution(
            newExecution({ workflowId: workflow, startedAt, status: finished ? 'success' : 'running', completedAt: finished ? startedAt + 500 : undefined }),
            [0, 1, 2].map((stepIndex) =>
              newRunStep({ nodeId: `n${stepIndex}`, stepIndex, startedAt: startedAt + stepIndex, status: stepIndex === 1 && next() < 0.3 ? 'skipped' : 'running' }),
            ),
          );
          executions.push(executionId);
          steps.push(...stepIds);
        } else {
          const id = await store.createExecution(newExecution({ workflowId: workflow, startedAt }));
          executions.push(id);
          const [stepId] = await store.addSteps([newStep(id, { nodeId: 'n0', startedAt }), newStep(id, { nodeId: 'n9', stepIndex: 1, startedAt: startedAt + 1 })]);
          steps.push(stepId as string);
        }
      }
      // A run in the last millisecond of T0's week; then, a week on, the week of T0 is compacted into weekly node
      // rows, which every change below must follow.
      const lastMoment = WEEK_OF_T0 + WEEK - 1;
      await store.recordExecution(newExecution({ workflowId: 'wf-later', startedAt: lastMoment, status: 'success', completedAt: lastMoment + 5 }), [
        newRunStep({ startedAt: lastMoment, status: 'success', completedAt: lastMoment + 5 }),
      ]);
      expect((await storedRollupsOf(file)).nodes.filter((row) => row.grain === 'week')).toEqual([]); // recording never compacts
      clock = WEEK_OF_T0 + WEEK;
      expect(await store.compactInsights()).toEqual({ weeks: 1 });
      expect(await store.compactInsights()).toEqual({ weeks: 0 });
      clock = NOW;
      for (const [i, id] of steps.entries()) {
        if (i % 3 === 0) await store.updateStep(id, { status: 'success', completedAt: T0 + 10_000 + i * 7 });
        if (i % 7 === 0) await store.updateStep(id, { status: 'error', errorMessage: `failed ${i}`, completedAt: T0 + 20_000 + i });
        if (i % 11 === 0) await store.updateStep(id, { durationMs: 3 + i }); // a finished duration changes: max recounted
      }
      for (const [i, id] of executions.entries()) {
        if (i % 4 === 0) await store.updateExecution(id, { status: 'error', completedAt: T0 + 30_000 + i });
        if (i % 9 === 0) await store.updateExecution(id, { startedAt: T0 - 5 * DAY + i * HOUR, workflowId: 'wf-moved' }); // steps move too
        if (deleteSome && i % 13 === 0) await store.deleteExecution(id);
      }
      await store.recoverInterruptedExecutions({ startedBefore: T0 - DAY });
      return { store, file };
    }

    const weeksOf = (rows: Record<string, unknown>[]) => new Set(rows.filter((row) => row.grain === 'week').map((row) => row.bucket_start));

    it('after writes, updates, moves, deletes and recovery; then after retention, when insights follow deletes', async () => {
      const { store, file } = await mixedHistory({ insights: { outliveDeletes: false } }, true);
      expect(await storedRollupsOf(file)).toEqual(await recountedRollupsOf(file));
      expect(weeksOf((await storedRollupsOf(file)).nodes)).toEqual(new Set([WEEK_OF_T0]));
      expect(await store.cleanupOldExecutions(2 * DAY)).toBeGreaterThan(0);
      expect(await store.cleanupByCount(3, 'wf-1')).toBeGreaterThan(0);
      expect(await storedRollupsOf(file)).toEqual(await recountedRollupsOf(file));
    });

    it('outlive retention by default: the rollups still count what retention deleted, the totals do not', async () => {
      const { store, file } = await mixedHistory({}, false);
      const beforeRetention = await recountedRollupsOf(file);
      expect(await storedRollupsOf(file)).toEqual(beforeRetention);
      expect(await store.cleanupOldExecutions(2 * DAY)).toBeGreaterThan(0);
      const after = await storedRollupsOf(file);
      expect(after.workflows).toEqual(beforeRetention.workflows);
      expect(after.nodes).toEqual(beforeRetention.nodes);
      expect(after.counts).toEqual((await recountedRollupsOf(file)).counts);
      expect((await store.getExecutionStats()).total).toBe((await store.queryExecutions({ limit: 1000 })).length);
      // deleteExecution, too, leaves them counted.
      const [kept] = await store.queryExecutions({ limit: 1 });
      await store.deleteExecution(kept?.id as string);
      expect((await storedRollupsOf(file)).nodes).toEqual(beforeRetention.nodes);
    });

    it('gives the same node stats from weekly rows as from the days they sum, for ranges that cut weeks or not', async () => {
      const { store, file } = await mixedHistory({}, false);
      expect(weeksOf((await storedRollupsOf(file)).nodes)).toEqual(new Set([WEEK_OF_T0]));
      const ranges = [
        { startedAfter: WEEK_OF_T0 - WEEK, startedBefore: WEEK_OF_T0 + 2 * WEEK }, // the compacted week whole
        { startedAfter: WEEK_OF_T0 + DAY, startedBefore: WEEK_OF_T0 + 2 * WEEK }, // cut: read from its days
        { startedAfter: WEEK_OF_T0 - 3 * HOUR, startedBefore: WEEK_OF_T0 + WEEK + 5 * HOUR }, // hours, the week, hours
      ];
      const fromWeeks = await Promise.all(ranges.map((range) => store.getNodeStats({ ...range, limit: 1000 })));
      for (const workflowId of ['wf-0', 'wf-moved']) fromWeeks.push(await store.getNodeStats({ ...ranges[0], workflowId }));
      expect(fromWeeks[0]?.length).toBeGreaterThan(4);
      await executeStatements(file, 'DELETE FROM compacted_weeks'); // readers now sum the days
      const fromDays = await Promise.all(ranges.map((range) => store.getNodeStats({ ...range, limit: 1000 })));
      for (const workflowId of ['wf-0', 'wf-moved']) fromDays.push(await store.getNodeStats({ ...ranges[0], workflowId }));
      expect(fromWeeks).toEqual(fromDays);
    });

    it('compacts a week once it is over, only while all its days are kept, and prunes it with them', async () => {
      let now = WEEK_OF_T0 + 2 * DAY;
      const { store, file } = await fileStore(backend, { now: () => now, insights: { hourlyDays: 2, dailyDays: 12 } });
      for (const startedAt of [WEEK_OF_T0 - 2 * WEEK + DAY, WEEK_OF_T0 - WEEK + DAY, WEEK_OF_T0 + DAY]) {
        await store.recordExecution(newExecution({ startedAt, status: 'success', completedAt: startedAt + 1 }), [newRunStep({ startedAt, status: 'success', completedAt: startedAt + 1 })]);
      }
      expect(await store.compactInsights()).toEqual({ weeks: 1 });
      const compacted = async () => ({
        marked: await queryColumn(file, 'SELECT week_start FROM compacted_weeks ORDER BY 1'),
        rows: await queryColumn(file, "SELECT bucket_start FROM node_rollups WHERE grain = 'week' ORDER BY 1"),
      });
      // Two weeks ago began 13 days ago, before the 12 kept days: left as days. Last week is compacted.
      expect(await compacted()).toEqual({ marked: [WEEK_OF_T0 - WEEK], rows: [WEEK_OF_T0 - WEEK] });
      now = WEEK_OF_T0 + 5 * DAY; // the 12 kept days begin at last week's start
      await store.cleanupOldExecutions(365 * DAY); // deletes nothing, prunes the rollups
      expect(await compacted()).toEqual({ marked: [WEEK_OF_T0 - WEEK], rows: [WEEK_OF_T0 - WEEK] });
      now += DAY; // now they begin a day later
      await store.cleanupOldExecutions(365 * DAY);
      expect(await compacted()).toEqual({ marked: [], rows: [] });
      expect((await storedRollupsOf(file)).nodes.map((row) => `${row.grain} ${row.bucket_start}`)).toContain(`day ${WEEK_OF_T0 - WEEK + DAY}`); // last week's run, still kept as a day
    });

    it('prunes hourly node rollups after hourlyDays, daily ones and hourly workflow ones after dailyDays, and records where they begin', async () => {
      const { store, file } = await fileStore(backend, { insights: { hourlyDays: 1, dailyDays: 3 } });
      for (const daysAgo of [0.5, 2, 5]) {
        const startedAt = NOW - daysAgo * DAY;
        await store.recordExecution(newExecution({ startedAt, status: 'success', completedAt: startedAt + 1 }), [newRunStep({ startedAt, status: 'success', completedAt: startedAt + 1 })]);
      }
      await store.cleanupOldExecutions(365 * DAY); // deletes nothing, prunes the rollups
      const { workflows, nodes } = await storedRollupsOf(file);
      const buckets = (rows: Record<string, unknown>[]) => rows.map((row) => `${row.grain} ${(NOW - (row.bucket_start as number)) / HOUR}`).sort();
      const hourStart = (daysAgo: number) => Math.floor((NOW - daysAgo * DAY) / HOUR) * HOUR;
      const dayStart = (daysAgo: number) => Math.floor((NOW - daysAgo * DAY) / DAY) * DAY;
      const hour = (daysAgo: number) => `hour ${(NOW - hourStart(daysAgo)) / HOUR}`;
      const day = (daysAgo: number) => `day ${(NOW - dayStart(daysAgo)) / HOUR}`;
      expect(buckets(nodes)).toEqual([hour(0.5), day(0.5), day(2)].sort());
      // Hourly workflow rows are what a timeline's local days are summed from: kept as long as the days.
      const workflowRows = [hour(0.5), hour(2), day(0.5), day(2)];
      expect(buckets(workflows)).toEqual([...workflowRows, ...workflowRows].sort()); // each workflow row, and the all-workflows row
      expect((await queryRows(file, 'SELECT * FROM insight_settings'))[0]).toEqual({
        id: 1, outlive_deletes: null, hourly_days: 1, daily_days: 3,
        node_hours_kept_from: NOW - DAY, workflow_hours_kept_from: NOW - 3 * DAY, days_kept_from: NOW - 3 * DAY,
      });
    });
  });

  describe('insights that outlive deletes', () => {
    it('keep the maximum, p95 and last error of deleted steps when a later change recounts a row, in hours, days and weeks', async () => {
      let clock = NOW;
      const { store } = await fileStore(backend, { now: () => clock });
      const run = async (at: number, durationMs: number, error?: { message: string; at: number }) =>
        (await store.recordExecution(newExecution({ startedAt: at, status: 'success', completedAt: at + durationMs }), [
          newRunStep({ nodeId: 'a', startedAt: at, status: error ? 'error' : 'success', completedAt: error?.at ?? at + durationMs, durationMs, errorMessage: error?.message }),
        ]));
      const slow = await run(T0, 850_711, { message: 'newest failure', at: T0 + 900_000 });
      const ordinary = [];
      for (let i = 1; i <= 10; i++) ordinary.push(await run(T0 + i * 1000, 1000 + i, i === 3 ? { message: 'older failure', at: T0 + 5000 } : undefined));
      clock = WEEK_OF_T0 + WEEK;
      expect(await store.compactInsights()).toEqual({ weeks: 1 }); // T0's week now has weekly rows too
      clock = NOW;
      const ranges = {
        hours: { startedAfter: T0, startedBefore: T0 + HOUR },
        days: { startedAfter: T0 - 12 * HOUR, startedBefore: T0 + 12 * HOUR },
        weeks: { startedAfter: WEEK_OF_T0, startedBefore: WEEK_OF_T0 + WEEK },
      };
      const statsOf = async () =>
        Object.fromEntries(
          await Promise.all(
            Object.entries(ranges).map(async ([name, range]) => {
              const [node] = await store.getNodeStats(range);
              return [name, { runs: node?.runs, max: node?.maxDurationMs, p95: node?.p95DurationMs, lastError: node?.lastError }];
            }),
          ),
        );
      const before = await statsOf();
      // p95 of 11 durations is the 11th smallest: the slow one, reported as the exact maximum.
      expect(before.hours).toEqual({ runs: 11, max: 850_711, p95: 850_711, lastError: { message: 'newest failure', at: T0 + 900_000 } });
      expect(before).toEqual({ hours: before.hours, days: before.hours, weeks: before.hours });

      await store.deleteExecution(slow.executionId);
      // Changes that make the rows recount their maximum and last error: the stored rows no longer hold the slow step.
      const [fasterStep] = (await store.getStepsForExecution(ordinary[9]?.executionId as string)).map((step) => step.id);
      await store.updateStep(fasterStep as string, { durationMs: 10 });
      const [failedStep] = (await store.getStepsForExecution(ordinary[2]?.executionId as string)).map((step) => step.id);
      await store.updateStep(failedStep as string, { errorMessage: 'older failure, annotated' });
      const after = await statsOf();
      expect(after.hours).toEqual({ runs: 11, max: 850_711, p95: 850_711, lastError: { message: 'newest failure', at: T0 + 900_000 } });
      expect(after).toEqual({ hours: after.hours, days: after.hours, weeks: after.hours });
    });

    it('leave them out when deletes take the steps out of the insights', async () => {
      const { store } = await fileStore(backend, { insights: { outliveDeletes: false } });
      const { executionId } = await store.recordExecution(newExecution({ status: 'error', completedAt: T0 + 900 }), [
        newRunStep({ nodeId: 'a', status: 'error', completedAt: T0 + 900, errorMessage: 'slow failure' }),
      ]);
      await store.recordExecution(newExecution({ startedAt: T0 + 1, status: 'success', completedAt: T0 + 51 }), [
        newRunStep({ nodeId: 'a', startedAt: T0 + 1, status: 'success', completedAt: T0 + 51 }),
      ]);
      await store.deleteExecution(executionId);
      expect(await store.getNodeStats()).toMatchObject([{ nodeId: 'a', runs: 1, maxDurationMs: 50, p95DurationMs: 50, lastError: null }]);
    });
  });

  describe('rollups in odd corners', () => {
    it('leave a running step out of a recounted maximum, even when it carries a duration', async () => {
      const { store } = await fileStore(backend);
      const { executionId } = await store.recordExecution(newExecution({ status: 'success', completedAt: T0 + 1000 }), [
        newRunStep({ nodeId: 'a', status: 'success', completedAt: T0 + 100 }),
        newRunStep({ nodeId: 'a', stepIndex: 1, status: 'running', durationMs: 900 }),
      ]);
      const [done] = await store.getStepsForExecution(executionId);
      await store.updateStep(done?.id as string, { durationMs: 40 }); // removes the maximum: the row is recounted
      expect(await store.getNodeStats()).toMatchObject([{ nodeId: 'a', runs: 1, maxDurationMs: 40, p50DurationMs: 40, p95DurationMs: 40 }]);
    });

    it('never bring back a pruned row, nor one with negative counts, when a delete reaches a pruned bucket', async () => {
      const { store, file } = await fileStore(backend, { insights: { outliveDeletes: false } });
      const old = await store.recordExecution(newExecution({ startedAt: NOW - 400 * DAY, status: 'success', completedAt: NOW - 400 * DAY + 10 }), [
        newRunStep({ startedAt: NOW - 400 * DAY, status: 'success', completedAt: NOW - 400 * DAY + 10 }),
      ]);
      await store.recordExecution(newExecution({ startedAt: NOW - DAY, status: 'success', completedAt: NOW - DAY + 10 }), [
        newRunStep({ startedAt: NOW - DAY, status: 'success', completedAt: NOW - DAY + 10 }),
      ]);
      await store.cleanupOldExecutions(1000 * DAY); // deletes nothing, prunes the old run's rollups
      expect(await store.deleteExecution(old.executionId)).toBe(true);
      expect(await store.getNodeStats()).toMatchObject([{ runs: 1, success: 1 }]);
      expect(await store.getWorkflowSummaries()).toMatchObject([{ runs: 1, success: 1 }]);
      const { workflows, nodes } = await storedRollupsOf(file);
      expect([...workflows, ...nodes].filter((row) => (row.success as number) < 0 || (row.error as number) < 0)).toEqual([]);
    });

    it('keep workflows and nodes apart whatever characters their ids hold', async () => {
      const store = await backend.open({ now: () => NOW });
      // Ids that spell each other's bucket: a UTC midnight is both the hour's and the day's bucket start.
      const midnight = Math.floor(T0 / DAY) * DAY;
      const tricky = [
        { workflowId: 'w', nodeId: `x\u0001${midnight}\u0001y` },
        { workflowId: `w\u0001${midnight}\u0001x`, nodeId: 'y' },
      ];
      const ids: string[] = [];
      for (const { workflowId } of tricky) ids.push(await store.createExecution(newExecution({ workflowId, startedAt: midnight, status: 'success', completedAt: midnight + 10 })));
      // One transaction for both: their changes are summed together before they are written.
      await store.addSteps(
        tricky.map(({ nodeId }, i) =>
          newStep(ids[i] as string, { nodeId, startedAt: midnight, status: i === 0 ? 'success' : 'error', completedAt: midnight + 1 + 998 * i, errorMessage: i === 0 ? undefined : 'only the second' }),
        ),
      );
      const stats = await store.getNodeStats({ sortBy: 'runs' });
      expect(stats.map(({ workflowId, nodeId, runs, maxDurationMs, lastError }) => ({ workflowId, nodeId, runs, maxDurationMs, lastError })).sort((a, b) => a.workflowId.localeCompare(b.workflowId))).toEqual([
        { workflowId: 'w', nodeId: tricky[0]?.nodeId, runs: 1, maxDurationMs: 1, lastError: null },
        { workflowId: tricky[1]?.workflowId, nodeId: 'y', runs: 1, maxDurationMs: 999, lastError: { message: 'only the second', at: midnight + 999 } },
      ]);
    });
  });

  describe('rebuildInsights', () => {
    it.each([true, false])('gives what the write path gave, steps of running executions included (outliveDeletes %s)', async (outliveDeletes) => {
      const { store } = await fileStore(backend, { insights: { outliveDeletes } });
      await store.recordExecution(newExecution({ status: 'success', completedAt: T0 + 100 }), [
        newRunStep({ nodeId: 'a', status: 'success', completedAt: T0 + 50 }),
      ]);
      await store.recordExecution(newExecution({ startedAt: T0 + HOUR }), [
        newRunStep({ nodeId: 'a', startedAt: T0 + HOUR, status: 'success', completedAt: T0 + HOUR + 70 }),
      ]);
      const node = { workflowId: 'wf-orders', nodeId: 'a', nodeType: 'http_request', nodeName: 'Fetch order', runs: 2, success: 2, error: 0, skipped: 0,
        errorRate: 0, avgDurationMs: 60, p50DurationMs: 50, p95DurationMs: 70, maxDurationMs: 70, lastError: null };
      expect(await store.getNodeStats()).toEqual([node]);
      expect(await store.rebuildInsights()).toEqual({ days: 1, executions: 1 });
      expect(await store.getNodeStats()).toEqual([node]);
    });

    it('recounts rollups for history recorded before they existed, day by day, with progress', async () => {
      const { store, file } = await fileStore(backend, { insights: { outliveDeletes: false } });
      for (let i = 0; i < 30; i++) {
        const startedAt = T0 - i * 5 * HOUR;
        await store.recordExecution(newExecution({ workflowId: `wf-${i % 3}`, startedAt, status: i % 4 ? 'success' : 'error', completedAt: startedAt + 10 * i }), [
          newRunStep({ nodeId: 'a', startedAt, status: 'success', completedAt: startedAt + i }),
          newRunStep({ nodeId: 'b', stepIndex: 1, startedAt, status: i % 4 ? 'skipped' : 'error', completedAt: startedAt + i, errorMessage: i % 4 ? undefined : `e${i}` }),
        ]);
      }
      await store.createExecution(newExecution({ startedAt: T0 + 1 })); // running: not in the rollups
      // Running, but with a finished step, which the node rollups count (and a running one, which they do not).
      await store.recordExecution(newExecution({ startedAt: T0 - 3 * HOUR }), [
        newRunStep({ nodeId: 'a', startedAt: T0 - 3 * HOUR, status: 'error', completedAt: T0 - 3 * HOUR + 70, errorMessage: 'late' }),
        newRunStep({ nodeId: 'b', stepIndex: 1, startedAt: T0 - 3 * HOUR + 70 }),
      ]);
      const recounted = await recountedRollupsOf(file);
      expect(await storedRollupsOf(file)).toEqual(recounted);
      await store.close();
      // The file as a version without rollups would have left it.
      await executeStatements(file, 'DELETE FROM workflow_rollups; DELETE FROM node_rollups;');

      const reopened = track(await openExecutionStore(file, { now: () => NOW }));
      expect(await reopened.getNodeStats()).toEqual([]);
      const progress: number[] = [];
      expect(await reopened.rebuildInsights({ onProgress: ({ days }) => progress.push(days) })).toEqual({ days: 7, executions: 30 }); // 26 October to 1 November
      expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
      const rebuilt = await storedRollupsOf(file);
      expect(rebuilt).toEqual(await recountedRollupsOf(file));
      // The days and hours are what they were; the week before the last one was compacted on the way.
      expect({ ...rebuilt, nodes: rebuilt.nodes.filter((row) => row.grain !== 'week') }).toEqual(recounted);
      expect(new Set(rebuilt.nodes.filter((row) => row.grain === 'week').map((row) => row.bucket_start))).toEqual(new Set([WEEK_OF_T0 - WEEK]));
    });
  });
});
