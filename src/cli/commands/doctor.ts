// `doctor`: what it accepts. The work is in ../actions/doctor.ts, loaded when it runs.
import type { Command } from 'commander';
import type { Run } from './shared.js';

export function registerDoctor(program: Command, run: Run): void {
  program
    .command('doctor')
    .description('check the database file and say what to do about any problem')
    .option('--quick', 'quick_check instead of integrity_check: skips matching indexes to tables, several times faster on a large file')
    .action(run(async () => (await import('../actions/doctor.js')).doctor));
}
