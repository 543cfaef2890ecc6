// Plain payloads (most of them) are written by the engine's own JSON.stringify when the redactor surely has nothing
// to replace in them; everything else by the redacting serialiser. The two must write the same text for the same
// data, secrets or not: generated payloads are encoded as they are and forced down the slow path, side by side.
// The recorder's capture serialises on the workflow's path and leaves redacting to the encoder when the payload is
// written: what that writes must be what encoding the payload itself writes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPayloadCapture, createPayloadEncoder, EncodedPayload } from '../src/core/payload.js';
import { DEFAULT_REDACT_KEYS, REDACTED, Redactor } from '../src/core/redaction.js';

const redactor = new Redactor(DEFAULT_REDACT_KEYS);
const encode = createPayloadEncoder(64 * 1024, redactor);
const capture = createPayloadCapture(64 * 1024, redactor, encode);

/**
 * The same own properties on an object whose prototype is not Object.prototype: the fast path leaves it alone.
 * Defined, not assigned: an own "__proto__" key stays a key.
 */
const slowCopy = (value: Record<string, unknown>) => Object.create({ inherited: 1 }, Object.getOwnPropertyDescriptors(value)) as object;

const secretish = fc.constantFrom('password', 'api_key', 'X-API-Key', 'accessToken', 'auth', 'Authorization', 'author', 'client-secret');
const textish = fc.oneof(
  fc.string(),
  fc.constantFrom('Bearer abc.def', 'eyJhbGciOiJI.eyJzdWIiOiIx.c2lnbmF0dXJl', 'https://api.test/v1?api_key=abc&x=1', '{"token": "t0k"}', 'a=b', 'plain words'),
);
const key = fc.oneof(fc.string(), secretish);
// What JSON has no form for is among them: NaN and Infinity (fc.double), undefined, a function, a symbol.
const leaf = fc.oneof(textish, fc.integer(), fc.double(), fc.boolean(), fc.constantFrom(null, undefined, () => 1, Symbol('s')));
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('tree'), { maxLength: 5 }),
  object: fc.dictionary(key, tie('tree'), { maxKeys: 6 }),
}));
const payload = fc.dictionary(key, tree, { maxKeys: 8 });

describe('the payload encoder', () => {
  it('writes the same text for plain data on the fast path as on the redacting path, secrets or not', () => {
    fc.assert(
      fc.property(payload, (value) => {
        expect(encode(value)).toBe(encode(slowCopy(value)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('still redacts what plain payloads hold: secret keys at any depth, tokens in text', () => {
    const value = { user: { name: 'Ada', api_key: 'k-123', tokens: [{ refresh_token: 'r' }] }, header: 'Bearer abc', note: 'plain' };
    expect(JSON.parse(encode(value) as string)).toEqual({ user: { name: 'Ada', api_key: REDACTED, tokens: REDACTED }, header: `Bearer ${REDACTED}`, note: 'plain' });
  });

  it('redacts what only JSON.stringify would see: an array with toJSON, an array class, a Proxy, a custom iterator', () => {
    class Listing extends Array {
      toJSON() {
        return { apiKey: 'k-123' };
      }
    }
    const withToJson = Object.assign(['x'], { toJSON: () => ({ password: 'hunter2' }) });
    const iterated = ['Bearer SECRETTOKEN', { password: 'p' }];
    (iterated as unknown as { [Symbol.iterator]: unknown })[Symbol.iterator] = function* () {};
    const proxied = new Proxy({}, { get: (_target, key) => (key === 'toJSON' ? () => ({ token: 't' }) : undefined) });
    for (const value of [{ list: Listing.from(['x']) }, { list: withToJson }, { list: iterated }, { nested: proxied }]) {
      expect(encode(value)).toBe(encode(slowCopy(value)));
      expect(encode(value)).not.toMatch(/k-123|hunter2|SECRETTOKEN|"p"|"t"/);
    }
  });

  it('tests array indexes and the root key when a key pattern could match them', () => {
    const digits = createPayloadEncoder(64 * 1024, new Redactor([/^\d+$/]));
    expect(digits({ pins: ['1234', { at: '0' }] })).toBe(`{"pins":["${REDACTED}","${REDACTED}"]}`);
  });

  it('leaves what JSON.stringify writes differently to the redacting path: errors, BigInt, depth, toJSON', () => {
    const error = new Error('boom');
    expect(JSON.parse(encode({ error }) as string)).toEqual({ error: { name: 'Error', message: 'boom', stack: error.stack } });
    expect(encode({ n: 10n })).toBe('{"n":"10"}');
    expect(encode({ at: { toJSON: () => 'then' } })).toBe('{"at":"then"}');
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 250; i++) deep = { d: deep };
    expect(encode(deep)).toContain('"[Object]"');
  });
});

describe("the recorder's capture", () => {
  it('is written as the payload itself is, secrets or not, while leaving plain data to be redacted when written', () => {
    let deferred = 0;
    let deferredWithSecrets = 0;
    fc.assert(
      fc.property(payload, (value) => {
        const captured = capture(value) as EncodedPayload;
        expect(encode(captured)).toBe(encode(value));
        if (!captured.redacted) {
          deferred += 1;
          if (encode(captured) !== captured.text) deferredWithSecrets += 1;
        }
      }),
      { numRuns: 2_000 },
    );
    // Both ways were taken, and the late redaction had something to do.
    expect(deferred).toBeGreaterThan(500);
    expect(deferredWithSecrets).toBeGreaterThan(100);
  });

  it('holds the JSON as it was at the call: a later change to the object is not written', () => {
    const value = { order: { id: 7, lines: ['a'] }, password: 'hunter2' };
    const captured = capture(value) as EncodedPayload;
    value.order.id = 8;
    value.order.lines.push('b');
    value.password = 'changed';
    expect(JSON.parse(encode(captured) as string)).toEqual({ order: { id: 7, lines: ['a'] }, password: REDACTED });
  });

  it('cuts a payload over the limit after redacting it, as encoding it does', () => {
    const small = createPayloadEncoder(200, redactor);
    const smallCapture = createPayloadCapture(200, redactor, small);
    // Fits as it is (196 bytes), not once its short token becomes [REDACTED] (204).
    const near = { token: 'ab', note: 'n'.repeat(172) };
    const over = { apiKey: 'k', note: 'n'.repeat(400) };
    for (const value of [near, over, { note: 'é'.repeat(150) }]) {
      expect(small(smallCapture(value))).toBe(small(value));
    }
    expect(JSON.parse(small(smallCapture(near)) as string)).toMatchObject({ __truncated: true });
  });

  it('redacts at once when the key patterns cannot be looked for in text, and for what is not plain data', () => {
    const custom = new Redactor([/^x-(?!public)/]);
    const customEncode = createPayloadEncoder(64 * 1024, custom);
    const customCapture = createPayloadCapture(64 * 1024, custom, customEncode);
    const captured = customCapture({ 'x-private': 's', 'x-public': 'p' }) as EncodedPayload;
    expect(captured).toEqual(new EncodedPayload(`{"x-private":"${REDACTED}","x-public":"p"}`, true));
    const error = new Error('boom');
    expect(capture({ error })).toEqual(new EncodedPayload(encode({ error }) as string, true));
  });
});
