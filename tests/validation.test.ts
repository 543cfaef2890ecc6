import { describe, expect, it } from 'vitest';
import { ExecutionStoreError, type ExecutionStore, openExecutionStore } from '../src/index.js';
import { forEachBackend } from './backends.js';
import { T0, newExecution, newRunStep, newStep } from './factories.js';

// Callers may be plain JavaScript: these inputs break the types on purpose.
const loose = (value: Record<string, unknown>) => value as never;

async function expectValidation(call: Promise<unknown>, message: string): Promise<void> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ExecutionStoreError);
  const { code, message: actual } = error as ExecutionStoreError;
  expect({ code, message: actual }).toEqual({ code: 'VALIDATION', message });
}

async function rowCounts(store: ExecutionStore, executionId?: string) {
  return {
    executions: (await store.queryExecutions({ limit: 1000 })).length,
    steps: executionId ? (await store.getStepsForExecution(executionId)).length : 0,
  };
}

forEachBackend((backend) => {
  describe('createExecution validation', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['missing workflowId', { workflowId: undefined }, 'workflowId: Invalid input: expected string, received undefined (got nothing)'],
      ['empty workflowId', { workflowId: '' }, 'workflowId: expected a non-empty string (got "")'],
      ['empty workflowName', { workflowName: '' }, 'workflowName: expected a non-empty string (got "")'],
      // The insights and PostgreSQL's indexes key on it: a longer one would fail there, so it fails here on every backend.
      ['workflowId over 256 characters', { workflowId: 'w'.repeat(257) }, `workflowId: expected at most 256 characters (a key the insights and indexes hold) (got "${'w'.repeat(60)}…")`],
      [
        'unknown status',
        { status: 'done' },
        'status: Invalid option: expected one of "running"|"success"|"error" (got "done")',
      ],
      [
        'unknown trigger type',
        { triggerType: 'cron' },
        'triggerType: Invalid option: expected one of "webhook"|"schedule"|"manual"|"db_change"|"internal_event" (got "cron")',
      ],
      ['negative startedAt', { startedAt: -1 }, 'startedAt: expected a non-negative integer (got -1)'],
      ['fractional startedAt', { startedAt: 1.5 }, 'startedAt: expected an integer (got 1.5)'],
      ['NaN startedAt', { startedAt: Number.NaN }, 'startedAt: expected an integer (got NaN)'],
      ['startedAt as a string', { startedAt: '2026-11-01' }, 'startedAt: expected an integer (got "2026-11-01")'],
      ['infinite completedAt', { completedAt: Number.POSITIVE_INFINITY }, 'completedAt: expected an integer (got Infinity)'],
      ['negative durationMs', { durationMs: -5 }, 'durationMs: expected a non-negative integer (got -5)'],
      [
        'triggerData that is not an object',
        { triggerData: [1, 2] },
        'triggerData: expected a JSON object (a plain object, not an array or a primitive) (got an array of 2)',
      ],
      ['an unknown field', { id: 'chosen-by-caller' }, 'input: Unrecognized key: "id"'],
    ];

    it.each(cases)('rejects %s with a message naming the field, and writes nothing', async (_name, override, problem) => {
      const store = await backend.open();
      await expectValidation(
        store.createExecution(loose({ ...newExecution(), ...override })),
        `createExecution: invalid input: ${problem}`,
      );
      expect(await rowCounts(store)).toEqual({ executions: 0, steps: 0 });
    });

    it('rejects a missing input object', async () => {
      const store = await backend.open();
      await expectValidation(
        store.createExecution(undefined as never),
        'createExecution: invalid input: input: Invalid input: expected object, received undefined (got nothing)',
      );
    });
  });

  describe('addStep and update validation', () => {
    const stepCases: [string, Record<string, unknown>, string][] = [
      ['empty nodeId', { nodeId: '' }, 'nodeId: expected a non-empty string (got "")'],
      ['nodeId over 256 characters', { nodeId: 'n'.repeat(257) }, `nodeId: expected at most 256 characters (a key the insights and indexes hold) (got "${'n'.repeat(60)}…")`],
      ['missing nodeType', { nodeType: undefined }, 'nodeType: Invalid input: expected string, received undefined (got nothing)'],
      ['negative stepIndex', { stepIndex: -1 }, 'stepIndex: expected a non-negative integer (got -1)'],
      ['fractional stepIndex', { stepIndex: 0.5 }, 'stepIndex: expected an integer (got 0.5)'],
      [
        'unknown status',
        { status: 'cancelled' },
        'status: Invalid option: expected one of "running"|"success"|"error"|"skipped" (got "cancelled")',
      ],
      ['outputData as a string', { outputData: 'ok' }, 'outputData: expected a JSON object (a plain object, not an array or a primitive) (got "ok")'],
    ];

    it.each(stepCases)('addStep rejects %s and writes nothing', async (_name, override, problem) => {
      const store = await backend.open();
      const executionId = await store.createExecution(newExecution());
      await expectValidation(
        store.addStep(loose({ ...newStep(executionId), ...override })),
        `addStep: invalid input: ${problem}`,
      );
      expect(await rowCounts(store, executionId)).toEqual({ executions: 1, steps: 0 });
    });

    it('updates reject bad changes and leave the row as it was', async () => {
      const store = await backend.open();
      const executionId = await store.createExecution(newExecution());
      const stepId = await store.addStep(newStep(executionId));

      await expectValidation(
        store.updateExecution(executionId, loose({ status: 'finished' })),
        'updateExecution: invalid input: status: Invalid option: expected one of "running"|"success"|"error" (got "finished")',
      );
      await expectValidation(
        store.updateExecution(executionId, loose({ completedAt: -3, status: 'success' })),
        'updateExecution: invalid input: completedAt: expected a non-negative integer (got -3)',
      );
      await expectValidation(
        store.updateStep(stepId, loose({ durationMs: 1.25 })),
        'updateStep: invalid input: durationMs: expected an integer (got 1.25)',
      );
      await expectValidation(store.updateExecution('', {}), 'updateExecution: invalid input: id: expected a non-empty id (got "")');

      expect(await store.getExecutionWithSteps(executionId)).toEqual({
        ...newExecution(),
        id: executionId,
        instanceId: store.instanceId,
        steps: [{ ...newStep(executionId), id: stepId }],
      });
    });
  });

  describe('query and maintenance argument validation', () => {
    it('rejects bad orderBy, orderDir, limit, offset and unknown options', async () => {
      const store = await backend.open();
      const query = (value: Record<string, unknown>) => store.queryExecutions(loose(value));
      await expectValidation(
        query({ orderBy: 'workflow_name; DROP TABLE workflow_executions' }),
        'queryExecutions: invalid input: orderBy: Invalid option: expected one of "started_at"|"duration_ms" (got "workflow_name; DROP TABLE workflow_executions")',
      );
      await expectValidation(
        query({ orderDir: 'up' }),
        'queryExecutions: invalid input: orderDir: Invalid option: expected one of "asc"|"desc" (got "up")',
      );
      await expectValidation(query({ limit: 0 }), 'queryExecutions: invalid input: limit: expected at least 1 (got 0)');
      await expectValidation(query({ limit: 1001 }), 'queryExecutions: invalid input: limit: expected at most 1000 (got 1001)');
      await expectValidation(query({ offset: -1 }), 'queryExecutions: invalid input: offset: expected a non-negative integer (got -1)');
      await expectValidation(
        query({ startedAfter: 'yesterday' }),
        'queryExecutions: invalid input: startedAfter: expected an integer number of milliseconds (got "yesterday")',
      );
      await expectValidation(query({ workflow: 'wf-a' }), 'queryExecutions: invalid input: query: Unrecognized key: "workflow"');
    });

    it('rejects bad retention arguments', async () => {
      const store = await backend.open();
      await expectValidation(
        store.cleanupOldExecutions(-1),
        'cleanupOldExecutions: invalid input: maxAgeMs: expected a non-negative integer (got -1)',
      );
      await expectValidation(
        store.cleanupByCount(2.5),
        'cleanupByCount: invalid input: maxCount: expected an integer (got 2.5)',
      );
      await expectValidation(store.cleanupByCount(5, ''), 'cleanupByCount: invalid input: workflowId: expected a non-empty id (got "")');
    });

    it('rejects bad options when opening a store', async () => {
      await expectValidation(
        openExecutionStore(await backend.target(), { maxPayloadBytes: 0 }),
        'ExecutionStore: invalid input: maxPayloadBytes: expected a positive number of bytes (got 0)',
      );
      await expectValidation(
        openExecutionStore(await backend.target(), loose({ now: 5 })),
        'ExecutionStore: invalid input: now: expected a function (got 5)',
      );
    });
  });

  it('accepts the largest safe integer timestamp', async () => {
    const store = await backend.open();
    const id = await store.createExecution(newExecution({ startedAt: Number.MAX_SAFE_INTEGER - 1 }));
    expect((await store.getExecution(id))?.startedAt).toBe(Number.MAX_SAFE_INTEGER - 1);
    expect(T0).toBeLessThan(Number.MAX_SAFE_INTEGER);
  });

  describe('payloads whose JSON is not an object at the top level', () => {
    const expected = 'expected a JSON object (a plain object, not an array or a primitive)';
    const notObjects: [string, unknown, string][] = [
      ['a Date', new Date(0), '(got a Date, whose JSON is a string)'],
      ['an invalid Date', new Date(Number.NaN), '(got a Date, whose JSON is null)'],
      ['a boxed number', new Number(7), '(got a Number object, whose JSON is a number)'],
      ['a boxed string', new String('ok'), '(got a String object, whose JSON is a string)'],
      ['a boxed boolean', new Boolean(false), '(got a Boolean object, whose JSON is a boolean)'],
      ['toJSON() returning an array', { toJSON: () => [1, 2] }, '(got an object with a toJSON() method, whose JSON is an array)'],
      ['toJSON() returning a string', { toJSON: () => 'order 42' }, '(got an object with a toJSON() method, whose JSON is a string)'],
      ['toJSON() returning a number', { toJSON: () => 42 }, '(got an object with a toJSON() method, whose JSON is a number)'],
      ['toJSON() returning undefined', { toJSON: () => undefined }, '(got an object with a toJSON() method, whose JSON is undefined)'],
      ['a class instance whose toJSON() returns a string', new (class Money { toJSON() { return '12.50 EUR'; } })(), '(got a Money, whose JSON is a string)'],
    ];

    it.each(notObjects)('rejects %s in every payload field, naming the field, and writes nothing', async (_name, value, got) => {
      const store = await backend.open();
      await expectValidation(
        store.createExecution(loose({ ...newExecution(), triggerData: value })),
        `createExecution: invalid input: triggerData: ${expected} ${got}`,
      );
      await expectValidation(
        store.createExecution(loose({ ...newExecution(), metadata: value })),
        `createExecution: invalid input: metadata: ${expected} ${got}`,
      );
      const executionId = await store.createExecution(newExecution());
      await expectValidation(
        store.addStep(loose({ ...newStep(executionId), inputData: value })),
        `addStep: invalid input: inputData: ${expected} ${got}`,
      );
      await expectValidation(
        store.recordExecution(newExecution(), [loose({ ...newRunStep(), outputData: value })]),
        `recordExecution: invalid input: steps[0].outputData: ${expected} ${got}`,
      );
      await expectValidation(
        store.updateExecution(executionId, loose({ metadata: value })),
        `updateExecution: invalid input: metadata: ${expected} ${got}`,
      );
      expect(await store.getExecutionWithSteps(executionId)).toEqual({ ...newExecution(), id: executionId, instanceId: store.instanceId, steps: [] });
      expect(await rowCounts(store, executionId)).toEqual({ executions: 1, steps: 0 });
    });

    it('stores what toJSON() returns when that is an object, and Maps, Sets and Errors as the objects they serialise to', async () => {
      const store = await backend.open();
      const error = new Error('upstream timed out');
      const id = await store.createExecution(
        newExecution({
          triggerData: { toJSON: () => ({ orderId: 42, at: new Date(0) }) } as never,
          metadata: new Map([['region', 'eu']]) as never,
        }),
      );
      const executionId = await store.createExecution(newExecution());
      await store.addStep(newStep(executionId, { inputData: new Set([1]) as never, outputData: error as never }));

      const execution = await store.getExecution(id);
      expect({ triggerData: execution?.triggerData, metadata: execution?.metadata }).toEqual({
        triggerData: { orderId: 42, at: '1970-01-01T00:00:00.000Z' },
        metadata: {},
      });
      const [step] = await store.getStepsForExecution(executionId);
      expect({ inputData: step?.inputData, outputData: step?.outputData }).toEqual({
        inputData: {},
        outputData: { name: 'Error', message: 'upstream timed out', stack: error.stack },
      });
    });
  });

  describe('text that is not well-formed Unicode', () => {
    const advice = 'call .toWellFormed() on it to replace lone surrogates';

    it('rejects a lone surrogate in a name, with its position and what to do, and writes nothing', async () => {
      const store = await backend.open();
      await expectValidation(
        store.createExecution(newExecution({ workflowName: 'Sync \uD800 orders' })),
        `createExecution: invalid input: workflowName: expected well-formed Unicode text, but found a lone surrogate (U+D800) at index 5; ${advice} (got "Sync \\ud800 orders")`,
      );
      expect(await rowCounts(store)).toEqual({ executions: 0, steps: 0 });
    });

    // The first lone surrogate is the one named: a high one without its low half, a low one alone, a pair reversed.
    const texts: [string, string, string][] = [
      ['a low surrogate at the start', '\uDC00abc', '(U+DC00) at index 0'],
      ['a high surrogate at the end', 'abc\uD83D', '(U+D83D) at index 3'],
      ['a low surrogate after a pair', '🚀\uDE80', '(U+DE80) at index 2'],
      ['a pair in the wrong order', '\uDE80\uD83D', '(U+DE80) at index 0'],
    ];
    const problem = (field: string, text: string, where: string) =>
      `${field}: expected well-formed Unicode text, but found a lone surrogate ${where}; ${advice} (got ${JSON.stringify(text)})`;

    it('rejects U+0000 in every text field, naming its position, and writes nothing; a payload may hold it', async () => {
      const store = await backend.open();
      const nul = 'abc\u0000def';
      const nulProblem = (field: string) =>
        `${field}: expected text without U+0000 (NUL), but found one at index 3; PostgreSQL cannot store it in text, so no backend takes it (got "abc\\u0000def")`;
      for (const field of ['workflowId', 'workflowName', 'errorMessage', 'errorStack'] as const) {
        await expectValidation(store.createExecution(newExecution({ [field]: nul })), `createExecution: invalid input: ${nulProblem(field)}`);
      }
      const executionId = await store.createExecution(newExecution({ triggerData: { body: nul } }));
      for (const field of ['nodeId', 'nodeType', 'nodeName', 'errorMessage'] as const) {
        await expectValidation(store.addStep(newStep(executionId, { [field]: nul })), `addStep: invalid input: ${nulProblem(field)}`);
      }
      await expectValidation(store.findExecutionIds(nul), `findExecutionIds: invalid input: ${nulProblem('prefix')}`);
      expect(await store.getExecutionWithSteps(executionId)).toEqual({
        ...newExecution({ triggerData: { body: nul } }),
        id: executionId,
        instanceId: store.instanceId,
        steps: [],
      });
    });

    it.each(texts)('rejects %s in every text field of executions and steps', async (_name, text, where) => {
      const store = await backend.open();
      for (const field of ['workflowId', 'workflowName', 'errorMessage', 'errorStack'] as const) {
        await expectValidation(
          store.createExecution(newExecution({ [field]: text })),
          `createExecution: invalid input: ${problem(field, text, where)}`,
        );
      }
      const executionId = await store.createExecution(newExecution());
      const stepId = await store.addStep(newStep(executionId));
      for (const field of ['executionId', 'nodeId', 'nodeType', 'nodeName', 'errorMessage'] as const) {
        await expectValidation(store.addStep(newStep(executionId, { [field]: text })), `addStep: invalid input: ${problem(field, text, where)}`);
        await expectValidation(
          store.addSteps([newStep(executionId), newStep(executionId, { [field]: text })]),
          `addSteps: invalid input: ${problem(`steps[1].${field}`, text, where)}`,
        );
      }
      for (const field of ['nodeId', 'nodeType', 'nodeName', 'errorMessage'] as const) {
        await expectValidation(
          store.recordExecution(newExecution(), [newRunStep({ [field]: text })]),
          `recordExecution: invalid input: ${problem(`steps[0].${field}`, text, where)}`,
        );
        await expectValidation(store.updateStep(stepId, { [field]: text }), `updateStep: invalid input: ${problem(field, text, where)}`);
      }
      await expectValidation(
        store.updateExecution(executionId, { errorMessage: text, status: 'error' }),
        `updateExecution: invalid input: ${problem('errorMessage', text, where)}`,
      );
      expect(await store.getExecutionWithSteps(executionId)).toEqual({
        ...newExecution(),
        id: executionId,
        instanceId: store.instanceId,
        steps: [{ ...newStep(executionId), id: stepId }],
      });
    });

    it.each(texts)('rejects %s in ids, id prefixes and workflow filters', async (_name, text, where) => {
      const store = await backend.open();
      const idCalls: [string, (id: string) => Promise<unknown>][] = [
        ['getExecution', (id) => store.getExecution(id)],
        ['getExecutionWithSteps', (id) => store.getExecutionWithSteps(id)],
        ['deleteExecution', (id) => store.deleteExecution(id)],
        ['updateExecution', (id) => store.updateExecution(id, { status: 'success' })],
        ['updateStep', (id) => store.updateStep(id, { status: 'success' })],
      ];
      for (const [what, call] of idCalls) await expectValidation(call(text), `${what}: invalid input: ${problem('id', text, where)}`);
      await expectValidation(store.getStepsForExecution(text), `getStepsForExecution: invalid input: ${problem('executionId', text, where)}`);
      await expectValidation(store.findExecutionIds(text), `findExecutionIds: invalid input: ${problem('prefix', text, where)}`);
      await expectValidation(store.getExecutionStats(text), `getExecutionStats: invalid input: ${problem('workflowId', text, where)}`);
      await expectValidation(store.cleanupByCount(5, text), `cleanupByCount: invalid input: ${problem('workflowId', text, where)}`);

      const range = { startedAfter: T0 - 86_400_000, startedBefore: T0 };
      const filterCalls: [string, () => Promise<unknown>][] = [
        ['queryExecutions', () => store.queryExecutions({ workflowId: text })],
        ['queryExecutionsPage', () => store.queryExecutionsPage({ workflowId: text })],
        ['getExecutionStats', () => store.getExecutionStats({ workflowId: text })],
        ['getNodeStats', () => store.getNodeStats({ workflowId: text })],
        ['getErrorGroups', () => store.getErrorGroups({ workflowId: text })],
        ['getTimeline', () => store.getTimeline({ ...range, bucket: 'hour', workflowId: text })],
        ['cleanupOldExecutions', () => store.cleanupOldExecutions(0, { workflowId: text })],
      ];
      for (const [what, call] of filterCalls) await expectValidation(call(), `${what}: invalid input: ${problem('workflowId', text, where)}`);
    });

    it('accepts characters outside the Basic Multilingual Plane (surrogate pairs) and stores them exactly', async () => {
      const store = await backend.open();
      const texts = { workflowName: 'Sync 🚀 orders 𝄞', errorMessage: 'Zeitüberschreitung 😴', errorStack: 'at 🧪 (file.js:1:1)' };
      const id = await store.createExecution(newExecution({ ...texts, status: 'error' }));
      await store.addStep(newStep(id, { nodeName: 'Fetch 📦', nodeId: 'node-🔑', errorMessage: '💥' }));
      const stored = await store.getExecutionWithSteps(id);
      expect(stored).toEqual({
        ...newExecution({ ...texts, status: 'error' }),
        id,
        instanceId: store.instanceId,
        steps: [{ ...newStep(id, { nodeName: 'Fetch 📦', nodeId: 'node-🔑', errorMessage: '💥' }), id: stored?.steps[0]?.id }],
      });
      expect(await store.findExecutionIds(id.slice(0, 8))).toEqual([id]);
    });
  });

  describe('input that throws when it is read', () => {
    /** A copy of `object` whose `key` is a getter that throws `error`. */
    function throwingOn<T extends object>(object: T, key: string, error: unknown): T {
      const copy = { ...object };
      Object.defineProperty(copy, key, {
        enumerable: true,
        get() {
          throw error;
        },
      });
      return copy;
    }

    it('createExecution: names the field whose getter threw, and writes nothing', async () => {
      const store = await backend.open();
      await expectValidation(
        store.createExecution(throwingOn(newExecution(), 'workflowName', new Error('name not loaded yet'))),
        'createExecution: invalid input: input.workflowName: reading it threw Error: name not loaded yet; expected plain data',
      );
      await expectValidation(
        store.createExecution(throwingOn(newExecution(), 'status', 'status unknown')),
        'createExecution: invalid input: input.status: reading it threw "status unknown"; expected plain data',
      );
      expect(await store.queryExecutions()).toEqual([]);
    });

    it('createExecution: names the argument when the input is a revoked Proxy, or one whose keys cannot be listed', async () => {
      const store = await backend.open();
      const { proxy: revoked, revoke } = Proxy.revocable(newExecution(), {});
      revoke();
      await expectValidation(
        store.createExecution(revoked),
        "createExecution: invalid input: input: reading it threw TypeError: Cannot perform 'IsArray' on a proxy that has been revoked; expected plain data",
      );
      const secretive = new Proxy(newExecution(), {
        ownKeys() {
          throw new Error('keys are not for listing');
        },
      });
      await expectValidation(
        store.createExecution(secretive),
        'createExecution: invalid input: input: reading it threw Error: keys are not for listing; expected plain data',
      );
      const { proxy: revokedName, revoke: revokeName } = Proxy.revocable({}, {});
      revokeName();
      await expectValidation(
        store.createExecution(loose({ ...newExecution(), workflowName: revokedName })),
        "createExecution: invalid input: input.workflowName: reading it threw TypeError: Cannot perform 'IsArray' on a proxy that has been revoked; expected plain data",
      );
      expect(await store.queryExecutions()).toEqual([]);
    });

    it('addSteps: names the item and field whose getter threw, and writes none of the steps', async () => {
      const store = await backend.open();
      const executionId = await store.createExecution(newExecution());
      await expectValidation(
        store.addSteps([
          newStep(executionId),
          newStep(executionId, { stepIndex: 1 }),
          newStep(executionId, { stepIndex: 2 }),
          throwingOn(newStep(executionId, { stepIndex: 3 }), 'nodeId', new RangeError('node index out of range')),
        ]),
        'addSteps: invalid input: steps[3].nodeId: reading it threw RangeError: node index out of range; expected plain data',
      );
      expect(await rowCounts(store, executionId)).toEqual({ executions: 1, steps: 0 });
    });

    it("recordExecution: names the step field whose getter threw, and writes neither the execution nor its steps", async () => {
      const store = await backend.open();
      await expectValidation(
        store.recordExecution(newExecution(), [newRunStep(), throwingOn(newRunStep({ stepIndex: 1 }), 'status', new TypeError('status is not ready'))]),
        'recordExecution: invalid input: steps[1].status: reading it threw TypeError: status is not ready; expected plain data',
      );
      await expectValidation(
        store.recordExecution(throwingOn(newExecution(), 'startedAt', new Error('clock unavailable')), [newRunStep()]),
        'recordExecution: invalid input: execution.startedAt: reading it threw Error: clock unavailable; expected plain data',
      );
      expect(await store.queryExecutions()).toEqual([]);
    });

    it('updateStep: names the changed field whose getter threw, and leaves the step as it was', async () => {
      const store = await backend.open();
      const executionId = await store.createExecution(newExecution());
      const stepId = await store.addStep(newStep(executionId));
      await expectValidation(
        store.updateStep(stepId, throwingOn({ status: 'success' as const, completedAt: T0 + 5 }, 'completedAt', new Error('clock stopped'))),
        'updateStep: invalid input: changes.completedAt: reading it threw Error: clock stopped; expected plain data',
      );
      expect(await store.getStepsForExecution(executionId)).toEqual([{ ...newStep(executionId), id: stepId }]);
    });

    it('queryExecutions: names the field a Proxy trap threw on', async () => {
      const store = await backend.open();
      await store.createExecution(newExecution());
      const query = new Proxy(
        { status: 'error' },
        {
          get(target, key) {
            if (key === 'status') throw new Error('status filter unavailable');
            return Reflect.get(target, key);
          },
        },
      );
      await expectValidation(
        store.queryExecutions(loose(query)),
        'queryExecutions: invalid input: query.status: reading it threw Error: status filter unavailable; expected plain data',
      );
    });

    it('openExecutionStore: names the option whose getter threw', async () => {
      await expectValidation(
        openExecutionStore(await backend.target(), throwingOn({ maxPayloadBytes: 1024 }, 'maxPayloadBytes', new Error('config not loaded'))),
        'ExecutionStore: invalid input: options.maxPayloadBytes: reading it threw Error: config not loaded; expected plain data',
      );
      await expectValidation(
        openExecutionStore(await backend.target(), { insights: throwingOn({ hourlyDays: 10 }, 'hourlyDays', new Error('not configured')) }),
        'ExecutionStore: invalid input: options.insights.hourlyDays: reading it threw Error: not configured; expected plain data',
      );
    });

    it('cleanupOldExecutions: names the option whose getter threw, and deletes nothing', async () => {
      const store = await backend.open({ now: () => T0 + 365 * 86_400_000 });
      const id = await store.createExecution(newExecution({ status: 'success', completedAt: T0 + 10 }));
      await expectValidation(
        store.cleanupOldExecutions(0, throwingOn({ workflowId: 'wf-orders' }, 'workflowId', new Error('workflow not chosen'))),
        'cleanupOldExecutions: invalid input: options.workflowId: reading it threw Error: workflow not chosen; expected plain data',
      );
      expect((await store.queryExecutions()).map((execution) => execution.id)).toEqual([id]);
    });
  });

  describe('changes with a field set to undefined', () => {
    it('leave that field as it was, as if it were missing, rather than clearing it or failing in SQLite', async () => {
      const store = await backend.open();
      const executionId = await store.createExecution(newExecution({ status: 'error', errorMessage: 'upstream timed out' }));
      const stepId = await store.addStep(newStep(executionId));

      await store.updateExecution(executionId, { errorMessage: undefined, completedAt: T0 + 50 });
      await store.updateStep(stepId, { status: undefined, nodeName: undefined, completedAt: T0 + 20 });

      expect(await store.getExecutionWithSteps(executionId)).toEqual({
        ...newExecution({ status: 'error', errorMessage: 'upstream timed out' }),
        id: executionId,
        instanceId: store.instanceId,
        completedAt: T0 + 50,
        durationMs: 50,
        steps: [{ ...newStep(executionId), id: stepId, completedAt: T0 + 20, durationMs: 20 }],
      });
    });
  });

  describe("the caller's own functions", () => {
    it('a clock that throws or answers no time gives VALIDATION naming options.now, never a database failure or a NaN cut-off', async () => {
      let reading: () => number = () => {
        throw new Error('clock not synchronised');
      };
      const store = await backend.open({ now: () => reading() });
      const id = await store.createExecution(newExecution({ status: 'success', completedAt: T0 + 10 }));
      await expect(store.cleanupOldExecutions(0)).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'ExecutionStore: options.now() threw Error: clock not synchronised; expected a function returning the time in ms since the epoch',
      });
      reading = () => Number.NaN;
      // (Recovery reads no clock of the caller's: an instance's lease is judged on the database's clock.)
      for (const call of [() => store.cleanupByCount(0), () => store.compactInsights()]) {
        await expect(call()).rejects.toMatchObject({
          code: 'VALIDATION',
          message: 'ExecutionStore: options.now() returned NaN; expected the time in ms since the epoch, a non-negative number',
        });
      }
      expect((await store.queryExecutions()).map((execution) => execution.id)).toEqual([id]);
    });

    it("an onProgress that throws stops the clean-up after the batch it reported, and its error reaches the caller as it was thrown", async () => {
      // The cut within the runs' day: on PostgreSQL a day wholly before it would go whole (one report of 300).
      const store = await backend.open({ now: () => T0 + 1_000 });
      for (let i = 0; i < 300; i++) await store.createExecution(newExecution({ startedAt: T0 + i, status: 'success', completedAt: T0 + i + 1 }));
      const stop = new Error('progress bar closed');
      const reported: number[] = [];
      const failure = await store
        .cleanupOldExecutions(0, {
          onProgress: ({ deleted }) => {
            reported.push(deleted);
            throw stop;
          },
        })
        .catch((error: unknown) => error);
      expect(failure).toBe(stop);
      expect(reported).toEqual([200]); // the first batch, committed
      expect((await store.getExecutionStats()).total).toBe(100);
      const rebuildStop = new Error('cancelled');
      await expect(store.rebuildInsights({ onProgress: () => { throw rebuildStop; } })).rejects.toBe(rebuildStop);
    });
  });
});
