// `prune`: deletes old history (by age or beyond the newest N, of one workflow or all), then gives the space
// back to the file system and says what the file weighed before and after. --dry-run only counts.
import ms from 'ms';
import { CliError, EXIT } from '../cli-error.js';
import { type Context, withStore } from '../context.js';
import { formatBytes, historyBytes } from '../file-size.js';
import { describeWorkflow, findWorkflow, knownWorkflows } from '../named-workflow.js';
import { progressBar } from '../progress.js';

interface PruneOptions {
  olderThan?: number;
  keep?: number;
  workflow?: string;
  dryRun?: boolean;
}

/** Below this many executions a prune is over before a progress bar would be read. */
const PROGRESS_FROM = 1000;

export async function prune(context: Context, options: PruneOptions): Promise<void> {
  if ((options.olderThan === undefined) === (options.keep === undefined)) {
    throw new CliError('prune needs exactly one of --older-than <duration> or --keep <n>.', EXIT.usage);
  }
  const what =
    options.olderThan !== undefined ? `started more than ${ms(options.olderThan, { long: true })} ago` : `older than the newest ${options.keep}`;
  const before = await historyBytes(context);
  const result = await withStore(context.openExisting(), async (store) => {
    const workflow = options.workflow === undefined ? undefined : findWorkflow(await knownWorkflows(store, context.io.now()), options.workflow);
    const workflowId = workflow?.id;
    const count = (dryRun: boolean, onProgress?: (progress: { deleted: number }) => void) =>
      options.olderThan !== undefined
        ? store.cleanupOldExecutions(options.olderThan, { workflowId, dryRun, onProgress })
        : store.cleanupByCount(options.keep as number, workflowId, { dryRun, onProgress });
    const doomed = await count(true);
    if (options.dryRun || doomed === 0) return { workflow, executions: doomed, deleted: false };
    const progress = doomed >= PROGRESS_FROM ? progressBar(context.terminal, 'Deleting', doomed, context.json) : undefined;
    try {
      const deleted = await count(false, (done) => progress?.update(done.deleted));
      await store.reclaimSpace();
      return { workflow, executions: deleted, deleted: true };
    } finally {
      progress?.stop();
    }
  });
  const after = result.deleted ? await historyBytes(context) : before;
  const bytesBefore = before.bytes;
  const bytesAfter = after.bytes;
  if (context.json) return context.terminal.json({ dryRun: options.dryRun === true, executions: result.executions, bytesBefore, bytesAfter });
  const { terminal } = context;
  const scope = result.workflow === undefined ? '' : ` of workflow ${describeWorkflow(result.workflow)}`;
  if (options.dryRun) return terminal.print(`Would delete ${result.executions} executions${scope} ${what}. Nothing was deleted (--dry-run).`);
  if (result.executions === 0) return terminal.print(`No executions${scope} ${what} to delete.`);
  terminal.print(`Deleted ${result.executions} executions${scope} ${what}.`, `${before.label}: ${formatBytes(bytesBefore)} → ${formatBytes(bytesAfter)}`);
}
