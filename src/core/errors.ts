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
  /**
   * The PostgreSQL server could not be reached, or no pooled connection came within the connect timeout. Nothing of
   * the call was written; the store reconnects by itself on the next call. The driver error is kept as `cause`.
   */
  | 'UNAVAILABLE'
  /** The database itself failed (I/O, locking, a broken file, a server error); the driver error is kept as `cause`. */
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
      if (error instanceof CallbackFailure) throw error; // a callback wrapped twice
      throw new CallbackFailure(error);
    }
  };
}
