// `recover`: what it accepts. The work is in ../actions/recover.ts, loaded when it runs.
import type { Command } from 'commander';
import { parseDuration } from '../arguments.js';
import type { Run } from './shared.js';

export function registerRecover(program: Command, run: Run): void {
  program
    .command('recover')
    .description("mark executions left 'running' by a crashed process as interrupted")
    .option('--older-than <duration>', 'only those that started longer ago than this', parseDuration, 3_600_000)
    .action(run(async () => (await import('../actions/recover.js')).recover));
}
