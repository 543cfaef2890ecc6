// `recover`: what it accepts. The work is in ../actions/recover.ts, loaded when it runs.
import type { Command } from 'commander';
import { parseDuration } from '../arguments.js';
import type { Run } from './shared.js';

export function registerRecover(program: Command, run: Run): void {
  program
    .command('recover')
    .description("mark executions left 'running' by instances that are gone (unheard of for longer than their lease) as interrupted")
    .option('--older-than <duration>', 'instead: every running execution that started longer ago than this, whoever runs it (for runs recorded before instances)', parseDuration)
    .action(run(async () => (await import('../actions/recover.js')).recover));
}
