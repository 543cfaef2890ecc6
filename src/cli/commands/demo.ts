// `demo`: what it accepts. The work is in ../actions/demo.ts, loaded when it runs.
import type { Command } from 'commander';
import { positiveCount } from '../arguments.js';
import type { Run } from './shared.js';

const DEFAULT_EXECUTIONS = 2000;
const MOST_EXECUTIONS = 1_000_000;

export function registerDemo(program: Command, run: Run): void {
  program
    .command('demo')
    .description('fill a new database with simulated history over the last 30 days')
    .option('--executions <n>', `how many simulated executions (1–${MOST_EXECUTIONS})`, positiveCount(MOST_EXECUTIONS), DEFAULT_EXECUTIONS)
    .option('--replace', 'delete the database first if it holds history (the demo never mixes into real history)')
    .action(run(async () => (await import('../actions/demo.js')).demo));
}
