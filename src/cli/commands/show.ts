// `show [id]`: one execution: its header, the waterfall of its steps, the errors; with --data each step's input
// and output, with --step one step whole. No id: the latest execution (with --status, the latest with it).
import type { Command } from 'commander';
import wrapAnsi from 'wrap-ansi';
import { REDACTED } from '../../redaction.js';
import { EXECUTION_STATUSES } from '../../schema.js';
import type { ExecutionStatus, ExecutionStep, ExecutionWithSteps } from '../../types.js';
import { CliError } from '../cli-error.js';
import { type Context, withStore } from '../context.js';
import { findExecution } from '../execution-id.js';
import { colorStatus, formatAgo, formatDuration, formatTime } from '../format.js';
import type { Colors } from '../terminal.js';
import { renderWaterfall } from '../waterfall.js';
import { choices, type Run } from './shared.js';

interface ShowOptions {
  data?: boolean;
  step?: string;
  status?: ExecutionStatus;
}

export function registerShow(program: Command, run: Run): void {
  program
    .command('show')
    .description('one execution and the waterfall of its steps')
    .argument('[id]', 'the execution id, or its first characters; the latest execution when left out')
    .option('--data', "print each step's input and output")
    .option('--step <nodeId>', 'print one step whole')
    .addOption(choices('--status <status>', 'without an id: the latest execution with this status', EXECUTION_STATUSES))
    .action(run(show));
}

async function show(context: Context, options: ShowOptions, id?: string): Promise<void> {
  const execution = await withStore(context.openExisting(), async (store) => {
    if (id !== undefined) return findExecution(store, id);
    const [latest] = await store.queryExecutions({ status: options.status, limit: 1 });
    if (latest === undefined) throw new CliError(`no execution${options.status ? ` with status ${options.status}` : ''} is stored yet.`);
    return findExecution(store, latest.id);
  });
  const step = options.step === undefined ? undefined : stepOf(execution, options.step);
  if (context.json) return context.terminal.json(step ?? execution);
  const { terminal } = context;
  const { colors } = terminal;
  if (step !== undefined) return terminal.print(...stepDetails(step, colors, terminal.width));
  const now = context.io.now();
  const field = (name: string, value: string) => `${colors.dim(name.padEnd(10))}${value}`;
  terminal.print(
    colors.bold(`Execution ${execution.id}`),
    field('Workflow', `${execution.workflowName} ${colors.dim(`(${execution.workflowId})`)}`),
    field('Trigger', execution.triggerType),
    field('Status', colorStatus(colors, execution.status)),
    field('Started', `${formatTime(execution.startedAt)} ${colors.dim(`(${formatAgo(execution.startedAt, now)})`)}`),
    field('Duration', execution.durationMs === undefined ? colors.yellow('still running') : formatDuration(execution.durationMs)),
    ...(execution.errorMessage ? [field('Error', colors.red(execution.errorMessage))] : []),
    '',
  );
  if (execution.steps.length === 0) return terminal.print(colors.dim('No steps recorded.'));
  terminal.print(renderWaterfall(execution, terminal.width, colors, now));
  const failed = execution.steps.filter((each) => each.status === 'error');
  if (failed.length > 0) {
    terminal.print('', ...failed.map((each) => colors.red(`✗ ${each.stepIndex + 1} ${each.nodeName ?? each.nodeId}: ${each.errorMessage ?? 'failed'}`)));
  }
  if (options.data) for (const each of execution.steps) terminal.print('', ...stepDetails(each, colors, terminal.width));
}

function stepOf(execution: ExecutionWithSteps, nodeId: string): ExecutionStep {
  const step = execution.steps.find((each) => each.nodeId === nodeId);
  if (step !== undefined) return step;
  const known = execution.steps.map((each) => each.nodeId).join(', ');
  throw new CliError(`execution ${execution.id} has no step of node "${nodeId}"; its nodes: ${known || 'none'}.`);
}

function stepDetails(step: ExecutionStep, colors: Colors, width: number): string[] {
  const heading = `${step.stepIndex + 1} ${step.nodeName ?? step.nodeId} ${colors.dim(`(${step.nodeType}, node ${step.nodeId})`)}`;
  const timing = `${colorStatus(colors, step.status)}  ${formatTime(step.startedAt)}  ${formatDuration(step.durationMs)}`;
  return [
    colors.bold(`── ${heading}`),
    timing,
    ...(step.errorMessage ? [colors.red(`Error: ${step.errorMessage}`)] : []),
    ...payloadLines('Input', step.inputData, colors, width),
    ...payloadLines('Output', step.outputData, colors, width),
  ];
}

/** A payload as indented JSON, its redacted values and a truncated or unreadable payload marked as such. */
function payloadLines(name: string, payload: Record<string, unknown> | undefined, colors: Colors, width: number): string[] {
  if (payload === undefined) return [colors.dim(`${name}: none`)];
  if (payload.__truncated === true) {
    return [
      colors.yellow(`${name}: truncated (${payload.originalBytes} bytes; the first ${String(payload.preview).length} characters follow)`),
      indent(String(payload.preview), width),
    ];
  }
  if (payload.__unreadable === true) return [colors.yellow(`${name}: unreadable (${payload.reason})`), indent(String(payload.preview), width)];
  const json = JSON.stringify(payload, null, 2).replaceAll(`"${REDACTED}"`, colors.magenta(`"${REDACTED}"`));
  return [`${name}:`, indent(json, width)];
}

/**
 * Two spaces in, every line cut to fit the terminal (long strings too, mid-word) and its continuations indented
 * alike, so that a payload reads as a block. `export` gives the JSON unbroken.
 */
function indent(text: string, width: number): string {
  return text
    .split('\n')
    .flatMap((line) => wrapAnsi(line, width - 2, { hard: true, trim: false }).split('\n'))
    .map((line) => `  ${line}`)
    .join('\n');
}
