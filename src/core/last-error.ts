// Which of two errors is "the last error" of a node: the later one, and for two at the same millisecond the greater
// message (a missing message counts lowest), so that every way of computing it (summing a write, recounting the
// rows, compacting days into weeks, reading several rows) picks the same one. In SQL an error is packed into one
// text whose order is that order: the time zero-padded to 16 digits, then '0' for no message or '1' and the message
// (compared byte by byte, as UTF-8); each backend writes that packing in its own SQL.

export interface LastError {
  message: string | null;
  at: number;
}

/** Whether `candidate` is later than `current` in the order above. */
export function isLaterError(candidate: LastError, current: LastError | null): boolean {
  if (current === null) return true;
  if (candidate.at !== current.at) return candidate.at > current.at;
  if (candidate.message === null) return false;
  if (current.message === null) return true;
  // UTF-8 byte order, as SQLite compares; only reached for two errors in the same millisecond.
  return Buffer.compare(Buffer.from(candidate.message), Buffer.from(current.message)) > 0;
}

/** An error packed as sortable text, as the backends' SQL packs it. */
export function packError(error: LastError): string {
  return `${String(error.at).padStart(16, '0')}${error.message === null ? '0' : `1${error.message}`}`;
}

/** The error of a packed text, or null. */
export function unpackError(packed: string | null): LastError | null {
  if (packed === null) return null;
  return { at: Number(packed.slice(0, 16)), message: packed[16] === '1' ? packed.slice(17) : null };
}
