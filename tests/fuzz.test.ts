// Input fuzz: random values for every argument of every method, and valid inputs with one field replaced by a random
// value, with a getter that throws, or behind a Proxy that throws or was revoked. Each call either succeeds or throws
// ExecutionStoreError 'VALIDATION' / 'NOT_FOUND'; never a raw SQLite error or a TypeError, and the database is
// intact afterwards.
import { types } from 'node:util';
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
/** Text with a lone surrogate (half of a pair, or a pair's halves the wrong way round) somewhere in it. */
const malformedText = fc
  .tuple(fc.string({ maxLength: 4 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 4 }), fc.boolean())
  .map(([before, unit, after, reversed]) => `${before}${reversed ? '\uDC00\uD800' : String.fromCharCode(unit)}${after}`);

const failure = fc.constantFrom(new Error('getter failed'), new TypeError('not ready'), 'a thrown string', undefined);

/**
 * Values that throw when looked at are generated as recipes and made only when the call is made (materialized()):
 * fast-check itself looks into the values it generates, and would be the first to trip over them.
 */
const RECIPE = Symbol('recipe');
interface Recipe {
  [RECIPE]: () => unknown;
}
const recipe = (make: () => unknown, label: string): Recipe => ({ [RECIPE]: make, [fc.toStringMethod]: () => label }) as Recipe;
const isRecipe = (value: unknown): value is Recipe => typeof value === 'object' && value !== null && RECIPE in value;

function revoked(target: object): object {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

/** `object` behind a Proxy whose `trap` throws `error`. */
function trapping(object: object, trap: string, error: unknown): object {
  return new Proxy(object, { [trap]: () => { throw error; } });
}

/** A copy of `object` whose `key` is an enumerable getter that throws `error`. */
function withThrowingGetter(object: object, key: string, error: unknown): object {
  return Object.defineProperty({ ...object }, key, { enumerable: true, get: () => { throw error; } });
}

/** Revoked Proxies, Proxies whose traps throw, objects with a throwing getter: of `object`, or of an empty one. */
function throwingLike(object: object): fc.Arbitrary<Recipe> {
  return fc.oneof(
    fc.constant(recipe(() => revoked({ ...object }), 'a revoked Proxy')),
    fc.constant(recipe(() => revoked([]), 'a revoked Proxy of an array')),
    fc.tuple(fc.constantFrom('get', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf'), failure).map(([trap, error]) =>
      recipe(() => trapping({ ...object }, trap, error), `a Proxy whose ${trap} trap throws ${String(error)}`)),
    fc.tuple(fc.constantFrom(...Object.keys(object), 'unknownKey'), failure).map(([key, error]) =>
      recipe(() => withThrowingGetter(object, key, error), `an object whose getter ${key} throws ${String(error)}`)),
  );
}
const throwing = throwingLike({ status: 'success' });

/** Values whose JSON at the top level is something else than the value: Dates, toJSON() results, boxed primitives. */
const jsonInDisguise = fc.oneof(
  fc.date({ noInvalidDate: false }),
  fc.anything().map((json) => ({ toJSON: () => json })),
  failure.map((error) => ({ toJSON: () => { throw error; } })),
  fc.oneof(fc.integer(), fc.string(), fc.boolean()).map((value) => Object(value) as object),
);

const field = fc.oneof(
  weird,
  malformedText,
  throwing,
  jsonInDisguise,
  fc.constantFrom(-1, 2 ** 53, Number.NaN, -0, 1.5, '', ' ', '\u0000', 'running', 'x'.repeat(5000)),
);

/**
 * A valid object with one of its keys (or an unknown one) set to a random value, or deleted; the object with a
 * throwing getter or behind a throwing Proxy; or something else entirely.
 */
function mutated<T extends object>(valid: T): fc.Arbitrary<unknown> {
  const keys = [...Object.keys(valid), 'unknownKey', '__proto__', 'constructor'];
  return fc.oneof(
    fc.tuple(fc.constantFrom(...keys), field).map(([key, value]) => ({ ...valid, [key]: value })),
    fc.constantFrom(...Object.keys(valid)).map((key) => {
      const copy = { ...valid } as Record<string, unknown>;
      delete copy[key];
      return copy;
    }),
    throwingLike(valid),
    weird,
  );
}

/**
 * `value` with its recipes made: the value itself, an item of a list, a field of an object or of a list's item (the
 * levels where the arbitraries above put them). Containers holding none are passed on as they are.
 */
function materialized(value: unknown, levels = 2): unknown {
  if (isRecipe(value)) return value[RECIPE]();
  if (levels === 0 || typeof value !== 'object' || value === null) return value;
  if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    const made = materialized(item, levels - 1);
    if (made === item) continue;
    copy ??= (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>;
    Object.defineProperty(copy, key, { value: made, enumerable: true, writable: true, configurable: true });
  }
  return copy ?? value;
}

/**
 * `input` with `key` set to `value`, its other properties copied as they are (getters stay getters, not called), so
 * that the fuzz's own plumbing never reads hostile input; a Proxy is passed on unchanged.
 */
function withProperty(input: unknown, key: string, value: unknown): unknown {
  if (typeof input !== 'object' || input === null || types.isProxy(input)) return input;
  const properties = Object.getOwnPropertyDescriptors(input);
  return Object.defineProperties({}, { ...properties, [key]: { value, enumerable: true, writable: true, configurable: true } });
}

/** Whether `input` holds the placeholder 'EXISTING' under executionId, read without calling a getter. */
function namesExisting(input: unknown): boolean {
  if (typeof input !== 'object' || input === null || types.isProxy(input)) return false;
  return Object.getOwnPropertyDescriptor(input, 'executionId')?.value === 'EXISTING';
}

const query = { workflowId: 'wf-orders', status: 'success', triggerType: 'webhook', startedAfter: 0, startedBefore: T0, orderBy: 'duration_ms', orderDir: 'asc', limit: 10, offset: 0 };

type Call = (store: ExecutionStore, ids: { execution: string; step: string }) => Promise<unknown>;
const anyId = (ids: { execution: string; step: string }, value: unknown) => (value === 'EXISTING' ? ids.execution : value);
/** Makes a call from generated arguments, which fast-check then prints for a counterexample (not the function). */
const call = <T>(make: (args: T) => Call) => (args: T): Call => Object.assign(make(args), { [fc.toStringMethod]: () => fc.stringify(args) });
/** A generated argument made ready for the call (recipes made), typed as whatever the method takes: it breaks the types on purpose. */
const live = <T = never>(value: unknown) => materialized(value) as T;

const calls: Record<string, fc.Arbitrary<Call>> = {
  createExecution: mutated(newExecution()).map(call((input) => (store) => store.createExecution(live(input)))),
  updateExecution: fc.tuple(fc.oneof(fc.constant('EXISTING'), field), mutated({ status: 'success', completedAt: T0 + 5, errorMessage: 'x' }))
    .map(call(([id, changes]) => (store, ids) => store.updateExecution(live(anyId(ids, id)), live(changes)))),
  getExecution: field.map(call((id) => (store) => store.getExecution(live(id)))),
  getExecutionWithSteps: field.map(call((id) => (store) => store.getExecutionWithSteps(live(id)))),
  deleteExecution: field.map(call((id) => (store) => store.deleteExecution(live(id)))),
  addStep: mutated(newStep('EXISTING')).map(call((input) => (store, ids) => {
    const step = live(input);
    return store.addStep((namesExisting(step) ? withProperty(step, 'executionId', ids.execution) : step) as never);
  })),
  addSteps: fc.oneof(fc.array(mutated(newStep('EXISTING')), { maxLength: 3 }), weird, throwing).map(call((inputs) => (store) => store.addSteps(live(inputs)))),
  recordExecution: fc.tuple(mutated(newExecution()), fc.oneof(fc.array(mutated(newRunStep()), { maxLength: 3 }), weird, throwing))
    .map(call(([input, steps]) => (store) => store.recordExecution(live(input), live(steps)))),
  updateStep: fc.tuple(fc.oneof(fc.constant('STEP'), field), mutated({ status: 'error', completedAt: T0 + 1, outputData: { a: 1 } }))
    .map(call(([id, changes]) => (store, ids) => store.updateStep(live(id === 'STEP' ? ids.step : id), live(changes)))),
  getStepsForExecution: field.map(call((id) => (store) => store.getStepsForExecution(live(id)))),
  queryExecutions: mutated(query).map(call((q) => (store) => store.queryExecutions(live(q)))),
  queryExecutionsPage: fc.tuple(mutated(query), fc.option(field)).map(call(([q, cursor]) => (store) => {
    const page = live<object>(typeof q === 'object' && q !== null ? q : {});
    return store.queryExecutionsPage(withProperty(withProperty(page, 'offset', 0), 'cursor', live(cursor)) as never);
  })),
  cleanupOldExecutions: fc.tuple(field, fc.option(mutated({ onProgress: () => {}, dryRun: true, workflowId: 'wf-orders' }))).map(call(([age, options]) => (store) =>
    store.cleanupOldExecutions(live(age), live(options)))),
  cleanupByCount: fc.tuple(field, fc.option(field), fc.option(fc.oneof(weird, throwing))).map(call(([count, workflowId, options]) => (store) =>
    store.cleanupByCount(live(count), live(workflowId), live(options)))),
  findExecutionIds: fc.tuple(field, fc.option(field)).map(call(([prefix, limit]) => (store) => store.findExecutionIds(live(prefix), live(limit ?? undefined)))),
  getExecutionStats: fc.option(field).map(call((workflowId) => (store) => store.getExecutionStats(live(workflowId)))),
  recoverInterruptedExecutions: fc.option(mutated({ startedBefore: T0 })).map(call((options) => (store) =>
    store.recoverInterruptedExecutions(live(options)))),
  getNodeStats: fc.option(mutated({ workflowId: 'wf-orders', startedAfter: 0, startedBefore: T0, sortBy: 'p95', limit: 5 })).map(call((q) => (store) =>
    store.getNodeStats(live(q)))),
  getTimeline: mutated({ workflowId: 'wf-orders', startedAfter: T0 - 86_400_000, startedBefore: T0, bucket: 'hour', timeZone: 'Europe/Berlin' }).map(call((q) => (store) =>
    store.getTimeline(live(q)))),
  getErrorGroups: fc.option(mutated({ workflowId: 'wf-orders', startedAfter: 0, startedBefore: T0, limit: 5 })).map(call((q) => (store) =>
    store.getErrorGroups(live(q)))),
  getWorkflowSummaries: fc.option(mutated({ startedAfter: 0, startedBefore: T0 })).map(call((q) => (store) => store.getWorkflowSummaries(live(q)))),
  rebuildInsights: fc.option(mutated({ onProgress: () => {} })).map(call((options) => (store) => store.rebuildInsights(live(options)))),
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
