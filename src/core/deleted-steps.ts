// What deleted steps leave behind in their node rollup rows when insights outlive deletes: the rows keep counting
// them, and a maximum or last error recounted later must still see them. Read before the delete, written after it,
// on every backend.
import { compositeKey } from './composite-key.js';
import { isLaterError, type LastError } from './last-error.js';
import { bucketStartOf, GRAINS, type Grain } from './rollup-changes.js';

/** What a node rollup row's deleted steps contribute: their longest duration and their last error. */
export interface DeletedSteps {
  grain: Grain;
  workflowId: string;
  bucketStart: number;
  nodeId: string;
  durationMax: number | null;
  lastError: LastError | null;
}

/** What deleted steps contribute, per node rollup row (hours and days), gathered one step or one group at a time. */
export class DeletedStepsSummary {
  private readonly rows = new Map<string, DeletedSteps>();

  /** Steps of `nodeId` in runs of `workflowId` started at `startedAt` (any time of the hour), with their longest duration and last error. */
  add(workflowId: string, startedAt: number, nodeId: string, durationMax: number | null, lastError: LastError | null): void {
    for (const [grain, size] of GRAINS) {
      const bucketStart = bucketStartOf(startedAt, size);
      const key = compositeKey(grain, workflowId, bucketStart, nodeId);
      const found = this.rows.get(key);
      if (found === undefined) {
        this.rows.set(key, { grain, workflowId, bucketStart, nodeId, durationMax, lastError });
        continue;
      }
      if (durationMax !== null && (found.durationMax === null || durationMax > found.durationMax)) found.durationMax = durationMax;
      if (lastError !== null && isLaterError(lastError, found.lastError)) found.lastError = lastError;
    }
  }

  get all(): DeletedSteps[] {
    return [...this.rows.values()];
  }
}
