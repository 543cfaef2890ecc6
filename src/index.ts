// The package's one public entry.
export { ExecutionStore, openExecutionStore } from './store.js';
export { inspectExecutionHistory } from './inspect.js';
export { ExecutionStoreError, type ExecutionStoreErrorCode } from './core/errors.js';
export { DATABASE_PATH_ENV, DEFAULT_DATABASE_PATH } from './core/database-path.js';
export {
  CIRCULAR_MARKER,
  DEFAULT_MAX_PAYLOAD_BYTES,
  MAX_PAYLOAD_DEPTH,
  type TruncatedPayload,
  type UnreadablePayload,
} from './core/payload.js';
export { DEFAULT_WAL_LIMIT_BYTES } from './sqlite/wal.js';
export { DEFAULT_LEASE_MS, MIN_LEASE_MS } from './core/instance.js';
export { newExecutionId, newStepId } from './core/time-ordered-id.js';
export { createRecorder, Recorder, RunRecorder, StepRecorder } from './recorder/recorder.js';
export type { CloseOptions, RecordedEnd, RecordedRunStart, RecordedStepFailure, RecordedStepStart, RecorderStats } from './recorder/recorder.js';
export type { RecorderOptions, SavePolicy, SaveRules } from './recorder/options.js';
export {
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_FLUSH_MAX_ITEMS,
  DEFAULT_RECORDER_MAX_BYTES,
  DEFAULT_RECORDER_MAX_ITEMS,
} from './recorder/options.js';
export type { DropReason, DroppedMark, DroppedPart, RecorderDrop } from './recorder/drops.js';
export { DEFAULT_REDACT_KEYS, REDACTED } from './core/redaction.js';
export { DEFAULT_PAGE_SIZE, DEFAULT_SEARCH_LIMIT, MAX_PAGE_SIZE, MAX_SEARCH_LIMIT, PAYLOAD_FIELDS, SEARCH_STEPS_PER_CALL } from './core/constants.js';
export * from './sqlite/schema.js';
export type * from './core/types.js';
