// The recorder under fuzzed use: generated sequences of calls (runs started with valid, unreadable or unstorable
// starts, steps started with hostile input, finished in and out of order, twice, after their run ended; runs ended
// twice; run.step() with work that returns or throws odd values; stats() and flush() now and then; tiny buffer
// bounds sometimes) interpreted against a small model of what the recorder promises (src/recorder/, README
// "Recording from a runtime"):
// - no call throws into the workflow; run.step() returns or rethrows exactly what its work did;
// - what each call drops at once is exactly what the model says (an unreadable start or step start is 'invalid', a
//   step finished twice or after its run ended and a second end are 'misuse'), besides 'buffer-full' drops, which only
//   happen when a bound was set; what the writer drops later is only 'invalid' (the store refused it) or
//   'execution-missing' (its run's start was refused);
// - after flush(): the stored executions are exactly the runs started readably whose start was not reported dropped;
//   each stored run has the status its first end gave it (running when it was not ended, or its end was reported
//   dropped); its stored steps are the steps finished in time less the steps reported dropped of it; what was dropped
//   of it is marked on it (metadata.__dropped) once it ended; nothing of an unstored run is lost silently;
// - stats() counts every drop told to onDrop, by reason, and what was written; nothing is left queued.
// Hostile values are made only when the call is made (fast-check itself looks at the values it generates, and would
// trip over a revoked Proxy): the generated actions are descriptions, printed in a counterexample.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DropReason,
  type ExecutionStore,
  type ExecutionWithSteps,
  type RecorderDrop,
  type RecorderOptions,
  type RecorderStats,
  type RunRecorder,
  type StepRecorder,
  createRecorder,
} from '../src/index.js';
import { MAX_KEY_CHARACTERS } from '../src/core/validation.js';
import { forEachBackend } from './backends.js';

// ----- hostile values, made at call time -----

/** A deterministic, non-repeating (so incompressible) well-formed text of `length` characters. */
function noisyText(length: number, seed: number): string {
  let state = seed;
  let text = '';
  for (let i = 0; i < length; i++) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    text += String.fromCharCode(0x21 + (state % 0x5e), 0x4e00 + (state % 0x5000)).slice(state % 2);
  }
  return text;
}

function revoked(target: object): object {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

const boom = (what: string) => () => {
  throw new Error(`no ${what}`);
};

/** `object` with `key` turned into an enumerable getter that throws. */
const throwingGetter = (object: object, key: string) => Object.defineProperty({ ...object }, key, { enumerable: true, get: boom(key) });

function circular(): object {
  const loop: Record<string, unknown> = { name: 'loop', list: [] };
  loop.self = loop;
  (loop.list as unknown[]).push(loop);
  return loop;
}

function deep(levels: number): object {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < levels; i++) value = { next: value };
  return value;
}

/** Payloads (trigger data, metadata, step input and output, run.step's result): what a workflow may hand over. */
const PAYLOADS: Record<string, () => unknown> = {
  plain: () => ({ orderId: 42, tags: ['a', 'b'], nested: { ok: true } }),
  empty: () => ({}),
  circular,
  bigint: () => ({ amount: 10n ** 30n }),
  symbols: () => ({ kind: Symbol('kind'), [Symbol('hidden')]: 1 }),
  nullPrototype: () => Object.assign(Object.create(null) as object, { a: 1 }),
  revokedProxy: () => revoked({ a: 1 }),
  proxyThrowingGet: () => new Proxy({ a: 1 }, { get: boom('get') }),
  proxyThrowingOwnKeys: () => new Proxy({ a: 1 }, { ownKeys: boom('ownKeys') }),
  throwingGetter: () => throwingGetter({ a: 1, b: 2 }, 'b'),
  throwingToJSON: () => ({ toJSON: boom('toJSON') }),
  toJSONArray: () => ({ toJSON: () => [1, 2] }),
  hugeString: () => ({ text: 'x'.repeat(300_000) }),
  hugeNoisyString: () => ({ text: noisyText(100_000, 7) }),
  deep: () => deep(1_000),
  nulAndSurrogates: () => ({ text: 'a\u0000b\uD800c\uDC00' }),
  date: () => new Date(0),
  array: () => [1, 2, 3],
  number: () => 42,
  string: () => 'just text',
  nullValue: () => null,
  undefinedValue: () => undefined,
  map: () => new Map([['a', 1]]),
  error: () => new Error('an error as a payload'),
  fn: () => () => 1,
};
const payload = fc.constantFrom(...Object.keys(PAYLOADS));
const makePayload = (name: string | undefined) => (name === undefined ? undefined : (PAYLOADS[name] as () => unknown)());

/** What a failing step or run throws. `storable`: whether the message (and stack) is text the store takes. */
const ERRORS: Record<string, { make: () => unknown; storable: boolean }> = {
  error: { make: () => new Error('HTTP 502'), storable: true },
  typeError: { make: () => new TypeError('x is not a function'), storable: true },
  string: { make: () => 'a thrown string', storable: true },
  undefinedValue: { make: () => undefined, storable: true },
  nullValue: { make: () => null, storable: true },
  number: { make: () => 7, storable: true },
  bigint: { make: () => 5n, storable: true },
  symbol: { make: () => Symbol('thrown'), storable: true },
  nullPrototype: { make: () => Object.create(null) as object, storable: true },
  revokedProxy: { make: () => revoked(new Error('gone')), storable: true },
  throwingMessage: { make: () => Object.defineProperty(new Error('x'), 'message', { get: boom('message') }), storable: true },
  hugeMessage: { make: () => new Error('m'.repeat(200_000)), storable: true },
  // Text no backend stores (src/core/validation.ts): the part that carries it is refused when written.
  nulInMessage: { make: () => new Error('bad\u0000byte'), storable: false },
  loneSurrogate: { make: () => new Error('half \uD83D of an emoji'), storable: false },
};
const thrown = fc.constantFrom(...Object.keys(ERRORS));

// ----- what the workflow calls with -----

const TRIGGERS = ['webhook', 'schedule', 'manual', 'db_change', 'internal_event'] as const;
/**
 * Names: short ones, and long ones: as long as a workflowId or nodeId may be (MAX_KEY_CHARACTERS, of mostly 3-byte
 * characters), and far longer where the store takes any length (names, types). A key past the bound is the last
 * test's.
 */
const HUGE_NAME = noisyText(20_000, 3);
const LONG_NAME = noisyText(MAX_KEY_CHARACTERS, 5).slice(0, MAX_KEY_CHARACTERS);
/** Generated as a token (so that a counterexample prints short), made into the text by `text`. */
const text = (token: string) => (token === '<huge>' ? HUGE_NAME : token === '<long>' ? LONG_NAME : token);
const name = (prefix: string, huge = true) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(`${prefix}-a`, `${prefix}-b`) },
    fc.string({ minLength: 1, maxLength: 12 }),
    fc.constant(huge ? '<huge>' : '<long>'),
  );

/**
 * A run's start. 'valid': stored unless the buffer drops it; 'unreadable': reading it throws in startExecution (a
 * null, a Proxy, a getter of a field it reads), so nothing of the run is recorded, one 'invalid' drop; 'refused':
 * readable, but the store's validation refuses it when written ('invalid' start), and what follows of the run names
 * an execution that is not stored.
 */
type StartSpec =
  | { kind: 'valid'; workflowId: string; workflowName: string; triggerType: string; triggerData?: string; metadata?: string; startedAt?: 'recent' | 'text'; unknownGetter: boolean }
  | { kind: 'unreadable'; how: 'null' | 'undefined' | 'revoked' | 'proxy' | `getter:${string}`; workflowId: string }
  | { kind: 'refused'; how: string; workflowId: string };

const validStart = fc.record(
  {
    kind: fc.constant('valid' as const),
    workflowId: name('wf', false),
    workflowName: name('Workflow'),
    triggerType: fc.constantFrom(...TRIGGERS),
    triggerData: payload,
    metadata: payload,
    startedAt: fc.constantFrom('recent' as const, 'text' as const),
    unknownGetter: fc.boolean(),
  },
  { requiredKeys: ['kind', 'workflowId', 'workflowName', 'triggerType', 'unknownGetter'] },
);
const START_FIELDS_READ = ['startedAt', 'workflowId', 'triggerType', 'triggerData', 'metadata', 'workflowName'];
const unreadableStart = fc.record({
  kind: fc.constant('unreadable' as const),
  how: fc.constantFrom('null' as const, 'undefined' as const, 'revoked' as const, 'proxy' as const, ...START_FIELDS_READ.map((key) => `getter:${key}` as const)),
  workflowId: fc.constantFrom('wf-a', 'wf-b'),
});
const WORKFLOW_SYMBOL = Symbol('wf');
const REFUSED_STARTS: Record<string, (base: Record<string, unknown>) => unknown> = {
  emptyWorkflowId: (base) => ({ ...base, workflowId: '' }),
  numericWorkflowId: (base) => ({ ...base, workflowId: 12 }),
  symbolWorkflowId: (base) => ({ ...base, workflowId: WORKFLOW_SYMBOL }),
  nulWorkflowId: (base) => ({ ...base, workflowId: 'wf\u0000x' }),
  loneSurrogateWorkflowName: (base) => ({ ...base, workflowName: 'half \uD800' }),
  noWorkflowName: ({ workflowName: _, ...base }) => base,
  objectWorkflowName: (base) => ({ ...base, workflowName: { name: 'x' } }),
  bogusTrigger: (base) => ({ ...base, triggerType: 'carrier-pigeon' }),
  noTrigger: ({ triggerType: _, ...base }) => base,
  negativeStart: (base) => ({ ...base, startedAt: -5 }),
  fractionalStart: (base) => ({ ...base, startedAt: Date.now() + 0.5 }),
  nanStart: (base) => ({ ...base, startedAt: Number.NaN }),
  infiniteStart: (base) => ({ ...base, startedAt: Number.POSITIVE_INFINITY }),
  beyondIdStart: (base) => ({ ...base, startedAt: 2 ** 50 }),
  number: () => 42,
  string: () => 'a start',
  symbol: () => Symbol('start'),
  bigint: () => 3n,
  array: () => [],
  emptyObject: () => ({}),
};
const refusedStart = fc.record({
  kind: fc.constant('refused' as const),
  how: fc.constantFrom(...Object.keys(REFUSED_STARTS)),
  workflowId: fc.constantFrom('wf-a', 'wf-b'),
});
const startSpec: fc.Arbitrary<StartSpec> = fc.oneof({ weight: 5, arbitrary: validStart }, { weight: 2, arbitrary: unreadableStart }, { weight: 2, arbitrary: refusedStart });

function makeStart(spec: StartSpec): unknown {
  if (spec.kind === 'valid') {
    const start: Record<string, unknown> = { workflowId: text(spec.workflowId), workflowName: text(spec.workflowName), triggerType: spec.triggerType };
    if (spec.triggerData !== undefined) start.triggerData = makePayload(spec.triggerData);
    if (spec.metadata !== undefined) start.metadata = makePayload(spec.metadata);
    if (spec.startedAt === 'recent') start.startedAt = Date.now() - 60_000;
    if (spec.startedAt === 'text') start.startedAt = '2026-01-01'; // not a number: the recorder's clock is used
    // A field the recorder does not read may throw all it likes.
    return spec.unknownGetter ? throwingGetter(start, 'unknownField') : start;
  }
  const base = { workflowId: spec.workflowId, workflowName: 'Workflow', triggerType: 'webhook' };
  if (spec.kind === 'refused') return (REFUSED_STARTS[spec.how] as (base: Record<string, unknown>) => unknown)(base);
  if (spec.how === 'null') return null;
  if (spec.how === 'undefined') return undefined;
  if (spec.how === 'revoked') return revoked(base);
  if (spec.how === 'proxy') return new Proxy(base, { get: boom('anything') });
  return throwingGetter(base, spec.how.slice('getter:'.length));
}

/** The workflowId the recorder tells with the drops of a run (what it read, or '' for a start it could not read). */
function toldWorkflowId(spec: StartSpec): unknown {
  if (spec.kind === 'valid') return text(spec.workflowId);
  if (spec.kind === 'unreadable') return ['null', 'undefined', 'revoked', 'proxy', 'getter:workflowId'].includes(spec.how) ? '' : spec.workflowId;
  const made = makeStart(spec);
  return typeof made === 'object' && made !== null ? (made as { workflowId?: unknown }).workflowId : undefined;
}

/**
 * A step's start. 'valid' and 'refused' are read; a refused one (an empty or missing nodeId, a number as nodeType, a
 * step index the store cannot take) is refused by the store when written. 'unreadable' throws when read.
 */
type StepSpec =
  | { kind: 'valid'; nodeId: string; nodeType: string; nodeName?: string; input?: string; stepIndex?: number }
  | { kind: 'refused'; how: string }
  | { kind: 'unreadable'; how: string };

const validStep = fc.record(
  {
    kind: fc.constant('valid' as const),
    nodeId: name('node', false),
    nodeType: fc.constantFrom('http_request', 'code', 'db_query', '<huge>'),
    nodeName: fc.oneof(fc.string({ maxLength: 10 }), fc.constant('<huge>')),
    input: payload,
    stepIndex: fc.integer({ min: 0, max: 40 }),
  },
  { requiredKeys: ['kind', 'nodeId', 'nodeType'] },
);
const REFUSED_STEPS: Record<string, () => unknown> = {
  emptyNodeId: () => ({ nodeId: '', nodeType: 'code' }),
  noNodeId: () => ({ nodeType: 'code' }),
  numericNodeType: () => ({ nodeId: 'node-x', nodeType: 5 }),
  nulNodeName: () => ({ nodeId: 'node-x', nodeType: 'code', nodeName: 'a\u0000b' }),
  negativeIndex: () => ({ nodeId: 'node-x', nodeType: 'code', stepIndex: -1 }),
  nanIndex: () => ({ nodeId: 'node-x', nodeType: 'code', stepIndex: Number.NaN }),
  negativeStart: () => ({ nodeId: 'node-x', nodeType: 'code', startedAt: -1 }),
  number: () => 42,
  string: () => 'a step',
  emptyObject: () => ({}),
};
const STEP_FIELDS_READ = ['startedAt', 'stepIndex', 'nodeId', 'nodeType', 'nodeName'];
const UNREADABLE_STEPS: Record<string, () => unknown> = {
  null: () => null,
  undefined: () => undefined,
  revoked: () => revoked({ nodeId: 'node-x', nodeType: 'code' }),
  proxy: () => new Proxy({ nodeId: 'node-x', nodeType: 'code' }, { get: boom('anything') }),
  ...Object.fromEntries(STEP_FIELDS_READ.map((key) => [`getter:${key}`, () => throwingGetter({ nodeId: 'node-x', nodeType: 'code', nodeName: 'X' }, key)])),
};
const stepSpec: fc.Arbitrary<StepSpec> = fc.oneof(
  { weight: 6, arbitrary: validStep },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refused' as const), how: fc.constantFrom(...Object.keys(REFUSED_STEPS)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unreadable' as const), how: fc.constantFrom(...Object.keys(UNREADABLE_STEPS)) }) },
);

function makeStep(spec: StepSpec): unknown {
  if (spec.kind === 'refused') return (REFUSED_STEPS[spec.how] as () => unknown)();
  if (spec.kind === 'unreadable') return (UNREADABLE_STEPS[spec.how] as () => unknown)();
  const step: Record<string, unknown> = { nodeId: text(spec.nodeId), nodeType: text(spec.nodeType) };
  if (spec.nodeName !== undefined) step.nodeName = text(spec.nodeName);
  if (spec.input !== undefined) step.input = makePayload(spec.input);
  if (spec.stepIndex !== undefined) step.stepIndex = spec.stepIndex;
  return step;
}

/** The nodeId the recorder tells with a drop of the step (as it read it). */
function toldNodeId(spec: StepSpec): unknown {
  if (spec.kind === 'valid') return text(spec.nodeId);
  const made = makeStep(spec);
  return typeof made === 'object' && made !== null ? (made as { nodeId?: unknown }).nodeId : undefined;
}

type Finish = { how: 'succeed'; output?: string } | { how: 'fail'; error: string } | { how: 'skip'; reason?: string | number };
const finish: fc.Arbitrary<Finish> = fc.oneof(
  fc.record({ how: fc.constant('succeed' as const), output: payload }, { requiredKeys: ['how'] }),
  fc.record({ how: fc.constant('fail' as const), error: thrown }),
  fc.record({ how: fc.constant('skip' as const), reason: fc.oneof(fc.string({ maxLength: 8 }), fc.constant(3)) }, { requiredKeys: ['how'] }),
);
type End = { how: 'succeed' } | { how: 'fail'; error: string };
const end: fc.Arbitrary<End> = fc.oneof(fc.constant({ how: 'succeed' as const }), fc.record({ how: fc.constant('fail' as const), error: thrown }));
/** What run.step()'s work does: returns a payload-like value, or throws one of the errors, at once or after an await. */
type Work = { does: 'return'; value: string; async: boolean } | { does: 'throw'; error: string; async: boolean };
// What a promise cannot resolve to is left out: resolving one with a revoked Proxy, or a Proxy whose every get throws,
// reads its `then` and rejects with what that threw, so run.step(), which returns a promise, cannot return them.
const returnable = fc.constantFrom(...Object.keys(PAYLOADS).filter((name) => name !== 'revokedProxy' && name !== 'proxyThrowingGet'));
const work: fc.Arbitrary<Work> = fc.oneof(
  fc.record({ does: fc.constant('return' as const), value: returnable, async: fc.boolean() }),
  fc.record({ does: fc.constant('throw' as const), error: thrown, async: fc.boolean() }),
);

type Action =
  | { do: 'start'; start: StartSpec }
  | { do: 'startStep'; run: number; step: StepSpec }
  | { do: 'finishStep'; step: number; finish: Finish }
  | { do: 'end'; run: number; end: End }
  | { do: 'runStep'; run: number; step: StepSpec; work: Work }
  | { do: 'stats' }
  | { do: 'flush' };
const ref = fc.nat({ max: 1_000 });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ do: fc.constant('start' as const), start: startSpec }) },
  { weight: 5, arbitrary: fc.record({ do: fc.constant('startStep' as const), run: ref, step: stepSpec }) },
  { weight: 5, arbitrary: fc.record({ do: fc.constant('finishStep' as const), step: ref, finish }) },
  { weight: 3, arbitrary: fc.record({ do: fc.constant('end' as const), run: ref, end }) },
  { weight: 2, arbitrary: fc.record({ do: fc.constant('runStep' as const), run: ref, step: stepSpec, work }) },
  { weight: 1, arbitrary: fc.constant({ do: 'stats' as const }) },
  { weight: 1, arbitrary: fc.constant({ do: 'flush' as const }) },
);
/** Tiny bounds now and then (every bound the options take is a positive integer), and small batches. */
const bounds = fc.record(
  { maxItems: fc.integer({ min: 1, max: 12 }), maxBytes: fc.integer({ min: 1, max: 6_000 }), flushMaxItems: fc.integer({ min: 1, max: 8 }) },
  { requiredKeys: [] },
);

// ----- the model -----

interface ModelStep {
  spec: StepSpec;
  handle: StepRecorder;
  /** Its start was read (it has a row to finish); an unreadable one is a drop at once, and silent afterwards. */
  readable: boolean;
  finished: boolean;
}

interface ModelRun {
  spec: StartSpec;
  handle: RunRecorder;
  id: string;
  workflowId: unknown;
  /** Nothing of it is recorded any more: its start could not be read, or the buffer dropped it. */
  lost: boolean;
  end: 'success' | 'error' | undefined;
  /** How many drops had been told when the flush that wrote its end returned: later ones are not marked on it. */
  endWrittenBy: number | undefined;
  /** Steps whose first finish came while the run was going (the run's end finishes the open ones). */
  finishedSteps: number;
  /** Step starts that could not be read: each told as an 'invalid' step drop, with no step to store. */
  unreadableStepStarts: number;
  open: ModelStep[];
}

const MISUSE = {
  stepTwice: 'the step had finished already',
  stepAfterEnd: 'a step finished after its run ended',
  endTwice: 'the run had ended already',
};

/** Waits for `promise`, failing (instead of hanging the run) after `ms`: a batch tried again forever would hang flush(). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not resolve within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `call`, which must not throw, and returns the drops told while it ran. */
function calling<T>(drops: RecorderDrop[], call: () => T): { value: T; told: RecorderDrop[] } {
  const before = drops.length;
  let value: T | undefined;
  expect(() => {
    value = call();
  }).not.toThrow();
  return { value: value as T, told: drops.slice(before) };
}

const bySomething = (told: RecorderDrop[]) => told.filter((drop) => drop.reason !== 'buffer-full');

/** What the runs of a property reached, over all its scenarios: the fuzz must reach every kind of outcome. */
type Reached = Map<string, number>;
const reach = (reached: Reached, what: string) => reached.set(what, (reached.get(what) ?? 0) + 1);

async function runScenario(
  store: ExecutionStore,
  actions: Action[],
  limits: { maxItems?: number; maxBytes?: number; flushMaxItems?: number },
  reached: Reached,
) {
  const drops: RecorderDrop[] = [];
  /** Drops told during flush(): the writer's. */
  const writerDrops: RecorderDrop[] = [];
  const bounded = limits.maxItems !== undefined || limits.maxBytes !== undefined;
  const options: RecorderOptions = {
    // Only flush() writes (the interval is longer than the run), unless a batch's worth waits at a turn of the loop.
    flush: { intervalMs: 60_000, ...(limits.flushMaxItems === undefined ? {} : { maxItems: limits.flushMaxItems }) },
    onDrop: (drop) => drops.push(drop),
  };
  if (bounded) options.buffer = { ...(limits.maxItems === undefined ? {} : { maxItems: limits.maxItems }), ...(limits.maxBytes === undefined ? {} : { maxBytes: limits.maxBytes }) };
  const recorder = createRecorder(store, options);
  const totalBefore = (await store.getExecutionStats()).total;
  const runs: ModelRun[] = [];
  const steps: { run: ModelRun; step: ModelStep }[] = [];

  /** The drops a call told besides 'buffer-full' ones, which happen only when a bound was set. */
  const expectTold = (told: RecorderDrop[], expected: RecorderDrop[]) => {
    if (!bounded) expect(told.filter((drop) => drop.reason === 'buffer-full')).toEqual([]);
    expect(bySomething(told)).toEqual(expected);
  };

  const startStep = (run: ModelRun, spec: StepSpec): ModelStep => {
    const { value: handle, told } = calling(drops, () => run.handle.startStep(makeStep(spec) as never));
    const readable = spec.kind !== 'unreadable';
    if (!readable) run.unreadableStepStarts += 1;
    expectTold(told, readable ? [] : [{ reason: 'invalid', part: 'step', executionId: run.id, workflowId: run.workflowId as string, detail: expect.any(String) }]);
    const step: ModelStep = { spec, handle, readable, finished: false };
    if (readable) run.open.push(step);
    steps.push({ run, step });
    return step;
  };

  /** What finishing a step (first or again) tells at once, and what it does to the model. */
  const finished = (run: ModelRun, step: ModelStep): RecorderDrop[] => {
    if (!step.readable) return [];
    const misuse = (detail: string): RecorderDrop[] => {
      const drop: RecorderDrop = { reason: 'misuse', part: 'step', executionId: run.id, workflowId: run.workflowId as string, detail };
      const nodeId = toldNodeId(step.spec);
      if (nodeId !== undefined) drop.nodeId = nodeId as string;
      return [drop];
    };
    if (step.finished) return misuse(MISUSE.stepTwice);
    step.finished = true;
    run.open = run.open.filter((open) => open !== step);
    if (run.lost) return [];
    if (run.end !== undefined) return misuse(MISUSE.stepAfterEnd);
    run.finishedSteps += 1;
    return [];
  };

  /** flush(): what it tells is the writer's; the ends recorded before it are written by its return. */
  const flush = async (what: string) => {
    const before = drops.length;
    await within(recorder.flush(), 20_000, what);
    writerDrops.push(...drops.slice(before));
    for (const run of runs) if (run.end !== undefined) run.endWrittenBy ??= drops.length;
  };

  for (const act of actions) {
    switch (act.do) {
      case 'start': {
        const { value: handle, told } = calling(drops, () => recorder.startExecution(makeStart(act.start) as never));
        const workflowId = toldWorkflowId(act.start);
        const unreadable = act.start.kind === 'unreadable';
        expect(handle.id === '').toBe(unreadable);
        expectTold(told, unreadable ? [{ reason: 'invalid', part: 'run', executionId: '', workflowId: workflowId as string, detail: expect.any(String) }] : []);
        // A start the buffer could not take: the run is recorded no more.
        const bufferDropped = told.some((drop) => drop.reason === 'buffer-full' && drop.part === 'start');
        if (bufferDropped) expect(told.filter((drop) => drop.part === 'start')).toEqual([{ reason: 'buffer-full', part: 'start', executionId: handle.id, workflowId }]);
        runs.push({ spec: act.start, handle, id: handle.id, workflowId, lost: unreadable || bufferDropped, end: undefined, endWrittenBy: undefined, finishedSteps: 0, unreadableStepStarts: 0, open: [] });
        break;
      }
      case 'startStep': {
        const run = runs[act.run % Math.max(runs.length, 1)];
        if (run !== undefined) startStep(run, act.step);
        break;
      }
      case 'finishStep': {
        const entry = steps[act.step % Math.max(steps.length, 1)];
        if (entry === undefined) break;
        const { run, step } = entry;
        const expected = finished(run, step);
        const spec = act.finish;
        const { told } = calling(drops, () => {
          if (spec.how === 'succeed') step.handle.succeed(makePayload(spec.output) as never);
          else if (spec.how === 'fail') step.handle.fail((ERRORS[spec.error] as { make: () => unknown }).make());
          else step.handle.skip(spec.reason as never);
        });
        expectTold(told, expected);
        break;
      }
      case 'end': {
        const run = runs[act.run % Math.max(runs.length, 1)];
        if (run === undefined) break;
        const expected: RecorderDrop[] = [];
        if (run.end !== undefined) expected.push({ reason: 'misuse', part: 'end', executionId: run.id, workflowId: run.workflowId as string, detail: MISUSE.endTwice });
        else {
          // The run's end fails the steps still open, as finished in time.
          for (const open of run.open) expected.push(...finished(run, open));
          run.end = act.end.how === 'succeed' ? 'success' : 'error';
        }
        const spec = act.end;
        const { told } = calling(drops, () => {
          if (spec.how === 'succeed') run.handle.succeed();
          else run.handle.fail((ERRORS[spec.error] as { make: () => unknown }).make());
        });
        expectTold(told, expected);
        break;
      }
      case 'runStep': {
        const run = runs[act.run % Math.max(runs.length, 1)];
        if (run === undefined) break;
        const before = drops.length;
        const result = act.work.does === 'return' ? makePayload(act.work.value) : (ERRORS[act.work.error] as { make: () => unknown }).make();
        const spec = act.work;
        const workFn = spec.does === 'return' ? (spec.async ? async () => result : () => result) : spec.async ? async () => { throw result; } : () => { throw result; };
        let promise: Promise<unknown> | undefined;
        // The step starts within the call; the work's outcome is awaited in microtasks only, so the writer (timers,
        // setImmediate) cannot run meanwhile and every drop told belongs to this call.
        expect(() => {
          promise = run.handle.step(makeStep(act.step) as never, workFn);
        }).not.toThrow();
        const readable = act.step.kind !== 'unreadable';
        if (!readable) run.unreadableStepStarts += 1;
        const step: ModelStep = { spec: act.step, handle: undefined as never, readable, finished: false };
        // Compared with toBe only: the value may be a revoked Proxy, which toEqual would trip over.
        const outcome = await (promise as Promise<unknown>).then((value) => ({ returned: true, value }), (error: unknown) => ({ returned: false, value: error }));
        expect(outcome.returned).toBe(spec.does === 'return');
        expect(outcome.value).toBe(result);
        const expected: RecorderDrop[] = readable ? [] : [{ reason: 'invalid', part: 'step', executionId: run.id, workflowId: run.workflowId as string, detail: expect.any(String) }];
        if (readable) {
          run.open.push(step);
          expected.push(...finished(run, step));
        }
        expectTold(drops.slice(before), expected);
        break;
      }
      case 'stats': {
        const { value: stats } = calling(drops, () => recorder.stats());
        expect(stats.dropped.total).toBe(drops.length);
        break;
      }
      case 'flush':
        await flush('flush()');
        break;
    }
  }
  await flush('the final flush()');

  // ----- what a user would check -----
  const reasonsOf = (list: RecorderDrop[]) => [...new Set(list.map((drop) => drop.reason))];
  // The writer drops only what the store refused, and what named a run whose start it refused.
  expect(reasonsOf(writerDrops).filter((reason) => reason !== 'invalid' && reason !== 'execution-missing')).toEqual([]);

  const numbered = drops.map((drop, at) => ({ drop, at }));
  let storedSteps = 0;
  let storedRuns = 0;
  const summary: { id: string; stored: boolean; status?: string; steps?: number }[] = [];
  const expectedSummary: typeof summary = [];
  for (const run of runs) {
    if (run.id === '') continue;
    const ownNumbered = numbered.filter(({ drop }) => drop.executionId === run.id && drop.reason !== 'misuse');
    const own = ownNumbered.map(({ drop }) => drop);
    const startDropped = own.some((drop) => drop.part === 'start' || drop.part === 'run');
    const endDropped = own.some((drop) => drop.part === 'end');
    const stepDrops = own.filter((drop) => drop.part === 'step').length;
    const stored = (await store.getExecutionWithSteps(run.id)) as ExecutionWithSteps | null;
    // A readable start is stored unless its start was told dropped: a valid one only by the buffer, a refused one always.
    if (run.spec.kind === 'valid' && !bounded) expect(startDropped).toBe(false);
    if (run.spec.kind === 'refused' && !run.lost) {
      expect(own.filter((drop) => drop.part === 'start')).toEqual([{ reason: 'invalid', part: 'start', executionId: run.id, workflowId: run.workflowId as string }]);
      // Nothing of it is lost silently: every step finished in time, and its end, is told dropped.
      expect({ steps: stepDrops - run.unreadableStepStarts, end: endDropped }).toEqual({ steps: run.finishedSteps, end: run.end !== undefined });
    }
    const expectStored = !startDropped && !run.lost;
    const expectedStatus = run.end !== undefined && !endDropped ? run.end : 'running';
    summary.push({ id: run.id, stored: stored !== null, ...(stored === null ? {} : { status: stored.status, steps: stored.steps.length }) });
    expectedSummary.push({ id: run.id, stored: expectStored, ...(expectStored ? { status: expectedStatus, steps: run.finishedSteps - (stepDrops - run.unreadableStepStarts) } : {}) });
    if (stored === null) continue;
    reach(reached, `stored ${stored.status}`);
    if (stored.steps.length > 0) reach(reached, 'stored steps');
    storedRuns += 1;
    storedSteps += stored.steps.length;
    // What was dropped of an ended run is marked on it: its dropped payloads and steps, and why; a drop told after
    // its end was written (a step started on the ended run, unreadable) is not.
    if (run.end !== undefined && !endDropped) {
      const marked = ownNumbered.filter(({ at }) => at < (run.endWrittenBy as number)).map(({ drop }) => drop);
      const payloads = marked.filter((drop) => drop.part === 'payload').length;
      const dropped = marked.filter((drop) => drop.part === 'step').length;
      expect((stored.metadata as { __dropped?: unknown } | undefined)?.__dropped).toEqual(
        payloads + dropped > 0 ? { payloads, steps: dropped, reasons: reasonsOf(marked) } : undefined,
      );
    }
  }
  expect(summary).toEqual(expectedSummary);
  expect((await store.getExecutionStats()).total - totalBefore).toBe(storedRuns);

  const stats = recorder.stats();
  const byReason = Object.fromEntries(
    (['buffer-full', 'storage-full', 'invalid', 'execution-missing', 'write-failed', 'closed', 'misuse'] as DropReason[]).map((reason) => [
      reason,
      drops.filter((drop) => drop.reason === reason).length,
    ]),
  ) as Record<DropReason, number>;
  expect(stats).toEqual({
    queued: 0,
    bufferBytes: 0,
    written: { batches: expect.any(Number), executions: storedRuns, steps: storedSteps, updates: expect.any(Number), counted: 0 },
    dropped: { ...byReason, total: drops.length },
    writeErrors: expect.any(Number),
    lastError: stats.writeErrors === 0 ? null : expect.any(String),
  } satisfies RecorderStats);
  for (const drop of drops) reach(reached, `${drop.reason} ${drop.part}`);
  for (const drop of writerDrops) reach(reached, `written then ${drop.reason}`);
  await recorder.close({ timeoutMs: 1_000 });
}

/** A workflowId far past the store's bound, and past what a PostgreSQL index entry holds (54000 program_limit_exceeded). */
const TOO_LONG_FOR_AN_INDEX = noisyText(20_000, 3);

forEachBackend((backend) => {
  describe('recorder fuzz', () => {
    it('no exception reaches the workflow from any recorder call, and what is stored is what the calls and the drops told say', async () => {
      const store = await backend.open();
      const reached: Reached = new Map();
      await fc.assert(
        fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 40, size: 'max' }), fc.option(bounds, { freq: 3 }), async (actions, limits) => {
          await runScenario(store, actions, limits ?? {}, reached);
        }),
        { numRuns: 40 },
      );
      // The fuzz reached what it is about: runs stored in every status, and each kind of drop.
      const kinds = ['stored running', 'stored success', 'stored error', 'stored steps', 'invalid run', 'invalid step', 'invalid start', 'misuse step', 'misuse end', 'buffer-full step', 'written then invalid', 'written then execution-missing'];
      expect(Object.fromEntries(kinds.map((kind) => [kind, (reached.get(kind) ?? 0) > 0]))).toEqual(Object.fromEntries(kinds.map((kind) => [kind, true])));
    });

    // A workflowId (or nodeId) longer than an index entry can hold once passed the store's validation, and PostgreSQL
    // refused the batch with 54000 (program_limit_exceeded), which the writer took for a passing fault and tried again
    // for ever: flush() never resolved. The store now bounds keys on every backend (and reads 54000 as VALIDATION), so
    // the run is dropped as 'invalid' and the rest written.
    it('a workflowId too long for an index is dropped as invalid, and the runs beside it are written', async () => {
      const store = await backend.open();
      const drops: RecorderDrop[] = [];
      const recorder = createRecorder(store, { onDrop: (drop) => drops.push(drop) });
      try {
        const long = recorder.startExecution({ workflowId: TOO_LONG_FOR_AN_INDEX, workflowName: 'Long', triggerType: 'webhook' });
        long.succeed();
        const normal = recorder.startExecution({ workflowId: 'wf-normal', workflowName: 'Normal', triggerType: 'webhook' });
        normal.startStep({ nodeId: 'node-a', nodeType: 'code' }).succeed({ ok: true });
        normal.succeed();
        await within(recorder.flush(), 5_000, 'flush()');
        expect((await store.getExecutionWithSteps(normal.id))?.status).toBe('success');
        const stored = await store.getExecutionWithSteps(long.id);
        expect({ status: stored?.status, drops }).toEqual(
          stored === null
            ? { status: undefined, drops: [{ reason: 'invalid', part: 'start', executionId: long.id, workflowId: TOO_LONG_FOR_AN_INDEX }, { reason: 'execution-missing', part: 'end', executionId: long.id, workflowId: TOO_LONG_FOR_AN_INDEX }] }
            : { status: 'success', drops: [] },
        );
      } finally {
        await recorder.close({ timeoutMs: 100 });
      }
    });
  });
});
