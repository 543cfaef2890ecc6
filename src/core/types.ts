// The public shapes, the same on every backend. Each backend's schema is checked against them at compile time
// (tests/types.test-d.ts), so a column change breaks the build instead of drifting; JSON columns are text in the
// databases and objects in the API.
import type { EXECUTION_STATUSES, STEP_STATUSES, TRIGGER_TYPES } from './constants.js';

export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export type StepStatus = (typeof STEP_STATUSES)[number];
export type TriggerType = (typeof TRIGGER_TYPES)[number];

/** A JSON payload: trigger data, metadata, a step's input or output. */
export type JsonObject = Record<string, unknown>;

export interface WorkflowExecution {
  id: string;
  workflowId: string;
  workflowName: string;
  triggerType: TriggerType;
  triggerData?: JsonObject;
  status: ExecutionStatus;
  /** Milliseconds since the Unix epoch. */
  startedAt: number;
  completedAt?: number;
  durationMs?: number;
  errorMessage?: string;
  errorStack?: string;
  metadata?: JsonObject;
  /**
   * The store instance that created it (ExecutionStoreOptions.instance): what recovery asks about before marking
   * it interrupted. Absent on executions recorded before instances existed.
   */
  instanceId?: string;
}

export interface ExecutionStep {
  id: string;
  executionId: string;
  nodeId: string;
  nodeType: string;
  nodeName?: string;
  /** Position of the step within its execution, from 0. */
  stepIndex: number;
  startedAt: number;
  completedAt?: number;
  durationMs?: number;
  status: StepStatus;
  inputData?: JsonObject;
  outputData?: JsonObject;
  errorMessage?: string;
}

/** The store adds the id and its own instance. */
export type NewExecution = Omit<WorkflowExecution, 'id' | 'instanceId'>;
export type NewStep = Omit<ExecutionStep, 'id'>;
/** Fields to change; `null` clears an optional field. */
export type ExecutionChanges = Changes<NewExecution>;
/** Fields to change; a step cannot move to another execution. `null` clears an optional field. */
export type StepChanges = Changes<Omit<NewStep, 'executionId'>>;

/** Every field may be left out; the optional ones may also be `null`, which empties them. */
type Changes<T> = { [K in keyof T]?: undefined extends T[K] ? T[K] | null : T[K] };

export interface ExecutionWithSteps extends WorkflowExecution {
  /** Ordered by stepIndex. */
  steps: ExecutionStep[];
}

export type ExecutionOrderBy = 'started_at' | 'duration_ms';
export type OrderDirection = 'asc' | 'desc';

export interface ExecutionQuery {
  workflowId?: string;
  status?: ExecutionStatus;
  triggerType?: TriggerType;
  /** Inclusive: started_at >= startedAfter. */
  startedAfter?: number;
  /** Exclusive: started_at < startedBefore. */
  startedBefore?: number;
  /** Default 'started_at'. Ties are broken by id, so pages are stable. */
  orderBy?: ExecutionOrderBy;
  /** Default 'desc' (newest or slowest first). */
  orderDir?: OrderDirection;
  /** Default 50, at most 1000. */
  limit?: number;
  /** Default 0. */
  offset?: number;
}

/** Which executions getExecutionStats covers; every field narrows it, and none means all of them. */
export type ExecutionStatsQuery = Pick<ExecutionQuery, 'workflowId' | 'triggerType' | 'startedAfter' | 'startedBefore'>;

export interface ExecutionPageQuery extends Omit<ExecutionQuery, 'offset'> {
  /** The nextCursor of the previous page; the query must keep the same orderBy and orderDir. */
  cursor?: string;
  /** Only without a cursor. */
  offset?: number;
}

export interface ExecutionPage {
  items: WorkflowExecution[];
  /** Pass as `cursor` for the next page; null after the last page. */
  nextCursor: string | null;
}

/** The payload fields searchExecutions reads: an execution's trigger data and metadata, a step's input and output. */
export type PayloadField = 'triggerData' | 'metadata' | 'inputData' | 'outputData';

/**
 * What searchExecutions looks for, and where. Either `key` with `equals`: a key at any depth of a payload holding that
 * value (a number matches the same number or the string of its digits, a string the same string or the number or
 * boolean it spells, so `orderId = 1002` finds `"orderId": 1002` and `"orderId": "1002"`); or `text`: text found
 * anywhere in a payload's stored JSON, ignoring case (keys, values, and what redaction left: `[REDACTED]`).
 */
export interface ExecutionSearch {
  key?: string;
  equals?: string | number | boolean | null;
  text?: string;
  /** Default: all four. */
  in?: PayloadField[];
  workflowId?: string;
  status?: ExecutionStatus;
  /** Inclusive: started_at >= startedAfter. */
  startedAfter?: number;
  /** Exclusive: started_at < startedBefore. */
  startedBefore?: number;
  /** Matching executions per call: default 20, at most 200. */
  limit?: number;
  /** The nextCursor of the previous call, with the same search. */
  cursor?: string;
}

/** Where a search found its match in one execution. */
export interface SearchHit {
  field: PayloadField;
  /** For inputData and outputData: the step that holds it. */
  stepId?: string;
  nodeId?: string;
  stepIndex?: number;
}

export interface ExecutionSearchResult {
  /** Newest first. */
  items: { execution: WorkflowExecution; hits: SearchHit[] }[];
  /**
   * What this call read: at most SEARCH_STEPS_PER_CALL steps and as many executions (one execution with more steps is
   * read alone, whole). Executions read past the call's last match, or left for the next call, count too.
   */
  scanned: { executions: number; steps: number };
  /** Pass as `cursor` to search on, further back; null once the range was read to its start. */
  nextCursor: string | null;
}

/** A step of a run recorded whole by recordExecution: its execution is the one being recorded. */
export type RunStep = Omit<NewStep, 'executionId'>;

export interface RecordedExecution {
  executionId: string;
  /** In the order the steps were given. */
  stepIds: string[];
}

/**
 * Parts of many runs written in one transaction (ExecutionStore.writeBatch): what a recorder's flush commits. The
 * ids are the caller's (newExecutionId, newStepId), so that a batch written twice (a retry after a commit whose
 * answer was lost) stores each row once: a row whose id is stored already is left as it is.
 */
export interface HistoryBatch {
  /** New executions: running, or finished already. */
  executions?: BatchExecution[];
  /** New steps of executions of this batch or stored before. */
  steps?: BatchStep[];
  /** Changes to executions stored before: a run's end. */
  updates?: BatchUpdate[];
  /**
   * Finished runs counted in the insights (rollups) but not stored: runs a save policy sampled out. They are not in
   * the stored history, so neither in getExecutionStats (which counts what is stored), and a rebuildInsights (which
   * recounts what is stored) leaves them out.
   */
  countedOnly?: CountedRun[];
}

export interface BatchExecution extends NewExecution {
  /** newExecutionId(startedAt): a uuid v7 holding the run's start. */
  id: string;
}

export interface BatchStep extends NewStep {
  /** newStepId(executionId): a uuid v7 holding its execution's start. */
  id: string;
}

export interface BatchUpdate {
  id: string;
  changes: ExecutionChanges;
}

export interface CountedRun {
  /** Its status is not `running`. */
  execution: NewExecution;
  /** Its steps that are not stored. */
  steps: RunStep[];
  /**
   * The id of its row, when one was stored for it before (running): the row is deleted and the run counted from
   * `execution` instead; its stored steps are deleted too, and stay counted as they are.
   */
  id?: string;
}

export interface WriteBatchOptions {
  /**
   * SQLite: how long this write waits for another connection's write lock before failing (default: the store's
   * busyTimeoutMs). The driver waits synchronously, holding the process's event loop; the recorder passes a few ms
   * and tries again later. PostgreSQL waits without holding the process and does not use it.
   */
  lockWaitMs?: number;
}

export interface WrittenBatch {
  /** Rows inserted (ids stored already not counted). */
  executions: number;
  steps: number;
  /** Executions changed by `updates`. */
  updated: number;
  /** Runs counted in the insights only; with those of their stored rows deleted. */
  counted: number;
  /**
   * Executions that steps or updates of the batch named but that are not stored (deleted meanwhile, or never
   * written): what named them was left out, the rest of the batch written.
   */
  missing: string[];
}

export interface CleanupProgress {
  /** Executions deleted so far by this clean-up. */
  deleted: number;
  /** Executions deleted by the batch just finished. */
  batchDeleted: number;
  /** How long that batch held the write lock, in ms. */
  batchMs: number;
}

export interface CleanupOptions {
  /** Called after each delete batch, e.g. for a progress bar. */
  onProgress?: (progress: CleanupProgress) => void;
  /** Count what would be deleted, delete nothing. */
  dryRun?: boolean;
}

export interface OldExecutionsCleanupOptions extends CleanupOptions {
  /** Only this workflow's executions. */
  workflowId?: string;
}

export interface RecoveryOptions {
  /**
   * Marks every running execution that started before this time (ms since the epoch), whoever runs it: for
   * executions recorded before instances existed, or a history that one process alone writes. Left out, only the
   * executions of instances that are gone (unheard of for longer than their lease) are marked.
   */
  startedBefore?: number;
}

/** A store instance that has written executions, as `getInstances()` lists it. */
export interface HistoryInstance {
  id: string;
  host: string;
  pid: number;
  /** When it first wrote, ms since the epoch (the database's clock). */
  startedAt: number;
  /** Its last heartbeat, ms since the epoch (the database's clock). */
  heardAt: number;
  /** Its lease: unheard of for longer, it is gone. */
  leaseMs: number;
  /** How long since its last heartbeat, by the database's clock. */
  silentMs: number;
  state: 'alive' | 'gone';
  /** Executions it created that are still 'running'. */
  runningExecutions: number;
  /** Whether it is the instance of the store that listed it. */
  current: boolean;
}

export interface RecoveredExecutions {
  /** Executions changed from 'running' to 'error'. */
  executions: number;
  /** Their steps changed from 'running' to 'error'. */
  steps: number;
}

export interface CompactedInsights {
  /** Weeks summed into weekly node rollups by this call. */
  weeks: number;
}

export interface ReclaimedSpace {
  /** Database size in bytes (page count × page size) before and after. */
  bytesBefore: number;
  bytesAfter: number;
}

export interface ExecutionStats {
  total: number;
  running: number;
  success: number;
  error: number;
  /** success / (success + error); null when nothing has finished. */
  successRate: number | null;
  /** Duration figures cover the executions that have a duration; null when none has. */
  avgDurationMs: number | null;
  minDurationMs: number | null;
  maxDurationMs: number | null;
  /** Nearest-rank percentiles. */
  p50DurationMs: number | null;
  p95DurationMs: number | null;
  firstStartedAt: number | null;
  lastStartedAt: number | null;
}

/**
 * A time range for insights, by execution start. Insights are read from hourly and daily rollups, so the range is
 * widened to whole hours (and to whole days where hourly rollups have been pruned, after `insights.hourlyDays`).
 */
export interface InsightRange {
  /** Inclusive; open when left out. */
  startedAfter?: number;
  /** Exclusive; open when left out. */
  startedBefore?: number;
}

export type NodeStatsSort = 'p95' | 'errorRate' | 'runs';

export interface NodeStatsQuery extends InsightRange {
  /** One workflow's nodes; all workflows' when left out. */
  workflowId?: string;
  /** Largest first. Default 'runs'. */
  sortBy?: NodeStatsSort;
  /** Default 50, at most 1000. */
  limit?: number;
}

export interface NodeStats {
  workflowId: string;
  nodeId: string;
  /** Type and name of the node's latest step in the range. */
  nodeType: string;
  nodeName: string | null;
  /** Steps that finished: success + error + skipped (steps still running are not counted). */
  runs: number;
  success: number;
  error: number;
  skipped: number;
  /** error / (success + error); null when no step finished. */
  errorRate: number | null;
  /** Over the steps with a duration (skipped steps count, usually with 0 ms). Exact. */
  avgDurationMs: number | null;
  /**
   * Nearest-rank percentiles from the rollups' histograms, in whole ms: within 1% of the exact value + 0.5 ms, exact
   * below 58 ms; never above maxDurationMs, and equal to it when the rank is the last.
   */
  p50DurationMs: number | null;
  p95DurationMs: number | null;
  /** Exact. */
  maxDurationMs: number | null;
  /** The latest failed step's message and when it ended; null when none failed. */
  lastError: { message: string | null; at: number } | null;
}

export type TimelineBucket = 'minute' | 'hour' | 'day';

export interface TimelineQuery {
  workflowId?: string;
  /** Inclusive; the first bucket is the one containing it. */
  startedAfter: number;
  /** Exclusive; the last bucket is the one containing startedBefore - 1. */
  startedBefore: number;
  bucket: TimelineBucket;
  /** An IANA time zone ('Europe/Berlin') that buckets follow, so days start at local midnight. Default 'UTC'. */
  timeZone?: string;
}

export interface TimelineEntry {
  /** The bucket's first millisecond and the next bucket's first (a local day across a DST change has 23 or 25 h). */
  start: number;
  end: number;
  total: number;
  running: number;
  success: number;
  error: number;
  avgDurationMs: number | null;
  /** Nearest-rank, from the rollups' histograms, in whole ms: within 1% of the exact value + 0.5 ms; exact below 58 ms. */
  p95DurationMs: number | null;
  /**
   * Whether every execution that started in the bucket is counted. False only where part of the bucket had to be
   * counted from the stored rows (its rollups pruned, or finer than an hour: minutes, a 30-minute zone's day edge)
   * and executions the insights still count were deleted there (`outliveDeletes`): the figures are then what the
   * stored rows hold, and lower than the truth.
   */
  complete: boolean;
}

export interface ErrorGroupsQuery extends InsightRange {
  workflowId?: string;
  /** Default 50, at most 1000. */
  limit?: number;
}

export interface ErrorGroup {
  workflowId: string;
  /** The workflow's name in the latest failure. */
  workflowName: string;
  /** The failed step's node; null for executions that failed outside any step. */
  nodeId: string | null;
  nodeType: string | null;
  nodeName: string | null;
  /** The message with numbers, ids and quoted values masked: what the failures have in common. */
  pattern: string;
  /** The latest failure's message as stored. */
  lastMessage: string | null;
  count: number;
  firstSeenAt: number;
  lastSeenAt: number;
  /** Up to three executions with this failure, newest first. */
  exampleExecutionIds: string[];
}

export interface WorkflowSummariesQuery extends InsightRange {}

export interface WorkflowSummary {
  workflowId: string;
  /** From its latest execution. */
  workflowName: string;
  /** Its latest stored execution, in or out of the range; null when none is stored. */
  lastRun: { executionId: string; status: ExecutionStatus; startedAt: number } | null;
  /** In the range: */
  runs: number;
  running: number;
  success: number;
  error: number;
  successRate: number | null;
  avgDurationMs: number | null;
  /** Nearest-rank, from the rollups' histograms, in whole ms: within 1% of the exact value + 0.5 ms; exact below 58 ms. */
  p95DurationMs: number | null;
}

export interface ExecutionStoreOptions {
  /** Payloads whose JSON is larger (UTF-8 bytes) are stored truncated with a preview. Default 64 KiB. */
  maxPayloadBytes?: number;
  /** The clock retention measures age against, in ms since the epoch. Default Date.now. */
  now?: () => number;
  /** SQLite: how long a write waits for another connection's lock before failing, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * Object keys whose values are stored as "[REDACTED]" at any depth of the payloads. Strings match keys that
   * contain them, ignoring case and '-'/'_'; RegExps are tested ignoring case. Default DEFAULT_REDACT_KEYS; pass
   * `[...DEFAULT_REDACT_KEYS, 'ssn']` to add to it, `[]` to store payloads as given. Bearer tokens and JWTs in any
   * text are redacted whatever this holds.
   */
  redactKeys?: readonly (string | RegExp)[];
  /**
   * SQLite: when the WAL file grows past this many bytes (readers always active keep SQLite's own checkpoint from starting it
   * over), the store checkpoints it and truncates it. Default 64 MiB.
   */
  walLimitBytes?: number;
  /**
   * How the insights (rollups behind node stats, timelines and workflow summaries) count deletes and how long they
   * are kept. Settings of the file, shared by every process writing it: given here, a setting the file does not
   * hold yet is stored in it, and one that differs from the file's is refused; left out, the file's is used.
   */
  insights?: InsightRetention;
  /** PostgreSQL: the pool the store opens for a URL (a pool handed in is used as it is). */
  postgres?: PostgresOptions;
  /** Who this store is among the processes sharing the history, and how long it may go unheard of. */
  instance?: InstanceOptions;
}

export interface InstanceOptions {
  /**
   * Recorded on every execution the store creates. Default: an id drawn once per process (shared by its stores).
   * Give one only if it is unique among running processes: a process that starts with an id another process held
   * takes over, and marks what that one left running as interrupted.
   */
  id?: string;
  /**
   * How long the instance may go unheard of before it counts as gone and recovery marks its running executions as
   * interrupted, in ms. It sends a heartbeat every leaseMs / 6. Default 60000, at least 1000.
   */
  leaseMs?: number;
}

export interface PostgresOptions {
  /** Connections the store's own pool opens at most. Default 4: writes are short transactions. */
  poolSize?: number;
  /**
   * How long a call waits for a connection (a server down or unreachable, every pooled connection busy) before it
   * fails with UNAVAILABLE, in ms. Default 5000.
   */
  connectTimeoutMs?: number;
  /**
   * Whether cleanupOldExecutions drops the day partitions that lie wholly before its cut (their space goes back to
   * the disk at once) before deleting the rest in batches. Default true; false deletes everything in batches, as on
   * SQLite. Either way the answers are the same.
   */
  dropDays?: boolean;
}

export interface RebuildProgress {
  /** UTC days recounted so far, of totalDays between the first and the last stored execution. */
  days: number;
  totalDays: number;
  /** Finished executions counted so far. */
  executions: number;
}

export interface RebuildOptions {
  /** Called after each day, e.g. for a progress bar. */
  onProgress?: (progress: RebuildProgress) => void;
}

export interface RebuiltInsights {
  days: number;
  executions: number;
}

export interface InsightRetention {
  /**
   * true (the default): deleting executions, by retention or one by one, leaves the insights counting them, the
   * way n8n's insights outlive pruning; they go when they are older than `dailyDays`. false: insights count only
   * the executions still stored, and deletes take them out.
   */
  outliveDeletes?: boolean;
  /** Hourly node rollups older than this many days are deleted by the clean-ups. Default 35. */
  hourlyDays?: number;
  /** Daily and weekly rollups, and hourly workflow rollups, older than this many days are deleted by the clean-ups. Default 365. */
  dailyDays?: number;
}

/** What setInsightRetention changes. */
export type InsightRetentionChange = Pick<InsightRetention, 'hourlyDays' | 'dailyDays'>;

/** The insight settings in force for a file, shared by every process that writes it. */
export interface InsightSettings extends Required<InsightRetention> {
  /** The settings the file holds; the others are the defaults until a process pins them. */
  pinned: (keyof InsightRetention)[];
}

/** What inspectExecutionHistory reads. */
export interface InspectionOptions {
  /** 'full' (the default) reads every page; 'quick' checks less; 'none' skips it. Either check reads the whole file. */
  integrity?: 'full' | 'quick' | 'none';
  /** Also count the running executions that started before this time (ms since the epoch). */
  runningSince?: number;
}

/** A history database as it is, read without changing anything (no migration applied). */
/** What inspectExecutionHistory finds: a SQLite file's or a PostgreSQL database's state. */
export type HistoryInspection = SqliteInspection | PostgresInspection;

/** The parts of an inspection every backend has. */
interface InspectedHistory {
  /** The package's migrations the database has, and the ones it would be given on opening. */
  migrations: { applied: string[]; pending: string[] };
  rows: {
    executions: number;
    steps: number;
    running: number;
    /** Running executions started before `runningSince`; null when not asked for. */
    runningSince: number | null;
  };
  /** The insight settings in force for the database; null for one from before they were kept in it. */
  insights: InsightSettings | null;
  /** The instances that have written executions (as getInstances lists them); null for a database from before instances. */
  instances: HistoryInstance[] | null;
}

export interface PostgresInspection extends InspectedHistory {
  backend: 'postgres';
  /**
   * The day partitions of the executions (see the README, Partitions by day): how many, the first and last day
   * (YYYY-MM-DD, UTC), and whether the legacy partition of a database from before partitions is still there; null
   * for a database from before them.
   */
  partitions: { days: number; first: string | null; last: string | null; legacy: boolean } | null;
  /** The server's version, as `SHOW server_version` says it. */
  serverVersion: string;
  /** The whole database's size on disk (pg_database_size). */
  databaseBytes: number;
  /** The package's tables with their indexes and TOAST (pg_total_relation_size). */
  tableBytes: number;
  /** Dead rows the tables hold until (auto)vacuum makes their space reusable (pg_stat_user_tables.n_dead_tup). */
  deadRows: number;
  /** PostgreSQL has no whole-database check like SQLite's integrity_check: always null. */
  integrity: null;
}

export interface SqliteInspection extends InspectedHistory {
  backend: 'sqlite';
  pageSize: number;
  pageCount: number;
  freePages: number;
  journalMode: string;
  autoVacuum: 'none' | 'full' | 'incremental' | 'unknown';
  /** The integrity check's findings, ['ok'] when there are none; null when not asked for. */
  integrity: string[] | null;
}
