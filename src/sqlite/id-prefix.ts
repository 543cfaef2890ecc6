// Finding executions by the first characters of their id, as a person reads them off a screen and types them.
import { and, asc, gte, lt } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { workflowExecutions as executions } from './schema.js';

/** The largest character: every id that starts with a prefix sorts below the prefix followed by it. */
const LAST_CHARACTER = '\u{10FFFF}';

/** Ids starting with `prefix`, in order, at most `limit`: a range on the primary key, not a scan. */
export function executionIdsStartingWith(db: HistoryDatabase, prefix: string, limit: number): string[] {
  return db
    .select({ id: executions.id })
    .from(executions)
    .where(and(gte(executions.id, prefix), lt(executions.id, `${prefix}${LAST_CHARACTER}`)))
    .orderBy(asc(executions.id))
    .limit(limit)
    .all()
    .map((row) => row.id);
}
