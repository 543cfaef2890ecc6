// Plain reads of executions and steps, sent to node-postgres as they are: on these hot paths Drizzle's building of
// each query (~0.4 ms a call) and its mapping of each row cost more than the query. Each statement is still built by
// Drizzle from the schema, once, with placeholders; its columns come back under the domain's field names, ready for
// toExecution/toStep. Sent unnamed (no server-side prepared statements), so that PgBouncer's transaction mode works.
import { and, type Column, eq, fillPlaceholders, getTableColumns, gte, lt, type SQL, sql } from 'drizzle-orm';
import { QueryBuilder } from 'drizzle-orm/pg-core';
import type { CustomTypesConfig, Pool } from 'pg';
import type { toExecution, toStep } from '../core/rows.js';
import { inByteOrder } from './byte-order.js';
import { executionSteps as steps, workflowExecutions as executions } from './schema.js';

export type ExecutionRow = Parameters<typeof toExecution>[0];
export type StepRow = Parameters<typeof toStep>[0];

/** SQL text and, in the order of its $n parameters, the placeholders (or constants) that fill them. */
export interface Statement {
  text: string;
  params: unknown[];
}

export const queryBuilder = new QueryBuilder();

/** A query's text and parameters, taken once; each call fills the placeholders with its values (rowsOf). */
export function statement(query: { toSQL(): { sql: string; params: unknown[] } }): Statement {
  const { sql: text, params } = query.toSQL();
  return { text, params };
}

const INT8 = 20;
const INT4 = 23;
const asText = (value: string) => value;
/**
 * How these reads parse column values, whatever the caller set on pg's global parsers: bigint (int8) comes as text and
 * becomes a number (exact up to 2^53, as Drizzle's mode 'number' reads it); integer too; everything else stays text.
 */
const TYPES: CustomTypesConfig = { getTypeParser: (oid: number) => (oid === INT8 || oid === INT4 ? Number : asText) };

// A column of another type would arrive as its text: fail on loading, not with wrong values.
for (const column of [...Object.values(getTableColumns(executions)), ...Object.values(getTableColumns(steps))]) {
  if (!['text', 'text COLLATE "C"', 'bigint', 'integer'].includes(column.getSQLType())) {
    throw new Error(`src/postgres/reads.ts parses only text, bigint and integer columns; ${column.name} is ${column.getSQLType()}`);
  }
}

/** The rows of a statement with its placeholders filled from `values`. */
export async function rowsOf<Row>(pool: Pool, { text, params }: Statement, values: Record<string, unknown>): Promise<Row[]> {
  const result = await pool.query({ text, values: fillPlaceholders(params, values), types: TYPES });
  return result.rows as Row[];
}

/** A table's columns under the domain's field names (`"workflow_id" as "workflowId"`), in the table's order. */
export function domainFields(table: typeof executions | typeof steps): Record<string, SQL.Aliased> {
  return Object.fromEntries(Object.entries(getTableColumns(table)).map(([field, column]) => [field, sql`${column}`.as(field)]));
}

const p = sql.placeholder;

export const EXECUTION_BY_ID = statement(queryBuilder.select(domainFields(executions)).from(executions).where(eq(executions.id, p('id'))));

/**
 * The steps of the execution `id`, found by execution_id within the range of ids `stepsFrom`..`stepsTo` (stepIdRange):
 * the range names their partition, which execution_id alone would not (every day's would be read).
 */
const stepsOfExecution = and(eq(steps.executionId, p('id')), gte(steps.id, p('stepsFrom')), lt(steps.id, p('stepsTo')));

export const STEPS_OF_EXECUTION = statement(
  queryBuilder
    .select(domainFields(steps))
    .from(steps)
    .where(stepsOfExecution)
    .orderBy(steps.stepIndex, inByteOrder(steps.id)),
);

/**
 * An execution and its steps in one statement, so one snapshot (a transaction around two reads costs four round trips
 * instead of one), without a join repeating the execution's columns (and payloads) on every step's row: rows of one
 * shape, every field of both tables, NULL where a table has no such column. The execution's row comes first (its step
 * index is NULL), then the steps in order, ties by id in byte order (a UNION's ORDER BY takes only its own columns, so
 * the ids are selected in byte order). toExecution and toStep each read their own table's fields from such a row.
 */
export const EXECUTION_WITH_STEPS = (() => {
  const executionColumns: Record<string, Column> = getTableColumns(executions);
  const stepColumns: Record<string, Column> = getTableColumns(steps);
  const fields = [...new Set([...Object.keys(executionColumns), ...Object.keys(stepColumns)])];
  const fieldsOf = (own: Record<string, Column>) =>
    Object.fromEntries(
      fields.map((field) => {
        const column = own[field];
        const other = (executionColumns[field] ?? stepColumns[field]) as Column;
        const value = column === undefined ? sql`null::${sql.raw(other.getSQLType())}` : field === 'id' ? sql`${column} collate "C"` : sql`${column}`;
        return [field, value.as(field)];
      }),
    );
  return statement(
    queryBuilder
      .select(fieldsOf(executionColumns))
      .from(executions)
      .where(eq(executions.id, p('id')))
      .unionAll(queryBuilder.select(fieldsOf(stepColumns)).from(steps).where(stepsOfExecution))
      .orderBy(sql`"stepIndex" nulls first`, sql`"id"`),
  );
})();
