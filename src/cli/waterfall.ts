// A run's steps drawn to scale on one time axis, from the execution's start to its end: the slow step is the long
// bar and the failed one the red bar, seen before anything is read.
import type { ExecutionStep, ExecutionWithSteps } from '../core/types.js';
import { colorStatus, formatDuration } from './format.js';
import { stepNumber } from './named-step.js';
import { type Column, renderTable } from './table.js';
import type { Colors } from './terminal.js';

export interface Bar {
  /** Cells before the bar. */
  offset: number;
  /** Cells of the bar, at least one. */
  length: number;
}

/** The cells [offset, offset + length) of `cells` that stand for [stepStart, stepEnd) within [start, end). */
export function barOf(stepStart: number, stepEnd: number, start: number, end: number, cells: number): Bar {
  const span = Math.max(end - start, 1);
  const cell = (at: number) => ((at - start) / span) * cells;
  const offset = Math.min(cells - 1, Math.max(0, Math.floor(cell(stepStart))));
  const to = Math.min(cells, Math.max(offset + 1, Math.ceil(cell(stepEnd))));
  return { offset, length: to - offset };
}

/** Where the axis ends: the execution's end, else (still running) its latest step end or now. */
export function axisEnd(execution: ExecutionWithSteps, now: number): number {
  if (execution.completedAt !== undefined) return execution.completedAt;
  return Math.max(now, ...execution.steps.map((step) => stepEnd(step, now)));
}

const stepEnd = (step: ExecutionStep, now: number) => step.completedAt ?? (step.status === 'running' ? now : step.startedAt);

/** Fewer cells than this and the bars say nothing; the step names give way first. */
const NARROWEST_AXIS = 20;
/** The optional columns (node ids, then node types) are left out rather than leave the axis fewer cells. */
const ROOMY_AXIS = 25;
const GAP = 2;

interface WaterfallColumn extends Column {
  cell: (step: ExecutionStep) => string;
}

export function renderWaterfall(execution: ExecutionWithSteps, width: number, colors: Colors, now: number): Promise<string> {
  const start = execution.startedAt;
  const end = axisEnd(execution, now);
  // Node ids are what --step and the runtime's logs use; shown where a step's name is not its id already.
  const idsDiffer = execution.steps.some((step) => step.nodeName !== undefined && step.nodeName !== step.nodeId);
  let columns: WaterfallColumn[] = [
    { header: '#', align: 'right', cell: stepNumber },
    { header: 'STEP', flexible: true, cell: (step) => step.nodeName ?? step.nodeId },
    ...(idsDiffer ? [{ header: 'NODE', flexible: true, optional: true, cell: (step: ExecutionStep) => step.nodeId }] : []),
    { header: 'TYPE', flexible: true, optional: true, cell: (step) => step.nodeType },
    { header: 'STATUS', cell: (step) => step.status },
    { header: 'DURATION', align: 'right', cell: (step) => formatDuration(step.durationMs) },
  ];
  const widthOf = (column: WaterfallColumn) => Math.max(column.header.length, ...execution.steps.map((step) => column.cell(step).length)) + GAP;
  const left = () => columns.reduce((sum, column) => sum + widthOf(column), 0);
  // The axis takes what the other columns leave: optional columns give way below ROOMY_AXIS cells (the first one
  // first), and below NARROWEST_AXIS the names are shortened.
  while (width - left() < ROOMY_AXIS && columns.some((column) => column.optional)) {
    columns = columns.filter((column) => column !== columns.find((each) => each.optional));
  }
  const cells = Math.max(NARROWEST_AXIS, width - left());
  const total = formatDuration(end - start);
  const axis = `0${' '.repeat(Math.max(1, cells - 1 - total.length))}${total}`;
  const rows = execution.steps.map((step) => {
    const { offset, length } = barOf(step.startedAt, stepEnd(step, now), start, end, cells);
    const paint = step.status === 'error' ? colors.red : step.status === 'running' ? colors.yellow : step.status === 'skipped' ? colors.dim : colors.green;
    const bar = step.status === 'skipped' ? '·' : '█'.repeat(length);
    const texts = columns.map((column) => (column.header === 'STATUS' ? colorStatus(colors, step.status) : column.cell(step)));
    return [...texts, `${' '.repeat(offset)}${paint(bar)}`];
  });
  return renderTable([...columns, { header: axis }], rows, width, colors);
}
