// Type-level tests: checked by tsc during `vitest run` (see vitest.config.ts), so a wrong shape fails the suite.
import { describe, expectTypeOf, it } from 'vitest';
import type {
  ErrorGroup,
  ExecutionChanges,
  ExecutionStats,
  ExecutionStatsQuery,
  ExecutionStatus,
  ExecutionStep,
  ExecutionStore,
  ExecutionWithSteps,
  JsonObject,
  NodeStats,
  NodeStatsQuery,
  RecoveredExecutions,
  StepChanges,
  StepStatus,
  TimelineEntry,
  TimelineQuery,
  TriggerType,
  WorkflowExecution,
  WorkflowSummary,
} from '../src/index.js';

describe('public types', () => {
  it('ExecutionWithSteps is an execution plus its ordered steps', () => {
    expectTypeOf<ExecutionWithSteps>().toExtend<WorkflowExecution>();
    expectTypeOf<ExecutionWithSteps['steps']>().toEqualTypeOf<ExecutionStep[]>();
    expectTypeOf<ExecutionWithSteps['steps'][number]['status']>().toEqualTypeOf<StepStatus>();
    expectTypeOf<ExecutionStore['getExecutionWithSteps']>().returns.toEqualTypeOf<Promise<ExecutionWithSteps | null>>();
  });

  it('recovery takes an optional cutoff and says how much it marked', () => {
    expectTypeOf<ExecutionStore['recoverInterruptedExecutions']>().parameters.toEqualTypeOf<[options?: { startedBefore?: number }]>();
    expectTypeOf<ExecutionStore['recoverInterruptedExecutions']>().returns.toEqualTypeOf<Promise<RecoveredExecutions>>();
    expectTypeOf<RecoveredExecutions>().toEqualTypeOf<{ executions: number; steps: number }>();
  });

  it('stats take a workflow id or a query', () => {
    expectTypeOf<ExecutionStore['getExecutionStats']>().parameters.toEqualTypeOf<[query?: string | ExecutionStatsQuery]>();
    expectTypeOf<ExecutionStatsQuery>().toEqualTypeOf<{ workflowId?: string; triggerType?: TriggerType; startedAfter?: number; startedBefore?: number }>();
  });

  it('unions are the documented ones', () => {
    expectTypeOf<ExecutionStatus>().toEqualTypeOf<'running' | 'success' | 'error'>();
    expectTypeOf<StepStatus>().toEqualTypeOf<'running' | 'success' | 'error' | 'skipped'>();
    expectTypeOf<TriggerType>().toEqualTypeOf<'webhook' | 'schedule' | 'manual' | 'db_change' | 'internal_event'>();
  });

  it('optional fields are optional, never null, and payloads are objects', () => {
    expectTypeOf<WorkflowExecution['completedAt']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<WorkflowExecution['errorMessage']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<WorkflowExecution['triggerData']>().toEqualTypeOf<JsonObject | undefined>();
    expectTypeOf<ExecutionStep['inputData']>().toEqualTypeOf<JsonObject | undefined>();
    expectTypeOf<ExecutionStep['nodeName']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<WorkflowExecution['startedAt']>().toEqualTypeOf<number>();
  });

  it('createExecution takes everything but the id and the instance, which the store adds', () => {
    expectTypeOf<ExecutionStore['createExecution']>().parameter(0).toEqualTypeOf<Omit<WorkflowExecution, 'id' | 'instanceId'>>();
    expectTypeOf<ExecutionChanges>().not.toHaveProperty('instanceId');
    expectTypeOf<ExecutionStore['addStep']>().parameter(0).toEqualTypeOf<Omit<ExecutionStep, 'id'>>();
  });

  it('changes may clear optional fields with null, but not required ones', () => {
    expectTypeOf<ExecutionChanges['errorMessage']>().toEqualTypeOf<string | null | undefined>();
    expectTypeOf<ExecutionChanges['status']>().toEqualTypeOf<ExecutionStatus | undefined>();
    expectTypeOf<StepChanges['outputData']>().toEqualTypeOf<JsonObject | null | undefined>();
    expectTypeOf<StepChanges>().not.toHaveProperty('executionId');
  });

  it('stats are numbers or null', () => {
    expectTypeOf<ExecutionStats['total']>().toEqualTypeOf<number>();
    expectTypeOf<ExecutionStats['p95DurationMs']>().toEqualTypeOf<number | null>();
  });

  it('insights answer with the shapes screens use', () => {
    expectTypeOf<ExecutionStore['getNodeStats']>().returns.resolves.toEqualTypeOf<NodeStats[]>();
    expectTypeOf<NodeStats['lastError']>().toEqualTypeOf<{ message: string | null; at: number } | null>();
    expectTypeOf<NodeStatsQuery['sortBy']>().toEqualTypeOf<'p95' | 'errorRate' | 'runs' | undefined>();
    expectTypeOf<ExecutionStore['getTimeline']>().parameter(0).toEqualTypeOf<TimelineQuery>();
    expectTypeOf<TimelineQuery['bucket']>().toEqualTypeOf<'minute' | 'hour' | 'day'>();
    expectTypeOf<ExecutionStore['getTimeline']>().returns.resolves.toEqualTypeOf<TimelineEntry[]>();
    expectTypeOf<ErrorGroup['exampleExecutionIds']>().toEqualTypeOf<string[]>();
    expectTypeOf<WorkflowSummary['lastRun']>().toEqualTypeOf<{ executionId: string; status: ExecutionStatus; startedAt: number } | null>();
  });
});

/**
 * The columns a backend's table declares, as the API shows them: JSON text columns become objects, nullable
 * columns optional fields. Each backend's schema must give exactly the public shapes, so that a column changed in
 * one place and not the other breaks the build.
 */
type AsApiShape<Row, JsonColumns extends keyof Row> = Flat<{
  [K in keyof Row as null extends Row[K] ? never : K]: K extends JsonColumns ? JsonObject : Row[K];
} & {
  [K in keyof Row as null extends Row[K] ? K : never]?: K extends JsonColumns ? JsonObject : NonNullable<Row[K]>;
}>;
type Flat<T> = { [K in keyof T]: T[K] };

describe('the SQLite schema declares the public shapes', () => {
  it('workflow_executions and execution_steps, column for column', async () => {
    type Sqlite = typeof import('../src/sqlite/schema.js');
    type ExecutionRow = Sqlite['workflowExecutions']['$inferSelect'];
    type StepRow = Sqlite['executionSteps']['$inferSelect'];
    expectTypeOf<AsApiShape<ExecutionRow, 'triggerData' | 'metadata'>>().toEqualTypeOf<WorkflowExecution>();
    expectTypeOf<AsApiShape<StepRow, 'inputData' | 'outputData'>>().toEqualTypeOf<ExecutionStep>();
  });
});

describe('the PostgreSQL schema declares the same public shapes', () => {
  it('workflow_executions and execution_steps, column for column', async () => {
    type Postgres = typeof import('../src/postgres/schema.js');
    type ExecutionRow = Postgres['workflowExecutions']['$inferSelect'];
    type StepRow = Postgres['executionSteps']['$inferSelect'];
    expectTypeOf<AsApiShape<ExecutionRow, 'triggerData' | 'metadata'>>().toEqualTypeOf<WorkflowExecution>();
    expectTypeOf<AsApiShape<StepRow, 'inputData' | 'outputData'>>().toEqualTypeOf<ExecutionStep>();
  });

  it('the openers take a file, a URL or a pg.Pool, and close() can be awaited', () => {
    expectTypeOf<typeof import('../src/index.js').openExecutionStore>().parameter(0).toEqualTypeOf<string | import('pg').Pool | undefined>();
    expectTypeOf<ExecutionStore['close']>().returns.toEqualTypeOf<Promise<void>>();
  });
});
