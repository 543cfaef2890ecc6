// The store's hot statements, prepared once per connection. Drizzle builds SQL text on every call of its query
// builder, and better-sqlite3 compiles it again; prepared, a write costs about what a hand-written statement does.
import { asc, eq, getTableColumns, sql } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { executionSteps as steps, workflowExecutions as executions } from './schema.js';

type Table = typeof executions | typeof steps;

/** Every column of the table as a named placeholder, for an insert that names them all. */
function allColumnPlaceholders(table: Table) {
  return Object.fromEntries(Object.keys(getTableColumns(table)).map((key) => [key, sql.placeholder(key)]));
}

/** Values for such an insert: every column present, NULL where the input has nothing. */
export function withAllColumns(table: Table, values: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const key of Object.keys(getTableColumns(table))) row[key] = values[key] ?? null;
  return row;
}

export function prepareStatements(db: HistoryDatabase) {
  return {
    insertExecution: db.insert(executions).values(allColumnPlaceholders(executions) as never).prepare(),
    insertStep: db.insert(steps).values(allColumnPlaceholders(steps) as never).prepare(),
    executionById: db
      .select()
      .from(executions)
      .where(eq(executions.id, sql.placeholder('id')))
      .prepare(),
    executionExists: db
      .select({ id: executions.id })
      .from(executions)
      .where(eq(executions.id, sql.placeholder('id')))
      .prepare(),
    stepExists: db
      .select({ id: steps.id })
      .from(steps)
      .where(eq(steps.id, sql.placeholder('id')))
      .prepare(),
    stepsOfExecution: db
      .select()
      .from(steps)
      .where(eq(steps.executionId, sql.placeholder('executionId')))
      .orderBy(asc(steps.stepIndex), asc(steps.id))
      .prepare(),
    executionWithSteps: db.query.workflowExecutions
      .findFirst({
        where: eq(executions.id, sql.placeholder('id')),
        with: { steps: { orderBy: [asc(steps.stepIndex), asc(steps.id)] } },
      })
      .prepare(),
    deleteExecution: db
      .delete(executions)
      .where(eq(executions.id, sql.placeholder('id')))
      .prepare(),
  };
}

/**
 * UPDATE statements by the set of columns they change, prepared on first use. Callers change a handful of column
 * sets (status and completion, error fields), so the cache stays small.
 */
export class UpdateStatements {
  private readonly statements = new Map<string, { run(values: Record<string, unknown>): { changes: number } }>();

  constructor(
    private readonly db: HistoryDatabase,
    private readonly table: Table,
  ) {}

  /**
   * Runs the update and returns how many rows changed. With `durationFromStoredStart`, durationMs becomes
   * completedAt minus the stored startedAt, computed in SQL so that no read is needed first.
   */
  run(id: string, values: Record<string, unknown>, durationFromStoredStart: boolean): number {
    const columns = Object.keys(values).sort();
    const shape = `${columns.join(',')}|${durationFromStoredStart}`;
    let statement = this.statements.get(shape);
    if (statement === undefined) {
      const set: Record<string, unknown> = Object.fromEntries(columns.map((key) => [key, sql.placeholder(key)]));
      if (durationFromStoredStart) set.durationMs = sql`${sql.placeholder('completedAt')} - ${this.table.startedAt}`;
      statement = this.db
        .update(this.table)
        .set(set)
        .where(eq(this.table.id, sql.placeholder('__id')))
        .prepare();
      this.statements.set(shape, statement);
    }
    return statement.run({ ...values, __id: id }).changes;
  }
}
