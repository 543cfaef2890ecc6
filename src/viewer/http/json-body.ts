// A write's JSON body, read as strictly as query parameters: an object of named fields holding strings, numbers or
// booleans, each then read by QueryParams (so `"14d"` and `1209600000` are read alike, and errors read alike).
import type { Context } from 'hono';
import { ApiError } from './api-error.js';
import { QueryParams } from './query-params.js';

/** A write's body is a few fields; nothing larger is read into memory. */
export const MAX_BODY_BYTES = 16 * 1024;

export async function jsonBody(c: Context, allowed: readonly string[]): Promise<QueryParams> {
  const tooLarge = () => new ApiError(413, 'too_large', `a request body may hold at most ${MAX_BODY_BYTES} bytes`);
  if (Number(c.req.header('content-length') ?? 0) > MAX_BODY_BYTES) throw tooLarge();
  const text = await c.req.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw tooLarge(); // sent without a length
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'bad_body', `the body is not JSON; expected an object with ${allowed.join(', ')}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'bad_body', `the body must be a JSON object with ${allowed.join(', ')}`);
  }
  const fields = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ApiError(400, 'bad_body', `${name}: expected a string, a number or true/false, got ${JSON.stringify(value)}`, { field: name });
    }
    fields.append(name, String(value));
  }
  return new QueryParams(fields, allowed);
}
