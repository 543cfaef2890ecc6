// The last-error order of src/core/last-error.ts in PostgreSQL's SQL: an error packed as one text that sorts in that
// order when compared byte by byte (COLLATE "C").
import { type SQL, sql } from 'drizzle-orm';

/** An error packed as sortable text (null when `at` is null), as packError() packs it in JavaScript. */
export function packedError(at: SQL | unknown, message: SQL | unknown): SQL<string | null> {
  return sql<string | null>`(case when ${at} is null then null else lpad((${at})::text, 16, '0') || case when ${message} is null then '0' else '1' || ${message} end end) collate "C"`;
}

/** The same packing as SQL text, for statements written by hand; `at` and `message` are SQL expressions. */
export function packedErrorText(at: string, message: string): string {
  return `((case when ${at} is null then null else lpad((${at})::text, 16, '0') || case when ${message} is null then '0' else '1' || ${message} end end) collate "C")`;
}
