// The demo's simulated history: runs of the demo's workflows over the 30 days before a given end, each run through the
// workflow engine and recorded by a recorder, a few at a time as a runtime's workers would. Seeded: a seed gives the
// same runs, the same data and the same failures every time, whatever order the runs happen to finish in.
import type { Recorder } from '../recorder/recorder.js';
import type { JsonObject } from '../core/types.js';
import { type DemoWorkflow, demoWorkflows } from './demo-workflows.js';
import { pick } from './fake-data.js';
import { withOutages } from './partner-apis.js';
import { DAY, HISTORY_DAYS, random } from './simulated-history.js';
import { type RunOptions, type RunOutcome, runWorkflow } from './workflow-engine.js';

export interface SimulatedHistoryOptions {
  executions: number;
  /** Where the history's random numbers start: the same seed, the same history. */
  seed: number;
  /** The runs start over the 30 days before this (ms since the epoch). */
  end: number;
  /** Runs under way at once; default 4. */
  concurrency?: number;
  /** Told how many runs have finished (or been left running), as they do. */
  onProgress?: (finished: number) => void;
  /** Once aborted, no more runs are started (those under way finish). */
  signal?: AbortSignal;
}

export type HistorySummary = Record<RunOutcome['status'], number>;

/** Runs whose worker dies mid-node: left running, as after a crash, until recovery. */
const CRASH_SHARE = 0.022;
const WORKERS = ['worker-1', 'worker-2', 'worker-3', 'worker-4'];
export const RUNTIME_VERSION = '2.4.1';
/** A cron fires a few ms late. */
const CRON_LAG_MS = 3;
/** Items the recorder may hold before the demo waits for its writer: far under its bounds, so it never drops. */
const MOST_QUEUED = 10_000;

interface PlannedRun extends RunOptions {
  workflow: DemoWorkflow;
}

/** Records `executions` simulated runs through `recorder`; resolves, once they have all ended, with their statuses. */
export async function recordSimulatedHistory(recorder: Recorder, options: SimulatedHistoryOptions): Promise<HistorySummary> {
  const plans = plannedRuns(options);
  const summary: HistorySummary = { success: 0, error: 0, running: 0 };
  let finished = 0;
  let day: number | undefined;
  const worker = async () => {
    // The plans are drawn one by one from one generator, in order: which worker takes which changes nothing of them.
    for (let next = plans.next(); !next.done && options.signal?.aborted !== true; next = plans.next()) {
      const { workflow, ...run } = next.value;
      // A batch written at each new day of the history: on PostgreSQL a batch that meets a day without its partition
      // makes it and is written again from the start, so a batch spanning the month would be written ~30 times.
      if (Math.floor(run.startedAt / DAY) !== day) {
        day = Math.floor(run.startedAt / DAY);
        await recorder.flush();
      }
      const outcome = await runWorkflow(recorder, workflow.definition, run);
      summary[outcome.status] += 1;
      options.onProgress?.((finished += 1));
      // Simulated time never yields to the event loop, whose turns the recorder's writer needs: a turn per run, and a
      // wait for the writer when it falls behind, so that the recorder's bounded buffer never has to drop anything.
      if (recorder.stats().queued >= MOST_QUEUED) await recorder.flush();
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return summary;
}

/**
 * The runs, spread evenly over the history (one per slot, at a random time in it) and drawn by their workflows'
 * weights, but for a nightly workflow, which runs in the slot that holds its hour, at that hour. Each run has random
 * numbers of its own, seeded from the history's, for its trigger's data and for what happens to it.
 */
function* plannedRuns({ executions, seed, end }: SimulatedHistoryOptions): Generator<PlannedRun> {
  const next = random(seed);
  const from = end - HISTORY_DAYS * DAY;
  const workflows = demoWorkflows({ partners: withOutages(next, from, end) });
  const drawn = workflows.filter((workflow) => workflow.weight > 0);
  const totalWeight = drawn.reduce((sum, workflow) => sum + workflow.weight, 0);
  const slot = (end - from) / executions;
  for (let i = 0; i < executions; i++) {
    const slotStart = from + i * slot;
    const runRandom = random(Math.floor(next() * 2 ** 32));
    const jitter = next();
    const roll = next() * totalWeight;
    const crash = next() < CRASH_SHARE ? next() : undefined;
    let workflow = byWeight(drawn, roll);
    let startedAt = Math.floor(slotStart + jitter * slot);
    for (const nightly of workflows) {
      if (nightly.nightlyAtUtcHour === undefined) continue;
      const at = firstTimeOfDay(slotStart, nightly.nightlyAtUtcHour);
      if (at < slotStart + slot) [workflow, startedAt] = [nightly, at + CRON_LAG_MS];
    }
    const triggerData: JsonObject = workflow.trigger(runRandom, startedAt);
    yield {
      workflow,
      triggerData,
      metadata: { runtimeVersion: RUNTIME_VERSION, host: pick(runRandom, WORKERS) },
      startedAt,
      random: runRandom,
      ...(crash === undefined ? {} : { crashAt: Math.floor(crash * workflow.definition.nodes.length) }),
    };
  }
}

function byWeight(workflows: readonly DemoWorkflow[], roll: number): DemoWorkflow {
  let below = 0;
  for (const workflow of workflows) {
    below += workflow.weight;
    if (roll < below) return workflow;
  }
  return workflows[workflows.length - 1] as DemoWorkflow;
}

/** The first instant at `hour`:00 UTC at or after `after`. */
function firstTimeOfDay(after: number, hour: number): number {
  const sameDay = Math.floor(after / DAY) * DAY + hour * 3_600_000;
  return sameDay >= after ? sameDay : sameDay + DAY;
}
