// The insights (node stats, timelines, workflow summaries) against a brute-force recount of a seeded history, from a
// model of what was recorded (tests/insights-truth.ts) rather than from the rows the rollups are kept beside: the
// rollups are checked against what the API was told, across every way of writing, updating and deleting, both
// retention modes, pruned rollups, time zones with odd offsets, and rebuildInsights. tests/insights.test.ts checks
// each rollup row against a recount of the stored rows; this checks the answers a user reads.
import { beforeAll, describe, expect, it } from 'vitest';
import { type ExecutionStore, openExecutionStore } from '../src/index.js';
import type { ExecutionChanges, ExecutionWithSteps, NewExecution, NewStep, RunStep, StepChanges } from '../src/core/types.js';
import { random as seededRandom } from '../src/demo/simulated-history.js';
import { forEachBackend, type TestBackend } from './backends.js';
import { track } from './factories.js';
import {
  compareAnswer,
  DAY,
  type ExpectedRow,
  expectedNodeStats,
  expectedTimeline,
  expectedWorkflowSummaries,
  HOUR,
  inNodeOrder,
  type InsightRangeQuery,
  type KeptRollups,
  keys,
  MINUTE,
  RecordedHistory,
  type TimelineQueryLike,
  ZoneCalendar,
} from './insights-truth.js';
import { reopenableTarget } from './rollup-rows.js';

/** The store's clock: a whole UTC day, so that every retention cutoff is one too. */
const NOW = Date.UTC(2026, 2, 2);
const HISTORY_START = Date.UTC(2026, 0, 5);
const at = (month: number, day: number, hour = 0, minute = 0) => Date.UTC(2026, month - 1, day, hour, minute);

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'America/Santiago', // -3 in summer; on 7 September 2025 its clocks skipped midnight: that day began at 01:00
  'America/Havana', // -5; on 8 March 2026 its clocks skip midnight
  'Asia/Kolkata', // +5:30
  'Asia/Kathmandu', // +5:45
  'Australia/Lord_Howe', // +11 in the southern summer (+10:30 in winter)
  'Pacific/Chatham', // +13:45
] as const;
const HALF_HOUR_ZONES = ['Asia/Kolkata', 'Asia/Kathmandu', 'Pacific/Chatham'];

// ------------------------------------------------------------------------------------------------------------------
// The workflows. Every node id keeps one type and name wherever it runs, so names are not under test.

const NODES: Record<string, [type: string, name: string]> = {
  'webhook-in': ['webhook_trigger', 'Receive webhook'],
  'fetch-order': ['http_request', 'Fetch order'],
  'check-stock': ['condition', 'Check stock'],
  'save-order': ['db_query', 'Save order'],
  notify: ['email', 'Notify'],
  'load-invoices': ['db_query', 'Load invoices'],
  'charge-card': ['http_request', 'Charge card'],
  'query-sales': ['db_query', 'Query sales'],
  aggregate: ['code', 'Aggregate'],
  'upload-report': ['s3_upload', 'Upload report'],
  classify: ['llm', 'Classify ticket'],
  reply: ['email', 'Reply'],
  escalate: ['slack', 'Escalate'],
  archive: ['ftp', 'Archive'],
  // Only in the probes below, so that every range holding them shows what they test.
  'render-pdf': ['code', 'Render PDF'],
  dedupe: ['code', 'Deduplicate'],
  'spam-filter': ['code', 'Spam filter'],
};

interface Workflow {
  id: string;
  name: string;
  nodes: string[];
}

const WORKFLOWS: Workflow[] = [
  { id: 'wf-orders', name: 'Sync orders', nodes: ['webhook-in', 'fetch-order', 'check-stock', 'save-order', 'notify'] },
  { id: 'wf-billing', name: 'Monthly billing', nodes: ['load-invoices', 'fetch-order', 'charge-card', 'save-order', 'notify'] },
  { id: 'wf-reports', name: 'Nightly reports', nodes: ['query-sales', 'aggregate', 'upload-report', 'notify'] },
  { id: 'wf-support', name: 'Support inbox', nodes: ['webhook-in', 'classify', 'reply', 'escalate', 'notify'] },
];
/** Runs only in January, all deleted by the 20-day clean-up: with outliveDeletes a workflow with runs and none stored. */
const LEGACY: Workflow = { id: 'wf-legacy', name: 'Legacy import', nodes: ['fetch-order', 'archive'] };
const workflowOf = (id: string) => [...WORKFLOWS, LEGACY].find((workflow) => workflow.id === id) as Workflow;

const ERRORS = ['HTTP 502 from upstream', 'Timeout after 30000 ms', 'Deadlock on row 17', 'Invalid JSON in response', 'Quota exceeded'];


type Random = () => number;
const integer = (random: Random, below: number) => Math.floor(random() * below);
const pick = <T>(random: Random, items: readonly T[]) => items[integer(random, items.length)] as T;
/** Mostly spread over 0 ms to 2 minutes on a log scale (percentiles above 50 ms are approximate), some below 50 ms. */
const duration = (random: Random) => (random() < 0.15 ? integer(random, 50) : Math.round(Math.exp(random() * Math.log(120_000))));

// ------------------------------------------------------------------------------------------------------------------
// Writing through the store, and following what each call did in the model

interface Counts {
  executions: number;
  steps: number;
  calls: Record<string, number>;
}

/** A store on a temporary file with a clock the scenario moves, and the model of what it was told. */
class Scenario {
  clock = NOW;
  kept: KeptRollups = { daysFrom: Number.NEGATIVE_INFINITY };
  readonly counts: Counts = { executions: 0, steps: 0, calls: {} };
  /** Executions that the random updates and deletes leave alone: the probes of a defect. */
  readonly untouchable = new Set<string>();
  /** Executions that started at the day edges of 30/45-minute zones, where some of the deletes go. */
  readonly halfHourEdgeRuns: string[] = [];
  readonly history: RecordedHistory;
  store!: ExecutionStore;

  constructor(
    readonly insights: { outliveDeletes: boolean; hourlyDays?: number; dailyDays?: number },
    readonly random: Random,
  ) {
    this.history = new RecordedHistory(insights.outliveDeletes);
  }

  /** Opens the store on a fresh database of the backend (a temporary file on SQLite). */
  async open(backend: TestBackend): Promise<void> {
    this.store = track(await openExecutionStore(await reopenableTarget(backend), { now: () => this.clock, insights: this.insights }));
  }

  /** While one new execution is being written: the ids to read back once its calls are made. */
  private writing: Set<string> | null = null;

  /**
   * Writes one new execution with as many calls as it takes. They touch nothing else, and nothing is asked in
   * between, so it is read back once at the end rather than after each call (the history takes half the time).
   */
  async asOneWrite<T>(work: () => Promise<T>): Promise<T> {
    this.writing = new Set();
    try {
      return await work();
    } finally {
      const ids = this.writing;
      this.writing = null;
      await this.history.refresh(this.store, ids);
    }
  }

  /** Reads back what a call changed. */
  private async follow(ids: string[]): Promise<void> {
    if (this.writing === null) await this.history.refresh(this.store, ids);
    else for (const id of ids) this.writing.add(id);
  }

  private counted(call: string): void {
    this.counts.calls[call] = (this.counts.calls[call] ?? 0) + 1;
  }

  async record(execution: NewExecution, steps: RunStep[]): Promise<{ executionId: string; stepIds: string[] }> {
    const recorded = await this.store.recordExecution(execution, steps);
    this.counted('recordExecution');
    this.counts.executions++;
    this.counts.steps += steps.length;
    await this.follow([recorded.executionId]);
    return recorded;
  }

  async create(execution: NewExecution): Promise<string> {
    const id = await this.store.createExecution(execution);
    this.counted('createExecution');
    this.counts.executions++;
    await this.follow([id]);
    return id;
  }

  async addStep(step: NewStep): Promise<string> {
    const id = await this.store.addStep(step);
    this.counted('addStep');
    this.counts.steps++;
    await this.follow([step.executionId]);
    return id;
  }

  async addSteps(steps: NewStep[]): Promise<string[]> {
    const ids = await this.store.addSteps(steps);
    this.counted('addSteps');
    this.counts.steps += steps.length;
    await this.follow(steps.map((step) => step.executionId));
    return ids;
  }

  async updateStep(executionId: string, stepId: string, changes: StepChanges): Promise<void> {
    await this.store.updateStep(stepId, changes);
    this.counted('updateStep');
    await this.follow([executionId]);
  }

  async updateExecution(id: string, changes: ExecutionChanges): Promise<void> {
    await this.store.updateExecution(id, changes);
    this.counted('updateExecution');
    await this.follow([id]);
  }

  async deleteExecution(id: string): Promise<void> {
    expect(await this.store.deleteExecution(id)).toBe(true);
    this.counted('deleteExecution');
    await this.follow([id]);
  }

  /** A clean-up deletes and prunes the rollups older than the kept days (measured from the clock), then compacts. */
  async cleanUp(call: 'cleanupOldExecutions' | 'cleanupByCount', run: () => Promise<number>): Promise<number> {
    const deleted = await run();
    this.counted(call);
    this.kept.daysFrom = Math.max(this.kept.daysFrom, this.clock - (this.insights.dailyDays ?? 365) * DAY);
    await this.history.refreshAll(this.store);
    return deleted;
  }

  async compactAt(clock: number): Promise<number> {
    this.clock = clock;
    const { weeks } = await this.store.compactInsights();
    this.clock = NOW;
    this.counted('compactInsights');
    await this.history.refreshAll(this.store);
    return weeks;
  }

  async recover(startedBefore: number): Promise<number> {
    const { executions } = await this.store.recoverInterruptedExecutions({ startedBefore });
    this.counted('recoverInterruptedExecutions');
    await this.history.refreshAll(this.store);
    return executions;
  }

  /** Stored executions the random updates and deletes may pick. */
  candidates(filter: (execution: ExecutionWithSteps) => boolean): ExecutionWithSteps[] {
    return this.history.stored().filter((execution) => !this.untouchable.has(execution.id) && filter(execution));
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Executions written in every way the API allows

/**
 * 2–5 steps of the workflow's nodes in order, as they end: some skipped, some failed with a message, a few without a
 * duration. Where a run is written step by step they are written running first.
 */
function planSteps(random: Random, workflow: Workflow, startedAt: number): { steps: RunStep[]; end: number } {
  const count = Math.min(workflow.nodes.length, 2 + integer(random, 4));
  const steps: RunStep[] = [];
  let time = startedAt + integer(random, 50);
  for (let stepIndex = 0; stepIndex < count; stepIndex++) {
    const nodeId = workflow.nodes[stepIndex] as string;
    const [nodeType, nodeName] = NODES[nodeId] as [string, string];
    const roll = random();
    const status = roll < 0.08 ? 'skipped' : roll < 0.22 ? 'error' : 'success';
    const took = status === 'skipped' ? 0 : duration(random);
    const unmeasured = status !== 'skipped' && random() < 0.04; // finished without completedAt: no duration
    steps.push({
      nodeId,
      nodeType,
      nodeName,
      stepIndex,
      startedAt: time,
      status,
      ...(unmeasured ? {} : { completedAt: time + took }),
      ...(status === 'error' ? { errorMessage: pick(random, ERRORS) } : {}),
    });
    time += took + integer(random, 20);
  }
  return { steps, end: time };
}

type Way = 'recorded' | 'step by step' | 'left running' | 'without duration';

/** One execution, written in the given way. */
function writeExecution(scenario: Scenario, workflow: Workflow, startedAt: number, way: Way): Promise<string> {
  return scenario.asOneWrite(() => writeInWay(scenario, workflow, startedAt, way));
}

async function writeInWay(scenario: Scenario, workflow: Workflow, startedAt: number, way: Way): Promise<string> {
  const { random } = scenario;
  const { steps, end } = planSteps(random, workflow, startedAt);
  const failed = steps.some((step) => step.status === 'error') && random() < 0.8; // else it continued on error
  const base = {
    workflowId: workflow.id,
    workflowName: workflow.name,
    triggerType: pick(random, ['webhook', 'schedule', 'manual'] as const),
    startedAt,
  };
  const ending = failed ? { status: 'error' as const, errorMessage: 'A step failed' } : { status: 'success' as const };
  if (way === 'recorded') return (await scenario.record({ ...base, ...ending, completedAt: end }, steps)).executionId;
  if (way === 'without duration') return (await scenario.record({ ...base, ...ending }, steps)).executionId;
  if (way === 'left running') {
    // Its first steps finished, the last one still running: the finished ones count in node stats already.
    const finished = steps.slice(0, -1);
    const running: RunStep = { ...(steps.at(-1) as RunStep), status: 'running', completedAt: undefined, errorMessage: undefined };
    if (random() < 0.5) return (await scenario.record({ ...base, status: 'running' }, [...finished, running])).executionId;
    const id = await scenario.create({ ...base, status: 'running' });
    await scenario.addSteps([...finished, running].map((step) => ({ ...step, executionId: id })));
    return id;
  }
  // Step by step: started running, steps added running (one at a time or two together, some already finished),
  // then each finished by an update, then the execution.
  const id = await scenario.create({ ...base, status: 'running' });
  const asRunning = (step: RunStep): NewStep => ({ ...step, executionId: id, status: 'running', completedAt: undefined, errorMessage: undefined });
  const open: { stepId: string; step: RunStep }[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as RunStep;
    if (random() < 0.2) {
      await scenario.addStep({ ...step, executionId: id }); // finished when first written
    } else if (i + 1 < steps.length && random() < 0.4) {
      const next = steps[++i] as RunStep;
      const [stepId, nextId] = await scenario.addSteps([asRunning(step), asRunning(next)]);
      open.push({ stepId: stepId as string, step }, { stepId: nextId as string, step: next });
    } else {
      open.push({ stepId: await scenario.addStep(asRunning(step)), step });
    }
  }
  for (const { stepId, step } of open) {
    await scenario.updateStep(id, stepId, {
      status: step.status,
      ...(step.completedAt === undefined ? {} : { completedAt: step.completedAt }),
      ...(step.errorMessage === undefined ? {} : { errorMessage: step.errorMessage }),
    });
  }
  await scenario.updateExecution(id, { ...ending, completedAt: end });
  return id;
}

function randomWay(random: Random): Way {
  const roll = random();
  return roll < 0.45 ? 'recorded' : roll < 0.78 ? 'step by step' : roll < 0.93 ? 'left running' : 'without duration';
}

/** The busy morning the minute timelines look at, with deletes and runs still running in it. */
const BUSY = { startedAfter: at(2, 25, 9), startedBefore: at(2, 25, 12) };
/** The hour of the maximum / last-error probe. */
const PROBE_HOUR = at(2, 18, 14);

/**
 * The history: 480 executions from 5 January to 1 March, with starts around UTC and local midnights (and in the
 * first hour of local days) of every zone, a busy morning, a legacy workflow, and three probes:
 * - render-pdf: four runs in one hour, their steps taking 900, 800, 500 and 300 ms, the last three failing at :20,
 *   :10 and :30. The 800 ms one is deleted; then the 900 ms step is lowered to 100 and the :30 failure becomes a
 *   success. With outliveDeletes the deleted step is still the maximum and the last error (recounting them from the
 *   stored rows gives 500 and the :10 failure).
 * - dedupe: two error steps in one hour with the same completedAt; the greater message in code-point order
 *   (an astral character, which UTF-16 order puts below U+FF21) is written first.
 * - spam-filter: two error steps in two hours with the same completedAt, one without a message (which counts lowest).
 */
async function writeHistory(scenario: Scenario): Promise<Record<string, string>> {
  const { random } = scenario;
  const span = NOW - HISTORY_START;
  for (let i = 0; i < 340; i++) {
    await writeExecution(scenario, pick(random, WORKFLOWS), HISTORY_START + integer(random, span), randomWay(random));
  }
  // Around midnights: the last minute before, the instant itself, the first hour after.
  const offsets = [-MINUTE, -1, 0, 1, MINUTE - 1, MINUTE, 30 * MINUTE, HOUR - 1, HOUR];
  for (let i = 0; i < 90; i++) {
    const zone = i < 20 ? pick(random, HALF_HOUR_ZONES) : pick(random, ZONES);
    const day = new Date(HISTORY_START + DAY + integer(random, span / DAY - 2) * DAY);
    const midnight = ZoneCalendar.of(zone).firstInstantOf(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate());
    const id = await writeExecution(scenario, pick(random, WORKFLOWS), midnight + pick(random, offsets), randomWay(random));
    if (HALF_HOUR_ZONES.includes(zone)) scenario.halfHourEdgeRuns.push(id);
  }
  for (const startedAt of [BUSY.startedAfter + HOUR, BUSY.startedAfter + 2 * HOUR - 1]) {
    await writeExecution(scenario, pick(random, WORKFLOWS), startedAt, 'recorded');
  }
  for (let i = 0; i < 24; i++) {
    await writeExecution(scenario, pick(random, WORKFLOWS), BUSY.startedAfter + integer(random, 3 * HOUR), randomWay(random));
  }
  for (let i = 0; i < 16; i++) {
    await writeExecution(scenario, LEGACY, HISTORY_START + integer(random, 20 * DAY), 'recorded');
  }
  return writeProbes(scenario);
}

async function writeProbes(scenario: Scenario): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  const node = (nodeId: string) => ({ nodeId, nodeType: (NODES[nodeId] as [string, string])[0], nodeName: (NODES[nodeId] as [string, string])[1] });
  const reports = workflowOf('wf-reports');
  const renders: [string, number, 'success' | 'error', string | undefined, number][] = [
    ['holdsMax', 900, 'success', undefined, 2],
    ['deletedLater', 800, 'error', 'Template missing', 20],
    ['earlierError', 500, 'error', 'Font not found', 10],
    ['latestError', 300, 'error', 'Out of memory', 30],
  ];
  for (const [i, [name, took, status, errorMessage, endsAtMinute]] of renders.entries()) {
    const startedAt = PROBE_HOUR + (i + 1) * MINUTE;
    const completedAt = PROBE_HOUR + endsAtMinute * MINUTE + 30_000;
    const { executionId, stepIds } = await scenario.record(
      { workflowId: reports.id, workflowName: reports.name, triggerType: 'schedule', status, startedAt, completedAt, ...(errorMessage ? { errorMessage } : {}) },
      [
        { ...node('query-sales'), stepIndex: 0, startedAt, status: 'success', completedAt: startedAt + 5 },
        { ...node('render-pdf'), stepIndex: 1, startedAt: completedAt - took, status, completedAt, ...(errorMessage ? { errorMessage } : {}) },
      ],
    );
    ids[name] = executionId;
    ids[`${name}Step`] = stepIds[1] as string;
  }
  const orders = workflowOf('wf-orders');
  const tieAt = at(2, 12, 8, 40);
  for (const [name, minute, message] of [['tieGreater', 5, 'Duplicate key 😀 in batch'], ['tieLesser', 20, 'Duplicate key Ａ in batch']] as const) {
    const startedAt = at(2, 12, 8, minute);
    ids[name] = (
      await scenario.record({ workflowId: orders.id, workflowName: orders.name, triggerType: 'webhook', status: 'error', startedAt, completedAt: tieAt, errorMessage: 'A step failed' }, [
        { ...node('webhook-in'), stepIndex: 0, startedAt, status: 'success', completedAt: startedAt + 2 },
        { ...node('dedupe'), stepIndex: 1, startedAt: startedAt + 2, status: 'error', completedAt: tieAt, errorMessage: message },
      ])
    ).executionId;
  }
  const support = workflowOf('wf-support');
  const nullTieAt = at(2, 12, 11, 10);
  for (const [name, startedAt, message] of [['withMessage', at(2, 12, 10, 50), 'Blocked sender'], ['withoutMessage', at(2, 12, 11, 5), undefined]] as const) {
    ids[name] = (
      await scenario.record({ workflowId: support.id, workflowName: support.name, triggerType: 'webhook', status: 'success', startedAt, completedAt: nullTieAt + 10 }, [
        { ...node('spam-filter'), stepIndex: 0, startedAt, status: 'error', completedAt: nullTieAt, ...(message ? { errorMessage: message } : {}) },
      ])
    ).executionId;
  }
  for (const id of Object.values(ids)) scenario.untouchable.add(id);
  return ids;
}

/**
 * Later changes to what counts: statuses, durations, moves to another workflow, hour and day (steps follow their
 * execution), and steps' status, duration, message and end; running steps of running executions finished.
 */
async function updateHistory(scenario: Scenario, probes: Record<string, string>): Promise<void> {
  const { random } = scenario;
  const finished = () => scenario.candidates((execution) => execution.status !== 'running' && execution.workflowId !== LEGACY.id);
  for (let i = 0; i < 18; i++) {
    const execution = pick(random, finished());
    await scenario.updateExecution(
      execution.id,
      execution.status === 'success' ? { status: 'error', errorMessage: 'Marked failed by an operator' } : { status: 'success', errorMessage: null },
    );
  }
  for (let i = 0; i < 10; i++) await scenario.updateExecution(pick(random, finished()).id, { durationMs: duration(random) });
  for (let i = 0; i < 14; i++) {
    const execution = pick(random, scenario.candidates((candidate) => candidate.workflowId !== LEGACY.id));
    const target = pick(random, WORKFLOWS.filter((workflow) => workflow.id !== execution.workflowId));
    const moved = Math.min(NOW - HOUR, Math.max(HISTORY_START, execution.startedAt + (integer(random, 144) - 72) * HOUR + integer(random, HOUR)));
    const kind = i % 3; // to another workflow and time; to another time only; to another workflow only
    const workflow = kind === 1 ? {} : { workflowId: target.id, workflowName: target.name };
    const time =
      kind === 2 ? {} : execution.completedAt === undefined ? { startedAt: moved } : { startedAt: moved, completedAt: moved + (execution.completedAt - execution.startedAt) };
    await scenario.updateExecution(execution.id, { ...workflow, ...time });
  }
  const finishedSteps = () =>
    scenario.candidates(() => true).flatMap((execution) => execution.steps.filter((step) => step.status !== 'running').map((step) => ({ execution, step })));
  for (let i = 0; i < 30; i++) {
    const { execution, step } = pick(random, finishedSteps());
    const changes: StepChanges[] = [
      step.status === 'error' ? { status: 'success', errorMessage: null } : { status: 'error', errorMessage: pick(random, ERRORS) },
      { status: 'skipped', errorMessage: null },
      { durationMs: duration(random) },
      step.status === 'error' ? { errorMessage: `${pick(random, ERRORS)} (retried)` } : { durationMs: null },
      { completedAt: step.startedAt + duration(random) }, // its duration is derived again
    ];
    await scenario.updateStep(execution.id, step.id, changes[i % changes.length] as StepChanges);
  }
  const runningSteps = scenario
    .candidates((execution) => execution.status === 'running')
    .flatMap((execution) => execution.steps.filter((step) => step.status === 'running').map((step) => ({ execution, step })));
  for (const { execution, step } of runningSteps.slice(0, 12)) {
    await scenario.updateStep(execution.id, step.id, { status: 'success', completedAt: step.startedAt + duration(random) });
  }
  // The probe: the maximum lowered, the latest error made a success, after the deleted run left the rows.
  await scenario.updateStep(probes.holdsMax as string, probes.holdsMaxStep as string, { durationMs: 100 });
  await scenario.updateStep(probes.latestError as string, probes.latestErrorStep as string, { status: 'success', errorMessage: null });
}

/** deleteExecution of runs on the busy morning, at 30/45-minute zones' day edges, still running, and anywhere. */
async function deleteSome(scenario: Scenario): Promise<void> {
  const { random } = scenario;
  const finishedIn = (from: number, to: number) =>
    scenario.candidates((execution) => execution.status !== 'running' && execution.startedAt >= from && execution.startedAt < to);
  const busy = finishedIn(BUSY.startedAfter, BUSY.startedBefore);
  for (const execution of busy.slice(0, 6)) await scenario.deleteExecution(execution.id);
  const edges = scenario.halfHourEdgeRuns.filter((id) => !scenario.history.isDeleted(id) && scenario.history.get(id)?.status !== 'running');
  for (const id of edges.slice(0, 8)) await scenario.deleteExecution(id);
  for (const execution of scenario.candidates((candidate) => candidate.status === 'running').slice(0, 3)) await scenario.deleteExecution(execution.id);
  for (let i = 0; i < 12; i++) await scenario.deleteExecution(pick(random, finishedIn(HISTORY_START, NOW)).id);
}

// ------------------------------------------------------------------------------------------------------------------
// What is asked at each checkpoint

type Group = 'node stats' | 'day timelines' | 'hour timelines' | 'minute timelines' | 'workflow summaries';
const GROUPS: Group[] = ['node stats', 'day timelines', 'hour timelines', 'minute timelines', 'workflow summaries'];

type Question =
  | { group: 'node stats'; label: string; query: InsightRangeQuery }
  | { group: 'day timelines' | 'hour timelines' | 'minute timelines'; label: string; query: TimelineQueryLike }
  | { group: 'workflow summaries'; label: string; query: InsightRangeQuery };

const iso = (time: number) => new Date(time).toISOString().replace(':00.000Z', 'Z');
const rangeLabel = (query: InsightRangeQuery) =>
  `${query.workflowId ?? 'all workflows'}, ${query.startedAfter === undefined ? '…' : iso(query.startedAfter)} to ${query.startedBefore === undefined ? '…' : iso(query.startedBefore)}`;

/** The local days of the history in every zone (Chatham's 5 January starts on the 4th at 10:15 UTC). */
const DAY_SWEEP = { startedAfter: Date.UTC(2026, 0, 4, 12), startedBefore: Date.UTC(2026, 2, 3) };
/**
 * From September to April in the zones whose clocks skip midnight: Santiago's days start at 01:00 only on 7
 * September, and Havana's on 8 March; every day after starts at midnight again.
 */
const LONG_DAY_SWEEP = { startedAfter: Date.UTC(2025, 8, 1, 12), startedBefore: Date.UTC(2026, 3, 10) };
const HOUR_SWEEP = { startedAfter: at(2, 20), startedBefore: NOW };
/** Berlin's local days of the history, as the issue asked for them. */
const BERLIN_HISTORY = { startedAfter: Date.UTC(2026, 0, 4, 23), startedBefore: NOW, bucket: 'day', timeZone: 'Europe/Berlin' } as const;

function mainQuestions(): Question[] {
  const nodeRanges: InsightRangeQuery[] = [
    {},
    { startedAfter: HISTORY_START, startedBefore: NOW },
    { startedAfter: at(1, 1), startedBefore: at(2, 1) },
    { startedAfter: at(2, 1), startedBefore: at(3, 1) },
    { startedAfter: at(3, 1), startedBefore: at(4, 1) },
    ...[at(1, 5), at(1, 6), at(1, 27), at(2, 10), at(2, 12), at(2, 18), at(2, 25), at(3, 1)].map((day) => ({ startedAfter: day, startedBefore: day + DAY })),
    // Whole hours within the kept hourly node rollups: hours, or hours, days and hours.
    { startedAfter: PROBE_HOUR - HOUR, startedBefore: PROBE_HOUR + 2 * HOUR },
    { startedAfter: at(2, 12, 8), startedBefore: at(2, 12, 12) },
    { startedAfter: at(2, 12, 11), startedBefore: at(2, 12, 12) },
    { startedAfter: BUSY.startedAfter, startedBefore: BUSY.startedBefore },
    { startedAfter: at(2, 3, 5), startedBefore: at(2, 5, 19) },
    { workflowId: 'wf-reports', startedAfter: HISTORY_START, startedBefore: NOW },
    { workflowId: 'wf-orders', startedAfter: at(2, 1), startedBefore: at(3, 1) },
    { workflowId: 'wf-legacy' },
  ];
  const summaryRanges: InsightRangeQuery[] = [
    {},
    { startedAfter: HISTORY_START, startedBefore: NOW },
    { startedAfter: at(2, 1), startedBefore: at(3, 1) },
    { startedAfter: at(2, 20), startedBefore: NOW },
    BUSY,
    { startedAfter: at(1, 12, 7), startedBefore: at(1, 19, 15) }, // whole hours older than the kept hourly node rollups
  ];
  const timeline = (group: 'day timelines' | 'hour timelines' | 'minute timelines', query: TimelineQueryLike, note = ''): Question => ({
    group,
    label: `getTimeline ${query.bucket}s in ${query.timeZone}, ${query.workflowId ?? 'all workflows'}, ${iso(query.startedAfter)} to ${iso(query.startedBefore)}${note}`,
    query,
  });
  return [
    ...nodeRanges.map((query): Question => ({ group: 'node stats', label: `getNodeStats ${rangeLabel(query)}`, query })),
    ...ZONES.map((timeZone) => timeline('day timelines', { ...DAY_SWEEP, bucket: 'day', timeZone })),
    ...['America/Santiago', 'America/Havana'].map((timeZone) => timeline('day timelines', { ...LONG_DAY_SWEEP, bucket: 'day', timeZone })),
    ...['UTC', 'Europe/Berlin', 'Asia/Kolkata', 'America/Santiago'].map((timeZone) =>
      timeline('day timelines', { ...DAY_SWEEP, bucket: 'day', timeZone, workflowId: 'wf-orders' }),
    ),
    timeline('day timelines', BERLIN_HISTORY, ' (the issue)'),
    ...ZONES.map((timeZone) => timeline('hour timelines', { ...HOUR_SWEEP, bucket: 'hour', timeZone })),
    timeline('hour timelines', { ...HOUR_SWEEP, bucket: 'hour', timeZone: 'Asia/Kolkata', workflowId: 'wf-support' }),
    timeline('hour timelines', { ...HOUR_SWEEP, bucket: 'hour', timeZone: 'Europe/Berlin', workflowId: 'wf-orders' }),
    timeline('minute timelines', { ...BUSY, bucket: 'minute', timeZone: 'UTC' }),
    timeline('minute timelines', { ...BUSY, bucket: 'minute', timeZone: 'Asia/Kathmandu' }),
    timeline('minute timelines', { ...BUSY, bucket: 'minute', timeZone: 'UTC', workflowId: 'wf-orders' }),
    ...summaryRanges.map((query): Question => ({ group: 'workflow summaries', label: `getWorkflowSummaries ${rangeLabel(query)}`, query })),
  ];
}

async function ask(store: ExecutionStore, question: Question): Promise<object[]> {
  if (question.group === 'node stats') return inNodeOrder(await store.getNodeStats({ ...question.query, limit: 1000 }));
  if (question.group === 'workflow summaries') return store.getWorkflowSummaries(question.query);
  return store.getTimeline(question.query);
}

function expectedAnswer(scenario: Scenario, question: Question): ExpectedRow[] {
  if (question.group === 'node stats') return expectedNodeStats(scenario.history, question.query);
  if (question.group === 'workflow summaries') return expectedWorkflowSummaries(scenario.history, question.query);
  return expectedTimeline(scenario.history, question.query, scenario.kept);
}

const keyOf = (group: Group) => (group === 'node stats' ? keys.node : group === 'workflow summaries' ? keys.workflow : keys.bucket);

interface Answered {
  question: Question;
  actual: object[];
  expected: ExpectedRow[];
}

async function answerAll(scenario: Scenario, questions: Question[]): Promise<Answered[]> {
  const answered: Answered[] = [];
  for (const question of questions) answered.push({ question, actual: await ask(scenario.store, question), expected: expectedAnswer(scenario, question) });
  return answered;
}

/** Soft assertions: every question of the group is checked and reported, not only the first that fails. */
function expectAnswers(answers: Answered[]): void {
  expect(answers.length).toBeGreaterThan(0);
  for (const { question, actual, expected } of answers) {
    const comparison = compareAnswer(question.label, actual, expected, keyOf(question.group));
    expect.soft(comparison.actual, comparison.report || question.label).toEqual(comparison.expected);
  }
}

/** The same questions answered twice must give identical arrays (percentiles included). */
function expectSameAnswers(before: Answered[], after: Answered[]): void {
  for (const [i, { question, actual }] of before.entries()) {
    const again = (after[i] as Answered).actual;
    const comparison = compareAnswer(`${question.label}, after rebuildInsights()`, again, actual as ExpectedRow[], keyOf(question.group));
    expect.soft(comparison.actual, comparison.report || question.label).toEqual(comparison.expected);
  }
}

// ------------------------------------------------------------------------------------------------------------------
// The scenario, run once per retention mode; every answer is taken at each checkpoint, and checked by the tests below

const CHECKPOINTS = ['recorded', 'compacted', 'updated', 'deleted', 'pruned', 'cleaned up', 'recovered'] as const;
type Checkpoint = (typeof CHECKPOINTS)[number];
/** What is asked where: compacting weeks changes only which node rows are read, so only node stats are asked then. */
const ASKED: Record<Checkpoint, Group[]> = {
  recorded: GROUPS,
  compacted: ['node stats'],
  updated: GROUPS,
  deleted: GROUPS,
  pruned: GROUPS,
  'cleaned up': GROUPS,
  recovered: GROUPS,
};

interface Run {
  answers: Map<Checkpoint, Answered[]>;
  rebuilt?: { before: Answered[]; after: Answered[] };
  scenario: Scenario;
  deletedByCleanUps: number;
}

async function runMainScenario(backend: TestBackend, options: { outliveDeletes: boolean; deletes: boolean; answerAt?: Checkpoint[] }): Promise<Run> {
  const scenario = new Scenario({ outliveDeletes: options.outliveDeletes }, seededRandom(20260302));
  await scenario.open(backend);
  const questions = mainQuestions();
  const answers = new Map<Checkpoint, Answered[]>();
  const checkpoint = async (name: Checkpoint) => {
    if (options.answerAt !== undefined && !options.answerAt.includes(name)) return;
    answers.set(name, await answerAll(scenario, questions.filter((question) => ASKED[name].includes(question.group))));
  };

  const probes = await writeHistory(scenario);
  await checkpoint('recorded');
  // Weeks over by 23 March are compacted into weekly node rows, which every change below must follow.
  expect(await scenario.compactAt(NOW + 21 * DAY)).toBeGreaterThan(5);
  await checkpoint('compacted');
  if (options.deletes) await scenario.deleteExecution(probes.deletedLater as string);
  await updateHistory(scenario, probes);
  await checkpoint('updated');
  if (options.deletes) {
    await deleteSome(scenario);
    await checkpoint('deleted');
  }
  // Deletes nothing (nothing is a year old) but prunes the hourly node rollups older than 35 days.
  expect(await scenario.cleanUp('cleanupOldExecutions', () => scenario.store.cleanupOldExecutions(365 * DAY))).toBe(0);
  await checkpoint('pruned');
  let deletedByCleanUps = 0;
  if (options.deletes) {
    deletedByCleanUps += await scenario.cleanUp('cleanupOldExecutions', () => scenario.store.cleanupOldExecutions(20 * DAY));
    deletedByCleanUps += await scenario.cleanUp('cleanupByCount', () => scenario.store.cleanupByCount(30, 'wf-support'));
    await checkpoint('cleaned up');
  }
  expect(await scenario.recover(at(2, 27))).toBeGreaterThan(0);
  await checkpoint('recovered');
  let rebuilt: Run['rebuilt'];
  // rebuildInsights recounts what is stored: the same answers wherever the insights describe what is stored.
  if (!options.outliveDeletes || !options.deletes) {
    await scenario.store.rebuildInsights();
    await scenario.history.refreshAll(scenario.store);
    rebuilt = { before: answers.get('recovered') as Answered[], after: await answerAll(scenario, questions) };
  }
  await scenario.store.close();
  return { answers, rebuilt, scenario, deletedByCleanUps };
}

/**
 * How long a scenario may take to write and ask: on PostgreSQL every call is a round trip or a transaction, some ten
 * thousand of them per scenario (SQLite keeps the suite's default).
 */
const slowOn = (backend: TestBackend) => (backend.name === 'postgres' ? 600_000 : undefined);

const answersOf = (run: Run, checkpoint: Checkpoint, group: Group) =>
  (run.answers.get(checkpoint) ?? []).filter((answer) => answer.question.group === group);

forEachBackend((backend) => {
  describe.each([
    { mode: 'outliveDeletes: true', outliveDeletes: true },
    { mode: 'outliveDeletes: false', outliveDeletes: false },
  ])('insights of a seeded history against a recount, $mode', ({ outliveDeletes }) => {
    let run: Run;
    beforeAll(async () => {
      run = await runMainScenario(backend, { outliveDeletes, deletes: true });
    }, slowOn(backend));

    it('covers what it claims: every way of writing, updates, deletes, clean-ups, recovery, buckets to mark incomplete', () => {
      const { scenario } = run;
      const calls = scenario.counts.calls;
      for (const call of ['recordExecution', 'createExecution', 'addStep', 'addSteps', 'updateStep', 'updateExecution', 'deleteExecution', 'cleanupOldExecutions', 'cleanupByCount', 'recoverInterruptedExecutions']) {
        expect(calls[call], call).toBeGreaterThan(0);
      }
      expect(scenario.counts.executions).toBeGreaterThan(400);
      expect(run.deletedByCleanUps).toBeGreaterThan(100);
      const counted = scenario.history.counted();
      expect(counted.some((execution) => execution.status === 'running' && execution.steps.some((step) => step.status !== 'running'))).toBe(true);
      // With outliveDeletes, the day edges of 30/45-minute zones and the busy minutes must hold deleted runs.
      const incomplete = (group: Group) =>
        answersOf(run, 'deleted', group).flatMap((answer) => answer.expected.filter((bucket) => bucket.complete === false)).length;
      if (outliveDeletes) {
        expect(incomplete('day timelines')).toBeGreaterThan(0);
        expect(incomplete('hour timelines')).toBeGreaterThan(0);
        expect(incomplete('minute timelines')).toBeGreaterThan(0);
      } else {
        for (const group of GROUPS) expect(incomplete(group)).toBe(0);
      }
    });

    describe.each(CHECKPOINTS)('after %s', (checkpoint) => {
      it.each(ASKED[checkpoint])('%s', (group) => {
        expectAnswers(answersOf(run, checkpoint, group));
      });
    });

    it('keeps UTC, Berlin and New York days exact and complete after a clean-up that deletes (whole-hour zones)', () => {
      const days = answersOf(run, 'cleaned up', 'day timelines').filter(
        ({ question }) => question.group === 'day timelines' && ['UTC', 'Europe/Berlin', 'America/New_York'].includes(question.query.timeZone as string),
      );
      expect(days.length).toBeGreaterThanOrEqual(4);
      for (const answer of days) expect(answer.expected.every((bucket) => bucket.complete === true)).toBe(true);
      expectAnswers(days);
    });

    if (!outliveDeletes) {
      it('gives the same answers after rebuildInsights() as the writes gave', () => {
        expect(run.rebuilt).toBeDefined();
        expectSameAnswers(run.rebuilt?.before ?? [], run.rebuilt?.after ?? []);
      });
    }
  });

  describe('insights of the seeded history without deletes', () => {
    let run: Run;
    beforeAll(async () => {
      // What is asked before the deletes is asked of the same history in the runs above.
      run = await runMainScenario(backend, { outliveDeletes: true, deletes: false, answerAt: ['pruned', 'recovered'] });
    }, slowOn(backend));

    it('counts every execution in Berlin days after the hourly node rollups older than 35 days are pruned (the issue)', () => {
      const [issue] = answersOf(run, 'pruned', 'day timelines').filter(({ question }) => question.label.endsWith('(the issue)'));
      expect(issue).toBeDefined();
      const executions = run.scenario.history.stored().filter((execution) => execution.startedAt >= BERLIN_HISTORY.startedAfter).length;
      const counted = (issue?.actual as { total: number }[]).reduce((sum, bucket) => sum + bucket.total, 0);
      expect.soft(counted, `Berlin days count ${counted} of ${executions} executions`).toBe(executions);
      expectAnswers(issue === undefined ? [] : [issue]);
    });

    describe.each(['pruned', 'recovered'] as const)('after %s', (checkpoint) => {
      it.each(GROUPS)('%s', (group) => {
        expectAnswers(answersOf(run, checkpoint, group));
      });
    });

    it('gives the same answers after rebuildInsights() as the writes gave', () => {
      expect(run.rebuilt).toBeDefined();
      expectSameAnswers(run.rebuilt?.before ?? [], run.rebuilt?.after ?? []);
    });
  });

  // ------------------------------------------------------------------------------------------------------------------
  // Beyond the kept daily rollups: what is older than them is counted from the stored rows

  describe.each([
    { mode: 'outliveDeletes: true', outliveDeletes: true },
    { mode: 'outliveDeletes: false', outliveDeletes: false },
  ])('timelines older than the kept daily rollups (hourlyDays 2, dailyDays 10), $mode', ({ outliveDeletes }) => {
    let answers: Answered[];
    let dailyCutoff: number;
    beforeAll(async () => {
      const scenario = new Scenario({ outliveDeletes, hourlyDays: 2, dailyDays: 10 }, seededRandom(10));
      await scenario.open(backend);
      const start = at(2, 1);
      const { random } = scenario;
      for (let i = 0; i < 110; i++) await writeExecution(scenario, pick(random, WORKFLOWS), start + integer(random, NOW - start), randomWay(random));
      for (const zone of ['Asia/Kolkata', 'Europe/Berlin', 'Pacific/Chatham']) {
        for (const day of [14, 21, 25]) {
          const midnight = ZoneCalendar.of(zone).firstInstantOf(2026, 2, day);
          for (const offset of [-1, 0, 20 * MINUTE]) await writeExecution(scenario, pick(random, WORKFLOWS), midnight + offset, 'recorded');
        }
      }
      // Deleted one by one on both sides of the daily cutoff (20 February), and before the clean-up's own age.
      for (const [from, to] of [[at(2, 12), at(2, 19)], [at(2, 21), at(2, 28)], [at(2, 1), at(2, 9)]] as const) {
        const found = scenario.candidates((execution) => execution.status !== 'running' && execution.startedAt >= from && execution.startedAt < to);
        for (const execution of found.slice(0, 4)) await scenario.deleteExecution(execution.id);
      }
      // Deletes the finished runs before 10 February; prunes daily rollups (and hourly workflow ones) before the 20th.
      expect(await scenario.cleanUp('cleanupOldExecutions', () => scenario.store.cleanupOldExecutions(20 * DAY))).toBeGreaterThan(10);
      dailyCutoff = scenario.kept.daysFrom;
      expect(dailyCutoff).toBe(at(2, 20));
      const sweep = { startedAfter: at(2, 1), startedBefore: NOW };
      const questions: Question[] = [
        ...['UTC', 'Europe/Berlin', 'Asia/Kolkata', 'Pacific/Chatham', 'America/Santiago'].map(
          (timeZone): Question => ({ group: 'day timelines', label: `getTimeline days in ${timeZone}`, query: { ...sweep, bucket: 'day', timeZone } }),
        ),
        { group: 'day timelines', label: 'getTimeline days in Asia/Kolkata, wf-orders', query: { ...sweep, bucket: 'day', timeZone: 'Asia/Kolkata', workflowId: 'wf-orders' } },
        ...['UTC', 'Asia/Kolkata'].map(
          (timeZone): Question => ({
            group: 'hour timelines',
            label: `getTimeline hours in ${timeZone} across the daily cutoff`,
            query: { startedAfter: at(2, 18), startedBefore: at(2, 22), bucket: 'hour', timeZone },
          }),
        ),
      ];
      answers = await answerAll(scenario, questions);
      await scenario.store.close();
    }, slowOn(backend));

    it(`counts the parts older than the cutoff from the stored rows${outliveDeletes ? ', marked incomplete' : ', exact and complete'}`, () => {
      const older = answers.flatMap((answer) => answer.expected.filter((bucket) => (bucket.start as number) < dailyCutoff));
      expect(older.length).toBeGreaterThan(20);
      expect(older.every((bucket) => bucket.complete === !outliveDeletes)).toBe(true);
      expectAnswers(answers);
    });
  });
});
