// One recording process of the concurrent-writers part (bench/postgres/parts/concurrency.ts): a runtime instance of
// its own, with its own store (or raw pool) on the shared database, recording realistic runs (about 10 steps, 200 B
// to 2 KB payloads, one in a thousand with 100 steps) one after another with recordExecution. It prints `ready` once
// it is connected and has its runs built, starts on a line on stdin, records for the given time, and prints what it
// did as JSON.
// Usage: node --import tsx bench/postgres/writer.ts <postgres URL> <store|raw> <seed> <milliseconds>
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { openExecutionStore } from '../../src/index.js';
import { makeRun, random } from '../dataset.js';
import { percentile } from '../measure.js';
import { openRaw } from './raw.js';

const [url, mode, seedText, msText] = process.argv.slice(2) as [string, string, string, string];
if (mode !== 'store' && mode !== 'raw') throw new Error(`usage: writer.ts <url> <store|raw> <seed> <ms>; got mode ${mode}`);
const seed = Number(seedText);
const durationMs = Number(msText);

const next = random(seed);
const RUNS = 1000;
const runs = Array.from({ length: RUNS }, (_, i) => makeRun(i, RUNS, next));
// Each process starts at another place in the list, so that they do not record the same workflow at the same time.
const offset = (seed * 137) % RUNS;

const store = mode === 'store' ? await openExecutionStore(url) : undefined;
const raw = mode === 'raw' ? openRaw(url) : undefined;
const record = store
  ? (run: (typeof runs)[number]) => store.recordExecution(run.execution, run.steps)
  : (run: (typeof runs)[number]) => (raw as NonNullable<typeof raw>).recordExecution(run.execution, run.steps);
// A connection is open before the clock starts: the first call does not pay for connecting.
await (store ? store.queryExecutions({ limit: 1 }) : raw?.rows('SELECT 1'));

const lines = createInterface({ input: process.stdin });
const go = new Promise<void>((resolve) => lines.once('line', () => resolve()));
process.stdout.write('ready\n');
await go;
lines.close();

const latencies: number[] = [];
const failures: string[] = [];
let steps = 0;
const started = performance.now();
for (let i = 0; performance.now() - started < durationMs; i++) {
  const run = runs[(offset + i) % RUNS] as (typeof runs)[number];
  const callStarted = performance.now();
  try {
    await record(run);
    steps += run.steps.length;
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error));
  }
  latencies.push(performance.now() - callStarted);
}
const ms = performance.now() - started;
await (store ? store.close() : raw?.close());
process.stdin.destroy();
process.stdout.write(
  `${JSON.stringify({ runs: latencies.length, steps, ms, failures: failures.length, firstFailure: failures[0], p50: percentile(latencies, 50), p99: percentile(latencies, 99) })}\n`,
);
