// A progress bar on stderr for long work (a demo's generation, a large prune), shown only on a terminal: piped
// output and --json stay clean.
import { SingleBar } from 'cli-progress';
import type { Terminal } from './terminal.js';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

const SILENT: Progress = { update: () => {}, stop: () => {} };

export function progressBar(terminal: Terminal, label: string, total: number, json: boolean): Progress {
  const { stderr } = terminal.io;
  if (json || stderr.isTTY !== true) return SILENT;
  const bar = new SingleBar({
    format: `${label} {bar} {value}/{total}`,
    stream: stderr as NodeJS.WritableStream,
    barsize: Math.max(10, Math.min(40, terminal.width - label.length - 30)),
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(total, 0);
  return { update: (done) => bar.update(Math.min(done, total)), stop: () => bar.stop() };
}
