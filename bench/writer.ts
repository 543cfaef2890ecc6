// A second process that keeps recording steps into the benchmark's file, as another runtime worker would, until it
// reads a line on stdin; then it prints its write latencies and failures as JSON.
// Usage: node --import tsx bench/writer.ts <database file>
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { openExecutionStore } from '../src/index.js';

const file = process.argv[2] as string;
const store = await openExecutionStore(file);
const executionId = await store.createExecution({
  workflowId: 'wf-writer',
  workflowName: 'Concurrent writer',
  triggerType: 'internal_event',
  status: 'running',
  startedAt: Date.now(),
});
let stop = false;
process.stdin.once('data', () => {
  stop = true;
});
process.stdout.write('ready\n');

const latencies: number[] = [];
const failures: string[] = [];
for (let stepIndex = 0; !stop; stepIndex++) {
  const started = performance.now();
  try {
    await store.addStep({
      executionId,
      nodeId: `node-${stepIndex % 10}`,
      nodeType: 'function',
      stepIndex,
      startedAt: Date.now(),
      status: 'success',
      inputData: { stepIndex, text: 'x'.repeat(800) },
    });
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error));
  }
  latencies.push(performance.now() - started);
  await sleep(2); // a runtime records steps as nodes finish, not in a tight loop
}
store.close();
process.stdin.destroy(); // nothing more to read; let the process end
latencies.sort((a, b) => a - b);
const at = (p: number) => latencies[Math.max(0, Math.ceil((p / 100) * latencies.length) - 1)] ?? 0;
process.stdout.write(
  `${JSON.stringify({ writes: latencies.length, failures: failures.length, firstFailure: failures[0], p50: at(50), p99: at(99), max: at(100) })}\n`,
);
