// What deleted steps leave behind in their node rollup rows when insights outlive deletes: the rows keep counting
// them, and a maximum or last error recounted later must still see them. Read before the delete, written after it,
// on every backend.
import type { LastError } from './last-error.js';
import type { Grain } from './rollup-changes.js';

/** What a node rollup row's deleted steps contribute: their longest duration and their last error. */
export interface DeletedSteps {
  grain: Grain;
  workflowId: string;
  bucketStart: number;
  nodeId: string;
  durationMax: number | null;
  lastError: LastError | null;
}
