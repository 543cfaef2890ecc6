// What a command writes to, and how: colour when the output is a terminal (or FORCE_COLOR asks for it) unless
// --no-color or NO_COLOR (https://no-color.org) says otherwise, and lines no wider than the terminal, which is the
// one the output goes to, else the one the process runs in (output piped to less or grep is read there too).
import { createColors } from 'picocolors';
import { wrap } from './wrap.js';

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
  /** The width of the terminal the process runs in, asked when neither stdout nor stderr is one: /dev/tty's. */
  terminalColumns?: () => number | undefined;
}

export type Colors = ReturnType<typeof createColors>;

/** Without a terminal to ask (a service, CI), output is this wide unless COLUMNS says otherwise. */
const DEFAULT_WIDTH = 100;
const NARROWEST = 40;

const usable = (columns: number | undefined) => (columns !== undefined && Number.isInteger(columns) && columns > 0 ? columns : undefined);

/** stdout's terminal; else COLUMNS, when someone set it; else the terminal the process runs in. */
function widthOf(io: Io): number | undefined {
  if (io.stdout.isTTY) return usable(io.stdout.columns);
  return (
    usable(io.env.COLUMNS === undefined || io.env.COLUMNS === '' ? undefined : Number(io.env.COLUMNS)) ??
    (io.stderr.isTTY ? usable(io.stderr.columns) : undefined) ??
    usable(io.terminalColumns?.())
  );
}

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
    this.width = Math.max(NARROWEST, widthOf(io) ?? DEFAULT_WIDTH);
  }

  /**
   * What is written so far. A line that may not fit waits for wrap-ansi to load (wrap.ts), so every write waits for
   * the one before it and output keeps its order; commands print without awaiting, and the runner awaits flush().
   */
  private written: Promise<unknown> = Promise.resolve();

  /**
   * Writes lines to stdout, each wrapped at word boundaries to the terminal's width (colour codes kept). A word
   * longer than a line, such as a paging cursor, stays whole so that it can be copied.
   */
  print(...lines: string[]): void {
    this.write(this.io.stdout, wrap(lines.join('\n'), this.width, { hard: false, trim: false }).then((text) => `${text}\n`));
  }

  /** Writes one line as it is, however wide: for a token that must be copied whole. */
  printWhole(line: string): void {
    this.write(this.io.stdout, `${line}\n`);
  }

  /** Writes a value as indented JSON to stdout: the output of --json. */
  json(value: unknown): void {
    this.write(this.io.stdout, `${JSON.stringify(value, null, 2)}\n`);
  }

  /** Writes a note to stderr, where it stays out of piped output. */
  note(line: string): void {
    this.write(this.io.stderr, `${line}\n`);
  }

  /** Resolves when everything printed so far has been written: awaited before a command ends, however it ends. */
  flush(): Promise<unknown> {
    return this.written;
  }

  private write(stream: Stream, text: string | Promise<string>): void {
    // A failure surfaces through flush(), not as an unhandled rejection before its turn comes.
    if (typeof text !== 'string') text.catch(() => {});
    this.written = this.written.then(async () => stream.write(await text));
  }
}
