// `instances`: what it accepts. The work is in ../actions/instances.ts, loaded when it runs.
import type { Command } from 'commander';
import type { Run } from './shared.js';

export function registerInstances(program: Command, run: Run): void {
  program
    .command('instances')
    .description('list the runtime instances writing the history: alive or gone, and the runs each holds running')
    .action(run(async () => (await import('../actions/instances.js')).instances));
}
