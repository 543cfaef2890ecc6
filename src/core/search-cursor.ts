// searchExecutions' cursors: where the previous call stopped reading (the (startedAt, id) of the last execution it read,
// in the search's order, newest first) and which search it was, so that a cursor handed to another search is refused
// instead of silently skipping that search's newest runs. Opaque base64url JSON, as page cursors (./cursor.ts).
import { createHash } from 'node:crypto';
import secureJsonParse from 'secure-json-parse';
import { z } from 'zod';
import { ExecutionStoreError } from './errors.js';
import type { ExecutionSearch } from './types.js';

/** The position after which a search goes on: it reads executions strictly older, in (startedAt, id) order. */
export interface SearchPosition {
  startedAt: number;
  id: string;
}

const searchCursorSchema = z.strictObject({
  v: z.literal(1),
  /** Which search: a digest of what it looks for and where. */
  s: z.string(),
  k: z.int(),
  i: z.string().min(1),
});

/**
 * What makes two searches the same one: everything but `limit` and `cursor` (a caller may change the page size on
 * the way). `in` as a set.
 */
function searchDigest(search: ExecutionSearch): string {
  const same = {
    key: search.key,
    equals: search.equals,
    text: search.text,
    in: search.in === undefined ? undefined : [...new Set(search.in)].sort(),
    workflowId: search.workflowId,
    status: search.status,
    startedAfter: search.startedAfter,
    startedBefore: search.startedBefore,
  };
  return createHash('sha256').update(JSON.stringify(same)).digest('base64url').slice(0, 16);
}

export function encodeSearchCursor(search: ExecutionSearch, position: SearchPosition): string {
  const payload: z.infer<typeof searchCursorSchema> = { v: 1, s: searchDigest(search), k: position.startedAt, i: position.id };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/** Reads the cursor of a previous call of this same search, or throws VALIDATION saying what is wrong with it. */
export function decodeSearchCursor(cursor: string, search: ExecutionSearch, what: string): SearchPosition {
  let decoded: unknown;
  try {
    decoded = secureJsonParse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const parsed = searchCursorSchema.safeParse(decoded);
  const expected = `expected the nextCursor of a previous ${what} call with the same search`;
  if (!parsed.success) {
    const pageCursor = typeof decoded === 'object' && decoded !== null && 'o' in decoded && 'd' in decoded;
    throw new ExecutionStoreError(
      'VALIDATION',
      `${what}: invalid input: cursor: ${pageCursor ? 'a page cursor of queryExecutionsPage, not of a search' : 'not a cursor this store issued'}; ${expected}`,
    );
  }
  if (parsed.data.s !== searchDigest(search)) {
    throw new ExecutionStoreError(
      'VALIDATION',
      `${what}: invalid input: cursor: it continues another search (another key, value, text, fields, workflow, status or time range); ${expected}`,
    );
  }
  return { startedAt: parsed.data.k, id: parsed.data.i };
}
