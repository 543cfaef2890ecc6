// The baseline: hand-written prepared statements on raw better-sqlite3, doing the same work as the store
// (uuid v7 ids, JSON payloads, rows mapped to objects) on the same file with the same indexes.
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import type { NewExecution, NewStep } from '../src/index.js';

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
const parsed = (text: unknown) => (typeof text === 'string' ? JSON.parse(text) : undefined);

export type RawRow = Record<string, unknown>;

export function openRaw(file: string) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');

  const insertExecution = db.prepare(
    `INSERT INTO workflow_executions (id, workflow_id, workflow_name, trigger_type, trigger_data, status, started_at,
       completed_at, duration_ms, error_message, error_stack, metadata) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
  );
  const insertStep = db.prepare(
    `INSERT INTO execution_steps (id, execution_id, node_id, node_type, node_name, step_index, started_at,
       completed_at, duration_ms, status, input_data, output_data, error_message) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
  );
  const finishExecution = db.prepare(
    'UPDATE workflow_executions SET status = ?, completed_at = ?, duration_ms = ? - started_at WHERE id = ?',
  );
  const executionById = db.prepare('SELECT * FROM workflow_executions WHERE id = ?');
  const stepsOf = db.prepare('SELECT * FROM execution_steps WHERE execution_id = ? ORDER BY step_index, id');

  const toExecution = (row: RawRow) => ({ ...row, trigger_data: parsed(row.trigger_data), metadata: parsed(row.metadata) });
  const toStep = (row: RawRow) => ({ ...row, input_data: parsed(row.input_data), output_data: parsed(row.output_data) });

  const addExecution = (e: NewExecution) => {
    const id = uuidv7();
    const duration = e.durationMs ?? (e.completedAt === undefined ? null : e.completedAt - e.startedAt);
    insertExecution.run(id, e.workflowId, e.workflowName, e.triggerType, json(e.triggerData), e.status, e.startedAt,
      e.completedAt ?? null, duration, e.errorMessage ?? null, e.errorStack ?? null, json(e.metadata));
    return id;
  };
  const addStep = (s: NewStep) => {
    const id = uuidv7();
    const duration = s.durationMs ?? (s.completedAt === undefined ? null : s.completedAt - s.startedAt);
    insertStep.run(id, s.executionId, s.nodeId, s.nodeType, s.nodeName ?? null, s.stepIndex, s.startedAt,
      s.completedAt ?? null, duration, s.status, json(s.inputData), json(s.outputData), s.errorMessage ?? null);
    return id;
  };

  return {
    db,
    addExecution,
    addStep,
    finishExecution: (id: string, status: string, completedAt: number) => finishExecution.run(status, completedAt, completedAt, id),
    /** Steps in one transaction. */
    addSteps: db.transaction((steps: NewStep[]) => steps.map(addStep)),
    /** An execution and its steps in one transaction. */
    recordExecution: db.transaction((e: NewExecution, steps: Omit<NewStep, 'executionId'>[]) => {
      const executionId = addExecution(e);
      for (const step of steps) addStep({ ...step, executionId });
      return executionId;
    }),
    executionWithSteps: (id: string) => {
      const row = executionById.get(id) as RawRow | undefined;
      return row && { ...toExecution(row), steps: (stepsOf.all(id) as RawRow[]).map(toStep) };
    },
    /** A prepared page query, its rows mapped as the store maps them (payloads parsed). */
    page: (sql: string) => {
      const statement = db.prepare(sql);
      return (...parameters: unknown[]) => (statement.all(...parameters) as RawRow[]).map(toExecution);
    },
  };
}
