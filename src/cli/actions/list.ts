// `list`: recent executions as a table, newest (or slowest) first, a page at a time.
import { ExecutionStoreError } from '../../core/errors.js';
import type { ExecutionPageQuery, WorkflowExecution } from '../../core/types.js';
import { CliError, EXIT } from '../cli-error.js';
import { type Context, withStore } from '../context.js';
import { SHORT_ID_LENGTH, shortIds } from '../execution-id.js';
import { colorStatus, firstLine, formatAgo, formatDuration, formatShortTime, formatTime } from '../format.js';
import { findWorkflow, knownWorkflows } from '../named-workflow.js';
import { renderTable } from '../table.js';

type Sort = 'started' | 'duration';

interface ListOptions {
  workflow?: string;
  status?: WorkflowExecution['status'];
  trigger?: WorkflowExecution['triggerType'];
  since?: number;
  until?: number;
  limit: number;
  cursor?: string;
  sort: Sort;
}

/** From this many columns on, start times show their year and seconds. */
const WIDE = 120;

export async function list(context: Context, options: ListOptions): Promise<void> {
  const now = context.io.now();
  const page = await withStore(context.openExisting(), async (store) => {
    const workflow = options.workflow === undefined ? undefined : findWorkflow(await knownWorkflows(store, now), options.workflow);
    const query: ExecutionPageQuery = {
      workflowId: workflow?.id,
      status: options.status,
      triggerType: options.trigger,
      startedAfter: options.since,
      startedBefore: options.until,
      orderBy: options.sort === 'duration' ? 'duration_ms' : 'started_at',
      limit: options.limit,
      cursor: options.cursor,
    };
    try {
      return await store.queryExecutionsPage(query);
    } catch (error) {
      throw cursorMistake(error, options.sort) ?? error;
    }
  });
  if (context.json) return context.terminal.json(page);
  const { terminal } = context;
  if (page.items.length === 0) return terminal.print('No executions match.');
  const { colors } = terminal;
  const wide = terminal.width >= WIDE;
  const ids = shortIds(
    page.items.map((execution) => execution.id),
    SHORT_ID_LENGTH,
  );
  terminal.print(
    await renderTable(
      [
        { header: 'ID' },
        { header: 'STARTED' },
        { header: 'AGO', align: 'right', optional: true },
        { header: 'WORKFLOW', flexible: true },
        { header: 'TRIGGER', optional: true },
        { header: 'STATUS' },
        { header: 'DURATION', align: 'right' },
        // What a person looks for: never cut; under its row when the row cannot hold it.
        { header: 'ERROR', whole: true },
      ],
      page.items.map((execution, i) => [
        ids[i] as string,
        wide ? formatTime(execution.startedAt) : formatShortTime(execution.startedAt),
        formatAgo(execution.startedAt, now),
        execution.workflowName,
        execution.triggerType,
        colorStatus(colors, execution.status),
        formatDuration(execution.durationMs),
        colors.red(firstLine(execution.errorMessage)),
      ]),
      terminal.width,
      colors,
    ),
  );
  if (page.nextCursor === null) return;
  terminal.print('', colors.dim('Next page: the same command with'));
  terminal.printWhole(`--cursor ${page.nextCursor}`);
}

const SORT_OF_ORDER: Record<string, Sort> = { started_at: 'started', duration_ms: 'duration' };

/**
 * A cursor the store refused, as the bad argument it is (exit 2, naming the flag), in the command's words. The
 * store's message says which sort the cursor continues: "… cursor: it continues a page sorted by started_at desc …".
 */
function cursorMistake(error: unknown, sort: Sort): CliError | undefined {
  if (!(error instanceof ExecutionStoreError) || error.code !== 'VALIDATION') return undefined;
  const problem = /invalid input: cursor: (.*)$/s.exec(error.message)?.[1];
  if (problem === undefined) return undefined;
  const continued = SORT_OF_ORDER[/sorted by (\w+)/.exec(problem)?.[1] ?? ''];
  const expected = 'expected the --cursor printed under the previous page of the same list, or no --cursor for its first page.';
  return new CliError(
    continued !== undefined && continued !== sort
      ? `option '--cursor <cursor>' continues a list sorted with --sort ${continued}, and this one is sorted with --sort ${sort}; ${expected}`
      : `option '--cursor <cursor>' is not a cursor this command printed; ${expected}`,
    EXIT.usage,
  );
}
