// `show [id]`: one execution: its header, the waterfall of its steps, the errors; with --data the execution's own
// input, metadata and error stack (what a person reads first), then each step's input and output; with --step one
// step whole. No id: the latest execution (with --status, the latest with it).
import { REDACTED } from '../../core/redaction.js';
import type { ExecutionStatus, ExecutionStep, ExecutionWithSteps } from '../../core/types.js';
import { CliError } from '../cli-error.js';
import { type Context, withStore } from '../context.js';
import { findExecution } from '../execution-id.js';
import { colorStatus, formatAgo, formatDuration, formatTime } from '../format.js';
import { findStep, stepNumber } from '../named-step.js';
import type { Colors } from '../terminal.js';
import { renderWaterfall } from '../waterfall.js';
import { databaseIdentity, findViewer, runLink } from '../../viewer/registry/registration.js';
import { wrap } from '../wrap.js';

interface ShowOptions {
  data?: boolean;
  step?: string;
  status?: ExecutionStatus;
}

export async function show(context: Context, options: ShowOptions, id?: string): Promise<void> {
  const execution = await withStore(context.openExisting(), async (store) => {
    if (id !== undefined) return findExecution(store, id);
    const [latest] = await store.queryExecutions({ status: options.status, limit: 1 });
    if (latest === undefined) throw new CliError(`no execution${options.status ? ` with status ${options.status}` : ''} is stored yet.`);
    return findExecution(store, latest.id);
  });
  const step = options.step === undefined ? undefined : findStep(execution, options.step);
  if (context.json) return context.terminal.json(step ?? execution);
  const { terminal } = context;
  const { colors } = terminal;
  if (step !== undefined) return terminal.print(...(await stepDetails(step, colors, terminal.width)));
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
  if (options.data) terminal.print(...(await executionDetails(execution, colors, terminal.width)), '');
  if (execution.steps.length === 0) terminal.print(colors.dim('No steps recorded.'));
  else terminal.print(await renderWaterfall(execution, terminal.width, colors, now));
  const failed = execution.steps.filter((each) => each.status === 'error');
  if (failed.length > 0) {
    terminal.print('', ...failed.map((each) => colors.red(`✗ ${stepNumber(each)} ${each.nodeName ?? each.nodeId}: ${each.errorMessage ?? 'failed'}`)));
  }
  if (options.data) for (const each of execution.steps) terminal.print('', ...(await stepDetails(each, colors, terminal.width)));
  else if (holdsData(execution)) terminal.print('', colors.dim(DATA_HINT));
  // A viewer serving this database (`execution-history serve`) shows the run with its data a click away.
  const viewer = await findViewer(databaseIdentity(context.dbPath));
  if (viewer !== undefined) {
    terminal.print('');
    terminal.printWhole(`Viewer: ${runLink(viewer.url, execution.id)}`);
  }
}

const DATA_HINT = "--data adds the execution's input, metadata and error stack, and each step's input and output.";

const holdsData = (execution: ExecutionWithSteps) =>
  execution.triggerData !== undefined ||
  execution.metadata !== undefined ||
  execution.errorStack !== undefined ||
  execution.steps.some((step) => step.inputData !== undefined || step.outputData !== undefined);

/** The execution's own data: what it was started with, what the runtime noted, where it failed. */
async function executionDetails(execution: ExecutionWithSteps, colors: Colors, width: number): Promise<string[]> {
  return [
    ...(await payloadLines('Input (trigger data)', execution.triggerData, colors, width)),
    ...(await payloadLines('Metadata', execution.metadata, colors, width)),
    ...(execution.errorStack === undefined ? [] : [colors.red('Error stack:'), await indent(execution.errorStack, width)]),
  ];
}

async function stepDetails(step: ExecutionStep, colors: Colors, width: number): Promise<string[]> {
  const heading = `${stepNumber(step)} ${step.nodeName ?? step.nodeId} ${colors.dim(`(${step.nodeType}, node ${step.nodeId})`)}`;
  const timing = `${colorStatus(colors, step.status)}  ${formatTime(step.startedAt)}  ${formatDuration(step.durationMs)}`;
  return [
    colors.bold(`── ${heading}`),
    timing,
    ...(step.errorMessage ? [colors.red(`Error: ${step.errorMessage}`)] : []),
    ...(await payloadLines('Input', step.inputData, colors, width)),
    ...(await payloadLines('Output', step.outputData, colors, width)),
  ];
}

/** A payload as indented JSON, its redacted values and a truncated or unreadable payload marked as such. */
async function payloadLines(name: string, payload: Record<string, unknown> | undefined, colors: Colors, width: number): Promise<string[]> {
  if (payload === undefined) return [colors.dim(`${name}: none`)];
  if (payload.__truncated === true) {
    return [
      colors.yellow(`${name}: truncated (${payload.originalBytes} bytes; the first ${String(payload.preview).length} characters follow)`),
      await indent(String(payload.preview), width),
    ];
  }
  if (payload.__unreadable === true) return [colors.yellow(`${name}: unreadable (${payload.reason})`), await indent(String(payload.preview), width)];
  const json = JSON.stringify(payload, null, 2).replaceAll(`"${REDACTED}"`, colors.magenta(`"${REDACTED}"`));
  return [`${name}:`, await indent(json, width)];
}

/**
 * Two spaces in, every line cut to fit the terminal (long strings too, mid-word) and its continuations indented
 * alike, so that a payload reads as a block. `export` gives the JSON unbroken.
 */
async function indent(text: string, width: number): Promise<string> {
  return (await wrap(text, width - 2, { hard: true, trim: false }))
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
