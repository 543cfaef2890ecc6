// `prune`: what it accepts. The work is in ../actions/prune.ts, loaded when it runs.
import type { Command } from 'commander';
import { parseCount, parseDuration } from '../arguments.js';
import { type Run, WORKFLOW_HELP } from './shared.js';

export function registerPrune(program: Command, run: Run): void {
  program
    .command('prune')
    .description('delete old executions (never running ones), then reclaim the space')
    .option('--older-than <duration>', 'delete those that started longer ago than this (14d, 12h)', parseDuration)
    .option('--keep <n>', 'keep the newest n, delete the older ones', parseCount)
    .option('--workflow <workflow>', WORKFLOW_HELP)
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .action(run(async () => (await import('../actions/prune.js')).prune));
}
