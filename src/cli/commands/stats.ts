// `stats`: what it accepts. The work is in ../actions/stats.ts, loaded when it runs.
import type { Command } from 'commander';
import { timeParser } from '../arguments.js';
import type { Io } from '../terminal.js';
import { type Run, WORKFLOW_HELP } from './shared.js';

export function registerStats(program: Command, io: Io, run: Run): void {
  program
    .command('stats')
    .description('numbers per workflow and node, and a timeline, over the last 24 hours or --since')
    .option('--since <time>', 'from: an ISO date or a duration back from now (default 24h)', timeParser(io.now))
    .option('--workflow <workflow>', WORKFLOW_HELP)
    .action(run(async () => (await import('../actions/stats.js')).stats));
}
