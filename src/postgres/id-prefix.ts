// Finding executions by the first characters of their id, as a person reads them off a screen and types them.
import { sql } from 'drizzle-orm';
import type { PostgresQueries } from './connection.js';
import { workflowExecutions as executions } from './schema.js';

/** The prefix as a LIKE pattern that matches it literally: its wildcards and the escape character escaped. */
const startsWith = (prefix: string) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`;

/**
 * Ids starting with `prefix`, in byte order (as on SQLite), at most `limit`: a range on the text_pattern_ops index of
 * the ids, whatever the database's collation, read in order. LIKE with a fixed prefix becomes that range (and is
 * case-sensitive, like SQLite's range on the primary key); ~<~ is the index's own order, bytes compared as COLLATE
 * "C" compares them, so the first `limit` entries are the answer, where ORDER BY id COLLATE "C" sorted every match.
 */
export async function executionIdsStartingWith(db: PostgresQueries, prefix: string, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: executions.id })
    .from(executions)
    .where(sql`${executions.id} like ${startsWith(prefix)}`)
    .orderBy(sql`${executions.id} using ~<~`)
    .limit(limit);
  return rows.map((row) => row.id);
}
