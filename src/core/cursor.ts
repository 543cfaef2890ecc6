// Opaque page cursors: the position after the last row of a page, as (sort key, id), for keyset pagination.
// Keyset pages cost the same at page 2000 as at page 1, and rows inserted meanwhile cannot shift them.
import secureJsonParse from 'secure-json-parse';
import { z } from 'zod';
import { ExecutionStoreError } from './errors.js';
import type { ExecutionOrderBy, OrderDirection } from './types.js';

export interface CursorPosition {
  orderBy: ExecutionOrderBy;
  orderDir: OrderDirection;
  /** The sort key of the last row: startedAt, or the duration sort key (-1 for no duration). */
  key: number;
  id: string;
}

const cursorSchema = z.strictObject({
  v: z.literal(1),
  o: z.enum(['started_at', 'duration_ms']),
  d: z.enum(['asc', 'desc']),
  k: z.int(),
  i: z.string().min(1),
});

export function encodeCursor(position: CursorPosition): string {
  const payload: z.infer<typeof cursorSchema> = {
    v: 1,
    o: position.orderBy,
    d: position.orderDir,
    k: position.key,
    i: position.id,
  };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/** Reads a cursor made by encodeCursor for the same sort, or throws VALIDATION saying what is wrong with it. */
export function decodeCursor(
  cursor: string,
  orderBy: ExecutionOrderBy,
  orderDir: OrderDirection,
  what: string,
): CursorPosition {
  let parsed: z.infer<typeof cursorSchema>;
  try {
    parsed = cursorSchema.parse(secureJsonParse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new ExecutionStoreError(
      'VALIDATION',
      `${what}: invalid input: cursor: not a cursor this store issued; expected the nextCursor of a previous page`,
    );
  }
  if (parsed.o !== orderBy || parsed.d !== orderDir) {
    throw new ExecutionStoreError(
      'VALIDATION',
      `${what}: invalid input: cursor: it continues a page sorted by ${parsed.o} ${parsed.d}, but this query sorts by ${orderBy} ${orderDir}; expected the same orderBy and orderDir as the first page`,
    );
  }
  return { orderBy, orderDir, key: parsed.k, id: parsed.i };
}
