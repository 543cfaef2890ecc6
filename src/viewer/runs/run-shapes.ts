// Runs and steps as lists show them: without their payloads, which are read one at a time (routes/run.ts), but
// with what a page shows beside a step before opening it: each payload's size and whether it was cut or redacted.
import type { ExecutionStep, WorkflowExecution } from '../../core/types.js';
import { type PayloadFacts, payloadFacts } from '../payloads/payload-facts.js';

/** A run in a list: no trigger data, metadata or stack. */
export type RunListItem = Omit<WorkflowExecution, 'triggerData' | 'metadata' | 'errorStack'>;

/** A run's header: everything but its trigger data and metadata, which come as payload views beside it. */
export type RunHeader = Omit<WorkflowExecution, 'triggerData' | 'metadata'>;

export type StepSummary = Omit<ExecutionStep, 'inputData' | 'outputData'> & {
  /** Which run of its node this step is within the run: 0 for the node's first. */
  occurrence: number;
  input: PayloadFacts | null;
  output: PayloadFacts | null;
};

export function runListItem(run: WorkflowExecution): RunListItem {
  const { triggerData: _data, metadata: _metadata, errorStack: _stack, ...item } = run;
  return item;
}

export function runHeader(run: WorkflowExecution): RunHeader {
  const { triggerData: _data, metadata: _metadata, ...header } = run;
  return header;
}

/** The steps (in stepIndex order) without payloads, each numbered among its node's steps. */
export function stepSummaries(steps: readonly ExecutionStep[]): StepSummary[] {
  const seen = new Map<string, number>();
  return steps.map((step) => {
    const occurrence = seen.get(step.nodeId) ?? 0;
    seen.set(step.nodeId, occurrence + 1);
    return stepSummary(step, occurrence);
  });
}

export function stepSummary(step: ExecutionStep, occurrence: number): StepSummary {
  const { inputData, outputData, ...rest } = step;
  return {
    ...rest,
    occurrence,
    input: inputData === undefined ? null : payloadFacts(inputData),
    output: outputData === undefined ? null : payloadFacts(outputData),
  };
}
