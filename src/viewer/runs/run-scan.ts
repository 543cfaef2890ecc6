// A page of the runs a filter selects, on the store's cursor pages. When the store's query selects them alone, a
// page is the store's page. Otherwise the store's pages are read and each run tested, until the page is full, the
// list ends, or a request's share of runs has been examined: then the page may hold fewer runs than asked while its
// nextCursor goes on. The cursor is always the store's own, at the last run examined, so paging on never repeats or
// skips a run.
import type { ExecutionOrderBy, OrderDirection, WorkflowExecution } from '../../core/types.js';
import { MAX_PAGE_SIZE } from '../../core/constants.js';
import type { ExecutionStore } from '../../store.js';
import type { ScanPlan } from './run-filter.js';

export interface ScanRequest {
  orderBy: ExecutionOrderBy;
  orderDir: OrderDirection;
  limit: number;
  cursor?: string;
  /** At most this many runs are examined (runs whose steps are read: a tenth of it). */
  budget: number;
}

export interface ScannedPage {
  items: WorkflowExecution[];
  nextCursor: string | null;
  /** Runs the store returned and the filter examined for this page. */
  examined: number;
}

/** Runs read from the store at first when a filter tests them one by one; twice as many each time after. */
const FIRST_READ = 100;

/** Runs read from the store per request when a test reads steps too, as a share of the budget. */
const STEP_READING_SHARE = 10;

export async function scanRuns(store: ExecutionStore, plan: ScanPlan, request: ScanRequest): Promise<ScannedPage> {
  if (plan.empty) return { items: [], nextCursor: null, examined: 0 };
  const { orderBy, orderDir, limit } = request;
  const page = (cursor: string | undefined, size: number) =>
    store.queryExecutionsPage({ ...plan.query, orderBy, orderDir, limit: size, ...(cursor === undefined ? {} : { cursor }) });
  const { matches, endsAt } = plan;
  if (matches === undefined) {
    const whole = await page(request.cursor, limit);
    return { items: whole.items, nextCursor: whole.nextCursor, examined: whole.items.length };
  }

  const budget = plan.readsSteps ? Math.max(limit, Math.floor(request.budget / STEP_READING_SHARE)) : request.budget;
  const tested = new Map<string, boolean>();
  const test = async (run: WorkflowExecution) => {
    let result = tested.get(run.id);
    if (result === undefined) tested.set(run.id, (result = await matches(run)));
    return result;
  };
  const items: WorkflowExecution[] = [];
  let cursor = request.cursor;
  let examined = 0;
  // The store's rows carry their trigger data and metadata: read a few pages' worth first, more while few match.
  let reading = Math.max(2 * limit, FIRST_READ);
  for (;;) {
    const size = Math.min(MAX_PAGE_SIZE, budget - examined, Math.max(limit - items.length, reading));
    reading *= 2;
    const read = await page(cursor, size);
    let filledAt = -1;
    let found = 0;
    for (const [index, run] of read.items.entries()) {
      if (endsAt?.(run)) {
        items.push(...(await matching(read.items.slice(0, index), test)));
        return { items, nextCursor: null, examined: examined + index };
      }
      if (await test(run)) found++;
      if (items.length + found === limit) {
        filledAt = index;
        break;
      }
    }
    if (filledAt >= 0 && filledAt < read.items.length - 1) {
      // The page fills before the end of what was read: read it again up to its last run, for the store's cursor
      // there. (What another process changed meanwhile is what this read returns.)
      const upTo = await page(cursor, filledAt + 1);
      items.push(...(await matching(upTo.items, test)));
      return { items, nextCursor: upTo.nextCursor, examined: examined + upTo.items.length };
    }
    items.push(...(await matching(read.items, test)));
    examined += read.items.length;
    cursor = read.nextCursor ?? undefined;
    if (read.nextCursor === null || items.length >= limit || examined >= budget) return { items, nextCursor: read.nextCursor, examined };
  }
}

async function matching(runs: WorkflowExecution[], test: (run: WorkflowExecution) => Promise<boolean>): Promise<WorkflowExecution[]> {
  const kept: WorkflowExecution[] = [];
  for (const run of runs) if (await test(run)) kept.push(run);
  return kept;
}
