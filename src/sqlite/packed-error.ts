// The last-error order of src/core/last-error.ts in SQLite's SQL: an error packed as one sortable text.
import { type SQL, sql } from 'drizzle-orm';

/** An error packed as sortable text (null when `at` is null), as packError() packs it in JavaScript. */
export function packedError(at: SQL | SQL.Aliased | unknown, message: SQL | unknown): SQL<string | null> {
  return sql<string | null>`(case when ${at} is null then null else printf('%016d', ${at}) || case when ${message} is null then '0' else '1' || ${message} end end)`;
}
