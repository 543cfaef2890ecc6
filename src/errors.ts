/** What went wrong, as a stable code callers can branch on. */
export type ExecutionStoreErrorCode =
  /** The input was not what the method expects; nothing was written. */
  | 'VALIDATION'
  /** The execution or step named by id does not exist; nothing was written. */
  | 'NOT_FOUND'
  /**
   * The disk, or the database's size limit (max_page_count), is full. Nothing of the call was written, except by
   * calls that commit in steps (clean-ups, rebuilding or compacting insights, reclaiming space), whose message says
   * how far they got; the message says what to do, in steps that work on a full disk.
   */
  | 'STORAGE_FULL'
  /** SQLite itself failed (I/O, locking, a broken file); the driver error is kept as `cause`. */
  | 'DATABASE';

export class ExecutionStoreError extends Error {
  override readonly name = 'ExecutionStoreError';

  constructor(
    readonly code: ExecutionStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The SQLite result code of a driver error, looking through Drizzle's wrapper (`DrizzleQueryError.cause`). */
export function sqliteErrorCode(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
  }
  return undefined;
}

/** Turns whatever a database call threw into an ExecutionStoreError; `context` says which call it was. */
export function toStoreError(error: unknown, context: string): ExecutionStoreError {
  if (error instanceof ExecutionStoreError) return error;
  const code = sqliteErrorCode(error);
  const detail = code ?? (error instanceof Error ? error.message : String(error));
  if (code === 'SQLITE_CONSTRAINT_CHECK') {
    const message = rootMessage(error);
    const explanation = message.includes('duration_check')
      ? 'durationMs would be negative; expected completedAt >= startedAt'
      : 'a value is outside what the column allows';
    return new ExecutionStoreError('VALIDATION', `${context}: invalid input: ${explanation} (${message})`, {
      cause: error,
    });
  }
  if (code === 'SQLITE_FULL') {
    // The store says more (src/storage-full.ts): this is for calls made without it.
    return new ExecutionStoreError('STORAGE_FULL', `${context}: the database is full (no space left on the disk, or the file reached its max_page_count)`, {
      cause: error,
    });
  }
  return new ExecutionStoreError('DATABASE', `${context} failed in SQLite: ${detail}: ${rootMessage(error)}`, {
    cause: error,
  });
}

function rootMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/**
 * Carries what a caller's callback (an onProgress) threw through the store's error handling, so that it reaches the
 * caller as it was thrown rather than as a database failure. Never leaves the store.
 */
export class CallbackFailure extends Error {
  constructor(readonly thrown: unknown) {
    super('a callback threw');
  }
}

/** The callback, its exceptions marked as the caller's own. */
export function callerCallback<T>(callback: ((value: T) => void) | undefined): ((value: T) => void) | undefined {
  if (callback === undefined) return undefined;
  return (value) => {
    try {
      callback(value);
    } catch (error) {
      throw new CallbackFailure(error);
    }
  };
}
