import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openExecutionStore } from '../src/index.js';
import { T0, newExecution, newStep, tempDir, track } from './factories.js';

const run = promisify(execFile);
const recorder = new URL('./fixtures/record-runs.mjs', import.meta.url).pathname;
const mixedLoad = new URL('./fixtures/mixed-load.mjs', import.meta.url).pathname;

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

  it('four processes recording 5,000 steps each at the same time lose nothing and raise no error', { timeout: 120_000 }, async () => {
    const file = join(tempDir(), 'shared.db');
    (await openExecutionStore(file)).close();
    const workflows = ['wf-1', 'wf-2', 'wf-3', 'wf-4'];

    const results = await Promise.all(workflows.map((workflowId) => run(process.execPath, [recorder, file, workflowId, '500', '10'])));

    expect(results.map((result) => result.stderr)).toEqual(['', '', '', '']);
    expect(countRows(file)).toEqual({
      counts: workflows.map((workflowId) => ({ workflowId, executions: 500, steps: 5000, successfulSteps: 5000 })),
      integrity: 'ok',
    });
  });

  it('four processes mixing writes, queries, retention and recovery raise no error and count right', { timeout: 120_000 }, async () => {
    const file = join(tempDir(), 'shared.db');
    (await openExecutionStore(file)).close();
    const workflows = ['wf-1', 'wf-2', 'wf-3', 'wf-4'];

    const results = await Promise.all(
      workflows.map((workflowId, index) => run(process.execPath, [mixedLoad, file, workflowId, '1500', String(index + 1)])),
    );

    const reports = results.map((result) => JSON.parse(result.stdout));
    expect(results.map((result) => result.stderr)).toEqual(['', '', '', '']);
    expect(reports.map((report) => ({ errors: report.errors, countRight: report.countRight }))).toEqual(
      workflows.map(() => ({ errors: {}, countRight: true })),
    );
    // Every kind of call was made, and the prunes did delete.
    for (const report of reports) expect(Object.keys(report.made).sort()).toEqual(
      ['addSteps', 'cleanupOld', 'create', 'finish', 'page', 'prune', 'query', 'record', 'recover', 'show', 'stats'],
    );
    expect(reports.reduce((sum, report) => sum + report.deleted, 0)).toBeGreaterThan(0);
    const { counts, integrity } = countRows(file);
    expect(integrity).toBe('ok');
    expect(counts.map((row) => (row as { executions: number }).executions)).toEqual(reports.map((report) => report.remaining));
  });
});
