// `errors`: failures grouped by their message with numbers and ids masked, newest first: one problem or many?
// Each group shows its latest message as it was: the text a person searches for.
import { type Context, withStore } from '../context.js';
import { SHORT_ID_LENGTH } from '../execution-id.js';
import { firstLine, formatAgo } from '../format.js';
import { findWorkflow, knownWorkflows } from '../named-workflow.js';
import { renderTable } from '../table.js';

interface ErrorsOptions {
  since?: number;
  workflow?: string;
  limit: number;
}

export async function errors(context: Context, options: ErrorsOptions): Promise<void> {
  const now = context.io.now();
  const groups = await withStore(context.openExisting(), async (store) => {
    const workflow = options.workflow === undefined ? undefined : findWorkflow(await knownWorkflows(store, now), options.workflow);
    return store.getErrorGroups({ workflowId: workflow?.id, startedAfter: options.since, limit: options.limit });
  });
  if (context.json) return context.terminal.json(groups);
  const { terminal } = context;
  if (groups.length === 0) return terminal.print('No failures match.');
  terminal.print(
    await renderTable(
      [
        { header: 'LAST SEEN', align: 'right' },
        { header: 'COUNT', align: 'right' },
        { header: 'WORKFLOW', flexible: true },
        { header: 'NODE', flexible: true },
        { header: 'EXAMPLE', optional: true },
        { header: 'LATEST ERROR', whole: true },
      ],
      groups.map((group) => [
        formatAgo(group.lastSeenAt, now),
        String(group.count),
        group.workflowName,
        group.nodeName ?? group.nodeId ?? '',
        group.exampleExecutionIds[0]?.slice(0, SHORT_ID_LENGTH) ?? '',
        terminal.colors.red(firstLine(group.lastMessage ?? group.pattern)),
      ]),
      terminal.width,
      terminal.colors,
    ),
  );
}
