// What can be said of a stored payload without sending it: its size as JSON, and whether the store cut it
// (maxPayloadBytes: `{ __truncated, originalBytes, preview }`), could not read it back (`__unreadable`), could not
// serialise it (`__unserializable`), or redacted values in it. Markers and "[REDACTED]" are passed on as stored.
import { REDACTED } from '../../core/redaction.js';
import type { JsonObject } from '../../core/types.js';

export interface PayloadFacts {
  /** UTF-8 bytes of its JSON. */
  bytes: number;
  /** Stored cut to a preview, being over the store's maxPayloadBytes. */
  truncated: boolean;
  /** The size it had before it was cut, when truncated. */
  originalBytes?: number;
  /** Holds at least one redacted value (a secret's key, a bearer token, a JWT). */
  redacted: boolean;
  /** The stored text was not valid JSON (damaged, edited by hand). */
  unreadable: boolean;
  /** The runtime's value could not be serialised (a throwing getter, a revoked Proxy). */
  unserializable: boolean;
}

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null');
}

export function payloadFacts(payload: JsonObject, json = JSON.stringify(payload)): PayloadFacts {
  const truncated = payload.__truncated === true;
  return {
    bytes: Buffer.byteLength(json),
    truncated,
    ...(truncated && typeof payload.originalBytes === 'number' ? { originalBytes: payload.originalBytes } : {}),
    redacted: json.includes(REDACTED),
    unreadable: payload.__unreadable === true,
    unserializable: payload.__unserializable === true,
  };
}
