// `list`: what it accepts. The work is in ../actions/list.ts, loaded when it runs.
import type { Command } from 'commander';
import { positiveCount, timeParser } from '../arguments.js';
import { EXECUTION_STATUSES, MAX_PAGE_SIZE, TRIGGER_TYPES } from '../option-values.js';
import type { Io } from '../terminal.js';
import { choices, type Run, WORKFLOW_HELP } from './shared.js';

export function registerList(program: Command, io: Io, run: Run): void {
  program
    .command('list')
    .description('recent executions, newest first')
    .option('--workflow <workflow>', WORKFLOW_HELP)
    .addOption(choices('--status <status>', 'only this status', EXECUTION_STATUSES))
    .addOption(choices('--trigger <type>', 'only this trigger type', TRIGGER_TYPES))
    .option('--since <time>', 'started at or after: an ISO date or a duration back from now (24h, 7d)', timeParser(io.now))
    .option('--until <time>', 'started before: an ISO date or a duration back from now', timeParser(io.now))
    .option('--limit <n>', `how many (1–${MAX_PAGE_SIZE})`, positiveCount(MAX_PAGE_SIZE), 20)
    .option('--cursor <cursor>', 'the next page, as printed under the previous one')
    .addOption(choices('--sort <key>', 'started (newest first) or duration (slowest first)', ['started', 'duration'] as const).default('started'))
    .action(run(async () => (await import('../actions/list.js')).list));
}
