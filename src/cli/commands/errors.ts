// `errors`: what it accepts. The work is in ../actions/errors.ts, loaded when it runs.
import type { Command } from 'commander';
import { positiveCount, timeParser } from '../arguments.js';
import { MAX_PAGE_SIZE } from '../option-values.js';
import type { Io } from '../terminal.js';
import { type Run, WORKFLOW_HELP } from './shared.js';

export function registerErrors(program: Command, io: Io, run: Run): void {
  program
    .command('errors')
    .description('failures grouped by message, newest first')
    .option('--since <time>', 'from: an ISO date or a duration back from now (24h, 7d)', timeParser(io.now))
    .option('--workflow <workflow>', WORKFLOW_HELP)
    .option('--limit <n>', `how many groups (1–${MAX_PAGE_SIZE})`, positiveCount(MAX_PAGE_SIZE), 20)
    .action(run(async () => (await import('../actions/errors.js')).errors));
}
