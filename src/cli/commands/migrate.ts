// `migrate`: what it accepts. The work is in ../actions/migrate.ts, loaded when it runs.
import type { Command } from 'commander';
import type { Run } from './shared.js';

export function registerMigrate(program: Command, run: Run): void {
  program
    .command('migrate')
    .description('apply pending migrations; creates the database when there is none')
    .action(run(async () => (await import('../actions/migrate.js')).migrate));
}
