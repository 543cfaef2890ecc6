// A write's JSON body, read as strictly as query parameters: an object of named fields holding strings, numbers or
// booleans, each then read by QueryParams (so `"14d"` and `1209600000` are read alike, and errors read alike).
import type { Context } from 'hono';
import { ApiError } from './api-error.js';
import { QueryParams } from './query-params.js';

export async function jsonBody(c: Context, allowed: readonly string[]): Promise<QueryParams> {
  let body: unknown;
  try {
    body = await c.req.json();
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
