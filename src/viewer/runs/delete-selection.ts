// Which runs a bulk delete takes. The page first asks for the count, shows it, and sends the delete with what the
// count returned: the number and a digest of the very runs counted. The delete selects again and goes ahead only if
// it finds the same runs, then deletes those by id, so that it deletes exactly what the person saw counted, never
// a run that started matching in between (a run finishing, a new failure); when the selection changed it refuses
// with the new count. Running runs are never selected, as retention never deletes them.
import { createHash } from 'node:crypto';
import { MAX_PAGE_SIZE } from '../../core/constants.js';
import type { ExecutionStore } from '../../store.js';
import { planScan, type RunFilter } from './run-filter.js';
import { scanRuns } from './run-scan.js';

/** A bulk delete takes at most this many runs; more is retention's work (or a narrower filter's). */
export const MAX_BULK_DELETE = 1000;
/** Runs examined to count a selection, at most. */
const SELECTION_BUDGET = 100_000;

export interface DeleteSelection {
  /** The finished runs selected (when not tooMany). */
  ids: string[];
  /** How many: exact unless tooMany. */
  count: number;
  /** A digest of the selected ids, which the delete must be sent with. */
  selection: string;
  /** Running runs the filter matched, which are not deleted. */
  running: number;
  /** Over MAX_BULK_DELETE runs match, or too many had to be examined to say how many. */
  tooMany: boolean;
}

export async function selectForDelete(store: ExecutionStore, filter: RunFilter, now: number): Promise<DeleteSelection> {
  const order = { orderBy: 'started_at', orderDir: 'desc' } as const;
  const plan = await planScan(store, filter, order, now);
  const ids: string[] = [];
  let running = 0;
  let examined = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await scanRuns(store, plan, { ...order, limit: MAX_PAGE_SIZE, budget: MAX_PAGE_SIZE * 5, ...(cursor === undefined ? {} : { cursor }) });
    for (const run of page.items) {
      if (run.status === 'running') running++;
      else ids.push(run.id);
    }
    examined += page.examined;
    if (ids.length > MAX_BULK_DELETE || (page.nextCursor !== null && examined >= SELECTION_BUDGET)) {
      return { ids: [], count: ids.length, selection: '', running, tooMany: true };
    }
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  return { ids, count: ids.length, selection: digest(ids), running, tooMany: false };
}

function digest(ids: string[]): string {
  return createHash('sha256').update([...ids].sort().join('\n')).digest('base64url');
}
