// The seam between the facade (src/store.ts) and a database: what a backend does with input the facade has already
// validated. Asynchronous at this boundary, whatever the backend does inside (SQLite's is synchronous).
import type { z } from 'zod';
import type { BatchChannel } from './core/batch-channel.js';
import type { CursorPosition } from './core/cursor.js';
import type { Encoding } from './core/rows.js';
import type {
  CompactedInsights,
  ErrorGroup,
  ExecutionSearchResult,
  ExecutionStats,
  ExecutionStep,
  ExecutionWithSteps,
  HistoryInstance,
  InsightSettings,
  NodeStats,
  RebuildOptions,
  RebuiltInsights,
  ReclaimedSpace,
  RecordedExecution,
  RecoveredExecutions,
  TimelineEntry,
  TimelineQuery,
  WorkflowExecution,
  WorkflowSummary,
  WrittenBatch,
  HistoryBatch,
} from './core/types.js';
import type {
  cleanupOptionsSchema,
  errorGroupsQuerySchema,
  executionChangesSchema,
  executionSearchSchema,
  executionPageQuerySchema,
  executionStatsQuerySchema,
  insightRetentionChangeSchema,
  nodeStatsQuerySchema,
  oldExecutionsCleanupOptionsSchema,
  runStepsSchema,
  stepChangesSchema,
  ValidExecution,
  ValidBatch,
  ValidStep,
  workflowSummariesQuerySchema,
} from './core/validation.js';

type Valid<T extends z.ZodType> = z.output<T>;

/** A page request: the validated query without its cursor, and the position the cursor named. */
export type PageRequest = Omit<Valid<typeof executionPageQuerySchema>, 'cursor'> & { after?: CursorPosition };

export interface HistoryBackend {
  createExecution(input: ValidExecution): Promise<string>;
  updateExecution(id: string, changes: Valid<typeof executionChangesSchema>): Promise<void>;
  getExecution(id: string): Promise<WorkflowExecution | null>;
  getExecutionWithSteps(id: string): Promise<ExecutionWithSteps | null>;
  /** Up to `limit` executions in the page's order; `after`, when given, excludes it and what comes before it. */
  queryExecutions(request: PageRequest): Promise<WorkflowExecution[]>;
  deleteExecution(id: string): Promise<boolean>;
  /** `what` names the public call, for its error messages (addStep, addSteps). */
  addSteps(inputs: ValidStep[], what: string): Promise<string[]>;
  recordExecution(execution: ValidExecution, steps: Valid<typeof runStepsSchema>): Promise<RecordedExecution>;
  /** `lockWaitMs`: see WriteBatchOptions. */
  writeBatch(batch: ValidBatch, lockWaitMs?: number): Promise<WrittenBatch>;
  /**
   * A channel that writes batches off the caller's thread (a worker on a SQLite file), for the recorder; undefined
   * (or not implemented) where this backend has none. `validate` is the facade's validation of writeBatch's input.
   */
  openBatchChannel?(validate: (batch: HistoryBatch) => ValidBatch): BatchChannel | undefined;
  updateStep(id: string, changes: Valid<typeof stepChangesSchema>): Promise<void>;
  getStepsForExecution(executionId: string): Promise<ExecutionStep[]>;
  cleanupOldExecutions(maxAgeMs: number, options: Valid<typeof oldExecutionsCleanupOptionsSchema>): Promise<number>;
  cleanupByCount(maxCount: number, workflowId: string | undefined, options: Valid<typeof cleanupOptionsSchema>): Promise<number>;
  findExecutionIds(prefix: string, limit: number): Promise<string[]>;
  /**
   * Running executions that started before `startedBefore`; without it, the running executions of instances that
   * are gone (never this store's own).
   */
  recoverInterruptedExecutions(startedBefore: number | undefined): Promise<RecoveredExecutions>;
  /** How this backend's writes encode payloads and texts (redaction, the size cap): the recorder encodes with it. */
  readonly encoding: Encoding;
  /** The id recorded on the executions this backend creates. */
  readonly instanceId: string;
  /** The instances that have written executions, most recently heard of first. */
  getInstances(): Promise<HistoryInstance[]>;
  reclaimSpace(): Promise<ReclaimedSpace>;
  getExecutionStats(filter: NonNullable<Valid<typeof executionStatsQuerySchema>>): Promise<ExecutionStats>;
  getNodeStats(request: Valid<typeof nodeStatsQuerySchema>): Promise<NodeStats[]>;
  getTimeline(request: Required<TimelineQuery>): Promise<TimelineEntry[]>;
  getErrorGroups(request: Valid<typeof errorGroupsQuerySchema>): Promise<ErrorGroup[]>;
  getWorkflowSummaries(request: Valid<typeof workflowSummariesQuerySchema>): Promise<WorkflowSummary[]>;
  rebuildInsights(onProgress: RebuildOptions['onProgress']): Promise<RebuiltInsights>;
  compactInsights(): Promise<CompactedInsights>;
  getInsightSettings(): Promise<InsightSettings>;
  setInsightRetention(change: Valid<typeof insightRetentionChangeSchema>): Promise<InsightSettings>;
  /** One call of a search (src/core/search-scan.ts runs it on the backend's reads); its cursor is still to be read. */
  searchExecutions(search: Valid<typeof executionSearchSchema>): Promise<ExecutionSearchResult>;
  /** Ends what the backend opened; resolves once it is closed. Calls after close fail. */
  close(): Promise<void>;
}
