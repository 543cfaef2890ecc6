// Looking at a history database without opening a store on it: opening applies pending migrations, which a health
// check or a deploy's "what would migrate do" must not. Each backend reads its own kind of database.
import { databaseUrlProblem, resolveDatabasePath } from './core/database-path.js';
import { ExecutionStoreError } from './core/errors.js';
import type { HistoryInspection, InspectionOptions } from './core/types.js';
import { validate, inspectionOptionsSchema } from './core/validation.js';
import { inspectSqliteFile } from './sqlite/inspection.js';
import { toStoreError } from './sqlite/driver-errors.js';
import { existsSync } from 'node:fs';

/**
 * Reads a history database as it is: pages, integrity, journal and auto-vacuum modes, migrations applied and
 * pending, row counts and insight settings. Changes nothing; NOT_FOUND when there is no such file.
 */
export async function inspectExecutionHistory(filename?: string, options?: InspectionOptions): Promise<HistoryInspection> {
  const what = 'inspectExecutionHistory';
  const valid = validate(inspectionOptionsSchema, options, what, 'options');
  const path = resolveDatabasePath(filename);
  const urlProblem = databaseUrlProblem(path);
  if (urlProblem !== undefined) throw new ExecutionStoreError('VALIDATION', `${what}: invalid input: ${urlProblem}`);
  if (path === ':memory:' || !existsSync(path)) {
    throw new ExecutionStoreError('NOT_FOUND', `${what}: no history database at ${path}; expected an existing file`);
  }
  try {
    return inspectSqliteFile(path, valid ?? {});
  } catch (error) {
    throw toStoreError(error, `${what} (${path})`);
  }
}
