// A step named on the command line as `show` draws it: by its number in the waterfall, its node's name or its
// node's id. A node that ran more than once (a loop) names several steps; its number tells them apart.
import type { ExecutionStep, ExecutionWithSteps } from '../core/types.js';
import { CliError } from './cli-error.js';

/** Listed in a message at most; the rest are counted. */
const LISTED = 20;

/** The number the waterfall shows for a step: its position, from 1. */
export const stepNumber = (step: ExecutionStep) => String(step.stepIndex + 1);

export function findStep(execution: ExecutionWithSteps, given: string): ExecutionStep {
  const matches = execution.steps.filter((step) => stepNumber(step) === given || step.nodeName === given || step.nodeId === given);
  if (matches.length === 1) return matches[0] as ExecutionStep;
  if (matches.length > 1) throw new CliError(`"${given}" names ${matches.length} steps of execution ${execution.id}; give the number of one:\n${listed(matches)}`);
  if (execution.steps.length === 0) throw new CliError(`execution ${execution.id} has no steps recorded.`);
  throw new CliError(`execution ${execution.id} has no step "${given}"; give a step's number, its node's name or its node's id:\n${listed(execution.steps)}`);
}

function listed(steps: ExecutionStep[]): string {
  const shown = steps.slice(0, LISTED);
  const numberWidth = Math.max(...shown.map((step) => stepNumber(step).length));
  const nameWidth = Math.max(...shown.map((step) => (step.nodeName ?? '').length));
  const name = (step: ExecutionStep) => (nameWidth === 0 ? '' : `${(step.nodeName ?? '').padEnd(nameWidth)}  `);
  const lines = shown.map((step) => `  ${stepNumber(step).padStart(numberWidth)}  ${name(step)}node ${step.nodeId}`);
  if (steps.length > shown.length) lines.push(`  … and ${steps.length - shown.length} more (the waterfall shows them all)`);
  return lines.join('\n');
}
