// Part 11, PostgreSQL only: several runtime instances recording at once on one database, which a SQLite file serves
// one writer at a time. Child processes (bench/postgres/writer.ts), each with its own store and pool, record realistic
// runs with recordExecution for a fixed time; the figures are steps per second, all processes together, and the p99
// of one call, for 1, 2, 4 and 8 processes, and 4 processes against 1. The raw side does the same with hand-written transactions (no rollups, so no shared rows to queue on),
// which shows what the machine and the server allow: on this machine's 2 cores, 4 writers and the server's backends
// share the CPUs.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Row } from '../../measure.js';

interface WriterResult {
  runs: number;
  steps: number;
  ms: number;
  failures: number;
  firstFailure?: string;
  p50: number;
  p99: number;
}

interface Measured {
  stepsPerSecond: number;
  failures: number;
  firstFailure: string | undefined;
  p50: number;
  p99: number;
}

const WRITER = new URL('../writer.ts', import.meta.url).pathname;

async function record(url: string, mode: 'store' | 'raw', processes: number, durationMs: number, round: number): Promise<Measured> {
  const children = Array.from({ length: processes }, (_, i) =>
    spawn(process.execPath, ['--import', 'tsx', WRITER, url, mode, String(1 + i + processes * round), String(durationMs)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const outputs = children.map(() => '');
  children.forEach((child, i) =>
    child.stdout.on('data', (chunk: Buffer) => {
      outputs[i] += chunk.toString();
    }),
  );
  const exits = children.map((child) => once(child, 'exit'));
  try {
    // Every process connected and ready before any starts, so that they record at the same time.
    while (!outputs.every((output) => output.includes('ready\n'))) {
      const gone = children.find((child) => child.exitCode !== null);
      if (gone !== undefined) throw new Error(`a writer process (${WRITER}) exited with ${gone.exitCode} before it was ready`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const child of children) child.stdin.end('go\n');
    await Promise.all(exits);
  } finally {
    // After a failure, the others are still waiting for their start: they are ours to end.
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill();
  }
  const results = outputs.map((output, i) => {
    const last = output.split('\n').filter(Boolean).at(-1);
    if (last === undefined || last === 'ready') throw new Error(`writer ${i} printed no result`);
    return JSON.parse(last) as WriterResult;
  });
  const steps = results.reduce((sum, result) => sum + result.steps, 0);
  const ms = Math.max(...results.map((result) => result.ms));
  return {
    stepsPerSecond: steps / (ms / 1000),
    failures: results.reduce((sum, result) => sum + result.failures, 0),
    firstFailure: results.find((result) => result.firstFailure !== undefined)?.firstFailure,
    p50: Math.max(...results.map((result) => result.p50)),
    p99: Math.max(...results.map((result) => result.p99)),
  };
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** How many processes record at once, each count measured on both sides. */
const PROCESS_COUNTS = [1, 2, 4, 8] as const;

export async function concurrencyPart(url: string, durationMs: number, rounds: number, log: (message: string) => void): Promise<Row[]> {
  const configurations = PROCESS_COUNTS.flatMap((processes) => [['store', processes], ['raw', processes]] as const);
  const results = new Map<string, Measured[]>(configurations.map(([mode, processes]) => [`${mode}${processes}`, []]));
  for (let round = 0; round < rounds; round++) {
    // Each round in another order, so that neither side always follows the other.
    const order = round % 2 === 0 ? configurations : [...configurations].reverse();
    for (const [mode, processes] of order) {
      log(`  ${processes} ${mode} process(es), ${(durationMs / 1000).toFixed(0)} s …`);
      results.get(`${mode}${processes}`)?.push(await record(url, mode, processes, durationMs, round));
    }
  }
  const of = (key: string) => results.get(key) as Measured[];
  const rate = (key: string) => mean(of(key).map((m) => m.stepsPerSecond));
  const failures = (key: string) => of(key).reduce((sum, m) => sum + m.failures, 0);
  const firstFailure = (key: string) => of(key).find((m) => m.firstFailure !== undefined)?.firstFailure;
  const latency = (key: string) =>
    `p50 ${Math.max(...of(key).map((m) => m.p50)).toFixed(1)} ms, p99 ${Math.max(...of(key).map((m) => m.p99)).toFixed(1)} ms per recordExecution`;
  const failed = (key: string) => `${failures(key)} failed${firstFailure(key) ? ` (first: ${firstFailure(key)})` : ''}`;
  const part = '11 concurrent writers';
  const span = `${rounds} round(s) of ${(durationMs / 1000).toFixed(0)} s, mean`;
  const rows: Row[] = PROCESS_COUNTS.map((processes) => {
    const store = rate(`store${processes}`);
    const raw = rate(`raw${processes}`);
    return {
      part,
      name:
        processes === 1
          ? 'recordExecution, 1 process, steps/s (higher is better)'
          : `recordExecution, ${processes} processes at once, steps/s all together (higher is better)`,
      store,
      raw,
      ratio: store / raw,
      target: Number.NaN,
      higherIsBetter: true,
      pass: failures(`store${processes}`) === 0,
      note: `no ratio target (reported); pass: no write failed; ${span}; store ${latency(`store${processes}`)}, ${failed(`store${processes}`)}; raw ${latency(`raw${processes}`)}`,
    };
  });
  const [store1, raw1, store4, raw4] = [rate('store1'), rate('raw1'), rate('store4'), rate('raw4')];
  rows.push({
    part,
    name: '4 processes against 1: steps/s of 4 / steps/s of 1',
    store: store4 / store1,
    raw: raw4 / raw1,
    ratio: store4 / store1 / (raw4 / raw1),
    target: Number.NaN,
    higherIsBetter: true,
    pass: true,
    note: "no target (reported); store column: the store's 4/1, raw column: the raw side's 4/1 on the same machine (2 cores shared by the writers and the server)",
  });
  return rows;
}
