// The PostgreSQL baseline: hand-written SQL on raw node-postgres, doing the same work as the store (uuid v7 ids,
// JSON.stringify payloads, rows mapped to objects with their bigint columns read as numbers) on the same database
// with the same indexes. A pg.Pool of the store's default size (4), every query sent unnamed as the store sends them
// (no server-side prepared statements). What the store adds on top is its own bookkeeping: the running totals and
// rollups written in the same transaction, the snapshot of a multi-statement read, validation and redaction.
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import type { NewExecution, NewStep, RunStep } from '../../src/index.js';

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
const parsed = (text: unknown) => (typeof text === 'string' ? JSON.parse(text) : undefined);
/** int8 columns come back from node-postgres as strings; the store reads them as numbers, and so does this. */
const millis = (value: unknown) => (value === null || value === undefined ? value : Number(value));

export type RawRow = Record<string, unknown>;

const EXECUTION_INSERT = `INSERT INTO workflow_executions (id, workflow_id, workflow_name, trigger_type, trigger_data, status,
  started_at, completed_at, duration_ms, error_message, error_stack, metadata) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`;
const STEP_INSERT = `INSERT INTO execution_steps (id, execution_id, node_id, node_type, node_name, step_index, started_at,
  completed_at, duration_ms, status, input_data, output_data, error_message) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`;
/** Many steps in one statement: one array per column, unnest()ed on the server (what a careful hand-written batch does). */
const STEPS_INSERT = `INSERT INTO execution_steps (id, execution_id, node_id, node_type, node_name, step_index, started_at,
  completed_at, duration_ms, status, input_data, output_data, error_message)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int4[], $7::int8[], $8::int8[], $9::int8[],
    $10::text[], $11::text[], $12::text[], $13::text[])`;
const FINISH_EXECUTION = 'UPDATE workflow_executions SET status = $1, completed_at = $2, duration_ms = $2 - started_at WHERE id = $3';
const EXECUTION_BY_ID = 'SELECT * FROM workflow_executions WHERE id = $1';
const STEPS_OF = 'SELECT * FROM execution_steps WHERE execution_id = $1 ORDER BY step_index, id';

export const toExecution = (row: RawRow) => ({
  ...row,
  started_at: millis(row.started_at),
  completed_at: millis(row.completed_at),
  duration_ms: millis(row.duration_ms),
  trigger_data: parsed(row.trigger_data),
  metadata: parsed(row.metadata),
});
const toStep = (row: RawRow) => ({
  ...row,
  started_at: millis(row.started_at),
  completed_at: millis(row.completed_at),
  duration_ms: millis(row.duration_ms),
  input_data: parsed(row.input_data),
  output_data: parsed(row.output_data),
});

function executionValues(e: NewExecution): { id: string; values: unknown[] } {
  const id = uuidv7();
  const duration = e.durationMs ?? (e.completedAt === undefined ? null : e.completedAt - e.startedAt);
  return {
    id,
    values: [id, e.workflowId, e.workflowName, e.triggerType, json(e.triggerData), e.status, e.startedAt, e.completedAt ?? null,
      duration, e.errorMessage ?? null, e.errorStack ?? null, json(e.metadata)],
  };
}

function stepValues(s: NewStep): unknown[] {
  const duration = s.durationMs ?? (s.completedAt === undefined ? null : s.completedAt - s.startedAt);
  return [uuidv7(), s.executionId, s.nodeId, s.nodeType, s.nodeName ?? null, s.stepIndex, s.startedAt, s.completedAt ?? null,
    duration, s.status, json(s.inputData), json(s.outputData), s.errorMessage ?? null];
}

/** Rows of step values as one array per column, for STEPS_INSERT. */
const columnsOf = (rows: unknown[][]) => Array.from({ length: 13 }, (_, column) => rows.map((row) => row[column]));

export type Raw = ReturnType<typeof openRaw>;

export function openRaw(url: string) {
  // As the store's own pool (src/postgres/connection.ts): 4 connections, the same timeouts.
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    application_name: 'execution-history-bench-raw',
  });
  pool.on('error', () => undefined);

  const addExecution = async (e: NewExecution) => {
    const { id, values } = executionValues(e);
    await pool.query(EXECUTION_INSERT, values);
    return id;
  };
  const addStep = async (s: NewStep) => {
    const values = stepValues(s);
    await pool.query(STEP_INSERT, values);
    return values[0] as string;
  };
  /** Steps in one statement (atomic by itself: no BEGIN/COMMIT needed). */
  const addSteps = async (steps: NewStep[]) => {
    const rows = steps.map(stepValues);
    await pool.query(STEPS_INSERT, columnsOf(rows));
    return rows.map((row) => row[0] as string);
  };
  /**
   * Runs (executions with their steps) in one transaction: BEGIN, each execution, all their steps in one statement,
   * COMMIT. Answers the executions' ids.
   */
  const writeRuns = async (runs: { execution: NewExecution; steps: RunStep[] }[]) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const ids: string[] = [];
      const rows: unknown[][] = [];
      for (const { execution, steps } of runs) {
        const { id, values } = executionValues(execution);
        await client.query(EXECUTION_INSERT, values);
        ids.push(id);
        for (const step of steps) rows.push(stepValues({ ...step, executionId: id }));
      }
      if (rows.length > 0) await client.query(STEPS_INSERT, columnsOf(rows));
      await client.query('COMMIT');
      return ids;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
  /** An execution and its steps in one transaction. */
  const recordExecution = async (execution: NewExecution, steps: RunStep[]) => (await writeRuns([{ execution, steps }]))[0] as string;

  return {
    pool,
    writeRuns,
    addExecution,
    addStep,
    addSteps,
    recordExecution,
    finishExecution: async (id: string, status: string, completedAt: number) => {
      await pool.query(FINISH_EXECUTION, [status, completedAt, id]);
    },
    /** The execution, then its steps: two statements, as the SQLite baseline reads them (no snapshot around them). */
    executionWithSteps: async (id: string) => {
      const { rows } = await pool.query(EXECUTION_BY_ID, [id]);
      const row = rows[0] as RawRow | undefined;
      return row && { ...toExecution(row), steps: ((await pool.query(STEPS_OF, [id])).rows as RawRow[]).map(toStep) };
    },
    /** A page query, its rows mapped as the store maps them (payloads parsed, times as numbers). */
    page:
      (sql: string) =>
      async (...parameters: unknown[]) =>
        ((await pool.query(sql, parameters)).rows as RawRow[]).map(toExecution),
    /** A query's rows as they come. */
    rows: async (sql: string, parameters: unknown[] = []) => (await pool.query(sql, parameters)).rows as RawRow[],
    close: () => pool.end(),
  };
}

/**
 * How many statements (round trips to the server) `work` sends, from this process, on any pool or client: counted at
 * pg.Client's query(), which every pool query and every transaction statement of the store and of the raw side passes.
 */
export async function countRoundTrips(work: () => Promise<unknown>): Promise<number> {
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  let count = 0;
  prototype.query = function counted(this: unknown, ...args: unknown[]) {
    count++;
    return original.apply(this, args);
  };
  try {
    await work();
  } finally {
    prototype.query = original;
  }
  return count;
}
