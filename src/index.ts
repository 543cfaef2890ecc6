// The package's one public entry.
export { ExecutionStore, openExecutionStore } from './store.js';
export { ExecutionStoreError, type ExecutionStoreErrorCode } from './errors.js';
export { DATABASE_PATH_ENV, DEFAULT_DATABASE_PATH } from './database-path.js';
export {
  CIRCULAR_MARKER,
  DEFAULT_MAX_PAYLOAD_BYTES,
  MAX_PAYLOAD_DEPTH,
  type TruncatedPayload,
  type UnreadablePayload,
} from './payload.js';
export { DEFAULT_WAL_LIMIT_BYTES } from './wal.js';
export { DEFAULT_REDACT_KEYS, REDACTED } from './redaction.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './validation.js';
export * from './schema.js';
export type * from './types.js';
