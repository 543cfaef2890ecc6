// Plain payloads (most of them) are written by the engine's own JSON.stringify when the redactor surely has nothing
// to replace in them; everything else by the redacting serialiser. The two must write the same text for the same
// data, secrets or not: generated payloads are encoded as they are and forced down the slow path, side by side.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPayloadEncoder } from '../src/core/payload.js';
import { DEFAULT_REDACT_KEYS, REDACTED, Redactor } from '../src/core/redaction.js';

const encode = createPayloadEncoder(64 * 1024, new Redactor(DEFAULT_REDACT_KEYS));

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
const leaf = fc.oneof(textish, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
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
