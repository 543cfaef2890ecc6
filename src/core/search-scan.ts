// searchExecutions, the part both backends share: the executions a search selects are read newest first in chunks
// (keyset, as cursor pages are), each chunk's steps after them; each backend's SQL hands back only the payload texts
// that contain the search's needles (./payload-match.ts), and the exact test runs here, the same on both. What a call
// reads is counted and bounded: it stops after `limit` matching executions, or before its steps would pass the bound,
// and says where to go on (./search-cursor.ts).
import { PAYLOAD_FIELDS, SEARCH_STEPS_PER_CALL } from './constants.js';
import { payloadMatcher, type Prefilter } from './payload-match.js';
import { decodeSearchCursor, encodeSearchCursor, type SearchPosition } from './search-cursor.js';
import type { ExecutionSearch, ExecutionSearchResult, PayloadField, SearchHit, WorkflowExecution } from './types.js';

/**
 * @internal The bound, and the chunk size when set (else the reader's), in one object so that tests can make them
 * small (and must put them back): `stepsPerCall` is the most steps one call reads, and the most executions; `chunk`
 * the most executions one read takes.
 */
export const searchBounds: { stepsPerCall: number; chunk?: number } = { stepsPerCall: SEARCH_STEPS_PER_CALL };

/** A validated search, as the facade hands it to a backend. */
export type SearchRequest = ExecutionSearch & { limit: number };

/** What a backend's SQL is asked for: the filters, and where and what to look for in the payloads. */
export interface SearchPlan {
  workflowId?: string;
  status?: ExecutionSearch['status'];
  startedAfter?: number;
  startedBefore?: number;
  prefilter: Prefilter;
  fields: ReadonlySet<PayloadField>;
}

/** An execution as a chunk reads it: its position, and its payloads searched that passed the prefilter (else null). */
export interface ChunkExecution {
  id: string;
  startedAt: number;
  triggerData: string | null;
  metadata: string | null;
}

/** A step with a payload searched that passed the prefilter (the other is null). */
export interface CandidateStep {
  executionId: string;
  id: string;
  nodeId: string;
  stepIndex: number;
  inputData: string | null;
  outputData: string | null;
}

/** A backend's reads for one search (its plan given when it was made). */
export interface SearchReader {
  /** The most executions one chunk reads: what a round trip and a statement's planning are worth on this backend. */
  readonly chunkSize: number;
  /** Up to `size` executions the filters select, strictly after `after` in the order startedAt desc, id desc. */
  executions(after: SearchPosition | undefined, size: number): Promise<ChunkExecution[]>;
  /** How many steps each of these executions has (absent: none). */
  stepCounts(executionIds: string[]): Promise<Map<string, number>>;
  /** The steps of these executions with a payload searched that passes the prefilter. */
  candidateSteps(executionIds: string[]): Promise<CandidateStep[]>;
  /** These executions, whole (those deleted meanwhile left out). */
  executionsById(executionIds: string[]): Promise<WorkflowExecution[]>;
  /** Called between chunks: SQLite gives the event loop back there. */
  pause?(): Promise<void>;
}

const what = 'searchExecutions';
/** The executions a call's first chunk reads at most; each next one reads twice as many, up to the reader's chunkSize. */
const FIRST_CHUNK = 200;

/** The plan of a validated search: its filters, needles and fields. */
export function searchPlan(search: SearchRequest): SearchPlan {
  return {
    workflowId: search.workflowId,
    status: search.status,
    startedAfter: search.startedAfter,
    startedBefore: search.startedBefore,
    prefilter: payloadMatcher(search).prefilter,
    fields: new Set(search.in ?? PAYLOAD_FIELDS),
  };
}

/** Runs one call of a search on a backend's reader. */
export async function searchWith(reader: SearchReader, search: SearchRequest): Promise<ExecutionSearchResult> {
  const { stepsPerCall, chunk: chunkSize = reader.chunkSize } = searchBounds;
  const { matches } = payloadMatcher(search);
  const fields = new Set(search.in ?? PAYLOAD_FIELDS);
  const readsSteps = fields.has('inputData') || fields.has('outputData');
  let after = search.cursor === undefined ? undefined : decodeSearchCursor(search.cursor, search, what);
  const scanned = { executions: 0, steps: 0 };
  const found: { id: string; hits: SearchHit[] }[] = [];
  let next: SearchPosition | null;
  let chunks = 0;

  for (;;) {
    if (scanned.executions >= stepsPerCall || scanned.steps >= stepsPerCall) {
      next = after ?? null;
      break;
    }
    // Small first (a common match fills the page from the newest runs), then doubling up to the backend's size.
    const grown = Math.min(chunkSize, FIRST_CHUNK * 2 ** chunks++);
    const size = Math.min(grown, stepsPerCall - scanned.executions, likelyToFit(scanned, stepsPerCall, readsSteps));
    const chunk = await reader.executions(after, size);
    let kept = chunk;
    let counts = new Map<string, number>();
    if (readsSteps && chunk.length > 0) {
      counts = await reader.stepCounts(chunk.map((execution) => execution.id));
      kept = withinBudget(chunk, counts, stepsPerCall - scanned.steps, scanned.executions === 0);
    }
    const steps = readsSteps && kept.length > 0 ? await reader.candidateSteps(kept.map((execution) => execution.id)) : [];
    // Every execution the chunk read counts, those left for the next call too (at most one chunk more).
    scanned.executions += chunk.length;
    for (const execution of kept) scanned.steps += counts.get(execution.id) ?? 0;

    const stepsOf = groupedSteps(steps);
    let full: ChunkExecution | undefined;
    for (const execution of kept) {
      const hits = hitsOf(execution, stepsOf.get(execution.id) ?? [], fields, matches);
      if (hits.length === 0) continue;
      found.push({ id: execution.id, hits });
      if (found.length === search.limit) {
        full = execution;
        break;
      }
    }
    const last = kept.at(-1);
    const rangeEnded = chunk.length < size && kept.length === chunk.length;
    if (full !== undefined) {
      next = rangeEnded && full === last ? null : position(full);
      break;
    }
    if (kept.length < chunk.length) {
      // The next execution's steps would pass the bound: the next call starts with it.
      next = last === undefined ? (after ?? null) : position(last);
      break;
    }
    if (rangeEnded) {
      next = null;
      break;
    }
    after = position(last as ChunkExecution);
    await reader.pause?.();
  }

  const rows = found.length === 0 ? [] : await reader.executionsById(found.map((item) => item.id));
  const byId = new Map(rows.map((execution) => [execution.id, execution]));
  const items = found.flatMap(({ id, hits }) => {
    const execution = byId.get(id);
    return execution === undefined ? [] : [{ execution, hits }];
  });
  return { items, scanned, nextCursor: next === null ? null : encodeSearchCursor(search, next) };
}

const position = (execution: ChunkExecution): SearchPosition => ({ startedAt: execution.startedAt, id: execution.id });

/**
 * How many executions the steps left in the budget are likely to hold, at the steps per execution read so far (one
 * more, so that a chunk reaches past the bound and the call ends): a chunk's executions that do not fit are read again
 * by the next call, so the last chunk of a call is made about as large as what fits.
 */
function likelyToFit(scanned: { executions: number; steps: number }, stepsPerCall: number, readsSteps: boolean): number {
  if (!readsSteps || scanned.steps === 0) return Number.POSITIVE_INFINITY;
  return Math.ceil((stepsPerCall - scanned.steps) / (scanned.steps / scanned.executions)) + 1;
}

/**
 * The first executions of a chunk whose steps fit in `budget`. The first execution of a call is read whatever its
 * steps, so that every call moves on (one execution with more steps than the bound is read whole, alone).
 */
function withinBudget(chunk: ChunkExecution[], counts: Map<string, number>, budget: number, firstOfCall: boolean): ChunkExecution[] {
  let left = budget;
  let taken = 0;
  for (const execution of chunk) {
    const steps = counts.get(execution.id) ?? 0;
    if (steps > left && !(firstOfCall && taken === 0)) break;
    left -= steps;
    taken++;
  }
  return taken === chunk.length ? chunk : chunk.slice(0, taken);
}

/** Candidate steps by execution, each execution's in step order (ties by id). */
function groupedSteps(steps: CandidateStep[]): Map<string, CandidateStep[]> {
  const grouped = new Map<string, CandidateStep[]>();
  for (const step of steps) {
    const list = grouped.get(step.executionId);
    if (list === undefined) grouped.set(step.executionId, [step]);
    else list.push(step);
  }
  for (const list of grouped.values()) list.sort((a, b) => a.stepIndex - b.stepIndex || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return grouped;
}

/** Where an execution matches: its own payloads first, then its steps' in order, each step's input before its output. */
function hitsOf(execution: ChunkExecution, steps: CandidateStep[], fields: ReadonlySet<PayloadField>, matches: (stored: string) => boolean): SearchHit[] {
  const hits: SearchHit[] = [];
  for (const field of ['triggerData', 'metadata'] as const) {
    const stored = execution[field];
    if (stored !== null && fields.has(field) && matches(stored)) hits.push({ field });
  }
  for (const step of steps) {
    for (const field of ['inputData', 'outputData'] as const) {
      const stored = step[field];
      if (stored !== null && fields.has(field) && matches(stored)) hits.push({ field, stepId: step.id, nodeId: step.nodeId, stepIndex: step.stepIndex });
    }
  }
  return hits;
}
