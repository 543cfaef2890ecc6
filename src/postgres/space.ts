// Giving the space of deleted history back, on PostgreSQL. A DELETE there frees nothing at once: the deleted rows stay
// in the tables as dead rows until a VACUUM (autovacuum's, or this one) finds that no transaction can see them any
// more and marks their space reusable.
import type { Pool, PoolClient } from 'pg';
import { withClient } from './connection.js';
import { ExecutionStoreError } from '../core/errors.js';
import type { ReclaimedSpace } from '../core/types.js';

/** The package's tables (see schema.ts); their indexes and TOAST tables go with them. */
export const HISTORY_TABLES = [
  'workflow_executions',
  'execution_steps',
  'execution_counts',
  'workflow_rollups',
  'node_rollups',
  'compacted_weeks',
  'insight_settings',
] as const;

/**
 * What reclaimSpace does on PostgreSQL: a plain `VACUUM (ANALYZE)` of the package's tables (and their indexes and
 * TOAST tables), right away instead of whenever autovacuum gets to them.
 * - It makes the space of dead rows (deleted executions and steps, superseded versions of updated rows) reusable, so
 *   that new history fills it instead of growing the tables, and it refreshes the planner's statistics after a large
 *   clean-up changed the tables' sizes.
 * - It gives the operating system back only the empty pages at the end of each table: the tables' files shrink by
 *   what a clean-up emptied at their end, not by every deleted row. Space in the middle of a table, and index pages,
 *   stay with the table for its new rows.
 * - It does not block writers: plain VACUUM takes no lock that stops inserts, updates or deletes (giving the end
 *   pages back takes a short exclusive lock only when nobody else wants the table, and lets go as soon as someone
 *   does). VACUUM FULL, which would rewrite the tables as small as their rows under an exclusive lock for the whole
 *   time, is not run; a database administrator can run it (or pg_repack) in a quiet hour.
 * - It cannot free rows that an open transaction may still see: a long-running transaction (or an idle one left
 *   open by some client) anywhere on the server keeps them until it ends.
 * - It needs the tables' owner (or a superuser, or the database's owner); for anyone else PostgreSQL skips the table
 *   with a warning, and this says so with an error instead of reporting nothing reclaimed.
 * VACUUM cannot run inside a transaction block, so it runs on a pooled connection of its own, outside the store's
 * transactions. The bytes before and after are the tables' with their indexes and TOAST (pg_total_relation_size).
 */
export function reclaimSpace(pool: Pool): Promise<ReclaimedSpace> {
  return withClient(pool, (client) => vacuum(client));
}

async function vacuum(client: PoolClient): Promise<ReclaimedSpace> {
  const skipped: string[] = [];
  const onNotice = (notice: { message?: string; severity?: string }) => {
    // PostgreSQL 15 says 'skipping "t" --- only table or database owner can vacuum it'; 16 and later 'permission
    // denied to vacuum "t", skipping it'. Neither has its own SQLSTATE.
    if (notice.severity === 'WARNING' && notice.message !== undefined && /skipping/i.test(notice.message)) skipped.push(notice.message);
  };
  client.on('notice', onNotice);
  try {
    const bytesBefore = await historyTableBytes(client);
    await client.query(`VACUUM (ANALYZE) ${HISTORY_TABLES.map((table) => `"${table}"`).join(', ')}`);
    if (skipped.length > 0) {
      const tables = skipped.map((message) => /"([^"]+)"/.exec(message)?.[1] ?? message);
      throw new ExecutionStoreError(
        'DATABASE',
        `reclaimSpace: PostgreSQL did not vacuum ${tables.join(', ')}: the connection's user may not (${skipped[0]}); ` +
          'expected the tables\' owner (the user that migrated them) or a superuser; autovacuum still makes their space reusable',
      );
    }
    return { bytesBefore, bytesAfter: await historyTableBytes(client) };
  } finally {
    client.removeListener('notice', onNotice);
  }
}

interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** The package's tables with their indexes and TOAST, in bytes; tables that do not exist count nothing. */
export async function historyTableBytes(client: Queryable): Promise<number> {
  const { rows } = await client.query(
    // A partitioned table's own size is 0: its partitions (the days) hold the rows.
    'SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0)::text AS bytes FROM unnest($1::text[]) AS name, pg_partition_tree(to_regclass(name)) AS t',
    [HISTORY_TABLES.map((table) => `"${table}"`)],
  );
  return Number(rows[0]?.bytes ?? 0);
}
