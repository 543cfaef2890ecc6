import { describe, expect, it } from 'vitest';
import { ExecutionStoreError, type ExecutionStore, openExecutionStore } from '../src/index.js';
import { T0, memoryStore, newExecution, newStep } from './factories.js';

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

describe('createExecution validation', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['missing workflowId', { workflowId: undefined }, 'workflowId: Invalid input: expected string, received undefined (got nothing)'],
    ['empty workflowId', { workflowId: '' }, 'workflowId: expected a non-empty string (got "")'],
    ['empty workflowName', { workflowName: '' }, 'workflowName: expected a non-empty string (got "")'],
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
    const store = await memoryStore();
    await expectValidation(
      store.createExecution(loose({ ...newExecution(), ...override })),
      `createExecution: invalid input: ${problem}`,
    );
    expect(await rowCounts(store)).toEqual({ executions: 0, steps: 0 });
  });

  it('rejects a missing input object', async () => {
    const store = await memoryStore();
    await expectValidation(
      store.createExecution(undefined as never),
      'createExecution: invalid input: input: Invalid input: expected object, received undefined (got nothing)',
    );
  });
});

describe('addStep and update validation', () => {
  const stepCases: [string, Record<string, unknown>, string][] = [
    ['empty nodeId', { nodeId: '' }, 'nodeId: expected a non-empty string (got "")'],
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
    const store = await memoryStore();
    const executionId = await store.createExecution(newExecution());
    await expectValidation(
      store.addStep(loose({ ...newStep(executionId), ...override })),
      `addStep: invalid input: ${problem}`,
    );
    expect(await rowCounts(store, executionId)).toEqual({ executions: 1, steps: 0 });
  });

  it('updates reject bad changes and leave the row as it was', async () => {
    const store = await memoryStore();
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
      steps: [{ ...newStep(executionId), id: stepId }],
    });
  });
});

describe('query and maintenance argument validation', () => {
  it('rejects bad orderBy, orderDir, limit, offset and unknown options', async () => {
    const store = await memoryStore();
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
    const store = await memoryStore();
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
      openExecutionStore(':memory:', { maxPayloadBytes: 0 }),
      'ExecutionStore: invalid input: maxPayloadBytes: expected a positive number of bytes (got 0)',
    );
    await expectValidation(
      openExecutionStore(':memory:', loose({ now: 5 })),
      'ExecutionStore: invalid input: now: expected a function (got 5)',
    );
  });
});

it('accepts the largest safe integer timestamp', async () => {
  const store = await memoryStore();
  const id = await store.createExecution(newExecution({ startedAt: Number.MAX_SAFE_INTEGER - 1 }));
  expect((await store.getExecution(id))?.startedAt).toBe(Number.MAX_SAFE_INTEGER - 1);
  expect(T0).toBeLessThan(Number.MAX_SAFE_INTEGER);
});
