// The reference for tests/insights-exact.test.ts: a model of what was recorded (each execution as the store last
// returned it, and whether it has been deleted since), the answers the insights must give recounted from it by
// brute force, and a comparer that reports what differs. Independent of the library's code on purpose: nothing
// here is imported from src/ but types, time-zone calendars come from Intl alone, and the rules are the ones the
// README and src/core/types.ts document, restated below where they are used.
import type { ExecutionStore, ExecutionWithSteps } from '../src/index.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

// ----------------------------------------------------------------------------------------------------------------
// What was recorded

interface RecordedRun {
  /** The execution with its steps as the store last returned it: when deleted, its state at deletion. */
  execution: ExecutionWithSteps;
  deleted: boolean;
}

/**
 * Every execution a scenario wrote. The model does not predict what a write does: after each call the scenario
 * reads back what changed (getExecutionWithSteps), and an execution the store no longer returns was deleted by
 * that call, in the state it had before it.
 */
export class RecordedHistory {
  private readonly runs = new Map<string, RecordedRun>();

  constructor(readonly outliveDeletes: boolean) {}

  /** Reads these executions back from the store; one that is gone is marked deleted with its last state. */
  async refresh(store: ExecutionStore, ids: Iterable<string>): Promise<void> {
    for (const id of new Set(ids)) {
      const known = this.runs.get(id);
      if (known?.deleted) continue;
      const execution = await store.getExecutionWithSteps(id);
      if (execution !== null) this.runs.set(id, { execution, deleted: false });
      else if (known !== undefined) known.deleted = true;
      else throw new Error(`the scenario asked to follow execution ${id}, which the store never returned`);
    }
  }

  /** Reads back every execution not deleted yet: after calls that may touch any of them (clean-ups, recovery). */
  async refreshAll(store: ExecutionStore): Promise<void> {
    await this.refresh(store, this.stored().map((execution) => execution.id));
  }

  /** The executions still stored, as the store returns them. */
  stored(): ExecutionWithSteps[] {
    return [...this.runs.values()].filter((run) => !run.deleted).map((run) => run.execution);
  }

  deleted(): ExecutionWithSteps[] {
    return [...this.runs.values()].filter((run) => run.deleted).map((run) => run.execution);
  }

  /**
   * The executions whose finished parts the insights count (the truth set T draws from): the stored ones, and with
   * outliveDeletes the deleted ones too, as they were when deleted.
   */
  counted(): ExecutionWithSteps[] {
    return this.outliveDeletes ? [...this.runs.values()].map((run) => run.execution) : this.stored();
  }

  get(id: string): ExecutionWithSteps | undefined {
    return this.runs.get(id)?.execution;
  }

  isDeleted(id: string): boolean {
    return this.runs.get(id)?.deleted === true;
  }
}

const isFinished = (execution: { status: string }) => execution.status === 'success' || execution.status === 'error';

// ----------------------------------------------------------------------------------------------------------------
// Time-zone calendars from Intl alone

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** A zone's calendar: local times by Intl, first instants of local days by binary search on them. */
export class ZoneCalendar {
  private static readonly calendars = new Map<string, ZoneCalendar>();
  private readonly format: Intl.DateTimeFormat;
  private readonly dayStarts = new Map<number, number>();

  static of(zone: string): ZoneCalendar {
    let calendar = ZoneCalendar.calendars.get(zone);
    if (calendar === undefined) {
      calendar = new ZoneCalendar(zone);
      ZoneCalendar.calendars.set(zone, calendar);
    }
    return calendar;
  }

  private constructor(readonly zone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  local(time: number): LocalTime {
    const parts: Record<string, number> = {};
    for (const part of this.format.formatToParts(time)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
    return parts as unknown as LocalTime;
  }

  /** The local date as one sortable number, yyyymmdd. */
  private dateKey(time: number): number {
    const { year, month, day } = this.local(time);
    return year * 10_000 + month * 100 + day;
  }

  /**
   * The first millisecond whose local date is year-month-day: local midnight, or the first instant after it when a
   * daylight-saving change skips midnight (Santiago and Havana move their clocks at 00:00). Offsets are whole
   * seconds, so the search runs over seconds, between 15 hours either side of the UTC midnight of that date.
   */
  firstInstantOf(year: number, month: number, day: number): number {
    const key = year * 10_000 + month * 100 + day;
    const cached = this.dayStarts.get(key);
    if (cached !== undefined) return cached;
    const utcMidnight = Date.UTC(year, month - 1, day);
    let low = (utcMidnight - 15 * HOUR) / 1000; // its local date is before the day
    let high = (utcMidnight + 15 * HOUR) / 1000; // its local date is the day or later
    if (this.dateKey(low * 1000) >= key || this.dateKey(high * 1000) < key) throw new Error(`${this.zone}: no first instant for ${key}`);
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (this.dateKey(middle * 1000) >= key) high = middle;
      else low = middle;
    }
    this.dayStarts.set(key, high * 1000);
    return high * 1000;
  }

  /** The local day buckets from the one holding startedAfter to the one holding startedBefore - 1. */
  dayBuckets(startedAfter: number, startedBefore: number): [number, number][] {
    let { year, month, day } = this.local(startedAfter);
    let start = this.firstInstantOf(year, month, day);
    const buckets: [number, number][] = [];
    for (;;) {
      const next = new Date(Date.UTC(year, month - 1, day + 1));
      [year, month, day] = [next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate()];
      const end = this.firstInstantOf(year, month, day);
      buckets.push([start, end]);
      if (end >= startedBefore) return buckets;
      start = end;
    }
  }

  /**
   * Local hour buckets: each starts where the local clock reads a whole hour. Offsets are multiples of 15 minutes,
   * so the next start is the first quarter hour on which the local clock reads minute 0 again (an hour later,
   * except across a half-hour daylight-saving change such as Lord Howe's).
   */
  hourBuckets(startedAfter: number, startedBefore: number): [number, number][] {
    const first = this.local(startedAfter);
    let start = startedAfter - first.minute * MINUTE - first.second * 1000 - (((startedAfter % 1000) + 1000) % 1000);
    const buckets: [number, number][] = [];
    for (;;) {
      let end = start;
      for (let quarter = 1; quarter <= 8 && end === start; quarter++) {
        const candidate = this.local(start + quarter * 15 * MINUTE);
        if (candidate.minute === 0 && candidate.second === 0) end = start + quarter * 15 * MINUTE;
      }
      if (end === start) throw new Error(`${this.zone}: no local hour start within 2 hours after ${new Date(start).toISOString()}`);
      buckets.push([start, end]);
      if (end >= startedBefore) return buckets;
      start = end;
    }
  }

  /** Minute buckets start at whole minutes in every zone in use (their offsets are whole minutes). */
  minuteBuckets(startedAfter: number, startedBefore: number): [number, number][] {
    const buckets: [number, number][] = [];
    for (let start = Math.floor(startedAfter / MINUTE) * MINUTE; start < startedBefore; start += MINUTE) {
      if (this.local(start).second !== 0) throw new Error(`${this.zone}: local minutes do not start at whole UTC minutes`);
      buckets.push([start, start + MINUTE]);
    }
    return buckets;
  }
}

// ----------------------------------------------------------------------------------------------------------------
// Expectations that are not one exact value

/** A nearest-rank percentile: the reported value must be within 1% + 0.5 ms of it, equal below 58 ms, never above `max`. */
export class Percentile {
  constructor(
    readonly exact: number | null,
    readonly max: number | null = null,
  ) {}

  accepts(reported: unknown): boolean {
    if (this.exact === null || reported === null) return reported === this.exact;
    if (typeof reported !== 'number') return false;
    if (this.max !== null && reported > this.max) return false;
    if (this.exact < 58) return reported === this.exact;
    return Math.abs(reported - this.exact) <= 0.01 * this.exact + 0.5;
  }

  toString(): string {
    if (this.exact === null) return 'null';
    const bound = this.exact < 58 ? 'exactly' : `±${(0.01 * this.exact + 0.5).toFixed(2)}`;
    return `≈${this.exact} (${bound}${this.max === null ? '' : `, ≤ max ${this.max}`})`;
  }
}

/** A count that may lie anywhere from what the stored rows alone give to the truth. */
export class Between {
  constructor(
    readonly low: number,
    readonly high: number,
  ) {}

  accepts(reported: unknown): boolean {
    return typeof reported === 'number' && Number.isInteger(reported) && reported >= this.low && reported <= this.high;
  }

  toString(): string {
    return this.low === this.high ? String(this.low) : `${this.low}…${this.high}`;
  }
}

/** A field the spec leaves open for this row (the averages of a bucket that is not complete). */
export class Unspecified {
  accepts(reported: unknown): boolean {
    return reported === null || typeof reported === 'number';
  }

  toString(): string {
    return 'any number or null';
  }
}

type Matcher = Percentile | Between | Unspecified;
const isMatcher = (value: unknown): value is Matcher =>
  value instanceof Percentile || value instanceof Between || value instanceof Unspecified;

export type ExpectedRow = Record<string, unknown>;

/** The ⌈p%·n⌉-th smallest value; null when there are none. */
export function nearestRank(values: number[], percent: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((percent * sorted.length) / 100)) - 1] as number;
}

const mean = (values: number[]) => (values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length);
const maximum = (values: number[]) => (values.length === 0 ? null : values.reduce((max, value) => Math.max(max, value)));
const durationsOf = (rows: { durationMs?: number }[]) => rows.flatMap((row) => (row.durationMs === undefined ? [] : [row.durationMs]));

/** Code-point order (not UTF-16 units): an astral character sorts after every character of the BMP. */
export function compareCodePoints(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = (left[i] as string).codePointAt(0)! - (right[i] as string).codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

// ----------------------------------------------------------------------------------------------------------------
// getNodeStats

export interface InsightRangeQuery {
  workflowId?: string;
  startedAfter?: number;
  startedBefore?: number;
}

const inRange = (time: number, query: InsightRangeQuery) =>
  (query.startedAfter === undefined || time >= query.startedAfter) && (query.startedBefore === undefined || time < query.startedBefore);

/**
 * One row per (workflowId, nodeId) over the finished steps of T (running executions' finished steps included),
 * counted under their execution's current workflow and start. Ranges must be whole UTC days (or whole hours within
 * the kept hourly node rollups), so that the store's widening changes nothing. Rows in (workflowId, nodeId) order.
 */
export function expectedNodeStats(history: RecordedHistory, query: InsightRangeQuery): ExpectedRow[] {
  const nodes = new Map<string, { workflowId: string; nodeId: string; steps: ExecutionWithSteps['steps'] }>();
  for (const execution of history.counted()) {
    if (query.workflowId !== undefined && execution.workflowId !== query.workflowId) continue;
    if (!inRange(execution.startedAt, query)) continue;
    for (const step of execution.steps) {
      if (step.status === 'running') continue;
      const key = `${execution.workflowId}\u0000${step.nodeId}`;
      let node = nodes.get(key);
      if (node === undefined) {
        node = { workflowId: execution.workflowId, nodeId: step.nodeId, steps: [] };
        nodes.set(key, node);
      }
      node.steps.push(step);
    }
  }
  return [...nodes.values()].sort(byNodeKey).map(({ workflowId, nodeId, steps }) => {
    const count = (status: string) => steps.filter((step) => step.status === status).length;
    const [success, error, skipped] = [count('success'), count('error'), count('skipped')];
    const durations = durationsOf(steps);
    const max = maximum(durations);
    let lastError: { message: string | null; at: number } | null = null;
    for (const step of steps) {
      if (step.status !== 'error') continue;
      const candidate = { message: step.errorMessage ?? null, at: step.completedAt ?? step.startedAt };
      if (lastError === null || isLaterError(candidate, lastError)) lastError = candidate;
    }
    const latest = steps.reduce((a, b) => ((b.completedAt ?? b.startedAt) > (a.completedAt ?? a.startedAt) ? b : a));
    return {
      workflowId,
      nodeId,
      nodeType: latest.nodeType,
      nodeName: latest.nodeName ?? null,
      runs: success + error + skipped,
      success,
      error,
      skipped,
      errorRate: success + error === 0 ? null : error / (success + error),
      avgDurationMs: mean(durations),
      p50DurationMs: new Percentile(nearestRank(durations, 50), max),
      p95DurationMs: new Percentile(nearestRank(durations, 95), max),
      maxDurationMs: max,
      lastError,
    };
  });
}

/** The later error; at the same millisecond the greater message in code-point order, a missing message lowest. */
function isLaterError(candidate: { message: string | null; at: number }, current: { message: string | null; at: number }): boolean {
  if (candidate.at !== current.at) return candidate.at > current.at;
  if (candidate.message === null) return false;
  if (current.message === null) return true;
  return compareCodePoints(candidate.message, current.message) > 0;
}

const nodeKey = (row: { workflowId?: unknown; nodeId?: unknown }) => `${String(row.workflowId)} / ${String(row.nodeId)}`;
function byNodeKey(a: { workflowId: string; nodeId: string }, b: { workflowId: string; nodeId: string }): number {
  return compareCodePoints(a.workflowId, b.workflowId) || compareCodePoints(a.nodeId, b.nodeId);
}

/** The store's node rows in the order of expectedNodeStats (the order by runs is not what this test is about). */
export function inNodeOrder<T extends { workflowId: string; nodeId: string }>(rows: T[]): T[] {
  return [...rows].sort(byNodeKey);
}

// ----------------------------------------------------------------------------------------------------------------
// getTimeline

export interface TimelineQueryLike {
  workflowId?: string;
  startedAfter: number;
  startedBefore: number;
  bucket: 'minute' | 'hour' | 'day';
  timeZone?: string;
}

/** Where the kept rollups begin: executions that started before are only in the stored rows (-Infinity: none pruned). */
export interface KeptRollups {
  daysFrom: number;
}

const bucketLists = new Map<string, [number, number][]>();

/** The buckets of a timeline query (the same at every checkpoint, so computed once). */
export function timelineBuckets(query: TimelineQueryLike): [number, number][] {
  const key = `${query.timeZone ?? 'UTC'} ${query.bucket} ${query.startedAfter} ${query.startedBefore}`;
  let buckets = bucketLists.get(key);
  if (buckets === undefined) {
    const calendar = ZoneCalendar.of(query.timeZone ?? 'UTC');
    if (query.bucket === 'day') buckets = calendar.dayBuckets(query.startedAfter, query.startedBefore);
    else if (query.bucket === 'hour') buckets = calendar.hourBuckets(query.startedAfter, query.startedBefore);
    else buckets = calendar.minuteBuckets(query.startedAfter, query.startedBefore);
    bucketLists.set(key, buckets);
  }
  return buckets;
}

/** Executions by start, for the ones that started in a range: a timeline asks for thousands of ranges. */
class ByStart {
  private readonly sorted: ExecutionWithSteps[];

  constructor(executions: ExecutionWithSteps[]) {
    this.sorted = [...executions].sort((a, b) => a.startedAt - b.startedAt);
  }

  /** Those that started in [from, to). */
  between(from: number, to: number): ExecutionWithSteps[] {
    return this.sorted.slice(this.firstAtOrAfter(from), this.firstAtOrAfter(to));
  }

  private firstAtOrAfter(time: number): number {
    let [low, high] = [0, this.sorted.length];
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.sorted[middle] as ExecutionWithSteps).startedAt < time) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

interface Tally {
  success: number;
  error: number;
  durations: number[];
}

/** The finished executions among these. */
function tally(executions: ExecutionWithSteps[]): Tally {
  const finished = executions.filter(isFinished);
  const success = finished.filter((execution) => execution.status === 'success').length;
  return { success, error: finished.length - success, durations: durationsOf(finished) };
}

/**
 * One entry per bucket. success/error come from T, running from the stored executions. A bucket is `complete`
 * when every execution of T that started in it is counted, which the store can tell except where it counts from
 * the stored rows: the parts of UTC hours the bucket only partly covers (checked against the hour's rollup), and
 * every part older than the kept rollups. So with outliveDeletes a bucket must be incomplete exactly when an
 * execution of T that started in such a partly covered hour was deleted, or when part of it is older than the kept
 * rollups; each count of an incomplete bucket lies between what the stored rows give and the truth, and is what
 * the stored rows give for its part older than the kept rollups. Without outliveDeletes T is what is stored, and
 * every bucket is complete and exact.
 */
export function expectedTimeline(history: RecordedHistory, query: TimelineQueryLike, kept: KeptRollups): ExpectedRow[] {
  const index = (executions: ExecutionWithSteps[]) =>
    new ByStart(query.workflowId === undefined ? executions : executions.filter((execution) => execution.workflowId === query.workflowId));
  const counted = index(history.counted());
  const stored = index(history.stored());
  const deleted = index(history.outliveDeletes ? history.deleted() : []);
  return timelineBuckets(query).map(([start, end]) => {
    const running = stored.between(start, end).filter((execution) => execution.status === 'running').length;
    const truth = tally(counted.between(start, end));
    const partlyCoveredHours = [Math.floor(start / HOUR) * HOUR, Math.floor((end - 1) / HOUR) * HOUR].filter(
      (hour, i, hours) => hours.indexOf(hour) === i && (hour < start || hour + HOUR > end),
    );
    const deletedInPartHour = partlyCoveredHours.some(
      (hour) => hour >= kept.daysFrom && deleted.between(hour, hour + HOUR).some(isFinished),
    );
    const olderThanKept = start < kept.daysFrom;
    if (!history.outliveDeletes || !(deletedInPartHour || olderThanKept)) {
      return {
        start,
        end,
        total: running + truth.success + truth.error,
        running,
        success: truth.success,
        error: truth.error,
        avgDurationMs: mean(truth.durations),
        p95DurationMs: new Percentile(nearestRank(truth.durations, 95)),
        complete: true,
      };
    }
    // Older than the kept rollups: what is stored. The rest: from what is stored up to the truth.
    const split = Math.min(Math.max(kept.daysFrom, start), end);
    const storedOld = tally(stored.between(start, split));
    const storedRecent = tally(stored.between(split, end));
    const truthRecent = tally(counted.between(split, end));
    const between = (field: 'success' | 'error') =>
      new Between(storedOld[field] + storedRecent[field], storedOld[field] + truthRecent[field]);
    const [success, error] = [between('success'), between('error')];
    return {
      start,
      end,
      total: new Between(running + success.low + error.low, running + success.high + error.high),
      running,
      success,
      error,
      avgDurationMs: new Unspecified(),
      p95DurationMs: new Unspecified(),
      complete: false,
    };
  });
}

// ----------------------------------------------------------------------------------------------------------------
// getWorkflowSummaries

/**
 * Per workflow: running from the stored executions, success and error from T, in the range (whole hours); lastRun
 * the latest stored execution by (startedAt, id), and the name from it. Listed: every workflow with a stored
 * execution and every one with runs of T in the range. Sorted by lastRun.startedAt, latest first (none last),
 * then by workflowId.
 */
export function expectedWorkflowSummaries(history: RecordedHistory, query: InsightRangeQuery): ExpectedRow[] {
  const stored = history.stored();
  const counted = history.counted().filter((execution) => isFinished(execution) && inRange(execution.startedAt, query));
  const workflowIds = new Set([...stored, ...counted].map((execution) => execution.workflowId));
  const latestFirst = (a: ExecutionWithSteps, b: ExecutionWithSteps) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  const summaries = [...workflowIds].map((workflowId) => {
    const lastRun = stored.filter((execution) => execution.workflowId === workflowId).sort(latestFirst)[0];
    const runs = counted.filter((execution) => execution.workflowId === workflowId);
    const running = stored.filter(
      (execution) => execution.workflowId === workflowId && execution.status === 'running' && inRange(execution.startedAt, query),
    ).length;
    const success = runs.filter((execution) => execution.status === 'success').length;
    const error = runs.length - success;
    const durations = durationsOf(runs);
    // With no stored execution the name can only come from the runs counted; every execution of a workflow in
    // the scenarios carries the workflow's one name, so either way it is that name.
    const named = lastRun ?? [...runs].sort(latestFirst)[0];
    return {
      workflowId,
      workflowName: named?.workflowName,
      lastRun: lastRun === undefined ? null : { executionId: lastRun.id, status: lastRun.status, startedAt: lastRun.startedAt },
      runs: running + success + error,
      running,
      success,
      error,
      successRate: success + error === 0 ? null : success / (success + error),
      avgDurationMs: mean(durations),
      p95DurationMs: new Percentile(nearestRank(durations, 95)),
    };
  });
  return summaries.sort(
    (a, b) => (b.lastRun?.startedAt ?? -Infinity) - (a.lastRun?.startedAt ?? -Infinity) || compareCodePoints(a.workflowId, b.workflowId),
  );
}

// ----------------------------------------------------------------------------------------------------------------
// Comparing answers

export interface Comparison {
  /**
   * The store's rows and the expected ones, each row that agrees folded to the same short token on both sides, and
   * in the others every percentile or range that holds replaced by the same token: compared with toEqual, the
   * arrays differ exactly where the answer is wrong, and the diff shows only those rows.
   */
  actual: unknown[];
  expected: unknown[];
  /** Empty when they agree; else which rows and fields differ, with the first row of each kind in full. */
  report: string;
}

const HOLDS = '✓ within its bound';
/** Rows that differ shown in full in the compared arrays; the report counts and groups all of them. */
const SHOWN_IN_FULL = 8;

/**
 * Compares an answer with its expectation row by row (rows matched by `keyOf`, their order compared too):
 * percentiles within their bound, counts within their range, every other field exactly. The report groups the
 * differing rows by the set of fields that differ and shows the first row of each group, expected and actual, so
 * that a defect in the counts is not hidden behind one in another field.
 */
export function compareAnswer(label: string, actualRows: object[], expectedRows: ExpectedRow[], keyOf: (row: Record<string, unknown>) => string): Comparison {
  const actualByKey = new Map(actualRows.map((row) => [keyOf(row as Record<string, unknown>), row as Record<string, unknown>]));
  const expectedKeys = new Set(expectedRows.map((row) => keyOf(row)));
  const groups = new Map<string, { count: number; key: string; expected: ExpectedRow; actual: Record<string, unknown> }>();
  const normalizedExpected: unknown[] = [];
  /** The store's rows compared: the fields whose matcher held, or null when the whole row agrees. */
  const compared = new Map<Record<string, unknown>, Set<string> | null>();
  const folded = new Map<Record<string, unknown>, string>();
  const missing: ExpectedRow[] = [];
  let differingRows = 0;
  for (const expected of expectedRows) {
    const key = keyOf(expected);
    const actual = actualByKey.get(key);
    if (actual === undefined) {
      missing.push(expected);
      normalizedExpected.push(describeRow(expected, new Set()));
      continue;
    }
    const holds = new Set<string>();
    const differing: string[] = [];
    for (const field of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      const want = expected[field];
      if (isMatcher(want) ? want.accepts(actual[field]) : sameValue(want, actual[field])) {
        if (isMatcher(want)) holds.add(field);
      } else differing.push(field);
    }
    if (differing.length === 0) {
      compared.set(actual, null);
      normalizedExpected.push(`✓ ${key}`);
      continue;
    }
    const group = differing.join(', ');
    const known = groups.get(group);
    if (known === undefined) groups.set(group, { count: 1, key, expected, actual });
    else known.count++;
    if (++differingRows > SHOWN_IN_FULL) {
      // Enough to fail and to see; the rest only in the report, so that a field missing from every row of a long
      // timeline does not print thousands of lines.
      compared.set(actual, null);
      normalizedExpected.push(`✗ ${key}: ${group} differ (see the report)`);
      folded.set(actual, `✗ ${key}: ${group} differ (see the report)`);
      continue;
    }
    compared.set(actual, holds);
    normalizedExpected.push(describeRow(expected, holds));
  }
  const unexpected = actualRows.filter((row) => !expectedKeys.has(keyOf(row as Record<string, unknown>)));
  const normalizedActual = actualRows.map((row) => {
    const holds = compared.get(row as Record<string, unknown>);
    if (holds === null) return folded.get(row as Record<string, unknown>) ?? `✓ ${keyOf(row as Record<string, unknown>)}`;
    return Object.fromEntries(Object.entries(row).map(([field, value]) => [field, holds?.has(field) ? HOLDS : value]));
  });
  const lines: string[] = [];
  for (const [fields, group] of groups) {
    lines.push(
      `  ${fields} differ in ${group.count} row(s); first ${group.key}:`,
      `    expected ${JSON.stringify(describeRow(group.expected, new Set()))}`,
      `    actual   ${JSON.stringify(group.actual)}`,
    );
  }
  if (missing.length > 0) {
    const first = missing[0] as ExpectedRow;
    lines.push(`  ${missing.length} expected row(s) missing; first ${keyOf(first)}: ${JSON.stringify(describeRow(first, new Set()))}`);
  }
  if (unexpected.length > 0) {
    const first = unexpected[0] as Record<string, unknown>;
    lines.push(`  ${unexpected.length} row(s) not expected; first ${keyOf(first)}: ${JSON.stringify(first)}`);
  }
  const actualOrder = actualRows.map((row) => keyOf(row as Record<string, unknown>)).filter((key) => expectedKeys.has(key));
  const expectedOrder = expectedRows.map((row) => keyOf(row)).filter((key) => actualByKey.has(key));
  const misplaced = expectedOrder.findIndex((key, i) => actualOrder[i] !== key);
  if (misplaced >= 0) lines.push(`  rows out of order from position ${misplaced}: expected ${expectedOrder[misplaced]}, got ${actualOrder[misplaced]}`);
  const report = lines.length === 0 ? '' : [`${label}: ${differingRows} of ${expectedRows.length} rows differ`, ...lines].join('\n');
  return { actual: normalizedActual, expected: normalizedExpected, report };
}

/** A row with each matcher replaced by the token when it held, else by what it wanted. */
function describeRow(row: ExpectedRow, holds: Set<string>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([field, value]) => [field, isMatcher(value) ? (holds.has(field) ? HOLDS : value.toString()) : value]),
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/** Row keys for the reports. */
export const keys = {
  node: (row: Record<string, unknown>) => nodeKey(row),
  bucket: (row: Record<string, unknown>) => new Date(row.start as number).toISOString(),
  workflow: (row: Record<string, unknown>) => String(row.workflowId),
};
