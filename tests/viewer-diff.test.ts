// The compare route's structural diff (src/viewer/compare/structural-diff.ts) on its own: every kind of difference at
// its JSON Pointer, the bound on how many are listed, and large values shown as summaries. (The route on stored runs
// is tested in viewer-api.test.ts on both backends.)
import { describe, expect, it } from 'vitest';
import { diffValues, MAX_DIFFERENCES } from '../src/viewer/compare/structural-diff.js';
import { alignSteps } from '../src/viewer/compare/step-alignment.js';
import { newStep } from './factories.js';

describe('diffValues', () => {
  it('lists keys removed, changed (type changes too) and added, nested and in arrays, at JSON Pointers', () => {
    const before = { a: 1, 'x/y': { k: 'v' }, list: [1, 2, 3], gone: null, type: '1', same: { deep: [{ n: 1 }] }, 'til~de': 1 };
    const after = { a: 2, 'x/y': { k: 'v', k2: true }, list: [1, 5], type: 1, same: { deep: [{ n: 1 }] }, added: [1], 'til~de': 2 };
    expect(diffValues(before, after)).toEqual({
      equal: false,
      truncated: false,
      differences: [
        { path: '/a', kind: 'changed', before: { value: 1 }, after: { value: 2 } },
        { path: '/x~1y/k2', kind: 'added', after: { value: true } },
        { path: '/list/1', kind: 'changed', before: { value: 2 }, after: { value: 5 } },
        { path: '/list/2', kind: 'removed', before: { value: 3 } },
        { path: '/gone', kind: 'removed', before: { value: null } },
        { path: '/type', kind: 'changed', before: { value: '1' }, after: { value: 1 } },
        { path: '/til~0de', kind: 'changed', before: { value: 1 }, after: { value: 2 } },
        { path: '/added', kind: 'added', after: { value: [1] } },
      ],
    });
    expect(diffValues({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual({ equal: true, differences: [], truncated: false });
    expect(diffValues(undefined, undefined)).toEqual({ equal: true, differences: [], truncated: false });
    expect(diffValues(undefined, { a: 1 })).toEqual({ equal: false, truncated: false, differences: [{ path: '', kind: 'added', after: { value: { a: 1 } } }] });
  });

  it('stops at 200 differences and says there are more; large values come as summaries', () => {
    const before = { rows: Array.from({ length: 10_000 }, (_, i) => ({ i })) };
    const after = { rows: Array.from({ length: 10_000 }, (_, i) => ({ i: i + 1 })) };
    const diff = diffValues(before, after);
    expect(diff.differences).toHaveLength(MAX_DIFFERENCES);
    expect(diff.truncated).toBe(true);
    expect(diff.differences[199]).toEqual({ path: '/rows/199/i', kind: 'changed', before: { value: 199 }, after: { value: 200 } });
    expect(diffValues(before, after, 10_000).differences).toHaveLength(10_000);
    const exactly = diffValues({ a: 1, b: 1 }, { a: 2, b: 2 }, 2);
    expect(exactly.truncated).toBe(false);
    const big = 'z'.repeat(5000);
    expect(diffValues({ text: 'short' }, { text: big }).differences).toEqual([
      { path: '/text', kind: 'changed', before: { value: 'short' }, after: { summary: { type: 'string', bytes: 5002, length: 5000 } } },
    ]);
  });
});

describe('alignSteps', () => {
  it('lines steps up by node and occurrence, then lists what only the baseline ran', () => {
    const step = (nodeId: string, stepIndex: number) => ({ ...newStep('e', { nodeId, stepIndex }), id: `${nodeId}-${stepIndex}` });
    const run = [step('a', 0), step('loop', 1), step('loop', 2), step('new', 3)];
    const baseline = [step('a', 0), step('loop', 1), step('old', 2), step('loop', 3), step('loop', 4)];
    expect(alignSteps(run, baseline).map(({ nodeId, occurrence, run: r, baseline: b }) => [nodeId, occurrence, r?.id ?? null, b?.id ?? null])).toEqual([
      ['a', 0, 'a-0', 'a-0'],
      ['loop', 0, 'loop-1', 'loop-1'],
      ['loop', 1, 'loop-2', 'loop-3'],
      ['new', 0, 'new-3', null],
      ['old', 0, null, 'old-2'],
      ['loop', 2, null, 'loop-4'],
    ]);
  });
});
