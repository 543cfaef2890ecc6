// `stats`: how the workflows did over a window (default the last 24 hours): overall numbers, one row per
// workflow, the slowest and the most failing nodes, and a timeline as a small bar chart.
import ms from 'ms';
import type { ExecutionStore } from '../../store.js';
import type { NodeStats, TimelineEntry } from '../../core/types.js';
import { type Context, withStore } from '../context.js';
import { formatAgo, formatDuration, formatRate } from '../format.js';
import { asWorkflow, describeWorkflow, findWorkflow } from '../named-workflow.js';
import { sparkline } from '../sparkline.js';
import { renderTable } from '../table.js';
import type { Colors } from '../terminal.js';

const HOUR = 3_600_000;
const NODES_SHOWN = 5;
const WORKFLOWS_SHOWN = 10;
/** Up to two days the timeline is by hour, beyond by day. */
const HOURLY_UP_TO = 48 * HOUR;

interface StatsOptions {
  since?: number;
  workflow?: string;
}


export async function stats(context: Context, options: StatsOptions): Promise<void> {
  const now = context.io.now();
  const since = options.since ?? now - 24 * HOUR;
  const { report, workflow } = await withStore(context.openExisting(), (store) => gather(store, since, now, options.workflow));
  if (context.json) return context.terminal.json(report);
  const { terminal } = context;
  const { colors } = terminal;
  const { overall } = report;
  terminal.print(
    colors.bold(`Last ${ms(now - since, { long: true })}`) + colors.dim(workflow ? ` · workflow ${describeWorkflow(workflow)}` : ''),
    `${overall.total} executions: ${colors.green(`${overall.success} success`)}, ${colors.red(`${overall.error} error`)}, ${colors.yellow(`${overall.running} running`)}`,
    `success rate ${formatRate(overall.successRate) || '–'} · p50 ${formatDuration(overall.p50DurationMs) || '–'} · p95 ${formatDuration(overall.p95DurationMs) || '–'}`,
    '',
    ...timelineLines(report.timeline, colors, terminal.width),
  );
  if (report.workflows.length > 0) {
    // The troubled ones first: most errors, then most runs.
    const shown = [...report.workflows].sort((a, b) => b.error - a.error || b.runs - a.runs).slice(0, WORKFLOWS_SHOWN);
    terminal.print(
      '',
      await renderTable(
        [
          { header: 'WORKFLOW', flexible: true },
          { header: 'RUNS', align: 'right' },
          { header: 'ERRORS', align: 'right' },
          { header: 'SUCCESS', align: 'right' },
          { header: 'AVG', align: 'right', optional: true },
          { header: 'P95', align: 'right' },
          { header: 'LAST RUN', align: 'right', optional: true },
        ],
        shown.map((workflow) => [
          workflow.workflowName,
          String(workflow.runs),
          workflow.error > 0 ? colors.red(String(workflow.error)) : '0',
          formatRate(workflow.successRate),
          formatDuration(workflow.avgDurationMs),
          formatDuration(workflow.p95DurationMs),
          workflow.lastRun ? formatAgo(workflow.lastRun.startedAt, now) : '',
        ]),
        terminal.width,
        colors,
      ),
      ...(report.workflows.length > shown.length ? [colors.dim(`… and ${report.workflows.length - shown.length} more workflows (--json lists them all)`)] : []),
    );
  }
  for (const [title, nodes] of [
    ['Slowest nodes (p95)', report.slowestNodes],
    ['Most failing nodes', report.failingNodes],
  ] as const) {
    if (nodes.length === 0) continue;
    terminal.print('', colors.bold(title), await nodeTable(nodes, terminal.width, colors));
  }
}

async function gather(store: ExecutionStore, since: number, now: number, givenWorkflow: string | undefined) {
  const range = { startedAfter: since, startedBefore: now + 1 }; // the end is exclusive; a run started now counts
  const summaries = await store.getWorkflowSummaries(range);
  const workflow = givenWorkflow === undefined ? undefined : findWorkflow(summaries.map(asWorkflow), givenWorkflow);
  const workflowId = workflow?.id;
  const failing = await store.getNodeStats({ ...range, workflowId, sortBy: 'errorRate', limit: NODES_SHOWN * 4 });
  const report = {
    since,
    until: now,
    overall: await store.getExecutionStats({ ...range, workflowId }),
    workflows: summaries.filter((summary) => workflowId === undefined || summary.workflowId === workflowId),
    slowestNodes: await store.getNodeStats({ ...range, workflowId, sortBy: 'p95', limit: NODES_SHOWN }),
    failingNodes: failing.filter((node) => node.error > 0).slice(0, NODES_SHOWN),
    timeline: await store.getTimeline({ ...range, workflowId, bucket: now - since <= HOURLY_UP_TO ? 'hour' : 'day' }),
  };
  return { report, workflow };
}

function timelineLines(timeline: TimelineEntry[], colors: Colors, width: number): string[] {
  // The newest buckets when there are more than fit after the labels.
  const shown = timeline.slice(-Math.max(1, width - 12));
  const runs = shown.map((entry) => entry.total);
  const errors = shown.map((entry) => entry.error);
  const step = shown.length > 1 ? (shown[1] as TimelineEntry).start - (shown[0] as TimelineEntry).start : HOUR;
  return [
    `${colors.dim('runs   ')} ${sparkline(runs)}  ${colors.dim(`max ${Math.max(0, ...runs)} per ${step <= HOUR ? 'hour' : 'day'}`)}`,
    `${colors.dim('errors ')} ${colors.red(sparkline(errors))}  ${colors.dim(`max ${Math.max(0, ...errors)}`)}`,
  ];
}

function nodeTable(nodes: NodeStats[], width: number, colors: Colors): Promise<string> {
  return renderTable(
    [
      { header: 'NODE', flexible: true },
      { header: 'TYPE', optional: true },
      { header: 'WORKFLOW', flexible: true, optional: true },
      { header: 'RUNS', align: 'right' },
      { header: 'ERRORS', align: 'right' },
      { header: 'P95', align: 'right' },
      { header: 'LAST ERROR', flexible: true },
    ],
    nodes.map((node) => [
      node.nodeName ?? node.nodeId,
      node.nodeType,
      node.workflowId,
      String(node.runs),
      node.error > 0 ? colors.red(`${node.error} (${formatRate(node.errorRate)})`) : '0',
      formatDuration(node.p95DurationMs),
      colors.red(node.lastError?.message ?? ''),
    ]),
    width,
    colors,
  );
}
