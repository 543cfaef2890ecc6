// The backend's hand-written write statements: an execution's insert, all of a call's steps in one insert (arrays,
// one parameter per column whatever the count, unnest()ed on the server), and updates by the columns they change.
// Sent unnamed, as every query here: named prepared statements break behind PgBouncer's transaction pooling.

export const EXECUTION_INSERT = `INSERT INTO workflow_executions
  (id, workflow_id, workflow_name, trigger_type, trigger_data, status, started_at, completed_at, duration_ms, error_message, error_stack, metadata)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`;

/** Ordered by step index within each execution, as rows are given; one parameter per column, each an array. */
export const STEP_INSERT = `INSERT INTO execution_steps
  (id, execution_id, node_id, node_type, node_name, step_index, started_at, completed_at, duration_ms, status, input_data, output_data, error_message)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int4[], $7::int8[], $8::int8[], $9::int8[], $10::text[],
    $11::text[], $12::text[], $13::text[])`;

const COLUMN_OF: Record<string, string> = {
  workflowId: 'workflow_id',
  workflowName: 'workflow_name',
  triggerType: 'trigger_type',
  triggerData: 'trigger_data',
  status: 'status',
  startedAt: 'started_at',
  completedAt: 'completed_at',
  durationMs: 'duration_ms',
  errorMessage: 'error_message',
  errorStack: 'error_stack',
  metadata: 'metadata',
  nodeId: 'node_id',
  nodeType: 'node_type',
  nodeName: 'node_name',
  stepIndex: 'step_index',
  inputData: 'input_data',
  outputData: 'output_data',
};

/** The columns of an updated row that the totals and rollups count (src/postgres/rollups.ts reads them as facts). */
const COUNTED = {
  workflow_executions: 'workflow_id, workflow_name, trigger_type, status, started_at, duration_ms',
  execution_steps: 'node_id, node_type, node_name, status, duration_ms, error_message, coalesce(completed_at, started_at) AS at',
};

/**
 * An UPDATE of one row by id, setting the given (validated) fields and answering the row's counted columns as they
 * are after it. With `durationFromStoredStart`, duration_ms
 * becomes completed_at minus the stored started_at, computed in SQL so that no read is needed first.
 */
export function updateStatement(
  table: 'workflow_executions' | 'execution_steps',
  id: string,
  values: Record<string, unknown>,
  durationFromStoredStart: boolean,
): { text: string; values: unknown[] } {
  const parameters: unknown[] = [id];
  const assignments = Object.entries(values).map(([key, value]) => {
    const column = COLUMN_OF[key];
    if (column === undefined) throw new Error(`updateStatement: no column for field ${key}`); // validation lets none through
    parameters.push(value ?? null);
    return `${column} = $${parameters.length}`;
  });
  if (durationFromStoredStart) {
    const completedAt = parameters.indexOf(values.completedAt, 1) + 1;
    assignments.push(`duration_ms = $${completedAt}::int8 - started_at`);
  }
  return { text: `UPDATE ${table} SET ${assignments.join(', ')} WHERE id = $1 RETURNING ${COUNTED[table]}`, values: parameters };
}

/**
 * STEP_INSERT that also answers the workflow and start of the steps' executions (where their steps are counted), so
 * that adding steps to a running execution needs no second round trip to read them.
 */
export const STEP_INSERT_WITH_EXECUTION_KEYS = `WITH inserted AS (${STEP_INSERT} RETURNING execution_id)
  SELECT e.id, e.workflow_id, e.started_at FROM workflow_executions e WHERE e.id IN (SELECT execution_id FROM inserted)`;
