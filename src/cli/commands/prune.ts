// `prune`: deletes old history (by age or beyond the newest N, of one workflow or all), then gives the space
// back to the file system and says what the file weighed before and after. --dry-run only counts.
import type { Command } from 'commander';
import ms from 'ms';
import { parseCount, parseDuration } from '../arguments.js';
import { CliError, EXIT } from '../cli-error.js';
import { type Context, withStore } from '../context.js';
import { fileBytes, formatBytes } from '../file-size.js';
import { progressBar } from '../progress.js';
import type { Run } from './shared.js';

interface PruneOptions {
  olderThan?: number;
  keep?: number;
  workflow?: string;
  dryRun?: boolean;
}

/** Below this many executions a prune is over before a progress bar would be read. */
const PROGRESS_FROM = 1000;

export function registerPrune(program: Command, run: Run): void {
  program
    .command('prune')
    .description('delete old executions (never running ones), then reclaim the space')
    .option('--older-than <duration>', 'delete those that started longer ago than this (14d, 12h)', parseDuration)
    .option('--keep <n>', 'keep the newest n, delete the older ones', parseCount)
    .option('--workflow <id>', 'only this workflow')
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .action(run(prune));
}

async function prune(context: Context, options: PruneOptions): Promise<void> {
  if ((options.olderThan === undefined) === (options.keep === undefined)) {
    throw new CliError('prune needs exactly one of --older-than <duration> or --keep <n>.', EXIT.usage);
  }
  const what =
    options.olderThan !== undefined ? `started more than ${ms(options.olderThan, { long: true })} ago` : `older than the newest ${options.keep}`;
  const scope = options.workflow === undefined ? '' : ` of workflow ${options.workflow}`;
  const before = fileBytes(context.dbPath);
  const result = await withStore(context.openExisting(), async (store) => {
    const count = (dryRun: boolean, onProgress?: (progress: { deleted: number }) => void) =>
      options.olderThan !== undefined
        ? store.cleanupOldExecutions(options.olderThan, { workflowId: options.workflow, dryRun, onProgress })
        : store.cleanupByCount(options.keep as number, options.workflow, { dryRun, onProgress });
    const doomed = await count(true);
    if (options.dryRun || doomed === 0) return { executions: doomed, deleted: false };
    const progress = doomed >= PROGRESS_FROM ? progressBar(context.terminal, 'Deleting', doomed, context.json) : undefined;
    try {
      const deleted = await count(false, (done) => progress?.update(done.deleted));
      await store.reclaimSpace();
      return { executions: deleted, deleted: true };
    } finally {
      progress?.stop();
    }
  });
  const after = result.deleted ? fileBytes(context.dbPath) : before;
  const bytesBefore = before.database + before.wal;
  const bytesAfter = after.database + after.wal;
  if (context.json) return context.terminal.json({ dryRun: options.dryRun === true, executions: result.executions, bytesBefore, bytesAfter });
  const { terminal } = context;
  if (options.dryRun) return terminal.print(`Would delete ${result.executions} executions${scope} ${what}. Nothing was deleted (--dry-run).`);
  if (result.executions === 0) return terminal.print(`No executions${scope} ${what} to delete.`);
  terminal.print(`Deleted ${result.executions} executions${scope} ${what}.`, `File size: ${formatBytes(bytesBefore)} → ${formatBytes(bytesAfter)}`);
}
