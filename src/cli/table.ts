// Tables as kubectl and git print them: no borders, a bold header, columns two spaces apart, and the free-text
// columns (names) shortened with an ellipsis so that a row never wraps in the terminal. The text a person opens
// the table for (an error) is never shortened: where it does not fit in the row, it goes on a line under it.
import { stripVTControlCharacters } from 'node:util';
import Table from 'cli-table3';
import type { Colors } from './terminal.js';
import { wrap } from './wrap.js';

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Shortened first when the table is wider than the terminal. */
  flexible?: boolean;
  /** Left out, after the flexible columns are as short as they go, when the table is still too wide. */
  optional?: boolean;
  /**
   * Never shortened: unless the whole table fits as it is, this column is left out and each row's text in it goes
   * on the lines under the row, whole. One such column at most.
   */
  whole?: boolean;
}

const GAP = 2;
/** A flexible column is not shortened below this, even if the row then wraps. */
const NARROWEST_FLEXIBLE = 8;
const NO_BORDERS = Object.fromEntries(
  ['top', 'top-mid', 'top-left', 'top-right', 'bottom', 'bottom-mid', 'bottom-left', 'bottom-right', 'left', 'left-mid', 'mid', 'mid-mid', 'right', 'right-mid', 'middle'].map(
    (part) => [part, ''],
  ),
);

const visibleWidth = (text: string) => stripVTControlCharacters(text).length;
const tableWidth = (widths: number[]) => widths.reduce((sum, w) => sum + w, 0) + GAP * (widths.length - 1);

const naturalWidths = (columns: Column[], rows: string[][]) =>
  columns.map((column, i) => Math.max(visibleWidth(column.header), ...rows.map((row) => visibleWidth(row[i] ?? ''))));

/** Each column as wide as its widest cell, the flexible ones shortened (widest first) until the table fits. */
function fitWidths(columns: Column[], rows: string[][], width: number): number[] {
  const widths = naturalWidths(columns, rows);
  let excess = tableWidth(widths) - width;
  while (excess > 0) {
    let widest = -1;
    for (const [i, column] of columns.entries()) {
      if (column.flexible && (widths[i] as number) > NARROWEST_FLEXIBLE && (widest < 0 || (widths[i] as number) > (widths[widest] as number))) widest = i;
    }
    if (widest < 0) break;
    (widths[widest] as number)--;
    excess--;
  }
  return widths;
}

/** How a `whole` column's text starts on its own line under its row. */
const BELOW = '  ↳ ';

export async function renderTable(columns: Column[], rows: string[][], width: number, colors: Colors): Promise<string> {
  const whole = columns.findIndex((column) => column.whole);
  if (whole < 0 || tableWidth(naturalWidths(columns, rows)) <= width) return fitTable(columns, rows, width, colors);
  const without = <T>(cells: T[]) => cells.filter((_, i) => i !== whole);
  const [header, ...lines] = fitTable(without(columns), rows.map(without), width, colors).split('\n');
  const rowLines = await Promise.all(
    rows.map(async (row, i) => {
      const text = row[whole] ?? '';
      if (visibleWidth(text) === 0) return [lines[i] as string];
      // Cut to the width, mid-word where a word is longer than a line: the lines below must not wrap either.
      const below = (await wrap(text, width - BELOW.length, { hard: true, trim: true })).split('\n');
      return [lines[i] as string, ...below.map((line, j) => `${j === 0 ? BELOW : ' '.repeat(BELOW.length)}${line}`)];
    }),
  );
  return [header as string, ...rowLines.flat()].join('\n');
}

function fitTable(allColumns: Column[], allRows: string[][], width: number, colors: Colors): string {
  let columns = allColumns;
  let rows = allRows;
  let widths = fitWidths(columns, rows, width);
  // Still too wide: leave out optional columns, the last one first.
  while (tableWidth(widths) > width && columns.some((column) => column.optional)) {
    const dropped = columns.map((column) => column.optional === true).lastIndexOf(true);
    columns = columns.filter((_, i) => i !== dropped);
    rows = rows.map((row) => row.filter((_, i) => i !== dropped));
    widths = fitWidths(columns, rows, width);
  }
  const table = new Table({
    head: columns.map((column) => colors.bold(column.header)),
    chars: NO_BORDERS,
    // The gap is each column's right padding (the last one's is trimmed away below).
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': GAP, compact: true },
    colWidths: widths.map((w) => w + GAP),
    colAligns: columns.map((column) => column.align ?? 'left'),
    wordWrap: false,
    truncate: '…',
  });
  table.push(...rows);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
