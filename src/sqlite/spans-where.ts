// Selecting the rollup rows of some spans (src/core/rollup-spans.ts) in SQL.
import { and, eq, gte, lt, or } from 'drizzle-orm';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { RollupSpan } from '../core/rollup-spans.js';

/** The WHERE clause selecting a rollup table's rows in the spans. */
export function spansWhere(columns: { grain: AnySQLiteColumn; bucketStart: AnySQLiteColumn }, spans: RollupSpan[]) {
  return or(...spans.map((span) => and(eq(columns.grain, span.grain), gte(columns.bucketStart, span.from), lt(columns.bucketStart, span.to))));
}
