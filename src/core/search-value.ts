// A search's value as a person types it (a command's `--where orderId=1002`, a link's `equals=1002`): read as JSON
// when it is a JSON string, number, boolean or null, else taken as the text it is.

/** The value `written` stands for: 1002 → 1002, "1002" → '1002', true → true, null → null, ord_1 → 'ord_1'. */
export function searchValueOf(written: string): string | number | boolean | null {
  let value: unknown = written;
  try {
    value = JSON.parse(written);
  } catch {
    // not JSON: the text as written
  }
  // An object or array is not a value a key holds here; JSON cannot hold Infinity (1e999 parses to it).
  if (typeof value === 'object' && value !== null) return written;
  if (typeof value === 'number' && !Number.isFinite(value)) return written;
  return value as string | number | boolean | null;
}
