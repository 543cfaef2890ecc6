// How failures become ErrorGroups once a backend has read them: grouped by workflow, node and message pattern
// (src/core/message-pattern.ts), each group keeping its count, first and last time, latest message and a few example
// executions, the most recently seen group first. One copy for every backend, so that the same failures group the same
// way wherever they are stored. What the result depends on besides the failures is their order: the examples and the
// latest message of two failures at the same time are those read first, so every backend reads them in SQLite's
// order (newest execution first, ids in byte order, an execution's failed steps in step order).
import { compositeKey } from './composite-key.js';
import { messagePattern } from './message-pattern.js';
import type { ErrorGroup } from './types.js';

/** A failed execution, or one of its failed steps, as the error groups' query reads it. */
export interface Failure {
  executionId: string;
  workflowId: string;
  workflowName: string;
  /** The failed step's node; null for an execution that failed outside any step. */
  nodeId: string | null;
  nodeType: string | null;
  nodeName: string | null;
  /** The step's message, else the execution's. */
  message: string | null;
  /** When it failed: the step's completion or start, else the execution's. */
  at: number;
}

const EXAMPLES_PER_GROUP = 3;

/** The groups of the failures (in the order described above), the most recently seen first, at most `limit`. */
export function groupFailures(failures: Iterable<Failure>, limit: number): ErrorGroup[] {
  const groups = new Map<string, ErrorGroup>();
  for (const failure of failures) {
    const pattern = messagePattern(failure.message ?? '');
    const key = compositeKey(failure.workflowId, failure.nodeId, pattern);
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, {
        workflowId: failure.workflowId,
        workflowName: failure.workflowName,
        nodeId: failure.nodeId,
        nodeType: failure.nodeType,
        nodeName: failure.nodeName,
        pattern,
        lastMessage: failure.message,
        count: 1,
        firstSeenAt: failure.at,
        lastSeenAt: failure.at,
        exampleExecutionIds: [failure.executionId],
      });
      continue;
    }
    group.count += 1;
    group.firstSeenAt = Math.min(group.firstSeenAt, failure.at);
    if (failure.at > group.lastSeenAt) {
      group.lastSeenAt = failure.at;
      group.lastMessage = failure.message;
    }
    const examples = group.exampleExecutionIds;
    if (examples.length < EXAMPLES_PER_GROUP && !examples.includes(failure.executionId)) examples.push(failure.executionId);
  }
  return [...groups.values()]
    .sort((a, b) => b.lastSeenAt - a.lastSeenAt || b.count - a.count || a.pattern.localeCompare(b.pattern))
    .slice(0, limit);
}
