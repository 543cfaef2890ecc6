// A workflow named on the command line as the tables show it (its name) or as the runtime knows it (its id): the
// exact id, else the exact name, else the start of one workflow's name or id (any case).
import type { ExecutionStore } from '../store.js';
import type { WorkflowSummary } from '../core/types.js';
import { CliError } from './cli-error.js';

export interface Workflow {
  id: string;
  name: string;
}

/** Listed in a message at most; the rest are counted. */
const LISTED = 20;

/**
 * The workflows with stored executions, most recently run first. Their summaries over one millisecond: no rollups
 * are added up. (`stats` matches against its own summaries, which also know workflows whose runs were pruned.)
 */
export async function knownWorkflows(store: ExecutionStore, now: number): Promise<Workflow[]> {
  return (await store.getWorkflowSummaries({ startedAfter: now, startedBefore: now + 1 })).map(asWorkflow);
}

export const asWorkflow = (summary: WorkflowSummary): Workflow => ({ id: summary.workflowId, name: summary.workflowName });

export function findWorkflow(workflows: Workflow[], given: string): Workflow {
  const byId = workflows.find((workflow) => workflow.id === given);
  if (byId !== undefined) return byId;
  const lower = given.toLowerCase();
  for (const [matches, how] of [
    [workflows.filter((workflow) => workflow.name === given), `is the name of`],
    [workflows.filter((workflow) => workflow.name.toLowerCase().startsWith(lower) || workflow.id.toLowerCase().startsWith(lower)), 'is the start of'],
  ] as const) {
    if (matches.length === 1) return matches[0] as Workflow;
    if (matches.length > 1) throw new CliError(`"${given}" ${how} ${matches.length} workflows; give more of its name, or its id:\n${listed(matches)}`);
  }
  throw new CliError(
    workflows.length === 0
      ? `no workflow is called "${given}": the history holds no executions.`
      : `no workflow has the id or name "${given}", or one starting with it. The workflows:\n${listed(workflows)}`,
  );
}

/** "Sync orders (wf-orders)", as messages name a workflow. */
export const describeWorkflow = (workflow: Workflow) => (workflow.name === workflow.id ? workflow.id : `${workflow.name} (${workflow.id})`);

function listed(workflows: Workflow[]): string {
  const shown = workflows.slice(0, LISTED);
  const width = Math.max(...shown.map((workflow) => workflow.name.length));
  const lines = shown.map((workflow) => `  ${workflow.name.padEnd(width)}  ${workflow.id}`);
  if (workflows.length > shown.length) lines.push(`  … and ${workflows.length - shown.length} more`);
  return lines.join('\n');
}
