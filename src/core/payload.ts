// How JSON payloads (trigger data, metadata, step input/output) become text and back. Writing never throws:
// recording history must not be the reason a workflow run fails. Reading never pollutes prototypes.
import { types } from 'node:util';
import { configure } from 'safe-stable-stringify';
import secureJsonParse from 'secure-json-parse';
import { REDACTED, type Redactor } from './redaction.js';
import type { JsonObject } from './types.js';

export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;
export const CIRCULAR_MARKER = '[Circular]';
/** Deeper payloads are cut at this depth (the cut objects read '[Object]' / '[Array]'), so nesting cannot overflow the stack. */
export const MAX_PAYLOAD_DEPTH = 200;
const MAX_UNREADABLE_PREVIEW_CHARS = 200;

/** What a payload over maxPayloadBytes is stored as. */
export interface TruncatedPayload {
  __truncated: true;
  /** Size of the payload's full JSON in UTF-8 bytes. */
  originalBytes: number;
  /** The start of the JSON text, at most maxPayloadBytes UTF-8 bytes, cut at a character boundary. */
  preview: string;
}

/** What a stored payload that is not valid JSON (edited by hand, damaged) reads back as. */
export interface UnreadablePayload {
  __unreadable: true;
  reason: string;
  preview: string;
}

const stringify = configure({
  circularValue: CIRCULAR_MARKER,
  deterministic: false, // keep the caller's key order
  maximumDepth: MAX_PAYLOAD_DEPTH,
});

// JSON.stringify has no answer for these; rather than throw or lose them silently, store a readable form.
function toJsonFriendly(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

/**
 * A payload encoded already, by the encoder of the store it is written to: the recorder encodes payloads when the
 * workflow hands them over (so that what the workflow does with its objects afterwards does not change them), and
 * the store writes the text as it is.
 */
export class EncodedPayload {
  constructor(
    readonly text: string,
    /**
     * False while the redactor has still to look at the text: the recorder serialises on the workflow's path and
     * leaves redacting to the writer (see createPayloadCapture), and the store's encoder does it before the text is written.
     */
    readonly redacted = true,
  ) {}
}

/** Whether a value is an EncodedPayload; false for one that throws when asked (a revoked Proxy). */
function isEncodedPayload(value: unknown): value is EncodedPayload {
  try {
    return value instanceof EncodedPayload;
  } catch {
    return false;
  }
}

/**
 * Payload → column text: redacted, then serialised, then truncated. `undefined`/`null` → NULL. Functions and
 * symbols are dropped, as JSON.stringify does. Never throws.
 */
export function createPayloadEncoder(maxPayloadBytes: number, redactor: Redactor): (value: unknown) => string | null {
  const replacer = (key: string, value: unknown): unknown => {
    if (typeof value === 'string') return redactor.isSecretKey(key) ? REDACTED : redactor.text(value);
    if (value !== null && value !== undefined && redactor.isSecretKey(key)) return REDACTED;
    return toJsonFriendly(value);
  };
  const encode = (value: unknown): string | null => {
    if (value === undefined || value === null) return null;
    if (isEncodedPayload(value)) return value.redacted ? value.text : redactedLate(value.text);
    // Most payloads are plain data with nothing to redact: the engine's own JSON.stringify writes exactly what the
    // slow path below would, at a third of its cost (bench part 13). Anything else takes the slow path.
    const plain = plainJson(value, redactor);
    if (plain !== undefined) return truncated(plain, maxPayloadBytes);
    let json: string | undefined;
    try {
      json = stringify(value, replacer);
    } catch (error) {
      // A throwing getter or toJSON in caller data: keep the fact, not the failure.
      const reason = redactor.text(error instanceof Error ? error.message : String(error));
      json = JSON.stringify({ __unserializable: true, reason });
    }
    // Validation saw an object here; a toJSON() that answers differently the second time must not store something else.
    if (json === undefined || !json.startsWith('{')) {
      json = JSON.stringify({ __unserializable: true, reason: `its JSON was ${json === undefined ? 'nothing' : `not an object (${json.slice(0, 40)})`} when it was written` });
    }
    return truncated(json, maxPayloadBytes);
  };
  // The JSON of plain data, written without redacting: what the redactor would change is looked for in the text, and
  // the rare text where it may be found is parsed back to the same plain data and encoded as any payload is.
  const redactedLate = (json: string): string | null => (redactor.mayChangeJson(json) ? encode(JSON.parse(json)) : json);
  return encode;
}

/**
 * Payload → EncodedPayload, for the recorder: on the workflow's path only what must happen there, serialising and
 * sizing; redacting is left to the store's encoder when the value is plain data whose JSON fits maxPayloadBytes
 * (redacting first could change where it is cut). The encoder then writes exactly what it writes for the value
 * itself (tests/payload-fast-path.test.ts). `undefined`/`null` → null. Never throws.
 */
export function createPayloadCapture(
  maxPayloadBytes: number,
  redactor: Redactor,
  encode: (value: unknown) => string | null,
): (value: unknown) => EncodedPayload | null {
  return (value) => {
    if (value === undefined || value === null) return null;
    if (isEncodedPayload(value)) return value;
    const json = redactor.indexesNeverSecret ? plainJson(value, undefined) : undefined;
    if (json !== undefined && fits(json, maxPayloadBytes)) return new EncodedPayload(json, false);
    const text = encode(value);
    return text === null ? null : new EncodedPayload(text);
  };
}

/** How deep the fast path looks before it leaves a payload to the slow path (which cuts at MAX_PAYLOAD_DEPTH). */
const PLAIN_DEPTH = 64;

/**
 * The JSON of a payload the redactor surely leaves as it is, made of plain objects, arrays and primitives (no class
 * instances, no toJSON, no BigInt, not deeper than PLAIN_DEPTH, so not circular); undefined otherwise. Never throws
 * (a Proxy's trap or a getter that throws leaves it to the slow path).
 */
function plainJson(value: unknown, redactor: Redactor | undefined): string | undefined {
  // Keys the walk below does not test (array indexes, the root's '') are safe only when no key pattern can match them.
  if (redactor !== undefined && !redactor.indexesNeverSecret) return undefined;
  try {
    if (!isPlain(value, 0, redactor)) return undefined;
    const json = JSON.stringify(value);
    return json !== undefined && json.startsWith('{') ? json : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether JSON.stringify would write `value` as the redacting path does: what it reads is what this walk read. Not
 * seen here: a getter answering differently when JSON.stringify reads it again (data of that kind is code, not data).
 * Without a redactor, only the shape is looked at (plain objects and arrays, finite numbers, no BigInt, functions or
 * symbols): its keys and texts are then looked for in the JSON.
 */
function isPlain(value: unknown, depth: number, redactor: Redactor | undefined): boolean {
  if (typeof value !== 'object' || value === null) return isPlainPrimitive(value, redactor);
  if (depth >= PLAIN_DEPTH || types.isProxy(value) || Object.hasOwn(value, 'toJSON')) return false;
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Array.prototype) {
    // By index, as JSON.stringify reads an array (its iterator may say otherwise).
    const array = value as unknown[];
    for (let index = 0; index < array.length; index++) {
      const item = array[index];
      if (typeof item === 'object' && item !== null ? !isPlain(item, depth + 1, redactor) : !isPlainPrimitive(item, redactor)) return false;
    }
    return true;
  }
  if (prototype !== Object.prototype && prototype !== null) return false;
  for (const key in value) {
    if (redactor !== undefined && redactor.isSecretKey(key)) return false;
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null ? !isPlain(item, depth + 1, redactor) : !isPlainPrimitive(item, redactor)) return false;
  }
  return true;
}

// What JSON has no form for (NaN, a function) is written as null or left out: read back, it is no longer what the
// redactor saw (a secret key's NaN is [REDACTED], its null is not).
function isPlainPrimitive(value: unknown, redactor: Redactor | undefined): boolean {
  switch (typeof value) {
    case 'string':
      return redactor === undefined || redactor.surelyPlainText(value);
    case 'number':
      return Number.isFinite(value);
    case 'boolean':
    case 'undefined':
      return true;
    default:
      return value === null;
  }
}

/** Whether a text's UTF-8 fits in maxBytes, counted only when it could matter: a UTF-16 unit is at most 3 bytes. */
function fits(json: string, maxBytes: number): boolean {
  return json.length * 3 <= maxBytes || Buffer.byteLength(json, 'utf8') <= maxBytes;
}

function truncated(json: string, maxPayloadBytes: number): string {
  // A JSON string has at most 3 UTF-8 bytes per UTF-16 unit: most payloads are sized without counting.
  if (json.length * 3 <= maxPayloadBytes) return json;
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= maxPayloadBytes) return json;
  const marker: TruncatedPayload = {
    __truncated: true,
    originalBytes: bytes,
    preview: utf8Prefix(json, maxPayloadBytes),
  };
  return JSON.stringify(marker);
}

/** Column text → payload. A value that does not parse comes back as an UnreadablePayload, never a throw. */
export function decodePayload(text: string): JsonObject {
  try {
    return secureJsonParse(text, null, { protoAction: 'remove', constructorAction: 'remove' }) as JsonObject;
  } catch (error) {
    const unreadable: UnreadablePayload = {
      __unreadable: true,
      reason: error instanceof Error ? error.message : String(error),
      preview: text.slice(0, MAX_UNREADABLE_PREVIEW_CHARS),
    };
    return { ...unreadable };
  }
}

const encoder = new TextEncoder();

/** The longest start of `text` whose UTF-8 encoding fits in maxBytes, never splitting a character. */
function utf8Prefix(text: string, maxBytes: number): string {
  const { read } = encoder.encodeInto(text, new Uint8Array(maxBytes));
  return text.slice(0, read);
}
