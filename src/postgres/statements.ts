// The backend's hand-written write statements: an execution's insert and all of a call's steps in one insert (arrays,
// one parameter per column whatever the count, unnest()ed on the server), as parts of the statement that also writes
// their rollups, and updates by the columns they change.
// Sent unnamed, as every query here: named prepared statements break behind PgBouncer's transaction pooling.
import { SqlStatement } from './sql-statement.js';

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

/**
 * `column = value, …` of an update of the given (validated) fields, each value through `param`. With
 * `durationFromStoredStart`, duration_ms becomes completed_at minus the stored start (`storedStart`), computed in SQL
 * so that no read is needed first.
 */
function assignmentsOf(values: Record<string, unknown>, param: (value: unknown, type: string) => string, durationFromStoredStart: boolean, storedStart: string): string {
  const assignments = Object.entries(values).map(([key, value]) => {
    const column = COLUMN_OF[key];
    if (column === undefined) throw new Error(`update: no column for field ${key}`); // validation lets none through
    return `${column} = ${param(value ?? null, TYPE_OF[column] ?? 'text')}`;
  });
  if (durationFromStoredStart) assignments.push(`duration_ms = ${param(values.completedAt, 'int8')} - ${storedStart}`);
  return assignments.join(', ');
}

const TYPE_OF: Record<string, string> = { started_at: 'int8', completed_at: 'int8', duration_ms: 'int8', step_index: 'int4' };

/**
 * Adds, as the CTE `u`, an update of one row by id that changes it only while its counted columns are still
 * `expected` (what this store last wrote there) and `guard` holds: `(SELECT count(*) FROM u) = 1` then says that the
 * rollup changes computed from `expected` are the right ones, in the same statement.
 */
export function addGuardedUpdate(
  statement: SqlStatement,
  table: 'workflow_executions' | 'execution_steps',
  id: string,
  values: Record<string, unknown>,
  durationFromStoredStart: boolean,
  expected: [column: string, value: unknown][],
  guard = 'true',
): void {
  const idParam = statement.param(id, 'text');
  const assignments = assignmentsOf(values, (value, type) => statement.param(value, type), durationFromStoredStart, 'started_at');
  const columns = expected.map(([column]) => column).join(', ');
  const expectedValues = expected.map(([column, value]) => statement.param(value ?? null, TYPE_OF[column] ?? 'text')).join(', ');
  statement.with(
    'u',
    `UPDATE ${table} SET ${assignments} WHERE id = ${idParam} AND (${columns}) IS NOT DISTINCT FROM (${expectedValues}) AND ${guard} RETURNING 1`,
  );
}

const EXECUTION_COLUMNS: [field: string, column: string, type: string][] = [
  ['id', 'id', 'text'],
  ['workflowId', 'workflow_id', 'text'],
  ['workflowName', 'workflow_name', 'text'],
  ['triggerType', 'trigger_type', 'text'],
  ['triggerData', 'trigger_data', 'text'],
  ['status', 'status', 'text'],
  ['startedAt', 'started_at', 'int8'],
  ['completedAt', 'completed_at', 'int8'],
  ['durationMs', 'duration_ms', 'int8'],
  ['errorMessage', 'error_message', 'text'],
  ['errorStack', 'error_stack', 'text'],
  ['metadata', 'metadata', 'text'],
  ['instanceId', 'instance_id', 'text'],
];

const STEP_COLUMNS: [field: string, column: string, type: string][] = [
  ['id', 'id', 'text'],
  ['executionId', 'execution_id', 'text'],
  ['nodeId', 'node_id', 'text'],
  ['nodeType', 'node_type', 'text'],
  ['nodeName', 'node_name', 'text'],
  ['stepIndex', 'step_index', 'int4'],
  ['startedAt', 'started_at', 'int8'],
  ['completedAt', 'completed_at', 'int8'],
  ['durationMs', 'duration_ms', 'int8'],
  ['status', 'status', 'text'],
  ['inputData', 'input_data', 'text'],
  ['outputData', 'output_data', 'text'],
  ['errorMessage', 'error_message', 'text'],
];

/** Adds the insert of an execution's row (as executionInsertRow makes it) to a statement, as the CTE `e`. */
export function addExecutionInsert(statement: SqlStatement, row: Record<string, unknown>): void {
  const values = EXECUTION_COLUMNS.map(([field, , type]) => statement.param(row[field] ?? null, type));
  statement.with('e', `INSERT INTO workflow_executions (${EXECUTION_COLUMNS.map(([, column]) => column).join(', ')}) VALUES (${values.join(', ')})`);
}

/**
 * Adds the insert of steps' rows (as stepInsertRow makes them; one array per column) to a statement, as the CTE `s`;
 * `guard`: a condition the insert needs.
 */
export function addStepInsert(statement: SqlStatement, rows: Record<string, unknown>[], guard = 'true'): void {
  statement.with('s', `${unnestInsert(statement, 'execution_steps', rows)} WHERE ${guard}`);
}

/** An INSERT of rows (one array parameter per column) into a table, its parameters added to `statement`. */
function unnestInsert(statement: SqlStatement, table: 'workflow_executions' | 'execution_steps', rows: Record<string, unknown>[]): string {
  const columns = table === 'workflow_executions' ? EXECUTION_COLUMNS : STEP_COLUMNS;
  const arrays = columns.map(([field, , type]) => statement.param(rows.map((row) => row[field] ?? null), `${type}[]`));
  return `INSERT INTO ${table} (${columns.map(([, column]) => column).join(', ')}) SELECT * FROM unnest(${arrays.join(', ')})`;
}

/**
 * An insert of rows (as executionInsertRow / stepInsertRow make them) that leaves a row whose id is stored already as
 * it is, answering the ids it inserted: a batch's rows come with the caller's ids, and a batch written again stores
 * them once.
 */
export function insertIfNewStatement(table: 'workflow_executions' | 'execution_steps', rows: Record<string, unknown>[]): { text: string; values: unknown[] } {
  const statement = new SqlStatement();
  const text = `${unnestInsert(statement, table, rows)} ON CONFLICT (id) DO NOTHING RETURNING id`;
  return { text, values: statement.values };
}

/**
 * Adds, as the CTE `chk`, a count of the executions that still have these keys (workflow and start: where their steps
 * are counted), locked against a move (KEY SHARE) until the statement commits. The count equal to the number of
 * executions is the guard of a write that counted its steps under those keys.
 */
export function addExecutionKeysCheck(statement: SqlStatement, keys: { id: string; workflowId: string; startedAt: number }[]): string {
  const sorted = [...keys].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  statement.with(
    'chk',
    `SELECT count(*) AS n FROM (SELECT 1 FROM workflow_executions e
       JOIN unnest(${statement.param(sorted.map((key) => key.id), 'text[]')}, ${statement.param(sorted.map((key) => key.workflowId), 'text[]')},
         ${statement.param(sorted.map((key) => key.startedAt), 'int8[]')}) AS k(id, workflow_id, started_at)
         ON e.id = k.id AND e.workflow_id = k.workflow_id AND e.started_at = k.started_at
       ORDER BY e.id COLLATE "C" FOR KEY SHARE OF e) AS x`,
  );
  return `(SELECT n FROM chk) = ${keys.length}`;
}

/** The counted columns of a row (as `before`, under the row lock) and as the update leaves it (`after`), as JSON objects. */
const COUNTED_BEFORE_AFTER = {
  workflow_executions: {
    locked: 'SELECT id, workflow_id, workflow_name, trigger_type, status, started_at, duration_ms FROM workflow_executions WHERE id = $1 FOR UPDATE',
    before: (old: string) => jsonOf(['workflow_id', 'workflow_name', 'trigger_type', 'status', 'started_at', 'duration_ms'].map((column) => [column, `${old}.${column}`])),
    after: (row: string) => jsonOf(['workflow_id', 'workflow_name', 'trigger_type', 'status', 'started_at', 'duration_ms'].map((column) => [column, `${row}.${column}`])),
  },
  execution_steps: {
    // A step's facts carry its execution's workflow and start (the rollup key), which a step update cannot change.
    locked: `SELECT s.id, s.node_id, s.node_type, s.node_name, s.status, s.duration_ms, s.error_message, coalesce(s.completed_at, s.started_at) AS at,
        e.workflow_id, e.started_at AS execution_started_at
      FROM execution_steps s JOIN workflow_executions e ON e.id = s.execution_id WHERE s.id = $1 FOR UPDATE OF s`,
    before: (old: string) =>
      jsonOf([
        ...['node_id', 'node_type', 'node_name', 'status', 'duration_ms', 'error_message', 'at', 'workflow_id'].map((column): [string, string] => [column, `${old}.${column}`]),
        ['started_at', `${old}.execution_started_at`],
      ]),
    after: (row: string) =>
      jsonOf([
        ...['node_id', 'node_type', 'node_name', 'status', 'duration_ms', 'error_message'].map((column): [string, string] => [column, `${row}.${column}`]),
        ['at', `coalesce(${row}.completed_at, ${row}.started_at)`],
        ['workflow_id', 'old.workflow_id'],
        ['started_at', 'old.execution_started_at'],
      ]),
  },
};

const jsonOf = (pairs: [string, string][]) => `json_build_object(${pairs.map(([name, expression]) => `'${name}', ${expression}`).join(', ')})`;

/**
 * An UPDATE of one row by id that locks the row, changes it and answers its counted columns before and after (as
 * JSON objects `before` and `after`), in one statement: the locking subquery gives the row as it is once locked,
 * whatever committed meanwhile. No row: nothing answered.
 */
export function updateWithFactsStatement(
  table: 'workflow_executions' | 'execution_steps',
  id: string,
  values: Record<string, unknown>,
  durationFromStoredStart: boolean,
): { text: string; values: unknown[] } {
  const parameters: unknown[] = [id];
  const param = (value: unknown, type: string) => {
    parameters.push(value);
    return `$${parameters.length}::${type}`;
  };
  const set = assignmentsOf(values, param, durationFromStoredStart, 't.started_at');
  const counted = COUNTED_BEFORE_AFTER[table];
  return {
    text: `UPDATE ${table} AS t SET ${set} FROM (${counted.locked}) AS old WHERE t.id = old.id
      RETURNING ${counted.before('old')} AS before, ${counted.after('t')} AS after`,
    values: parameters,
  };
}
