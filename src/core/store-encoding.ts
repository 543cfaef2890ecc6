// How a store encodes what it writes: payloads redacted, serialised and cut at maxPayloadBytes, texts redacted. One
// function, so that a store and its batch worker (src/sqlite/batch-worker.ts) write exactly the same text.
import { createPayloadCapture, createPayloadEncoder } from './payload.js';
import type { Redactor } from './redaction.js';
import type { Encoding } from './rows.js';

export function storeEncoding(maxPayloadBytes: number, redactor: Redactor): Encoding {
  const payload = createPayloadEncoder(maxPayloadBytes, redactor);
  return { payload, capture: createPayloadCapture(maxPayloadBytes, redactor, payload), text: (text) => redactor.text(text) };
}
