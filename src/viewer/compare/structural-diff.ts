// What changed between two payloads, key by key and item by item, as a list of differences at JSON Pointers: keys
// added or removed, values changed (a change of type included). Bounded: it stops at `max` differences and says so,
// and a value shown in a difference is summarised when large, so that two 10,000-item outputs cannot make an answer
// of megabytes. Arrays are compared position by position; key order is not a difference.
import { formatPointer } from '../payloads/json-pointer.js';
import { jsonBytes } from '../payloads/payload-facts.js';
import { summarise, type ValueSummary } from '../payloads/payload-view.js';

export const MAX_DIFFERENCES = 200;
/** A value larger than this (as JSON) is shown in a difference as its ValueSummary. */
export const SHOWN_VALUE_BYTES = 1024;

export type Shown = { value: unknown } | { summary: ValueSummary };

export interface Difference {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: Shown;
  after?: Shown;
}

export interface Diff {
  equal: boolean;
  differences: Difference[];
  /** More differences were found than are listed. */
  truncated: boolean;
}

/** `undefined` stands for a payload that is absent (a step without output). */
export function diffValues(before: unknown, after: unknown, max = MAX_DIFFERENCES): Diff {
  const differences: Difference[] = [];
  let truncated = false;
  const add = (difference: Difference) => {
    if (differences.length < max) differences.push(difference);
    else truncated = true;
  };
  const walk = (a: unknown, b: unknown, path: (string | number)[]): void => {
    if (truncated) return;
    if (a === b) return;
    if (isObject(a) && isObject(b)) {
      for (const key of Object.keys(a)) {
        if (!Object.hasOwn(b, key)) add({ path: formatPointer([...path, key]), kind: 'removed', before: shown(a[key]) });
        else walk(a[key], b[key], [...path, key]);
        if (truncated) return;
      }
      for (const key of Object.keys(b)) if (!Object.hasOwn(a, key)) add({ path: formatPointer([...path, key]), kind: 'added', after: shown(b[key]) });
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const common = Math.min(a.length, b.length);
      for (let index = 0; index < common && !truncated; index++) walk(a[index], b[index], [...path, index]);
      for (let index = common; index < a.length && !truncated; index++) add({ path: formatPointer([...path, index]), kind: 'removed', before: shown(a[index]) });
      for (let index = common; index < b.length && !truncated; index++) add({ path: formatPointer([...path, index]), kind: 'added', after: shown(b[index]) });
      return;
    }
    if (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b)) return;
    const pointer = formatPointer(path);
    if (a === undefined) add({ path: pointer, kind: 'added', after: shown(b) });
    else if (b === undefined) add({ path: pointer, kind: 'removed', before: shown(a) });
    else add({ path: pointer, kind: 'changed', before: shown(a), after: shown(b) });
  };
  walk(before, after, []);
  return { equal: differences.length === 0, differences, truncated };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function shown(value: unknown): Shown {
  const bytes = jsonBytes(value);
  return bytes <= SHOWN_VALUE_BYTES ? { value } : { summary: summarise(value, bytes) };
}
