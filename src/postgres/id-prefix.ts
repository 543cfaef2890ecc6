// Finding executions by the first characters of their id, as a person reads them off a screen and types them.
import { sql } from 'drizzle-orm';
import type { PostgresQueries } from './connection.js';
import { workflowExecutions as executions } from './schema.js';

/** The prefix as a LIKE pattern that matches it literally: its wildcards and the escape character escaped. */
const startsWith = (prefix: string) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`;

/**
 * Ids starting with `prefix`, in byte order (as on SQLite), at most `limit`. The id column compares bytes (COLLATE
 * "C"), so LIKE with a fixed prefix is a range on the primary key read in order; `id >= prefix` says the same for
 * partition pruning, which skips the days before the prefix (the table is partitioned by id: src/postgres/partitions.ts).
 */
export async function executionIdsStartingWith(db: PostgresQueries, prefix: string, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: executions.id })
    .from(executions)
    .where(sql`${executions.id} >= ${prefix} and ${executions.id} like ${startsWith(prefix)}`)
    .orderBy(executions.id)
    .limit(limit);
  return rows.map((row) => row.id);
}
