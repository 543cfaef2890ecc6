import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openExecutionStore } from '../src/index.js';
import { T0, newExecution, newStep, tempDir, track } from './factories.js';

const run = promisify(execFile);
const recorder = new URL('./fixtures/record-runs.mjs', import.meta.url).pathname;

function countRows(file: string) {
  const sqlite = new Database(file, { readonly: true });
  const counts = sqlite
    .prepare(
      `SELECT e.workflow_id AS workflowId, count(DISTINCT e.id) AS executions, count(s.id) AS steps,
              sum(s.status = 'success') AS successfulSteps
         FROM workflow_executions e LEFT JOIN execution_steps s ON s.execution_id = e.id
        GROUP BY e.workflow_id ORDER BY e.workflow_id`,
    )
    .all();
  const integrity = sqlite.pragma('integrity_check', { simple: true });
  sqlite.close();
  return { counts, integrity };
}

describe('concurrent writers on one file', () => {
  it('two connections in one process interleave writes without losing any', async () => {
    const file = join(tempDir(), 'shared.db');
    const a = track(await openExecutionStore(file));
    const b = track(await openExecutionStore(file));

    const record = async (store: typeof a, workflowId: string) => {
      for (let i = 0; i < 50; i++) {
        const executionId = await store.createExecution(newExecution({ workflowId, startedAt: T0 + i }));
        await store.addStep(newStep(executionId, { stepIndex: 0 }));
        await store.addStep(newStep(executionId, { stepIndex: 1 }));
      }
    };
    await Promise.all([record(a, 'wf-a'), record(b, 'wf-b')]);

    expect(await a.queryExecutions({ workflowId: 'wf-b', limit: 1000 })).toHaveLength(50);
    expect(await b.queryExecutions({ workflowId: 'wf-a', limit: 1000 })).toHaveLength(50);
    expect(countRows(file).counts).toEqual([
      { workflowId: 'wf-a', executions: 50, steps: 100, successfulSteps: 0 },
      { workflowId: 'wf-b', executions: 50, steps: 100, successfulSteps: 0 },
    ]);
  });

  it('two processes recording runs at the same time lose nothing and raise no error', async () => {
    const file = join(tempDir(), 'shared.db');
    (await openExecutionStore(file)).close(); // the runtime migrates once at start-up

    const [first, second] = await Promise.all([
      run(process.execPath, [recorder, file, 'wf-one', '60', '8']),
      run(process.execPath, [recorder, file, 'wf-two', '60', '8']),
    ]);

    expect([first.stderr, second.stderr]).toEqual(['', '']);
    expect(countRows(file)).toEqual({
      counts: [
        { workflowId: 'wf-one', executions: 60, steps: 480, successfulSteps: 480 },
        { workflowId: 'wf-two', executions: 60, steps: 480, successfulSteps: 480 },
      ],
      integrity: 'ok',
    });
  });
});
