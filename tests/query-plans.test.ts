// The indexes exist to serve the store's queries: check SQLite's plan for the SQL the store really prepares.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ExecutionStore } from '../src/index.js';
import { track } from './factories.js';

/** A store whose connection remembers the SQL of every statement it runs, and a way to explain what a call ran. */
function recordingStore() {
  const sqlite = new Database(':memory:');
  const executed: string[] = [];
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((source: string) => {
    const statement = prepare(source);
    for (const method of ['run', 'get', 'all'] as const) {
      const original = statement[method].bind(statement) as (...parameters: unknown[]) => unknown;
      Object.assign(statement, {
        [method]: (...parameters: unknown[]) => {
          executed.push(source);
          return original(...parameters);
        },
      });
    }
    return statement;
  }) as typeof sqlite.prepare;
  const store = track(new ExecutionStore(sqlite));

  /** The plan of the first query the call ran (of the first that contains `part`, when given). */
  const planOf = async (call: () => Promise<unknown>, part?: string): Promise<string> => {
    executed.length = 0;
    await call();
    const [source] = executed.filter((text) =>
      part === undefined ? text.startsWith('select') || text.startsWith('delete') : text.includes(part),
    );
    if (source === undefined) throw new Error('the call prepared no query');
    const parameters = Array.from(source.matchAll(/\?/g), () => 1);
    const plan = prepare(`EXPLAIN QUERY PLAN ${source}`).all(...parameters) as { detail: string }[];
    return plan.map((row) => row.detail).join('\n');
  };
  return { store, planOf };
}

describe('query plans', () => {
  it('pages of executions read their index in order; only ties on started_at are sorted', async () => {
    const { store, planOf } = recordingStore();
    const inOrder = (index: string, search = true) =>
      new RegExp(`^${search ? 'SEARCH' : 'SCAN'} workflow_executions USING INDEX ${index}.*\\nUSE TEMP B-TREE FOR LAST TERM OF ORDER BY$`);

    expect(await planOf(() => store.queryExecutions())).toMatch(inOrder('workflow_executions_started_idx', false));
    expect(await planOf(() => store.queryExecutions({ workflowId: 'wf' }))).toMatch(
      inOrder('workflow_executions_workflow_started_idx \\(workflow_id=\\?\\)'),
    );
    expect(await planOf(() => store.queryExecutions({ status: 'error' }))).toMatch(
      inOrder('workflow_executions_status_started_idx \\(status=\\?\\)'),
    );
    expect(await planOf(() => store.queryExecutions({ workflowId: 'wf', status: 'error' }))).toMatch(
      inOrder('workflow_executions_workflow_status_started_idx \\(workflow_id=\\? AND status=\\?\\)'),
    );
    expect(await planOf(() => store.queryExecutions({ startedAfter: 1, startedBefore: 2 }))).toMatch(
      inOrder('workflow_executions_started_idx \\(started_at>\\? AND started_at<\\?\\)'),
    );
    expect(await planOf(() => store.queryExecutions({ orderBy: 'duration_ms' }))).toMatch(
      inOrder('workflow_executions_duration_idx', false),
    );
  });

  it('cursor pages range-scan the sort key index from the cursor on', async () => {
    const { store, planOf } = recordingStore();
    const cursorFor = async (orderBy: 'started_at' | 'duration_ms') => {
      for (let i = 0; i < 3; i++) {
        await store.createExecution({ workflowId: 'wf', workflowName: 'W', triggerType: 'manual', status: 'success', startedAt: i, durationMs: i });
      }
      return (await store.queryExecutionsPage({ orderBy, limit: 1 })).nextCursor ?? undefined;
    };
    const startedCursor = await cursorFor('started_at');
    expect(await planOf(() => store.queryExecutionsPage({ cursor: startedCursor }))).toMatch(
      /^SEARCH workflow_executions USING INDEX workflow_executions_started_idx \(started_at<\?\)\nUSE TEMP B-TREE FOR LAST TERM OF ORDER BY$/,
    );
    expect(await planOf(() => store.queryExecutionsPage({ workflowId: 'wf', cursor: startedCursor }))).toMatch(
      /^SEARCH workflow_executions USING INDEX workflow_executions_workflow_started_idx \(workflow_id=\? AND started_at<\?\)/,
    );
    const durationCursor = await cursorFor('duration_ms');
    expect(await planOf(() => store.queryExecutionsPage({ orderBy: 'duration_ms', cursor: durationCursor }))).toMatch(
      /^SEARCH workflow_executions USING INDEX workflow_executions_duration_idx \(<expr><\?\)/,
    );
  });

  it('steps are read in order through (execution_id, step_index)', async () => {
    const { store, planOf } = recordingStore();
    expect(await planOf(() => store.getStepsForExecution('x'))).toBe(
      'SEARCH execution_steps USING INDEX execution_steps_execution_step_idx (execution_id=?)\nUSE TEMP B-TREE FOR LAST TERM OF ORDER BY',
    );
  });

  it('timelines and summaries count running executions from covering indexes, never reading the rows', async () => {
    const { store, planOf } = recordingStore();
    await store.createExecution({ workflowId: 'wf', workflowName: 'W', triggerType: 'manual', status: 'running', startedAt: 1 });
    const timeline = (workflowId?: string) => () => store.getTimeline({ workflowId, startedAfter: 0, startedBefore: 3_600_000, bucket: 'hour' });
    const running = '/ 3600000';
    // Across workflows: one index seek per hour, no sort.
    expect(await planOf(timeline(), running)).toBe(
      [
        'CO-ROUTINE hours',
        'SETUP',
        'SCAN CONSTANT ROW',
        'RECURSIVE STEP',
        'SCAN hours',
        'SCAN hours',
        'CORRELATED SCALAR SUBQUERY 3',
        'SEARCH workflow_executions USING COVERING INDEX workflow_executions_status_started_idx (status=? AND started_at>? AND started_at<?)',
      ].join('\n'),
    );
    expect(await planOf(timeline('wf'), running)).toBe(
      'SEARCH workflow_executions USING COVERING INDEX workflow_executions_workflow_status_started_idx (workflow_id=? AND status=? AND started_at>? AND started_at<?)\nUSE TEMP B-TREE FOR GROUP BY',
    );
    expect(await planOf(() => store.getWorkflowSummaries(), 'select count(*) from "workflow_executions"')).toBe(
      'SEARCH workflow_executions USING COVERING INDEX workflow_executions_workflow_status_started_idx (workflow_id=? AND status=? AND started_at>? AND started_at<?)',
    );
  });

  it('retention finds old executions by start time and their steps through the execution index', async () => {
    const { store, planOf } = recordingStore();
    const plan = await planOf(() => store.cleanupOldExecutions(1000));
    expect(plan).toContain('SEARCH workflow_executions USING INDEX workflow_executions_started_idx (started_at<?)');
    expect(plan).not.toMatch(/SCAN execution_steps/);
  });
});
