// What a command writes to, and how: colour when the output is a terminal (or FORCE_COLOR asks for it) unless
// --no-color or NO_COLOR (https://no-color.org) says otherwise, and lines no wider than the terminal.
import { createColors } from 'picocolors';
import wrapAnsi from 'wrap-ansi';

export interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** The process around a command: injectable so that tests and the binary run the same code. */
export interface Io {
  stdout: Stream;
  stderr: Stream;
  env: Record<string, string | undefined>;
  now: () => number;
}

export type Colors = ReturnType<typeof createColors>;

/** Without a terminal to ask (a pipe, a file), output is this wide unless COLUMNS says otherwise. */
const DEFAULT_WIDTH = 100;
const NARROWEST = 40;

export class Terminal {
  readonly colors: Colors;
  readonly width: number;

  constructor(
    readonly io: Io,
    color: boolean,
  ) {
    const noColor = (io.env.NO_COLOR ?? '') !== '';
    const forced = (io.env.FORCE_COLOR ?? '') !== '' && io.env.FORCE_COLOR !== '0';
    this.colors = createColors(color && !noColor && (io.stdout.isTTY === true || forced));
    const columns = io.stdout.isTTY ? io.stdout.columns : Number(io.env.COLUMNS);
    this.width = Math.max(NARROWEST, columns !== undefined && Number.isInteger(columns) && columns > 0 ? columns : DEFAULT_WIDTH);
  }

  /**
   * Writes lines to stdout, each wrapped at word boundaries to the terminal's width (colour codes kept). A word
   * longer than a line, such as a paging cursor, stays whole so that it can be copied.
   */
  print(...lines: string[]): void {
    this.io.stdout.write(`${lines.map((line) => wrapAnsi(line, this.width, { hard: false, trim: false })).join('\n')}\n`);
  }

  /** Writes one line as it is, however wide: for a token that must be copied whole. */
  printWhole(line: string): void {
    this.io.stdout.write(`${line}\n`);
  }

  /** Writes a value as indented JSON to stdout: the output of --json. */
  json(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Writes a note to stderr, where it stays out of piped output. */
  note(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }
}
