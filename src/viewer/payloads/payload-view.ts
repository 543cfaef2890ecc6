// A payload as the API sends it. A page that renders a half-megabyte output whole freezes, so a payload over
// WHOLE_LIMIT_BYTES comes as a summary (its size and top-level keys, each with its type and size) unless asked for
// whole, and any array or object inside it can be read a slice at a time (100 of a 10,000-item array).
import type { JsonObject } from '../../core/types.js';
import { badParameter } from '../http/api-error.js';
import { formatPointer, type JsonType, parsePointer, resolvePointer, typeOf } from './json-pointer.js';
import { jsonBytes, type PayloadFacts, payloadFacts } from './payload-facts.js';

/** Payloads (and slice items) larger than this are summarised unless `full` asks for them. */
export const WHOLE_LIMIT_BYTES = 100 * 1024;
export const DEFAULT_SLICE = 100;
export const MAX_SLICE = 1000;
/** A summary lists at most this many keys; keyCount says how many there are. */
const SUMMARY_KEYS = 1000;

/** What a value is, without it. */
export interface ValueSummary {
  type: JsonType;
  bytes: number;
  /** Items of an array, keys of an object, characters of a string. */
  length?: number;
}

export type PayloadView = PayloadFacts &
  (
    | { kind: 'whole'; value: JsonObject }
    | { kind: 'summary'; keyCount: number; keys: ({ key: string } & ValueSummary)[] }
    | {
        kind: 'slice';
        /** The JSON Pointer of the array or object sliced ("" for the payload itself). */
        path: string;
        type: 'array' | 'object';
        /** Its items or keys in all. */
        length: number;
        offset: number;
        limit: number;
        /** For an array: items offset … offset + limit - 1. */
        items?: unknown[];
        /** For an object: its [key, value] pairs in stored order. */
        entries?: [string, unknown][];
        /** Positions in this slice (0 = offset) whose value was over the limit and is replaced by its ValueSummary. */
        summarised: number[];
      }
    | { kind: 'value'; path: string; value: unknown }
  );

export interface ViewRequest {
  /** Send it whole whatever its size (also the items of a slice). */
  full: boolean;
  /** A JSON Pointer: slice (or read) what is there. */
  path?: string;
  offset?: number;
  limit?: number;
}

export function summarise(value: unknown, bytes = jsonBytes(value)): ValueSummary {
  const type = typeOf(value);
  const length = Array.isArray(value) ? value.length : type === 'object' ? Object.keys(value as object).length : typeof value === 'string' ? value.length : undefined;
  return { type, bytes, ...(length === undefined ? {} : { length }) };
}

export function viewPayload(payload: JsonObject, request: ViewRequest): PayloadView {
  const json = JSON.stringify(payload);
  const facts = payloadFacts(payload, json);
  if (request.path === undefined && request.offset === undefined && request.limit === undefined) {
    if (request.full || facts.bytes <= WHOLE_LIMIT_BYTES) return { ...facts, kind: 'whole', value: payload };
    const keys = Object.keys(payload);
    return {
      ...facts,
      kind: 'summary',
      keyCount: keys.length,
      keys: keys.slice(0, SUMMARY_KEYS).map((key) => ({ key, ...summarise(payload[key]) })),
    };
  }
  const tokens = parsePointer(request.path ?? '', 'path');
  const path = formatPointer(tokens);
  const target = resolvePointer(payload, tokens);
  const offset = request.offset ?? 0;
  const limit = request.limit ?? DEFAULT_SLICE;
  if (target === null || typeof target !== 'object') {
    if (request.offset !== undefined || request.limit !== undefined) {
      throw badParameter('path', `an array or an object to slice with offset and limit (the value at "${path}" is a ${typeOf(target)})`, request.path);
    }
    return { ...facts, kind: 'value', path, value: target };
  }
  const summarised: number[] = [];
  const shown = (value: unknown, position: number) => {
    if (request.full) return value;
    const bytes = jsonBytes(value);
    if (bytes <= WHOLE_LIMIT_BYTES) return value;
    summarised.push(position);
    return summarise(value, bytes);
  };
  if (Array.isArray(target)) {
    const items = target.slice(offset, offset + limit).map(shown);
    return { ...facts, kind: 'slice', path, type: 'array', length: target.length, offset, limit, items, summarised };
  }
  const all = Object.entries(target);
  const entries = all.slice(offset, offset + limit).map(([key, value], position): [string, unknown] => [key, shown(value, position)]);
  return { ...facts, kind: 'slice', path, type: 'object', length: all.length, offset, limit, entries, summarised };
}
