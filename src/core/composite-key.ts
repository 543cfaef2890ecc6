// One Map key for several values. Ids may hold any character, a separator included, so each part is written with its
// length first: `w` and `x\0y` can then never make the same key as `w\0x` and `y` (they did, and mixed the rollups of
// two workflows in one transaction).
export function compositeKey(...parts: (string | number | null)[]): string {
  let key = '';
  for (const part of parts) {
    const text = part === null ? '' : String(part);
    key += `${text.length}:${text}`;
  }
  return key;
}
