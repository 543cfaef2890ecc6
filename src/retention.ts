// Deleting old history. Deletes run in short batches so that other processes recording runs on the same
// file wait for the write lock for milliseconds, not for the whole clean-up. Steps go by ON DELETE CASCADE.
import { and, desc, eq, inArray, lt, ne, or, type SQL } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { workflowExecutions as executions } from './schema.js';

/** Executions per delete transaction; about 10 steps each. */
export const RETENTION_BATCH_SIZE = 1000;

const finished = ne(executions.status, 'running');

/** Deletes finished executions that started before `cutoff` (ms since epoch). */
export function deleteFinishedStartedBefore(db: HistoryDatabase, cutoff: number): number {
  return deleteInBatches(db, and(finished, lt(executions.startedAt, cutoff)));
}

/** Keeps the `keep` newest executions (of one workflow, or of all); deletes the older finished ones. */
export function deleteAllButNewest(db: HistoryDatabase, keep: number, workflowId?: string): number {
  const scope = workflowId === undefined ? undefined : eq(executions.workflowId, workflowId);
  if (keep === 0) return deleteInBatches(db, and(finished, scope));
  // The oldest execution that is kept; everything strictly older in (started_at, id) order may go.
  const oldestKept = db
    .select({ startedAt: executions.startedAt, id: executions.id })
    .from(executions)
    .where(scope)
    .orderBy(desc(executions.startedAt), desc(executions.id))
    .limit(1)
    .offset(keep - 1)
    .get();
  if (oldestKept === undefined) return 0;
  const older = or(
    lt(executions.startedAt, oldestKept.startedAt),
    and(eq(executions.startedAt, oldestKept.startedAt), lt(executions.id, oldestKept.id)),
  );
  return deleteInBatches(db, and(finished, scope, older));
}

function deleteInBatches(db: HistoryDatabase, where: SQL | undefined): number {
  let deleted = 0;
  for (;;) {
    const batch = db.select({ id: executions.id }).from(executions).where(where).limit(RETENTION_BATCH_SIZE);
    const { changes } = db.delete(executions).where(inArray(executions.id, batch)).run();
    deleted += changes;
    if (changes < RETENTION_BATCH_SIZE) return deleted;
  }
}
