// A small simulated workflow engine, for the demo: it runs a workflow's nodes in order as async functions and records
// them through the recorder as a runtime would. Time is simulated: a node that "takes" 3 s advances its run's clock by
// 3 s at once, and every recorder call is given that clock's time, so 30 days of history are made in seconds.
import type { Recorder, RunRecorder, StepRecorder } from '../recorder/recorder.js';
import type { ExecutionStatus, JsonObject, TriggerType } from '../core/types.js';

/** What a node may use while it runs. */
export interface NodeContext {
  /** The run's random numbers: seeded, so that a demo reads the same every time. */
  random(): number;
  /** The run's simulated time, ms since the epoch. */
  now(): number;
  /** Lets `ms` of simulated time pass, as an HTTP call or a query would take them; no real wait. */
  wait(ms: number): Promise<void>;
}

export interface WorkflowNode {
  id: string;
  type: string;
  name: string;
  /**
   * The node's input, from the previous node's output and the outputs of all nodes run before (by node id), as a
   * runtime's expressions resolve a node's parameters. The previous output as it is when left out.
   */
  input?: (previous: JsonObject, outputs: Readonly<Record<string, JsonObject>>) => JsonObject;
  /** Why this node is not run for this input (a condition's branch not taken), or undefined to run it. */
  skip?: (input: JsonObject) => string | undefined;
  /** Tries again after a failure that is `retryable`, waiting backoffMs, then twice that, and so on. */
  retry?: { times: number; backoffMs: number };
  run(input: JsonObject, context: NodeContext): Promise<JsonObject>;
}

export interface WorkflowDefinition {
  id: string;
  name: string;
  triggerType: TriggerType;
  nodes: readonly WorkflowNode[];
}

/** A node's failure: what it had produced (a response's status and body), and whether trying again may help. */
export class NodeError extends Error {
  readonly output: JsonObject | undefined;
  readonly retryable: boolean;

  constructor(message: string, options: { output?: JsonObject; retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NodeError';
    this.output = options.output;
    this.retryable = options.retryable ?? false;
  }
}

export interface RunOptions {
  triggerData: JsonObject;
  metadata?: JsonObject;
  /** When the trigger fired: the run's simulated clock starts here. */
  startedAt: number;
  random: () => number;
  /**
   * The worker dies while this node (by position) runs: its step is started and neither it nor the run is ever
   * ended, so the run stays 'running' in the database, as after a crash, until recovery marks it interrupted.
   */
  crashAt?: number;
}

export interface RunOutcome {
  /** The execution's id, as stored. */
  id: string;
  status: ExecutionStatus;
  startedAt: number;
  /** When it ended on the simulated clock; undefined for a run left running. */
  completedAt: number | undefined;
  /** What failed the run. */
  error: Error | undefined;
}

/**
 * Runs `workflow` through `recorder`: each node a step whose input is the previous node's output (or its `input`
 * mapping), skipped when its `skip` says why, tried again as its `retry` says. The first node that fails fails the
 * run with its error, and the nodes after it are not run (nor stored).
 */
export async function runWorkflow(recorder: Recorder, workflow: WorkflowDefinition, options: RunOptions): Promise<RunOutcome> {
  let clock = options.startedAt;
  const context: NodeContext = {
    random: options.random,
    now: () => clock,
    wait: async (ms) => {
      clock += Math.max(0, Math.round(ms));
    },
  };
  const run = recorder.startExecution({
    workflowId: workflow.id,
    workflowName: workflow.name,
    triggerType: workflow.triggerType,
    triggerData: options.triggerData,
    ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
    startedAt: options.startedAt,
  });
  const outputs: Record<string, JsonObject> = {};
  let previous = options.triggerData;
  for (const [position, node] of workflow.nodes.entries()) {
    let input: JsonObject;
    try {
      input = node.input === undefined ? previous : node.input(previous, outputs);
    } catch (error) {
      // An expression that cannot be resolved fails its node before it runs, as a runtime's would.
      const step = run.startStep({ nodeId: node.id, nodeType: node.type, nodeName: node.name, startedAt: clock });
      return failed(run, step, error, clock, options.startedAt);
    }
    const step = run.startStep({ nodeId: node.id, nodeType: node.type, nodeName: node.name, input, startedAt: clock });
    if (position === options.crashAt) return { id: run.id, status: 'running', startedAt: options.startedAt, completedAt: undefined, error: undefined };
    const skipped = node.skip?.(input);
    if (skipped !== undefined) {
      // A skipped node takes no time, and the next one gets what this one would have.
      step.skip(skipped, { completedAt: clock });
      continue;
    }
    try {
      previous = await withRetries(node, input, context);
    } catch (error) {
      return failed(run, step, error, clock, options.startedAt);
    }
    outputs[node.id] = previous;
    step.succeed(previous, { completedAt: clock });
  }
  run.succeed({ completedAt: clock });
  return { id: run.id, status: 'success', startedAt: options.startedAt, completedAt: clock, error: undefined };
}

/** Ends the step and its run with the node's error, at the simulated time it failed. */
function failed(run: RunRecorder, step: StepRecorder, error: unknown, at: number, startedAt: number): RunOutcome {
  const output = error instanceof NodeError ? error.output : undefined;
  step.fail(error, { ...(output === undefined ? {} : { output }), completedAt: at });
  run.fail(error, { completedAt: at });
  return { id: run.id, status: 'error', startedAt, completedAt: at, error: error instanceof Error ? error : new Error(String(error)) };
}

/** The node's output, after as many tries as its retry allows for retryable failures; the last failure otherwise. */
async function withRetries(node: WorkflowNode, input: JsonObject, context: NodeContext): Promise<JsonObject> {
  const times = node.retry?.times ?? 0;
  for (let retries = 0; ; retries++) {
    try {
      return await node.run(input, context);
    } catch (error) {
      const retryable = error instanceof NodeError && error.retryable;
      if (!retryable || retries >= times) throw retries === 0 ? error : afterRetries(error, retries);
      await context.wait((node.retry?.backoffMs ?? 0) * 2 ** retries);
    }
  }
}

/** The last try's failure, saying how often it was tried again: what a person reading the run wants to know first. */
function afterRetries(error: unknown, retries: number): NodeError {
  const last = error as NodeError;
  const failure = new NodeError(`${last.message} after ${retries} ${retries === 1 ? 'retry' : 'retries'}`, {
    ...(last.output === undefined ? {} : { output: last.output }),
    cause: last,
  });
  // Its stack is the last try's: where the node failed, not where the engine gave up.
  if (last.stack !== undefined) failure.stack = [`${failure.name}: ${failure.message}`, ...last.stack.split('\n').slice(1)].join('\n');
  return failure;
}
