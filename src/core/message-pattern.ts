// How failures are grouped: by their message with what varies between occurrences masked. The same on every
// backend, so that one history groups the same way wherever it is stored.

// Order matters: whole values (times, ids) are masked before the numbers inside them.
const MASKS: [RegExp, string][] = [
  [/(?<!\w)(["'`])(?:(?!\1)[^\\\n]|\\.)*\1(?!\w)/g, '"…"'],
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>'],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<id>'],
  [/\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, '<email>'],
  [/\d+(?:\.\d+)?/g, '<n>'], // also inside words: "30000ms", "item42"
];

/** Messages longer than this are grouped by their beginning: it keeps masking linear in practice. */
const PATTERN_LENGTH = 1000;

/** The message with quoted values, times, ids, e-mail addresses and numbers masked. */
export function messagePattern(message: string): string {
  let pattern = message.slice(0, PATTERN_LENGTH);
  for (const [mask, replacement] of MASKS) pattern = pattern.replace(mask, replacement);
  return pattern.trim();
}
