// searchExecutions' reads on SQLite (the scan itself is shared: src/core/search-scan.ts). Executions come in keyset
// chunks through the same indexes as cursor pages ((workflow_id, started_at), (status, started_at), (started_at)), their
// steps by execution_id through (execution_id, step_index). instr() keeps back every payload text that lacks a needle,
// so only candidates are copied out of SQLite; lower() folds ASCII letters only, as the shared matcher does. Each
// shape of statement is prepared once per connection.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { and, count, desc, eq, getTableColumns, gte, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Prefilter } from '../core/payload-match.js';
import { toExecution } from '../core/rows.js';
import { type CandidateStep, type ChunkExecution, type SearchPlan, searchPlan, type SearchReader, type SearchRequest, searchWith } from '../core/search-scan.js';
import type { SearchPosition } from '../core/search-cursor.js';
import type { ExecutionSearchResult, PayloadField } from '../core/types.js';
import type { HistoryDatabase } from './connection.js';
import { executionSteps as steps, workflowExecutions as executions } from './schema.js';
import { prepareDirect } from './statements.js';

const p = sql.placeholder;

/**
 * Whether a payload column's text holds the needles, bound as :key and :n0 (and :n1 when there are two forms of the
 * value or text): each needle once, since a needle that is not there is a scan of the whole text.
 */
function holdsNeedles(column: AnySQLiteColumn, prefilter: Prefilter): SQL {
  const needles = prefilter.kind === 'key' ? prefilter.values : prefilter.texts;
  const searched = prefilter.kind === 'key' ? sql`${column}` : sql`lower(${column})`;
  const anyNeedle = sql.join(
    needles.map((_, index) => sql`instr(${searched}, ${p(`n${index}`)}) > 0`),
    sql` or `,
  );
  return prefilter.kind === 'key' ? sql`(instr(${column}, ${p('key')}) > 0 and (${anyNeedle}))` : sql`(${anyNeedle})`;
}

/** The column's text when it is searched and holds the needles, else NULL. */
function candidate(column: AnySQLiteColumn, field: PayloadField, plan: SearchPlan): SQL {
  return plan.fields.has(field) ? sql`case when ${holdsNeedles(column, plan.prefilter)} then ${column} end` : sql`null`;
}

const inIds = (column: AnySQLiteColumn) => sql`${column} in (select value from json_each(${p('ids')}))`;

type Direct = ReturnType<typeof prepareDirect>;

/** The statements of one connection, by shape. */
const prepared = new WeakMap<BetterSqlite3.Database, Map<string, Direct>>();

function cached(sqlite: BetterSqlite3.Database, shape: string, build: () => { toSQL(): { sql: string; params: unknown[] } }): Direct {
  let statements = prepared.get(sqlite);
  if (statements === undefined) prepared.set(sqlite, (statements = new Map()));
  let statement = statements.get(shape);
  if (statement === undefined) statements.set(shape, (statement = prepareDirect(sqlite, build())));
  return statement;
}

/**
 * The reads of one search call. `guard` turns what SQLite throws into the store's errors (the backend's own guard).
 */
export function sqliteSearchReader(
  db: HistoryDatabase,
  sqlite: BetterSqlite3.Database,
  plan: SearchPlan,
  guard: <T>(read: () => T) => T,
): SearchReader {
  const { prefilter, fields } = plan;
  const needles = prefilter.kind === 'key' ? prefilter.values : prefilter.texts;
  const bound: Record<string, unknown> = Object.fromEntries(needles.map((needle, index) => [`n${index}`, needle]));
  if (prefilter.kind === 'key') bound.key = prefilter.key;
  /** The statements' shapes depend on the kind of search and how many needles it has. */
  const form = `${prefilter.kind}${needles.length}`;
  const filters = (['workflowId', 'status', 'startedAfter', 'startedBefore'] as const).filter((name) => plan[name] !== undefined);
  const searched = [...fields].sort().join(',');
  const executionFields = ['triggerData', 'metadata'].filter((field) => fields.has(field as PayloadField)).join(',');

  const chunkOf = (continues: boolean) =>
    cached(sqlite, `chunk|${form}|${executionFields}|${filters.join(',')}|${continues}`, () => {
      const where: Record<(typeof filters)[number], SQL> = {
        workflowId: eq(executions.workflowId, p('workflowId')),
        status: eq(executions.status, p('status')),
        startedAfter: gte(executions.startedAt, p('startedAfter')),
        startedBefore: lt(executions.startedAt, p('startedBefore')),
      };
      // Strictly after (startedAt, id) newest first, written so that SQLite range-scans the started_at index.
      const after = and(lte(executions.startedAt, p('afterKey')), or(lt(executions.startedAt, p('afterKey')), lt(executions.id, p('afterId'))));
      return db
        .select({
          id: executions.id,
          startedAt: executions.startedAt,
          triggerData: candidate(executions.triggerData, 'triggerData', plan),
          metadata: candidate(executions.metadata, 'metadata', plan),
        })
        .from(executions)
        .where(and(...filters.map((name) => where[name]), continues ? after : undefined))
        .orderBy(desc(executions.startedAt), desc(executions.id))
        .limit(p('limit'));
    });
  const countsOf = () => cached(sqlite, 'counts', () =>
    db.select({ executionId: steps.executionId, steps: count() }).from(steps).where(inIds(steps.executionId)).groupBy(steps.executionId),
  );
  const candidatesOf = () => cached(sqlite, `steps|${form}|${searched}`, () =>
    db
      .select({
        executionId: steps.executionId,
        id: steps.id,
        nodeId: steps.nodeId,
        stepIndex: steps.stepIndex,
        inputData: candidate(steps.inputData, 'inputData', plan),
        outputData: candidate(steps.outputData, 'outputData', plan),
      })
      .from(steps)
      .where(
        and(
          inIds(steps.executionId),
          or(
            ...(['inputData', 'outputData'] as const)
              .filter((field) => fields.has(field))
              .map((field) => holdsNeedles(steps[field], prefilter)),
          ),
        ),
      ),
  );
  const byIds = () => cached(sqlite, 'executions', () => db.select().from(executions).where(inIds(executions.id)));
  const columns = Object.keys(getTableColumns(executions));

  return {
    // A chunk's statements cost no round trip here, and a chunk holds the event loop: a small one.
    chunkSize: 200,
    executions: async (after: SearchPosition | undefined, size: number): Promise<ChunkExecution[]> => {
      const values: Record<string, unknown> = { ...bound, limit: size };
      for (const name of filters) values[name] = plan[name];
      if (after !== undefined) {
        values.afterKey = after.startedAt;
        values.afterId = after.id;
      }
      const rows = guard(() => chunkOf(after !== undefined).all(values));
      return rows.map(([id, startedAt, triggerData, metadata]) => ({ id, startedAt, triggerData, metadata }) as ChunkExecution);
    },
    stepCounts: async (ids) => {
      const rows = guard(() => countsOf().all({ ids: JSON.stringify(ids) }));
      return new Map(rows.map(([id, n]) => [id as string, n as number]));
    },
    candidateSteps: async (ids) => {
      const rows = guard(() => candidatesOf().all({ ...bound, ids: JSON.stringify(ids) }));
      return rows.map(([executionId, id, nodeId, stepIndex, inputData, outputData]) => ({ executionId, id, nodeId, stepIndex, inputData, outputData }) as CandidateStep);
    },
    executionsById: async (ids) => {
      const rows = guard(() => byIds().all({ ids: JSON.stringify(ids) }));
      return rows.map((row) => toExecution(Object.fromEntries(columns.map((column, i) => [column, row[i]])) as Parameters<typeof toExecution>[0]));
    },
    // The scan is synchronous inside SQLite: between chunks, the process's other work runs.
    pause: () => yieldToLoop(),
  };
}

/** One call of a search on this connection; `guard` is the backend's, which turns what SQLite throws into the store's errors. */
export function searchSqlite(db: HistoryDatabase, sqlite: BetterSqlite3.Database, search: SearchRequest, guard: <T>(read: () => T) => T): Promise<ExecutionSearchResult> {
  return searchWith(sqliteSearchReader(db, sqlite, searchPlan(search), guard), search);
}
