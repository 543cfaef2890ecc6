// `list`: recent executions as a table, newest (or slowest) first, a page at a time; with --where or --text, the runs
// whose payloads match (searchExecutions), newest first, with where each matched and how much was read.
import { MAX_SEARCH_LIMIT } from '../../core/constants.js';
import { ExecutionStoreError } from '../../core/errors.js';
import type { ExecutionPageQuery, ExecutionSearch, ExecutionSearchResult, PayloadField, SearchHit, WorkflowExecution } from '../../core/types.js';
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
  where?: { key: string; equals: string | number | boolean | null };
  text?: string;
  in?: PayloadField[];
}

/** From this many columns on, start times show their year and seconds. */
const WIDE = 120;

export async function list(context: Context, options: ListOptions): Promise<void> {
  if (options.where !== undefined || options.text !== undefined || options.in !== undefined) return search(context, options);
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

/** `list --where key=value` or `list --text text`: the runs whose payloads match, newest first. */
async function search(context: Context, options: ListOptions): Promise<void> {
  const now = context.io.now();
  searchMistakes(options);
  const result = await withStore(context.openExisting(), async (store) => {
    const workflow = options.workflow === undefined ? undefined : findWorkflow(await knownWorkflows(store, now), options.workflow);
    const request: ExecutionSearch = {
      ...(options.where ?? { text: options.text }),
      in: options.in,
      workflowId: workflow?.id,
      status: options.status,
      startedAfter: options.since,
      startedBefore: options.until,
      limit: options.limit,
      cursor: options.cursor,
    };
    try {
      return await store.searchExecutions(request);
    } catch (error) {
      throw searchCursorMistake(error) ?? error;
    }
  });
  if (context.json) return context.terminal.json(result);
  const { terminal } = context;
  const { colors } = terminal;
  const read = readSummary(result);
  if (result.items.length === 0) terminal.print(`No run matches among the ${read} searched.`);
  else {
    const wide = terminal.width >= WIDE;
    const ids = shortIds(
      result.items.map((item) => item.execution.id),
      SHORT_ID_LENGTH,
    );
    terminal.print(
      await renderTable(
        [
          { header: 'ID' },
          { header: 'STARTED' },
          { header: 'AGO', align: 'right', optional: true },
          { header: 'WORKFLOW', flexible: true },
          { header: 'STATUS' },
          { header: 'DURATION', align: 'right' },
          // What the search is for: never cut; under its row when the row cannot hold it.
          { header: 'MATCH', whole: true },
        ],
        result.items.map(({ execution, hits }, i) => [
          ids[i] as string,
          wide ? formatTime(execution.startedAt) : formatShortTime(execution.startedAt),
          formatAgo(execution.startedAt, now),
          execution.workflowName,
          colorStatus(colors, execution.status),
          formatDuration(execution.durationMs),
          describeHits(hits),
        ]),
        terminal.width,
        colors,
      ),
      '',
    );
  }
  if (result.nextCursor === null) return terminal.print(colors.dim(`Searched ${read}: the whole range, newest first.`));
  terminal.print(colors.dim(`Searched ${read}, newest first; more may match further back: the same command with`));
  terminal.printWhole(`--cursor ${result.nextCursor}`);
}

const count = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
const readSummary = ({ scanned }: ExecutionSearchResult) => `${count(scanned.executions, 'run', 'runs')} and ${count(scanned.steps, 'step', 'steps')}`;

const FIELD_NAMES: Record<PayloadField, string> = { triggerData: 'trigger data', metadata: 'metadata', inputData: 'input', outputData: 'output' };

/** Where a run matched: "trigger data, step 2 fetch: input, output". */
function describeHits(hits: SearchHit[]): string {
  const parts: string[] = [];
  let step: string | undefined;
  for (const hit of hits) {
    if (hit.stepId === undefined) {
      parts.push(FIELD_NAMES[hit.field]);
      step = undefined;
    } else if (hit.stepId === step) {
      parts[parts.length - 1] += `, ${FIELD_NAMES[hit.field]}`;
    } else {
      parts.push(`step ${hit.stepIndex} ${hit.nodeId}: ${FIELD_NAMES[hit.field]}`);
      step = hit.stepId;
    }
  }
  return parts.join('; ');
}

/** Options that a search does not take, or takes otherwise than a list, as the bad arguments they are. */
function searchMistakes(options: ListOptions): void {
  const usage = (message: string) => new CliError(message, EXIT.usage);
  if (options.where !== undefined && options.text !== undefined) {
    throw usage("options '--where <key=value>' and '--text <text>' search two ways; expected one of them.");
  }
  if (options.where === undefined && options.text === undefined) {
    throw usage("option '--in <fields>' says where --where or --text look; expected one of them with it.");
  }
  if (options.sort === 'duration') throw usage("option '--sort duration' does not go with --where or --text: a search lists the newest runs first.");
  if (options.trigger !== undefined) {
    throw usage("option '--trigger <type>' does not go with --where or --text; expected --workflow, --status, --since or --until to narrow a search.");
  }
  if (options.limit > MAX_SEARCH_LIMIT) {
    throw usage(`option '--limit <n>' with --where or --text: expected a whole number from 1 to ${MAX_SEARCH_LIMIT}, got "${options.limit}".`);
  }
}

/** A cursor the search refused (from another search, or not one), as the bad argument it is, in the command's words. */
function searchCursorMistake(error: unknown): CliError | undefined {
  if (!(error instanceof ExecutionStoreError) || error.code !== 'VALIDATION') return undefined;
  const problem = /invalid input: cursor: (.*?);/s.exec(error.message)?.[1];
  if (problem === undefined) return undefined;
  const expected = 'expected the --cursor printed under the previous results of the same search, or no --cursor to start from the newest runs.';
  return new CliError(
    problem.startsWith('it continues another search')
      ? `option '--cursor <cursor>' continues another search (another --where, --text, --in, --workflow, --status, --since or --until); ${expected}`
      : `option '--cursor <cursor>' is not a cursor of a search; ${expected}`,
    EXIT.usage,
  );
}
