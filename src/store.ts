// The facade: typed, validated, async methods over the two tables.
import BetterSqlite3 from 'better-sqlite3';
import { and, asc, desc, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { DEFAULT_BUSY_TIMEOUT_MS, ensureParentFolder, type HistoryDatabase, prepareDatabase } from './connection.js';
import { resolveDatabasePath } from './database-path.js';
import { ExecutionStoreError, sqliteErrorCode, toStoreError } from './errors.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './payload.js';
import { deleteAllButNewest, deleteFinishedStartedBefore } from './retention.js';
import { executionValues, stepValues, toExecution, toStep } from './rows.js';
import { executionSteps as steps, workflowExecutions as executions } from './schema.js';
import { getExecutionStats } from './stats.js';
import type {
  ExecutionChanges,
  ExecutionQuery,
  ExecutionStats,
  ExecutionStep,
  ExecutionStoreOptions,
  ExecutionWithSteps,
  NewExecution,
  NewStep,
  StepChanges,
  WorkflowExecution,
} from './types.js';
import {
  executionChangesSchema,
  executionQuerySchema,
  idSchema,
  newExecutionSchema,
  newStepSchema,
  nonNegativeIntegerSchema,
  optionsSchema,
  stepChangesSchema,
  validate,
} from './validation.js';

const SORT_COLUMNS = { started_at: executions.startedAt, duration_ms: executions.durationMs } as const;
const SORT_DIRECTIONS = { asc, desc } as const;

export class ExecutionStore {
  private readonly db: HistoryDatabase;
  private readonly maxPayloadBytes: number;
  private readonly now: () => number;
  private readonly executionWithStepsQuery;

  /** Takes an open better-sqlite3 connection, sets its pragmas and applies pending migrations. */
  constructor(
    private readonly sqlite: BetterSqlite3.Database,
    options?: ExecutionStoreOptions,
  ) {
    const settings = validate(optionsSchema, options, 'ExecutionStore', 'options');
    this.maxPayloadBytes = settings?.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.now = settings?.now ?? Date.now;
    this.db = guard('opening the execution history', () =>
      prepareDatabase(sqlite, settings?.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS),
    );
    this.executionWithStepsQuery = this.db.query.workflowExecutions
      .findFirst({
        where: eq(executions.id, sql.placeholder('id')),
        with: { steps: { orderBy: [asc(steps.stepIndex), asc(steps.id)] } },
      })
      .prepare();
  }

  async createExecution(input: NewExecution): Promise<string> {
    const what = 'createExecution';
    const values = validate(newExecutionSchema, input, what, 'input');
    const id = uuidv7();
    const durationMs = values.durationMs ?? derivedDuration(values.startedAt, values.completedAt, what);
    guard(what, () =>
      this.db
        .insert(executions)
        .values({ ...executionValues(values, this.maxPayloadBytes), id, durationMs })
        .run(),
    );
    return id;
  }

  /** Changes fields of an execution. Setting completedAt without durationMs derives durationMs from startedAt. */
  async updateExecution(id: string, changes: ExecutionChanges): Promise<void> {
    const what = 'updateExecution';
    validate(idSchema, id, what, 'id');
    const values = executionValues(validate(executionChangesSchema, changes, what, 'changes'), this.maxPayloadBytes);
    this.updateById(executions, id, withDerivedDuration(values, executions.startedAt, what), what, 'execution');
  }

  async getExecution(id: string): Promise<WorkflowExecution | null> {
    const what = 'getExecution';
    validate(idSchema, id, what, 'id');
    const row = guard(what, () => this.db.select().from(executions).where(eq(executions.id, id)).get());
    return row === undefined ? null : toExecution(row);
  }

  /** One execution with its steps ordered by stepIndex, in one relational query. */
  async getExecutionWithSteps(id: string): Promise<ExecutionWithSteps | null> {
    const what = 'getExecutionWithSteps';
    validate(idSchema, id, what, 'id');
    const row = guard(what, () => this.executionWithStepsQuery.get({ id }));
    if (row === undefined) return null;
    const { steps: stepRows, ...executionRow } = row;
    return { ...toExecution(executionRow), steps: stepRows.map(toStep) };
  }

  /** A filtered, sorted page of executions; ties are broken by id so pages are stable. */
  async queryExecutions(query: ExecutionQuery = {}): Promise<WorkflowExecution[]> {
    const what = 'queryExecutions';
    const q = validate(executionQuerySchema, query, what, 'query');
    const filters: (SQL | undefined)[] = [
      q.workflowId === undefined ? undefined : eq(executions.workflowId, q.workflowId),
      q.status === undefined ? undefined : eq(executions.status, q.status),
      q.triggerType === undefined ? undefined : eq(executions.triggerType, q.triggerType),
      q.startedAfter === undefined ? undefined : gte(executions.startedAt, q.startedAfter),
      q.startedBefore === undefined ? undefined : lt(executions.startedAt, q.startedBefore),
    ];
    const direction = SORT_DIRECTIONS[q.orderDir];
    const rows = guard(what, () =>
      this.db
        .select()
        .from(executions)
        .where(and(...filters))
        .orderBy(direction(SORT_COLUMNS[q.orderBy]), direction(executions.id))
        .limit(q.limit)
        .offset(q.offset)
        .all(),
    );
    return rows.map(toExecution);
  }

  /** Deletes an execution and its steps; false when there was none. */
  async deleteExecution(id: string): Promise<boolean> {
    const what = 'deleteExecution';
    validate(idSchema, id, what, 'id');
    return guard(what, () => this.db.delete(executions).where(eq(executions.id, id)).run().changes > 0);
  }

  async addStep(input: NewStep): Promise<string> {
    const what = 'addStep';
    const values = validate(newStepSchema, input, what, 'input');
    const id = uuidv7();
    const durationMs = values.durationMs ?? derivedDuration(values.startedAt, values.completedAt, what);
    try {
      guard(what, () =>
        this.db
          .insert(steps)
          .values({ ...stepValues(values, this.maxPayloadBytes), id, durationMs })
          .run(),
      );
    } catch (error) {
      if (sqliteErrorCode(error) !== 'SQLITE_CONSTRAINT_FOREIGNKEY') throw error;
      throw new ExecutionStoreError(
        'NOT_FOUND',
        `${what}: no execution with id "${values.executionId}"; create the execution before its steps`,
        { cause: error },
      );
    }
    return id;
  }

  /** Changes fields of a step. Setting completedAt without durationMs derives durationMs from startedAt. */
  async updateStep(id: string, changes: StepChanges): Promise<void> {
    const what = 'updateStep';
    validate(idSchema, id, what, 'id');
    const values = stepValues(validate(stepChangesSchema, changes, what, 'changes'), this.maxPayloadBytes);
    this.updateById(steps, id, withDerivedDuration(values, steps.startedAt, what), what, 'step');
  }

  /** The steps of an execution ordered by stepIndex; empty when it has none or does not exist. */
  async getStepsForExecution(executionId: string): Promise<ExecutionStep[]> {
    const what = 'getStepsForExecution';
    validate(idSchema, executionId, what, 'executionId');
    const rows = guard(what, () =>
      this.db
        .select()
        .from(steps)
        .where(eq(steps.executionId, executionId))
        .orderBy(asc(steps.stepIndex), asc(steps.id))
        .all(),
    );
    return rows.map(toStep);
  }

  /** Deletes finished executions (not 'running') that started more than maxAgeMs before now(); returns how many. */
  async cleanupOldExecutions(maxAgeMs: number): Promise<number> {
    const what = 'cleanupOldExecutions';
    validate(nonNegativeIntegerSchema, maxAgeMs, what, 'maxAgeMs');
    const cutoff = this.now() - maxAgeMs;
    return guard(what, () => deleteFinishedStartedBefore(this.db, cutoff));
  }

  /**
   * Keeps the maxCount newest executions (by startedAt) of a workflow, or of all workflows, and deletes the older
   * ones. 'running' executions count among the kept and are never deleted. Returns how many went.
   */
  async cleanupByCount(maxCount: number, workflowId?: string): Promise<number> {
    const what = 'cleanupByCount';
    validate(nonNegativeIntegerSchema, maxCount, what, 'maxCount');
    if (workflowId !== undefined) validate(idSchema, workflowId, what, 'workflowId');
    return guard(what, () => deleteAllButNewest(this.db, maxCount, workflowId));
  }

  /** Counts, success rate and duration figures over all executions, or one workflow's. */
  async getExecutionStats(workflowId?: string): Promise<ExecutionStats> {
    const what = 'getExecutionStats';
    if (workflowId !== undefined) validate(idSchema, workflowId, what, 'workflowId');
    return guard(what, () => getExecutionStats(this.db, workflowId));
  }

  private updateById(
    table: typeof executions | typeof steps,
    id: string,
    set: Record<string, unknown>,
    what: string,
    noun: string,
  ): void {
    const changed = guard(what, () => {
      // Nothing to change still has to answer whether the row exists.
      if (Object.keys(set).length === 0) return this.db.select({ id: table.id }).from(table).where(eq(table.id, id)).all().length;
      return this.db.update(table).set(set).where(eq(table.id, id)).run().changes;
    });
    if (changed === 0) throw new ExecutionStoreError('NOT_FOUND', `${what}: no ${noun} with id "${id}"`);
  }

  close(): void {
    this.sqlite.close();
  }
}

/**
 * Opens (creating if needed) a SQLite file and returns a store on it. Without a filename: the environment variable
 * EXECUTION_HISTORY_DB, else ./data/execution-history.db. ':memory:' gives a private in-memory database.
 */
export async function openExecutionStore(filename?: string, options?: ExecutionStoreOptions): Promise<ExecutionStore> {
  const path = resolveDatabasePath(filename);
  const sqlite = guard('openExecutionStore', () => {
    ensureParentFolder(path);
    return new BetterSqlite3(path);
  });
  try {
    return new ExecutionStore(sqlite, options);
  } catch (error) {
    sqlite.close();
    throw error;
  }
}

function derivedDuration(startedAt: number, completedAt: number | null | undefined, what: string): number | undefined {
  if (completedAt == null) return undefined;
  if (completedAt < startedAt) {
    throw new ExecutionStoreError(
      'VALIDATION',
      `${what}: invalid input: completedAt (${completedAt}) is before startedAt (${startedAt}); expected completedAt >= startedAt`,
    );
  }
  return completedAt - startedAt;
}

/**
 * Changes with completedAt but no durationMs get durationMs = completedAt - startedAt. Without a new startedAt
 * the subtraction happens in SQL against the stored one, sparing a read; the duration CHECK rejects a negative one.
 */
function withDerivedDuration(
  changes: { startedAt?: number; completedAt?: number | null; durationMs?: number | null },
  startedAtColumn: typeof executions.startedAt | typeof steps.startedAt,
  what: string,
): Record<string, unknown> {
  const { startedAt, completedAt, durationMs } = changes;
  if (completedAt == null || durationMs !== undefined) return changes;
  return {
    ...changes,
    durationMs:
      startedAt === undefined ? sql`${completedAt} - ${startedAtColumn}` : derivedDuration(startedAt, completedAt, what),
  };
}

function guard<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw toStoreError(error, what);
  }
}
