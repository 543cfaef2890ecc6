// Text cut to the terminal's width by wrap-ansi (colour codes kept, wide characters counted as two cells), which is
// loaded only for text that may not fit as it is: loading it takes 50 ms (an Intl.Segmenter, large regular
// expressions), as long as starting Node again, and most output fits.
import { stripVTControlCharacters } from 'node:util';

/** Characters one cell wide at most for sure: Latin to Georgian, punctuation, arrows, box drawing, blocks, ✓ ✗. */
const NARROW = /^[\u0020-\u007e\u00a0-\u10ff\u2000-\u22ff\u2500-\u259f\u2713\u2717]*$/;

/** Whether every line of `text` fits in `width` cells as it is. */
export function fits(text: string, width: number): boolean {
  return text.split('\n').every((line) => {
    const visible = stripVTControlCharacters(line);
    return visible.length <= width && NARROW.test(visible);
  });
}

/**
 * Each line of `text` wrapped at words to `width` cells. `hard` cuts words longer than a line too; `trim` drops
 * the spaces at the ends of the wrapped lines.
 */
export async function wrap(text: string, width: number, options: { hard: boolean; trim: boolean }): Promise<string> {
  if (fits(text, width)) return text;
  const { default: wrapAnsi } = await import('wrap-ansi');
  return wrapAnsi(text, width, options);
}
