// Parts 1 and 2 on PostgreSQL: writes, in a database of their own so that the big dataset's size does not colour
// them (as SQLite's part writes a scratch file). The raw side writes the same rows with hand-written statements:
// a single step or execution in one autocommitted statement, a batch of steps in one statement (unnest of arrays,
// as the store writes them), a run with its steps as BEGIN, two inserts, COMMIT.
import { type NewExecution, type NewStep, openExecutionStore } from '../../../src/index.js';
import { makeRun, random } from '../../dataset.js';
import { type Row, row, sideBySide } from '../../measure.js';
import { openRaw } from '../raw.js';
import { roundTrips } from './reads.js';

/** The targets: those of the SQLite part, but a run with its ~10 steps may cost twice the raw transaction. */
export const WRITE_TARGETS = { addStep: 1.25, addSteps: 1.25, recordExecution: 2, createUpdate: 1.25 } as const;

export async function writeParts(url: string, reps: number, checkpoint: () => Promise<void>): Promise<Row[]> {
  const store = await openExecutionStore(url);
  const raw = openRaw(url);
  const next = random(7);
  const runs = Array.from({ length: 200 }, (_, i) => makeRun(i, 200, next));
  const anExecution: NewExecution = { ...(runs[0]?.execution as NewExecution), status: 'running', completedAt: undefined };
  const storeExecution = await store.createExecution(anExecution);
  const rawExecution = await raw.addExecution(anExecution);
  // Steps cycle through realistic payloads (about 1 KB each on average).
  const stepsFor = (executionId: string, count: number): NewStep[] =>
    Array.from({ length: count }, (_, i) => ({ ...(runs[i % runs.length]?.steps[0] as NewStep), stepIndex: i, executionId }));

  const rows: Row[] = [];
  const single = 500;
  await checkpoint();
  rows.push(
    row(
      '1 writes',
      `addStep, one commit per step (${single} steps)`,
      await sideBySide(
        reps,
        async () => {
          for (const step of stepsFor(storeExecution, single)) await store.addStep(step);
          return single;
        },
        async () => {
          for (const step of stepsFor(rawExecution, single)) await raw.addStep(step);
          return single;
        },
      ),
      WRITE_TARGETS.addStep,
      await roundTrips(() => store.addStep(stepsFor(storeExecution, 1)[0] as NewStep), () => raw.addStep(stepsFor(rawExecution, 1)[0] as NewStep)),
    ),
  );

  const batch = 1000;
  await checkpoint();
  rows.push(
    row(
      '1 writes',
      `addSteps, ${batch} steps in one transaction`,
      await sideBySide(
        reps,
        async () => (await store.addSteps(stepsFor(storeExecution, batch))).length,
        async () => (await raw.addSteps(stepsFor(rawExecution, batch))).length,
      ),
      WRITE_TARGETS.addSteps,
      `${await roundTrips(() => store.addSteps(stepsFor(storeExecution, batch)), () => raw.addSteps(stepsFor(rawExecution, batch)))} (per call of ${batch} steps)`,
    ),
  );

  const whole = 100;
  await checkpoint();
  const firstRun = runs[1] as (typeof runs)[number];
  rows.push(
    row(
      '1 writes',
      `recordExecution, a run with its ~10 steps per transaction (${whole} runs)`,
      await sideBySide(
        reps,
        async () => {
          for (const run of runs.slice(0, whole)) await store.recordExecution(run.execution, run.steps);
          return whole;
        },
        async () => {
          for (const run of runs.slice(0, whole)) await raw.recordExecution(run.execution, run.steps);
          return whole;
        },
      ),
      WRITE_TARGETS.recordExecution,
      `${await roundTrips(
        () => store.recordExecution(firstRun.execution, firstRun.steps),
        () => raw.recordExecution(firstRun.execution, firstRun.steps),
      )}; target ≤ 2 on PostgreSQL (SQLite's part: ≤ 1.25)`,
    ),
  );

  const pairs = 500;
  await checkpoint();
  const finishedStatus = runs[1]?.execution.status ?? 'success';
  rows.push(
    row(
      '2 executions',
      `createExecution + updateExecution (${pairs} pairs)`,
      await sideBySide(
        reps,
        async () => {
          for (const run of runs.slice(0, pairs)) {
            const id = await store.createExecution(anExecution);
            await store.updateExecution(id, { status: run.execution.status, completedAt: anExecution.startedAt + 50 });
          }
          return Math.min(pairs, runs.length);
        },
        async () => {
          for (const run of runs.slice(0, pairs)) {
            const id = await raw.addExecution(anExecution);
            await raw.finishExecution(id, run.execution.status, anExecution.startedAt + 50);
          }
          return Math.min(pairs, runs.length);
        },
      ),
      WRITE_TARGETS.createUpdate,
      await roundTrips(
        async () => store.updateExecution(await store.createExecution(anExecution), { status: finishedStatus, completedAt: anExecution.startedAt + 50 }),
        async () => raw.finishExecution(await raw.addExecution(anExecution), finishedStatus, anExecution.startedAt + 50),
      ),
    ),
  );
  await store.close();
  await raw.close();
  return rows;
}
