// Aggregates read as JavaScript numbers. node-postgres hands int8 and numeric values over as strings (they may not
// fit a double), and sum() of a bigint column is numeric; the store's counts and millisecond sums stay below 2^53, so
// they are exact as numbers, as SQLite returns them.
import { type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

/** The column's sum over the rows, 0 when there are none. */
export const summed = (column: AnyPgColumn) => sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number);

/** A bigint value read as a number, or null: Drizzle decodes values only, so NULL stays null. */
export const numberOrNull = (value: SQL) => value.mapWith(Number) as SQL<number | null>;
