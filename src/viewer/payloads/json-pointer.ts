// A place inside a payload, as a JSON Pointer (RFC 6901: "/rows/12/name", "~1" for "/" and "~0" for "~" in a key),
// so that keys holding dots or slashes can be named. "" is the payload itself.
import { badParameter, notFound } from '../http/api-error.js';

export function parsePointer(pointer: string, parameter: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/') || /~[^01]|~$/.test(pointer)) {
    throw badParameter(parameter, 'a JSON Pointer such as /rows or /rows/12/items ("~1" for "/" and "~0" for "~" in a key)', pointer);
  }
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

export function formatPointer(tokens: readonly (string | number)[]): string {
  return tokens.map((token) => `/${String(token).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** The value at `tokens` inside `root`; 404 naming the first step that leads nowhere. */
export function resolvePointer(root: unknown, tokens: readonly string[]): unknown {
  let value = root;
  for (const [depth, token] of tokens.entries()) {
    const here = formatPointer(tokens.slice(0, depth));
    if (Array.isArray(value)) {
      const index = /^(0|[1-9]\d*)$/.test(token) ? Number(token) : Number.NaN;
      if (!(index < value.length)) throw notFound(`no item ${JSON.stringify(token)} in the array at "${here}", which has ${value.length} items`, { path: formatPointer(tokens) });
      value = value[index];
    } else if (value !== null && typeof value === 'object' && Object.hasOwn(value, token)) {
      value = (value as Record<string, unknown>)[token];
    } else {
      const what = value !== null && typeof value === 'object' ? 'no such key' : `it holds ${typeOf(value)}`;
      throw notFound(`nothing at "${formatPointer(tokens.slice(0, depth + 1))}": ${what} at "${here}"`, { path: formatPointer(tokens) });
    }
  }
  return value;
}

export type JsonType = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

export function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as JsonType;
}
