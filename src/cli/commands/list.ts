// `list`: recent executions as a table, newest (or slowest) first, a page at a time.
import type { Command } from 'commander';
import { EXECUTION_STATUSES, TRIGGER_TYPES } from '../../schema.js';
import type { ExecutionPageQuery, WorkflowExecution } from '../../types.js';
import { MAX_PAGE_SIZE } from '../../validation.js';
import { positiveCount, timeParser } from '../arguments.js';
import { type Context, withStore } from '../context.js';
import { shortIds } from '../execution-id.js';
import { colorStatus, firstLine, formatAgo, formatDuration, formatShortTime, formatTime } from '../format.js';
import { renderTable } from '../table.js';
import type { Io } from '../terminal.js';
import { choices, type Run } from './shared.js';

interface ListOptions {
  workflow?: string;
  status?: WorkflowExecution['status'];
  trigger?: WorkflowExecution['triggerType'];
  since?: number;
  until?: number;
  limit: number;
  cursor?: string;
  sort: 'started' | 'duration';
}

/** Enough of a uuid v7 to hold its whole millisecond timestamp; more only where two listed ids share it. */
export const SHORT_ID_LENGTH = 13;
/** From this many columns on, start times show their year and seconds. */
const WIDE = 120;

export function registerList(program: Command, io: Io, run: Run): void {
  program
    .command('list')
    .description('recent executions, newest first')
    .option('--workflow <id>', 'only this workflow')
    .addOption(choices('--status <status>', 'only this status', EXECUTION_STATUSES))
    .addOption(choices('--trigger <type>', 'only this trigger type', TRIGGER_TYPES))
    .option('--since <time>', 'started at or after: an ISO date or a duration back from now (24h, 7d)', timeParser(io.now))
    .option('--until <time>', 'started before: an ISO date or a duration back from now', timeParser(io.now))
    .option('--limit <n>', `how many (1–${MAX_PAGE_SIZE})`, positiveCount(MAX_PAGE_SIZE), 20)
    .option('--cursor <cursor>', 'the next page, as printed under the previous one')
    .addOption(choices('--sort <key>', 'started (newest first) or duration (slowest first)', ['started', 'duration'] as const).default('started'))
    .action(run(list));
}

async function list(context: Context, options: ListOptions): Promise<void> {
  const query: ExecutionPageQuery = {
    workflowId: options.workflow,
    status: options.status,
    triggerType: options.trigger,
    startedAfter: options.since,
    startedBefore: options.until,
    orderBy: options.sort === 'duration' ? 'duration_ms' : 'started_at',
    limit: options.limit,
    cursor: options.cursor,
  };
  const page = await withStore(context.openExisting(), (store) => store.queryExecutionsPage(query));
  if (context.json) return context.terminal.json(page);
  const { terminal } = context;
  if (page.items.length === 0) return terminal.print('No executions match.');
  const { colors } = terminal;
  const now = context.io.now();
  const wide = terminal.width >= WIDE;
  const ids = shortIds(
    page.items.map((execution) => execution.id),
    SHORT_ID_LENGTH,
  );
  terminal.print(
    renderTable(
      [
        { header: 'ID' },
        { header: 'STARTED' },
        { header: 'AGO', align: 'right', optional: true },
        { header: 'WORKFLOW', flexible: true },
        { header: 'TRIGGER', optional: true },
        { header: 'STATUS' },
        { header: 'DURATION', align: 'right' },
        { header: 'ERROR', flexible: true },
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
