// Selecting the rollup rows of some spans (src/core/rollup-spans.ts) in SQL, as src/sqlite/spans-where.ts does.
import { and, eq, gte, lt, or } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { RollupSpan } from '../core/rollup-spans.js';

/** The WHERE clause selecting a rollup table's rows in the spans. */
export function spansWhere(columns: { grain: AnyPgColumn; bucketStart: AnyPgColumn }, spans: RollupSpan[]) {
  return or(...spans.map((span) => and(eq(columns.grain, span.grain), gte(columns.bucketStart, span.from), lt(columns.bucketStart, span.to))));
}
