// `show`: what it accepts. The work is in ../actions/show.ts, loaded when it runs.
import type { Command } from 'commander';
import { EXECUTION_STATUSES } from '../option-values.js';
import { choices, type Run } from './shared.js';

export function registerShow(program: Command, run: Run): void {
  program
    .command('show')
    .description('one execution and the waterfall of its steps')
    .argument('[id]', 'the execution id, or its first characters; the latest execution when left out')
    .option('--data', "print the execution's input, metadata and error stack, and each step's input and output")
    .option('--step <step>', "print one step whole: its number as the waterfall shows it, its node's name or its node's id")
    .addOption(choices('--status <status>', 'without an id: the latest execution with this status', EXECUTION_STATUSES))
    .action(run(async () => (await import('../actions/show.js')).show));
}
