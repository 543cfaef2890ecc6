// `export`: what it accepts. The work is in ../actions/export.ts, loaded when it runs.
import type { Command } from 'commander';
import type { Run } from './shared.js';

export function registerExport(program: Command, run: Run): void {
  program
    .command('export')
    .description('one execution with its steps as JSON')
    .argument('<id>', 'the execution id, or its first characters')
    .option('--out <file>', 'write to this file (readable by its owner only) instead of the standard output')
    .action(run(async () => (await import('../actions/export.js')).exportExecution));
}
