// The runs a list, a delete count and a bulk delete select: one filter, read from the same query parameters by all
// three, so that a delete takes exactly the runs its count described. What the store filters itself (workflow id,
// status, trigger, start range) goes into its query; the rest (several workflow ids, a minimum duration, an error
// group, an id prefix) is a test on each run the store's pages return.
import { EXECUTION_STATUSES, TRIGGER_TYPES } from '../../core/constants.js';
import type { ExecutionOrderBy, ExecutionStatus, OrderDirection, TriggerType, WorkflowExecution } from '../../core/types.js';
import type { ExecutionStore } from '../../store.js';
import { ApiError } from '../http/api-error.js';
import type { QueryParams } from '../http/query-params.js';
import { type ErrorGroupKey, inErrorGroup, parseErrorGroupId } from './error-group-id.js';
import { workflowIdsNamed } from './workflow-names.js';

export const FILTER_PARAMETERS = ['workflow', 'status', 'trigger', 'from', 'to', 'minDuration', 'errorGroup', 'idPrefix'] as const;

export interface RunFilter {
  /** A workflow's id or name. */
  workflow?: string;
  status?: ExecutionStatus;
  trigger?: TriggerType;
  /** Started at or after (ms). */
  from?: number;
  /** Started before (ms). */
  to?: number;
  /** Finished runs that took at least this long (ms). */
  minDurationMs?: number;
  errorGroup?: ErrorGroupKey;
  idPrefix?: string;
}

export function readRunFilter(query: QueryParams): RunFilter {
  const filter: RunFilter = {
    workflow: query.string('workflow'),
    status: query.oneOf('status', EXECUTION_STATUSES),
    trigger: query.oneOf('trigger', TRIGGER_TYPES),
    from: query.time('from'),
    to: query.time('to'),
    minDurationMs: query.duration('minDuration'),
    errorGroup: ((id) => (id === undefined ? undefined : parseErrorGroupId(id, 'errorGroup')))(query.string('errorGroup')),
    idPrefix: query.string('idPrefix'),
  };
  if (filter.from !== undefined && filter.to !== undefined && filter.to < filter.from) {
    throw new ApiError(400, 'bad_parameter', `to: expected a time at or after from (${filter.from}), got ${filter.to}`, { parameter: 'to' });
  }
  return filter;
}

/** The store's part of a filter. */
export interface StoreQuery {
  workflowId?: string;
  status?: ExecutionStatus;
  triggerType?: TriggerType;
  startedAfter?: number;
  startedBefore?: number;
}

/** How to list what a filter selects: the store's query and the test of each run it returns. */
export interface ScanPlan {
  /** Nothing can match: no store query is needed. */
  empty: boolean;
  query: StoreQuery;
  /** Undefined when the store's query alone selects the runs. */
  matches?: (run: WorkflowExecution) => Promise<boolean>;
  /** Every run from this one on (in the list's order) fails the test: the list ends here. */
  endsAt?: (run: WorkflowExecution) => boolean;
  /** The test reads each run's steps: fewer runs are examined per request. */
  readsSteps: boolean;
}

/** Id prefixes matching at most this many runs narrow the store's time range to theirs. */
const NARROWED_PREFIX_RUNS = 50;

export async function planScan(store: ExecutionStore, filter: RunFilter, order: { orderBy: ExecutionOrderBy; orderDir: OrderDirection }, now: number): Promise<ScanPlan> {
  const query: StoreQuery = { status: filter.status, triggerType: filter.trigger, startedAfter: filter.from, startedBefore: filter.to };
  const tests: ((run: WorkflowExecution) => boolean | Promise<boolean>)[] = [];
  const empty: ScanPlan = { empty: true, query, readsSteps: false };

  let workflowIds: string[] | undefined;
  if (filter.workflow !== undefined) {
    workflowIds = await workflowIdsNamed(store, filter.workflow, now);
    if (workflowIds.length === 0) return empty;
  }
  const group = filter.errorGroup;
  if (group !== undefined) {
    if (workflowIds !== undefined && !workflowIds.includes(group.workflowId)) return empty;
    if (filter.status !== undefined && filter.status !== 'error') return empty;
    workflowIds = [group.workflowId];
    query.status = 'error';
  }
  if (workflowIds !== undefined) {
    if (workflowIds.length === 1) query.workflowId = workflowIds[0];
    else {
      const ids = new Set(workflowIds);
      tests.push((run) => ids.has(run.workflowId));
    }
  }

  let endsAt: ScanPlan['endsAt'];
  const minimum = filter.minDurationMs;
  if (minimum !== undefined) {
    tests.push((run) => run.durationMs !== undefined && run.durationMs >= minimum);
    // Slowest first, the runs under the minimum (and the running ones, last) all follow the first of them.
    if (order.orderBy === 'duration_ms' && order.orderDir === 'desc') endsAt = (run) => run.durationMs === undefined || run.durationMs < minimum;
  }

  const prefix = filter.idPrefix;
  if (prefix !== undefined) {
    const candidates = await store.findExecutionIds(prefix, NARROWED_PREFIX_RUNS + 1);
    if (candidates.length === 0) return empty;
    if (candidates.length <= NARROWED_PREFIX_RUNS) {
      const starts = (await Promise.all(candidates.map((id) => store.getExecution(id)))).flatMap((run) => (run === null ? [] : [run.startedAt]));
      if (starts.length === 0) return empty;
      query.startedAfter = Math.max(query.startedAfter ?? 0, Math.min(...starts));
      query.startedBefore = Math.min(query.startedBefore ?? Number.MAX_SAFE_INTEGER, Math.max(...starts) + 1);
      if (query.startedBefore <= query.startedAfter) return empty;
    }
    tests.push((run) => run.id.startsWith(prefix));
  }

  if (group !== undefined) {
    // Last: the other tests are cheaper, and this one reads the run's steps.
    tests.push(async (run) => inErrorGroup(group, run, await store.getStepsForExecution(run.id)));
  }

  if (tests.length === 0) return { empty: false, query, readsSteps: false, ...(endsAt === undefined ? {} : { endsAt }) };
  return {
    empty: false,
    query,
    readsSteps: group !== undefined,
    matches: async (run) => {
      for (const test of tests) if (!(await test(run))) return false;
      return true;
    },
    ...(endsAt === undefined ? {} : { endsAt }),
  };
}
