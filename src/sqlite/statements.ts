// The store's hot statements, prepared once per connection. Drizzle builds SQL text on every call of its query
// builder, and better-sqlite3 compiles it again; prepared, a query costs about what a hand-written statement does.
import type BetterSqlite3 from 'better-sqlite3';
import { asc, eq, getTableColumns, Param, Placeholder, sql } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { executionSteps as steps, workflowExecutions as executions } from './schema.js';

type Table = typeof executions | typeof steps;
type AnySQLiteTable = Parameters<HistoryDatabase['insert']>[0];

/** Every column of the table as a named placeholder, for an insert that names them all. */
export function allColumnPlaceholders(table: AnySQLiteTable) {
  return Object.fromEntries(Object.keys(getTableColumns(table)).map((key) => [key, sql.placeholder(key)]));
}

/**
 * A statement written by Drizzle (its placeholders named) and run by better-sqlite3 directly: per call, Drizzle's
 * prepared run spends about 4 µs mapping placeholders, a quarter of a raw insert in a batch. Rows come back as
 * arrays in the order of the query's columns.
 */
export function prepareDirect(sqlite: BetterSqlite3.Database, query: { toSQL(): { sql: string; params: unknown[] } }) {
  const { sql: text, params } = query.toSQL();
  // A parameter is our Placeholder, a Param (a column's encoder, identity for text and integers) around it, or a
  // value Drizzle bound itself (a LIMIT).
  const binders = params.map((param) => {
    const inner = param instanceof Param ? param.value : param;
    if (inner instanceof Placeholder) return (values: Record<string, unknown>) => values[inner.name];
    return () => inner;
  });
  const statement = sqlite.prepare(text);
  const reader = statement.reader ? statement.raw(true) : undefined;
  const bind = (values: object) => binders.map((binder) => binder(values as Record<string, unknown>));
  return {
    run: (values: object) => statement.run(bind(values)),
    get: (values: object) => reader?.get(bind(values)) as unknown[] | undefined,
    all: (values: object) => (reader?.all(bind(values)) ?? []) as unknown[][],
  };
}

/** An INSERT of every column of the table. */
/** An insert binding every column; `ifNew`: a row whose key is stored already is left as it is. */
function insertOfAllColumns(db: HistoryDatabase, sqlite: BetterSqlite3.Database, table: Table, ifNew = false) {
  const insert = db.insert(table).values(allColumnPlaceholders(table) as never);
  return prepareDirect(sqlite, ifNew ? insert.onConflictDoNothing() : insert);
}

export function prepareStatements(db: HistoryDatabase, sqlite: BetterSqlite3.Database) {
  return {
    insertExecution: insertOfAllColumns(db, sqlite, executions),
    insertStep: insertOfAllColumns(db, sqlite, steps),
    // A batch's rows come with the caller's ids: a batch written again leaves the rows it stored before as they are.
    insertExecutionIfNew: insertOfAllColumns(db, sqlite, executions, true),
    insertStepIfNew: insertOfAllColumns(db, sqlite, steps, true),
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
