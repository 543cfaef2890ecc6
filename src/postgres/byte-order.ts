// Text in byte order: COLLATE "C" compares and sorts UTF-8 text byte by byte, as SQLite's BINARY collation does. The
// database's own collation (en_US.UTF-8 say) sorts 'B' between 'a' and 'c' and ignores punctuation at first, so ids
// of cursors, tie-breaks and names would come out in another order than on SQLite.
import { type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

export const inByteOrder = (column: AnyPgColumn): SQL<string> => sql<string>`${column} collate "C"`;
