// A row's duration when the caller gives its start and end but no duration: the same rule on every backend.
import { ExecutionStoreError } from './errors.js';

/** completedAt - startedAt; undefined while there is no completedAt. VALIDATION when it would be negative. */
export function derivedDuration(startedAt: number, completedAt: number | null | undefined, what: string): number | undefined {
  if (completedAt == null) return undefined;
  if (completedAt < startedAt) {
    throw new ExecutionStoreError(
      'VALIDATION',
      `${what}: invalid input: completedAt (${completedAt}) is before startedAt (${startedAt}); expected completedAt >= startedAt`,
    );
  }
  return completedAt - startedAt;
}
