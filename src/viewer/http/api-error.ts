// How the API says no: one JSON shape for every refusal, `{ error: { code, message, ...details } }`, with the HTTP
// status that tells a client what kind of no it is. The store's own error codes map onto statuses here.
import { ExecutionStoreError } from '../../core/errors.js';

export type ApiErrorCode =
  | 'bad_parameter'
  | 'bad_body'
  | 'bad_path'
  | 'not_found'
  | 'writes_disabled'
  | 'token_required'
  | 'forbidden_host'
  | 'cross_origin'
  | 'unsupported_media_type'
  | 'conflict'
  | 'selection_changed'
  | 'too_many'
  | 'too_large'
  | 'invalid'
  | 'storage_full'
  | 'unavailable'
  | 'database'
  | 'internal';

export type ApiStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 500 | 503 | 507;

export class ApiError extends Error {
  constructor(
    readonly status: ApiStatus,
    readonly code: ApiErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get body(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

/** A query parameter that is not what the route expects: names it, what it got, and what it takes. */
export function badParameter(parameter: string, expected: string, got?: string): ApiError {
  const gotText = got === undefined ? '' : `, got ${JSON.stringify(got)}`;
  return new ApiError(400, 'bad_parameter', `${parameter}: expected ${expected}${gotText}`, { parameter, expected });
}

export function notFound(message: string, details: Record<string, unknown> = {}): ApiError {
  return new ApiError(404, 'not_found', message, details);
}

const STORE_STATUS: Record<ExecutionStoreError['code'], [ApiStatus, ApiErrorCode]> = {
  VALIDATION: [400, 'invalid'],
  NOT_FOUND: [404, 'not_found'],
  STORAGE_FULL: [507, 'storage_full'],
  UNAVAILABLE: [503, 'unavailable'],
  DATABASE: [500, 'database'],
};

/**
 * Any failure as an ApiError. The store's messages say what was wrong and what to do, so they are passed on (they
 * never hold a password: URLs are masked where they are made); anything else is a bug whose text stays in the log.
 */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ExecutionStoreError) {
    const [status, code] = STORE_STATUS[error.code];
    return new ApiError(status, code, error.message, { storeCode: error.code });
  }
  return new ApiError(500, 'internal', 'the viewer failed to answer this request; its log (the serve command\'s standard error) says why');
}
