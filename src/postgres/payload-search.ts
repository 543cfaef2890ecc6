// searchExecutions' reads on PostgreSQL (the scan itself is shared: src/core/search-scan.ts). Executions come in keyset
// chunks through the same indexes as cursor pages, ties by id in byte order; their steps by execution_id within the
// range of step ids their executions' milliseconds give (stepsOfChunk), so that only they are read. strpos() keeps
// back every payload text that lacks a needle, so only candidates cross the wire. Text is folded by lower() under
// COLLATE "C", which folds ASCII letters only (as SQLite's lower() and the shared matcher do; under the database's own
// collation it would fold by locale), byte by byte, rather than translate() over A–Z, which looks each character up in
// its list. The payloads are searched as text, never cast to jsonb: a damaged
// one would abort the statement (PostgreSQL 15 has no pg_input_is_valid).
import { and, count, desc, eq, gte, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Pool } from 'pg';
import type { Prefilter } from '../core/payload-match.js';
import { toExecution } from '../core/rows.js';
import {
  type CandidateStep,
  type ChunkExecution,
  type SearchPlan,
  searchPlan,
  type SearchReader,
  type SearchRequest,
  searchWith,
} from '../core/search-scan.js';
import type { ExecutionSearchResult, PayloadField } from '../core/types.js';
import { inByteOrder } from './byte-order.js';
import { timeOfId } from '../core/time-ordered-id.js';
import { boundOf, stepIdRange } from './partitions.js';
import { domainFields, type ExecutionRow, queryBuilder, rowsOf, type Statement, statement } from './reads.js';
import { executionSteps as steps, workflowExecutions as executions } from './schema.js';

const p = sql.placeholder;

/**
 * Whether a payload column's text holds the needles, bound as :key and :n0 (and :n1 when there are two forms of the
 * value or text): each needle once, since a needle that is not there is a scan of the whole text.
 */
function holdsNeedles(column: AnyPgColumn, prefilter: Prefilter): SQL {
  const needles = prefilter.kind === 'key' ? prefilter.values : prefilter.texts;
  const searched = prefilter.kind === 'key' ? sql`${column}` : sql`lower(${column} collate "C")`;
  const anyNeedle = sql.join(
    needles.map((_, index) => sql`strpos(${searched}, ${p(`n${index}`)}) > 0`),
    sql` or `,
  );
  return prefilter.kind === 'key' ? sql`(strpos(${column}, ${p('key')}) > 0 and (${anyNeedle}))` : sql`(${anyNeedle})`;
}

/** The column's text when it is searched and holds the needles, else NULL. */
function candidate(column: AnyPgColumn, field: PayloadField, plan: SearchPlan): SQL {
  return plan.fields.has(field) ? sql`case when ${holdsNeedles(column, plan.prefilter)} then ${column} end` : sql`null::text`;
}

type Filter = 'workflowId' | 'status' | 'startedAfter' | 'startedBefore';
const FILTER_NAMES: Filter[] = ['workflowId', 'status', 'startedAfter', 'startedBefore'];
const FILTERS: Record<Filter, SQL> = {
  workflowId: eq(executions.workflowId, p('workflowId')),
  status: eq(executions.status, p('status')),
  startedAfter: gte(executions.startedAt, p('startedAfter')),
  startedBefore: lt(executions.startedAt, p('startedBefore')),
};
const id = inByteOrder(executions.id);
/** Strictly after (startedAt, id) newest first, written so that PostgreSQL range-scans the started_at indexes. */
const AFTER = and(lte(executions.startedAt, p('afterKey')), or(lt(executions.startedAt, p('afterKey')), lt(id, p('afterId'))));
/** The steps of the executions `ids`, within the step ids of their days: the range names the partitions to read. */
const STEPS_OF = and(sql`${steps.executionId} = any(${p('ids')})`, gte(steps.id, p('stepsFrom')), lt(steps.id, p('stepsTo')));

/** Statements by shape, built once (Drizzle's building costs more than a small query). */
const statements = new Map<string, Statement>();
function cached(shape: string, build: () => { toSQL(): { sql: string; params: unknown[] } }): Statement {
  let built = statements.get(shape);
  if (built === undefined) statements.set(shape, (built = statement(build())));
  return built;
}

const COUNTS = statement(
  queryBuilder
    .select({ executionId: sql`${steps.executionId}`.as('executionId'), steps: sql`${count()}`.as('steps') })
    .from(steps)
    .where(STEPS_OF)
    .groupBy(steps.executionId),
);
const EXECUTIONS_BY_ID = statement(queryBuilder.select(domainFields(executions)).from(executions).where(sql`${executions.id} = any(${p('ids')})`));

/**
 * The range of ids the steps of a chunk's executions lie in, as narrow as their ids allow: a step's id holds its
 * execution's millisecond (src/core/time-ordered-id.ts), so the steps of executions that started over a few hours lie
 * between the first of their first millisecond and the last of their last, and the primary key's index reads just
 * them (by day, stepIdRange, a chunk's steps were a third of a day partition, which PostgreSQL read whole for every
 * chunk). Executions whose ids hold no time, or that lie in the legacy partition, widen it as stepIdRange does.
 */
export function stepsOfChunk(ids: string[], legacyTo: string | null): { from: string; to: string } {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const id of ids) {
    const time = timeOfId(id);
    if (time === undefined || (legacyTo !== null && id < legacyTo)) return stepIdRange(ids, legacyTo);
    first = Math.min(first, time);
    last = Math.max(last, time);
  }
  return first > last ? { from: '', to: '' } : { from: boundOf(first), to: boundOf(last + 1) };
}

/** The reads of one search call. `legacyTo`: where the legacy partition ends (stepIdRange). */
export function postgresSearchReader(pool: Pool, legacyTo: string | null, plan: SearchPlan): SearchReader {
  const { prefilter, fields } = plan;
  const needles = prefilter.kind === 'key' ? prefilter.values : prefilter.texts;
  const bound: Record<string, unknown> = Object.fromEntries(needles.map((needle, index) => [`n${index}`, needle]));
  if (prefilter.kind === 'key') bound.key = prefilter.key;
  /** The statements' shapes depend on the kind of search and how many needles it has. */
  const form = `${prefilter.kind}${needles.length}`;
  const filters = FILTER_NAMES.filter((name) => plan[name] !== undefined);
  const executionFields = ['triggerData', 'metadata'].filter((field) => fields.has(field as PayloadField)).join(',');
  const stepFields = (['inputData', 'outputData'] as const).filter((field) => fields.has(field));

  const chunkOf = (continues: boolean) =>
    cached(`chunk|${form}|${executionFields}|${filters.join(',')}|${continues}`, () =>
      queryBuilder
        .select({
          id: sql`${id}`.as('id'),
          startedAt: sql`${executions.startedAt}`.as('startedAt'),
          triggerData: candidate(executions.triggerData, 'triggerData', plan).as('triggerData'),
          metadata: candidate(executions.metadata, 'metadata', plan).as('metadata'),
        })
        .from(executions)
        .where(and(...filters.map((name) => FILTERS[name]), continues ? AFTER : undefined))
        .orderBy(desc(executions.startedAt), desc(id))
        .limit(p('limit')),
    );
  const candidatesOf = () =>
    cached(`steps|${form}|${stepFields.join(',')}`, () =>
      queryBuilder
        .select({
          executionId: sql`${steps.executionId}`.as('executionId'),
          id: sql`${steps.id}`.as('id'),
          nodeId: sql`${steps.nodeId}`.as('nodeId'),
          stepIndex: sql`${steps.stepIndex}`.as('stepIndex'),
          inputData: candidate(steps.inputData, 'inputData', plan).as('inputData'),
          outputData: candidate(steps.outputData, 'outputData', plan).as('outputData'),
        })
        .from(steps)
        .where(and(STEPS_OF, or(...stepFields.map((field) => holdsNeedles(steps[field], prefilter))))),
    );
  const stepRange = (ids: string[]) => {
    const { from, to } = stepsOfChunk(ids, legacyTo);
    return { ids, stepsFrom: from, stepsTo: to };
  };

  return {
    // Each chunk is three round trips, and the executions' statement is planned over every day partition (its time
    // range names no ids; measured 6-14 ms at 39 partitions): larger chunks than SQLite's.
    chunkSize: 2000,
    executions: async (after, size) => {
      const values: Record<string, unknown> = { ...bound, limit: size };
      for (const name of filters) values[name] = plan[name];
      if (after !== undefined) {
        values.afterKey = after.startedAt;
        values.afterId = after.id;
      }
      return rowsOf<ChunkExecution>(pool, chunkOf(after !== undefined), values);
    },
    stepCounts: async (ids) => {
      const rows = await rowsOf<{ executionId: string; steps: number }>(pool, COUNTS, stepRange(ids));
      return new Map(rows.map((row) => [row.executionId, row.steps]));
    },
    candidateSteps: (ids) => rowsOf<CandidateStep>(pool, candidatesOf(), { ...bound, ...stepRange(ids) }),
    executionsById: async (ids) => (await rowsOf<ExecutionRow>(pool, EXECUTIONS_BY_ID, { ids })).map(toExecution),
  };
}

/** One call of a search on this pool. */
export function searchPostgres(pool: Pool, legacyTo: string | null, search: SearchRequest): Promise<ExecutionSearchResult> {
  return searchWith(postgresSearchReader(pool, legacyTo, searchPlan(search)), search);
}
