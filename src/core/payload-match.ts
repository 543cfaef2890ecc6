// What searchExecutions looks for in a payload, said twice: as needles, text that a stored payload's JSON must contain
// for it to match (the cheap, necessary test each backend's SQL applies with instr()/strpos(), so that only candidates
// leave the database), and as the exact test, run here on the candidates, the same for every backend. Payload columns
// hold what the store's encoder wrote (JSON.stringify's text: no spaces, keys and strings escaped one way), which is
// what makes the needles necessary: a value the exact test accepts always contains them.
import { decodePayload } from './payload.js';
import type { ExecutionSearch } from './types.js';

type Scalar = string | number | boolean | null;

/** What a payload's stored text is tested for in SQL; each needle is compared as it is (text needles: ASCII lower-cased). */
export type Prefilter =
  /** The key's JSON form (`"orderId":`), and one of the value's forms (`1002`): both contained. */
  | { kind: 'key'; key: string; values: string[] }
  /** One of these contained in the text with its ASCII letters lower-cased. */
  | { kind: 'text'; texts: string[] };

export interface PayloadMatcher {
  prefilter: Prefilter;
  /** The exact test of a candidate's stored text. */
  matches(stored: string): boolean;
}

/** The matcher of a search: by key and value, or by text. */
export function payloadMatcher(search: Pick<ExecutionSearch, 'key' | 'equals' | 'text'>): PayloadMatcher {
  if (search.text !== undefined) return textMatcher(search.text);
  return keyMatcher(search.key as string, search.equals as Scalar);
}

// --- by key and value ---

function keyMatcher(key: string, equals: Scalar): PayloadMatcher {
  const accepts = acceptedValues(equals);
  return {
    prefilter: { kind: 'key', key: `${JSON.stringify(key)}:`, values: withoutContaining(accepts.map((value) => JSON.stringify(value))) },
    matches: (stored) => holdsKey(decodePayload(stored), key, (value) => accepts.some((accepted) => sameValue(accepted, value))),
  };
}

/**
 * The stored values that `equals` matches, loosely: a number, the number or the string of its digits (String(n));
 * a string, the same string or the number, boolean or null it spells in JSON syntax; a boolean or null, itself or
 * its spelling.
 */
function acceptedValues(equals: Scalar): Scalar[] {
  if (typeof equals === 'string') {
    const spelled = spelledValue(equals);
    return spelled === undefined ? [equals] : [equals, spelled];
  }
  return [equals, String(equals)];
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The number, boolean or null a string spells in JSON syntax (without surrounding spaces), or undefined. */
function spelledValue(text: string): Scalar | undefined {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (!JSON_NUMBER.test(text)) return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? number : undefined;
}

/** JSON values are equal here when they are the same type and value (0 and -0 are one number, as in JSON). */
const sameValue = (a: Scalar, b: unknown) => a === b;

/** The needles with those that contain another left out: one found inside another says the same, more cheaply. */
function withoutContaining(needles: string[]): string[] {
  const unique = [...new Set(needles)];
  return unique.filter((needle) => !unique.some((other) => other !== needle && needle.includes(other)));
}

/** Whether `key`, at any depth of `payload` (objects inside objects and arrays), holds a value `accepts` takes. */
function holdsKey(payload: unknown, key: string, accepts: (value: unknown) => boolean): boolean {
  // A stack, not recursion: a hand-written payload may nest deeper than the store's encoder writes.
  const stack: unknown[] = [payload];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'object' && item !== null) stack.push(item);
      continue;
    }
    for (const [name, item] of Object.entries(value)) {
      if (name === key && (typeof item !== 'object' || item === null) && accepts(item)) return true;
      if (typeof item === 'object' && item !== null) stack.push(item);
    }
  }
  return false;
}

// --- by text ---

/** ASCII letters lower-cased, nothing else: what SQLite's lower() does, and translate() over A–Z on PostgreSQL. */
export const asciiLower = (text: string) => text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());

/** Characters JSON always writes as escapes: control characters and lone surrogates never appear in stored JSON as they are. */
const ESCAPED_ALWAYS = /[\u0000-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function textMatcher(text: string): PayloadMatcher {
  // The text as typed, and as a JSON string holds it (a quote inside a value is stored as \"), when that differs.
  const forms = [JSON.stringify(text).slice(1, -1)];
  if (!ESCAPED_ALWAYS.test(text)) forms.unshift(text);
  const texts = withoutContaining(forms.map(asciiLower));
  return {
    prefilter: { kind: 'text', texts },
    matches: (stored) => {
      const folded = asciiLower(stored);
      return texts.some((needle) => folded.includes(needle));
    },
  };
}
