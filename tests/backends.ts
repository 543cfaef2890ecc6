// The contract suite's backends: every behaviour the API promises is tested once per backend, the way Drizzle's own
// suites run per dialect. SQLite in memory, and PostgreSQL on a fresh database per test cloned from the migrated
// template (tests/postgres/). Where no PostgreSQL is available the PostgreSQL half is skipped with the reason (never
// in CI: the global setup fails there instead).
import { describe } from 'vitest';
import { type ExecutionStore, type ExecutionStoreOptions, openExecutionStore } from '../src/index.js';
import { memoryStore, track } from './factories.js';
import { freshPostgresUrl, postgresSkipReason } from './postgres/test-database.js';

export type BackendName = 'sqlite' | 'postgres';

export interface TestBackend {
  name: BackendName;
  /** A fresh, empty store on this backend, closed (and its database dropped) after the test. */
  open(options?: ExecutionStoreOptions): Promise<ExecutionStore>;
  /** A fresh, empty database's target for openExecutionStore: a file path or a URL, removed after the test. */
  target(): Promise<string>;
  /** Why this backend's half of a suite is skipped here; undefined when it runs. */
  skipReason: string | undefined;
}

export const sqliteBackend: TestBackend = {
  name: 'sqlite',
  open: (options) => memoryStore(options),
  target: async () => ':memory:',
  skipReason: undefined,
};

export const postgresBackend: TestBackend = {
  name: 'postgres',
  open: async (options) => track(await openExecutionStore(await freshPostgresUrl(), options)),
  target: () => freshPostgresUrl(),
  skipReason: postgresSkipReason,
};

export const backends: readonly TestBackend[] = [sqliteBackend, postgresBackend];

/** Declares the suite once per backend, in a describe named after it. */
export function forEachBackend(suite: (backend: TestBackend) => void): void {
  for (const backend of backends) describe.skipIf(backend.skipReason !== undefined)(backend.name, () => suite(backend));
}
