// `errors`: failures grouped by their message with numbers and ids masked, newest first: one problem or many?
import type { Command } from 'commander';
import { MAX_PAGE_SIZE } from '../../validation.js';
import { positiveCount, timeParser } from '../arguments.js';
import { type Context, withStore } from '../context.js';
import { formatAgo } from '../format.js';
import { renderTable } from '../table.js';
import type { Io } from '../terminal.js';
import type { Run } from './shared.js';

interface ErrorsOptions {
  since?: number;
  workflow?: string;
  limit: number;
}

export function registerErrors(program: Command, io: Io, run: Run): void {
  program
    .command('errors')
    .description('failures grouped by message, newest first')
    .option('--since <time>', 'from: an ISO date or a duration back from now (24h, 7d)', timeParser(io.now))
    .option('--workflow <id>', 'only this workflow')
    .option('--limit <n>', `how many groups (1–${MAX_PAGE_SIZE})`, positiveCount(MAX_PAGE_SIZE), 20)
    .action(run(errors));
}

async function errors(context: Context, options: ErrorsOptions): Promise<void> {
  const groups = await withStore(context.openExisting(), (store) =>
    store.getErrorGroups({ workflowId: options.workflow, startedAfter: options.since, limit: options.limit }),
  );
  if (context.json) return context.terminal.json(groups);
  const { terminal } = context;
  if (groups.length === 0) return terminal.print('No failures match.');
  const now = context.io.now();
  terminal.print(
    renderTable(
      [
        { header: 'LAST SEEN', align: 'right' },
        { header: 'COUNT', align: 'right' },
        { header: 'WORKFLOW', flexible: true },
        { header: 'NODE', flexible: true },
        { header: 'ERROR', flexible: true },
        { header: 'EXAMPLE', optional: true },
      ],
      groups.map((group) => [
        formatAgo(group.lastSeenAt, now),
        String(group.count),
        group.workflowName,
        group.nodeName ?? group.nodeId ?? '',
        terminal.colors.red(group.pattern),
        group.exampleExecutionIds[0]?.slice(0, 13) ?? '',
      ]),
      terminal.width,
      terminal.colors,
    ),
  );
}
