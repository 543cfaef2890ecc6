// What node-postgres and Drizzle throw, in the store's terms: the SQLSTATE (or the socket's error code) decides.
import { ExecutionStoreError } from '../core/errors.js';

/** Socket and pool failures: the server could not be reached, or no connection came in time. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);
const UNREACHABLE_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error|Query read timeout/i;
/** SQLSTATEs of a server going away: admin_shutdown, crash_shutdown, cannot_connect_now, and class 08 (connection). */
const SERVER_GONE = /^(57P01|57P02|57P03|08...)$/;

/** The SQLSTATE or socket code of a driver error, looking through Drizzle's wrapper and AggregateErrors. */
export function postgresErrorCode(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = (current as { errors?: unknown[] }).errors?.[0];
    const innerCode = (inner as { code?: unknown } | undefined)?.code;
    if (typeof innerCode === 'string') return innerCode;
  }
  return undefined;
}

/** Whether the error says the server is out of reach (down, restarting, or no pooled connection came in time). */
export function isUnreachable(error: unknown): boolean {
  const code = postgresErrorCode(error);
  if (code !== undefined && (UNREACHABLE_CODES.has(code) || SERVER_GONE.test(code))) return true;
  return UNREACHABLE_MESSAGES.test(rootMessage(error));
}

/** Turns whatever a database call threw into an ExecutionStoreError; `context` says which call it was. */
export function toStoreError(error: unknown, context: string, server = 'the PostgreSQL server'): ExecutionStoreError {
  if (error instanceof ExecutionStoreError) return error;
  const code = postgresErrorCode(error);
  const message = rootMessage(error);
  if (isUnreachable(error)) {
    return new ExecutionStoreError(
      'UNAVAILABLE',
      `${context}: ${server} could not be reached or gave no connection in time (${code ?? message}); nothing of this call was written. ` +
        'Check that the server is up and reachable; the store reconnects by itself on the next call',
      { cause: error },
    );
  }
  if (code === '23514') {
    const explanation = message.includes('duration_check') ? 'durationMs would be negative; expected completedAt >= startedAt' : 'a value is outside what the column allows';
    return new ExecutionStoreError('VALIDATION', `${context}: invalid input: ${explanation} (${message})`, { cause: error });
  }
  if (code === '54000') {
    // program_limit_exceeded: a value too large for what holds it (an index entry), whatever the cause; the store's
    // validation keeps keys under it, so this is a value it does not know to bound. Retrying would fail the same way.
    return new ExecutionStoreError('VALIDATION', `${context}: invalid input: a value is too large for the database to hold (${message})`, { cause: error });
  }
  if (code === '53100') {
    return new ExecutionStoreError(
      'STORAGE_FULL',
      `${context}: the PostgreSQL server is out of disk space (${message}); nothing of this call was written. ` +
        'Free space on the server\'s disk, or delete old history (cleanupOldExecutions), which needs little room',
      { cause: error },
    );
  }
  return new ExecutionStoreError('DATABASE', `${context} failed in PostgreSQL: ${code === undefined ? '' : `${code}: `}${message}`, { cause: error });
}

export function rootMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  if (current instanceof AggregateError && current.errors[0] instanceof Error) return current.errors[0].message;
  return current instanceof Error ? current.message : String(current);
}
