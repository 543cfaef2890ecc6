// Parts 1 and 2: writes, on a scratch file of their own so that the big dataset's size does not colour them.
import { type NewExecution, type NewStep, openExecutionStore } from '../../src/index.js';
import { makeRun, random } from '../dataset.js';
import { type Row, row, sideBySide } from '../measure.js';
import { openRaw } from '../raw.js';

export async function writeParts(file: string, reps: number): Promise<Row[]> {
  const store = await openExecutionStore(file);
  const raw = openRaw(file);
  const next = random(7);
  const runs = Array.from({ length: 200 }, (_, i) => makeRun(i, 200, next));
  const anExecution: NewExecution = { ...(runs[0]?.execution as NewExecution), status: 'running', completedAt: undefined };
  const storeExecution = await store.createExecution(anExecution);
  const rawExecution = raw.addExecution(anExecution);
  // Steps cycle through realistic payloads (about 1 KB each on average).
  const stepsFor = (executionId: string, count: number): NewStep[] =>
    Array.from({ length: count }, (_, i) => ({ ...(runs[i % runs.length]?.steps[0] as NewStep), stepIndex: i, executionId }));

  // Every timed run starts from an empty WAL. Otherwise SQLite's automatic checkpoint (every 1000 pages) falls
  // on whichever side happens to cross the mark, and with these fixed batch sizes it fell on the same side
  // repetition after repetition (it once made one side look twice as slow).
  const emptyWal = () => raw.db.pragma('wal_checkpoint(TRUNCATE)');

  const rows: Row[] = [];
  const single = 500;
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
        () => {
          for (const step of stepsFor(rawExecution, single)) raw.addStep(step);
          return single;
        },
        emptyWal,
      ),
      1.25,
    ),
  );

  const batch = 1000;
  rows.push(
    row(
      '1 writes',
      `addSteps, ${batch} steps in one transaction`,
      await sideBySide(
        reps,
        async () => (await store.addSteps(stepsFor(storeExecution, batch))).length,
        () => raw.addSteps(stepsFor(rawExecution, batch)).length,
        emptyWal,
      ),
      1.25,
    ),
  );

  const whole = 100;
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
        () => {
          for (const run of runs.slice(0, whole)) raw.recordExecution(run.execution, run.steps);
          return whole;
        },
        emptyWal,
      ),
      1.25,
    ),
  );

  const pairs = 500;
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
        () => {
          for (const run of runs.slice(0, pairs)) {
            const id = raw.addExecution(anExecution);
            raw.finishExecution(id, run.execution.status, anExecution.startedAt + 50);
          }
          return Math.min(pairs, runs.length);
        },
        emptyWal,
      ),
      1.25,
    ),
  );
  store.close();
  raw.db.close();
  return rows;
}

