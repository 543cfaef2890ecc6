// The batch rows the recorder writes skip zod when they are surely valid. "Surely" must hold: every row accepted
// without zod is one zod accepts, with the same output; and the recorder's own rows must be accepted (else the
// shortcut does nothing). Rows are generated field by field from valid values and values each rule refuses.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EncodedPayload } from '../src/core/payload.js';
import { acceptBatchExecution, acceptBatchStep } from '../src/core/surely-valid-rows.js';
import { newExecutionId, newStepId } from '../src/core/time-ordered-id.js';
import { batchExecutionSchema, batchStepSchema } from '../src/core/validation.js';

const startedAt = 1_760_000_000_000;
const executionId = newExecutionId(startedAt);
const otherExecutionId = newExecutionId(startedAt + 1);

/** An execution id's time with another uuid version: what the step's id check must not take for one. */
const notV7 = `${executionId.slice(0, 14)}4${executionId.slice(15)}`;
const HOSTILE: unknown[] = [
  undefined, null, '', 'x'.repeat(257), 'bad\u0000text', 'lone \ud800 surrogate', -1, 1.5, Number.NaN, 2 ** 31, 2 ** 53, '7', 7n, true,
  {}, [], { toJSON: () => ({}) }, new Date(0), new EncodedPayload('{}'), 'bogus', Symbol('s'), notV7, newStepId(otherExecutionId),
];
const hostile = fc.constantFrom(...HOSTILE);
const text = fc.constantFrom('node-http', 'Fetch order', 'a', 'é'.repeat(256), 'x'.repeat(256));
const time = fc.constantFrom(startedAt, startedAt + 5, 0);
const payload = fc.constantFrom<unknown>(new EncodedPayload('{"a":1}'), new EncodedPayload('{"b":2}', false), undefined, null, { plain: true });
const MISSING = Symbol('missing');

/** Valid rows, then up to two fields replaced by a hostile value, removed, or one field added. */
function mutated(valid: fc.Arbitrary<Record<string, unknown>>, fields: readonly string[]) {
  const change = fc.tuple(fc.constantFrom(...fields, 'extra'), fc.oneof(hostile, fc.constant(MISSING)));
  return fc.tuple(valid, fc.array(change, { maxLength: 2 })).map(([row, changes]) => {
    const copy: Record<string, unknown> = { ...row };
    for (const [field, value] of changes) {
      if (value === MISSING) delete copy[field];
      else copy[field] = value;
    }
    return copy;
  });
}

const stepFields = ['id', 'executionId', 'nodeId', 'nodeType', 'nodeName', 'stepIndex', 'startedAt', 'completedAt', 'durationMs', 'status', 'inputData', 'outputData', 'errorMessage'] as const;
const stepRow = mutated(
  fc.record(
    {
      id: fc.constantFrom(newStepId(executionId), newStepId(otherExecutionId)),
      executionId: fc.constantFrom(executionId, executionId, otherExecutionId, 'not-a-uuid', notV7),
      nodeId: text,
      nodeType: text,
      nodeName: fc.option(text, { nil: undefined }),
      stepIndex: fc.constantFrom(0, 3, 2_147_483_647),
      startedAt: time,
      completedAt: fc.option(time),
      durationMs: fc.option(fc.constantFrom(0, 12)),
      status: fc.constantFrom('running', 'success', 'error', 'skipped'),
      inputData: payload,
      outputData: payload,
      errorMessage: fc.option(text),
    },
    { requiredKeys: ['id', 'executionId', 'nodeId', 'nodeType', 'stepIndex', 'startedAt', 'status'] },
  ),
  stepFields,
);

const executionFields = ['id', 'workflowId', 'workflowName', 'triggerType', 'triggerData', 'status', 'startedAt', 'completedAt', 'durationMs', 'errorMessage', 'errorStack', 'metadata'] as const;
const executionRow = mutated(
  fc.record(
    {
      id: fc.constantFrom(executionId, otherExecutionId),
      workflowId: text,
      workflowName: text,
      triggerType: fc.constantFrom('webhook', 'schedule', 'manual', 'db_change', 'internal_event'),
      triggerData: payload,
      status: fc.constantFrom('running', 'success', 'error'),
      startedAt: fc.constantFrom(startedAt, startedAt + 1),
      completedAt: fc.option(time),
      durationMs: fc.option(fc.constantFrom(0, 12)),
      errorMessage: fc.option(text),
      errorStack: fc.option(text),
      metadata: payload,
    },
    { requiredKeys: ['id', 'workflowId', 'workflowName', 'triggerType', 'status', 'startedAt'] },
  ),
  executionFields,
);

describe('rows accepted without zod', () => {
  for (const [what, rows, accept, schema] of [
    ['steps', stepRow, acceptBatchStep, batchStepSchema],
    ['executions', executionRow, acceptBatchExecution, batchExecutionSchema],
  ] as const) {
    it(`${what}: every one accepted is accepted by zod, with the same output`, () => {
      let accepted = 0;
      let valid = 0;
      fc.assert(
        fc.property(rows, (row) => {
          const surely = (accept as (row: unknown) => unknown)(row);
          const parsed = schema.safeParse(row);
          if (parsed.success) valid += 1;
          if (surely === undefined) return;
          accepted += 1;
          expect(parsed.success).toBe(true);
          expect(surely).toEqual(parsed.data);
          expect(surely).not.toBe(row);
        }),
        { numRuns: 5_000 },
      );
      // Most of what zod accepts here is accepted without it (the rest holds a payload that is not encoded).
      expect(accepted).toBeGreaterThan(valid / 3);
    });
  }

  it('every field of a valid row, replaced by each value its rule refuses or by nothing, is not accepted unless zod accepts it', () => {
    const step = { id: newStepId(executionId), executionId, nodeId: 'n', nodeType: 't', nodeName: 'N', stepIndex: 0, startedAt, completedAt: startedAt, durationMs: 0, status: 'success', inputData: new EncodedPayload('{}'), outputData: null, errorMessage: 'e' };
    const execution = { id: executionId, workflowId: 'w', workflowName: 'W', triggerType: 'manual', triggerData: new EncodedPayload('{}'), status: 'error', startedAt, completedAt: startedAt, durationMs: 0, errorMessage: 'e', errorStack: 's', metadata: null };
    let refused = 0;
    for (const [row, accept, schema] of [
      [step, acceptBatchStep, batchStepSchema],
      [execution, acceptBatchExecution, batchExecutionSchema],
    ] as const) {
      expect((accept as (row: unknown) => unknown)(row)).toEqual(row);
      for (const field of [...Object.keys(row), 'extra']) {
        for (const value of [...HOSTILE, MISSING]) {
          const changed: Record<string, unknown> = { ...row, [field]: value };
          if (value === MISSING) delete changed[field];
          const parsed = schema.safeParse(changed);
          const surely = (accept as (row: unknown) => unknown)(changed);
          if (surely === undefined) refused += 1;
          else expect({ field, value, accepted: parsed.success, data: parsed.data }).toEqual({ field, value, accepted: true, data: surely });
        }
      }
    }
    expect(refused).toBeGreaterThan(400);
  });

  it('leaves a Proxy, a class instance and a row with a getter answering twice to zod, or reads it once', () => {
    const row = { id: newStepId(executionId), executionId, nodeId: 'n', nodeType: 't', stepIndex: 0, startedAt, status: 'success' };
    expect(acceptBatchStep(row)).toEqual(row);
    expect(acceptBatchStep(new Proxy(row, {}))).toBeUndefined();
    expect(acceptBatchStep(Object.assign(Object.create({ inherited: 1 }), row))).toBeUndefined();
    let reads = 0;
    const changing = { ...row, get nodeId() { reads += 1; return reads === 1 ? 'n' : ''; } };
    expect(acceptBatchStep(changing)).toEqual(row);
    expect(reads).toBe(1);
  });
});
