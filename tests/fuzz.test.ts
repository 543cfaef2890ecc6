// Input fuzz: random values for every argument of every method, and valid inputs with one field replaced by a random
// value. Each call either succeeds or throws ExecutionStoreError 'VALIDATION' / 'NOT_FOUND'; never a raw SQLite
// error or a TypeError, and the database is intact afterwards.
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ExecutionStore, ExecutionStoreError } from '../src/index.js';
import { T0, newExecution, newRunStep, newStep, track } from './factories.js';

const weird = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});
const field = fc.oneof(weird, fc.constantFrom(-1, 2 ** 53, Number.NaN, -0, 1.5, '', ' ', '\u0000', 'running', 'x'.repeat(5000)));

/** A valid object with one of its keys (or an unknown one) set to a random value, or deleted. */
function mutated<T extends object>(valid: T): fc.Arbitrary<unknown> {
  const keys = [...Object.keys(valid), 'unknownKey', '__proto__', 'constructor'];
  return fc.oneof(
    fc.tuple(fc.constantFrom(...keys), field).map(([key, value]) => ({ ...valid, [key]: value })),
    fc.constantFrom(...Object.keys(valid)).map((key) => {
      const copy = { ...valid } as Record<string, unknown>;
      delete copy[key];
      return copy;
    }),
    weird,
  );
}

const query = { workflowId: 'wf-orders', status: 'success', triggerType: 'webhook', startedAfter: 0, startedBefore: T0, orderBy: 'duration_ms', orderDir: 'asc', limit: 10, offset: 0 };

type Call = (store: ExecutionStore, ids: { execution: string; step: string }) => Promise<unknown>;
const anyId = (ids: { execution: string; step: string }, value: unknown) => (value === 'EXISTING' ? ids.execution : value);

const calls: Record<string, fc.Arbitrary<Call>> = {
  createExecution: mutated(newExecution()).map((input) => (store) => store.createExecution(input as never)),
  updateExecution: fc.tuple(fc.oneof(fc.constant('EXISTING'), field), mutated({ status: 'success', completedAt: T0 + 5, errorMessage: 'x' }))
    .map(([id, changes]) => (store, ids) => store.updateExecution(anyId(ids, id) as never, changes as never)),
  getExecution: field.map((id) => (store) => store.getExecution(id as never)),
  getExecutionWithSteps: field.map((id) => (store) => store.getExecutionWithSteps(id as never)),
  deleteExecution: field.map((id) => (store) => store.deleteExecution(id as never)),
  addStep: mutated(newStep('EXISTING')).map((input) => (store, ids) =>
    store.addStep({ ...(input as object), ...((input as { executionId?: unknown })?.executionId === 'EXISTING' ? { executionId: ids.execution } : {}) } as never)),
  addSteps: fc.oneof(fc.array(mutated(newStep('EXISTING')), { maxLength: 3 }), weird).map((inputs) => (store) => store.addSteps(inputs as never)),
  recordExecution: fc.tuple(mutated(newExecution()), fc.oneof(fc.array(mutated(newRunStep()), { maxLength: 3 }), weird))
    .map(([input, steps]) => (store) => store.recordExecution(input as never, steps as never)),
  updateStep: fc.tuple(fc.oneof(fc.constant('STEP'), field), mutated({ status: 'error', completedAt: T0 + 1, outputData: { a: 1 } }))
    .map(([id, changes]) => (store, ids) => store.updateStep((id === 'STEP' ? ids.step : id) as never, changes as never)),
  getStepsForExecution: field.map((id) => (store) => store.getStepsForExecution(id as never)),
  queryExecutions: mutated(query).map((q) => (store) => store.queryExecutions(q as never)),
  queryExecutionsPage: fc.tuple(mutated(query), fc.option(field)).map(([q, cursor]) => (store) =>
    store.queryExecutionsPage({ ...(typeof q === 'object' && q !== null ? q : {}), offset: 0, cursor } as never)),
  cleanupOldExecutions: fc.tuple(field, fc.option(mutated({ onProgress: () => {}, dryRun: true, workflowId: 'wf-orders' }))).map(([age, options]) => (store) =>
    store.cleanupOldExecutions(age as never, options as never)),
  cleanupByCount: fc.tuple(field, fc.option(field), fc.option(weird)).map(([count, workflowId, options]) => (store) =>
    store.cleanupByCount(count as never, workflowId as never, options as never)),
  findExecutionIds: fc.tuple(field, fc.option(field)).map(([prefix, limit]) => (store) => store.findExecutionIds(prefix as never, (limit ?? undefined) as never)),
  getExecutionStats: fc.option(field).map((workflowId) => (store) => store.getExecutionStats(workflowId as never)),
  recoverInterruptedExecutions: fc.option(mutated({ startedBefore: T0 })).map((options) => (store) =>
    store.recoverInterruptedExecutions(options as never)),
  getNodeStats: fc.option(mutated({ workflowId: 'wf-orders', startedAfter: 0, startedBefore: T0, sortBy: 'p95', limit: 5 })).map((q) => (store) =>
    store.getNodeStats(q as never)),
  getTimeline: mutated({ workflowId: 'wf-orders', startedAfter: T0 - 86_400_000, startedBefore: T0, bucket: 'hour', timeZone: 'Europe/Berlin' }).map((q) => (store) =>
    store.getTimeline(q as never)),
  getErrorGroups: fc.option(mutated({ workflowId: 'wf-orders', startedAfter: 0, startedBefore: T0, limit: 5 })).map((q) => (store) =>
    store.getErrorGroups(q as never)),
  getWorkflowSummaries: fc.option(mutated({ startedAfter: 0, startedBefore: T0 })).map((q) => (store) => store.getWorkflowSummaries(q as never)),
  rebuildInsights: fc.option(mutated({ onProgress: () => {} })).map((options) => (store) => store.rebuildInsights(options as never)),
};

function schemaOf(sqlite: Database.Database) {
  return sqlite.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all();
}

describe('input fuzz', () => {
  for (const [method, call] of Object.entries(calls)) {
    it(`${method}: succeeds or throws VALIDATION / NOT_FOUND, and leaves the database intact`, async () => {
      const sqlite = new Database(':memory:');
      const store = track(new ExecutionStore(sqlite, { now: () => T0 }));
      const execution = await store.createExecution(newExecution());
      const ids = { execution, step: await store.addStep(newStep(execution)) };
      const schema = schemaOf(sqlite);
      const outcomes = new Set<string>();

      await fc.assert(
        fc.asyncProperty(call, async (run) => {
          try {
            await run(store, ids);
            outcomes.add('ok');
          } catch (error) {
            expect(error).toBeInstanceOf(ExecutionStoreError);
            expect(['VALIDATION', 'NOT_FOUND']).toContain((error as ExecutionStoreError).code);
            expect((error as Error).message.startsWith(`${method}: `) || (error as Error).message.startsWith(`${method} `)).toBe(true);
            outcomes.add((error as ExecutionStoreError).code);
          }
        }),
        { numRuns: 300 },
      );

      expect(outcomes.has('VALIDATION')).toBe(true); // the fuzz did reach the checks
      expect(schemaOf(sqlite)).toEqual(schema);
      expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(sqlite.pragma('foreign_key_check')).toEqual([]);
    });
  }
});
