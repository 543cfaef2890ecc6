// A run's steps drawn to scale on one time axis, from the execution's start to its end: the slow step is the long
// bar and the failed one the red bar, seen before anything is read.
import type { ExecutionStep, ExecutionWithSteps } from '../types.js';
import { colorStatus, formatDuration } from './format.js';
import { renderTable } from './table.js';
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
const GAP = 2;

export function renderWaterfall(execution: ExecutionWithSteps, width: number, colors: Colors, now: number): string {
  const start = execution.startedAt;
  const end = axisEnd(execution, now);
  const columns = [
    { header: '#', align: 'right' as const },
    { header: 'STEP', flexible: true },
    { header: 'TYPE', flexible: true, optional: true },
    { header: 'STATUS' },
    { header: 'DURATION', align: 'right' as const },
  ];
  const cellsOf = execution.steps.map((step) => [
    String(step.stepIndex + 1),
    step.nodeName ?? step.nodeId,
    step.nodeType,
    step.status,
    formatDuration(step.durationMs),
  ]);
  // The axis takes what the other columns leave, at least NARROWEST_AXIS cells (then the names are shortened).
  const left = columns.reduce((sum, column, i) => sum + Math.max(column.header.length, ...cellsOf.map((cells) => (cells[i] as string).length)) + GAP, 0);
  const cells = Math.max(NARROWEST_AXIS, width - left);
  const total = formatDuration(end - start);
  const axis = `0${' '.repeat(Math.max(1, cells - 1 - total.length))}${total}`;
  const rows = execution.steps.map((step, i) => {
    const { offset, length } = barOf(step.startedAt, stepEnd(step, now), start, end, cells);
    const paint = step.status === 'error' ? colors.red : step.status === 'running' ? colors.yellow : step.status === 'skipped' ? colors.dim : colors.green;
    const bar = step.status === 'skipped' ? '·' : '█'.repeat(length);
    const [index, name, type, status, duration] = cellsOf[i] as string[];
    return [index as string, name as string, type as string, colorStatus(colors, status as string), duration as string, `${' '.repeat(offset)}${paint(bar)}`];
  });
  return renderTable([...columns, { header: axis }], rows, width, colors);
}
