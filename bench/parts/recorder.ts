// Part 13, both backends: the recorder. What it costs a workflow, how fast it writes, how much memory it holds while
// the database cannot take writes. Each backend hands in its raw side (batched inserts of the same rows) and a way to
// make its database refuse writes for a while.
//   (a) cost on the workflow's path: a simulated workflow of 10 no-op nodes with ~1 KB payloads (each node awaits a
//       turn of the event loop, as a node doing I/O would), timed per node with and without recording, in the same
//       run; beside it the floor, JSON.stringify of the node's input and output, which a recorder that snapshots
//       payloads cannot avoid. Also the event loop's delay while recording: on SQLite the driver is synchronous, so a
//       commit of the background writer runs on the loop between the workflow's awaits.
//   (b) throughput: runs recorded as fast as the workflow can go, until flush() resolves, against the raw side
//       inserting the same rows in transactions of the same size (no rollups on the raw side); three alternating
//       rounds, the median one reported.
//   (c) memory: recording at a steady rate for `unavailableMs` while the database refuses writes (held locked), with
//       a bound of RECORDER_BOUND_BYTES: the peak RSS growth against the bound.
//   (d) durability 'step': a node's time when each call's write is awaited, against recording in batches.
// A side whose store can write from a worker thread (SQLite) measures (a) and (b) with each writer, `writer: 'inline'`
// (the store's writeBatch on the loop) and `writer: 'worker'` (a thread with its own connection): (a) in turn, (b)
// in the same alternating rounds as raw.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createRecorder, type ExecutionStore, type NewExecution, type Recorder, type RecorderOptions, type RunStep } from '../../src/index.js';
import { median, percentile, type Row } from '../measure.js';

const PART = '13 recorder';
const NODES = 10;
/** The buffer bound of (c). */
const RECORDER_BOUND_BYTES = 32 * 1024 * 1024;

export interface RawBatches {
  /** Inserts runs (an execution with its steps each, finished) in one transaction. */
  writeRuns(runs: { execution: NewExecution; steps: RunStep[] }[]): Promise<void>;
}

export interface RecorderBenchSide {
  /** A fresh store on an empty database of its own (the part writes a lot). */
  openStore(): Promise<ExecutionStore>;
  raw: RawBatches;
  /** Makes the store's database refuse (or hold back) writes until the returned function is called. */
  holdWrites(): Promise<() => Promise<void>>;
  /** How long (c) keeps the database away. */
  unavailableMs: number;
  /** The recorder's writers to measure in (a) and (b); ['inline'] when not given (PostgreSQL: it has no worker). */
  writers?: readonly Writer[];
}

type Writer = 'inline' | 'worker';

/** A recorder writing from `writer`, once it does: a worker's recorder writes inline until its thread has opened the file. */
async function recorderFor(store: ExecutionStore, writer: Writer, options: RecorderOptions = {}): Promise<Recorder> {
  const recorder = createRecorder(store, { ...options, writer });
  for (const deadline = performance.now() + 30_000; recorder.writesFrom !== writer; await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (performance.now() > deadline) throw new Error(`the recorder did not write from its ${writer} within 30 s`);
  }
  return recorder;
}

/** Row names of a writer other than inline say which it is; inline's keep the names earlier results used. */
const named = (name: string, writer: Writer) => (writer === 'inline' ? name : `${name} [writer 'worker']`);

/** A node's payload of about 1 KB: an order with its lines, a note. */
function payloadOf(i: number) {
  return {
    orderId: 1000 + i,
    customer: { name: 'Ada Lovelace', email: 'ada@example.com', tier: 'gold' },
    lines: Array.from({ length: 8 }, (_, k) => ({ sku: `SKU-${k}`, qty: k + 1, price: Math.round(999 * (k + 1)) / 100 })),
    note: 'n'.repeat(300),
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const us = (ms: number) => ms * 1000;

export async function recorderPart(side: RecorderBenchSide, log: (message: string) => void): Promise<{ rows: Row[]; lines: string[] }> {
  const rows: Row[] = [];
  const lines: string[] = [];

  const writers = side.writers ?? ['inline'];
  // (a) cost on the workflow's path, with each writer in turn.
  for (const writer of writers) {
    const store = await side.openStore();
    const recorder = await recorderFor(store, writer);
    const RUNS = 600;
    const plain: number[] = [];
    const recorded: number[] = [];
    const floor: number[] = [];
    // The machine's own tail: pure CPU work as long as a recorded node (JSON.stringify of its payloads, `reference`
    // times over, sized after the warm-up), timed beside it. On a shared machine a call of ~15 µs is now and then
    // stopped by the scheduler; the recorder's p99 is read against this one's.
    const machine: number[] = [];
    let reference = 1;
    const calls: number[] = [];
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    const workflow = async (i: number, record: boolean) => {
      const run = record ? recorder.startExecution({ workflowId: `wf-${i % 5}`, workflowName: `Workflow ${i % 5}`, triggerType: 'webhook', triggerData: { i } }) : undefined;
      for (let node = 0; node < NODES; node++) {
        const input = payloadOf(i * NODES + node);
        const started = performance.now();
        const step = run?.startStep({ nodeId: `node-${node}`, nodeType: 'noop', input });
        const called = performance.now();
        const output = { ...input, done: true };
        const before = performance.now();
        step?.succeed(output);
        const ended = performance.now();
        (record ? recorded : plain).push(ended - started - (before - called));
        if (record) calls.push(called - started, ended - before);
        if (!record) {
          const floorStarted = performance.now();
          JSON.stringify(input);
          JSON.stringify(output);
          floor.push(performance.now() - floorStarted);
          const machineStarted = performance.now();
          for (let k = 0; k < reference; k++) {
            JSON.stringify(input);
            JSON.stringify(output);
          }
          machine.push(performance.now() - machineStarted);
        }
        await turn();
      }
      run?.succeed();
    };
    for (let i = 0; i < 100; i++) {
      await workflow(i, true);
      await workflow(i, false);
    }
    reference = Math.max(1, Math.round(median(recorded) / median(floor)));
    loopDelay.enable();
    for (let i = 0; i < RUNS; i++) {
      // Alternate, so that the machine's noise falls on both alike.
      await workflow(i, i % 2 === 0);
      await workflow(i, i % 2 !== 0);
    }
    loopDelay.disable();
    await recorder.close({ timeoutMs: 60_000 });
    await store.close();
    const measured = recorded.slice(-RUNS * NODES);
    const baseline = plain.slice(-RUNS * NODES);
    const floorTimes = floor.slice(-RUNS * NODES);
    const machineTimes = machine.slice(-RUNS * NODES);
    const added50 = median(measured) - median(baseline);
    const added99 = percentile(measured, 99) - percentile(baseline, 99);
    const floor50 = median(floorTimes);
    rows.push({
      part: PART, name: named('time a node of the workflow spends in the recorder, median, µs (raw: JSON.stringify of its input and output)', writer),
      store: us(added50), raw: us(floor50), ratio: added50 / floor50, target: 1.5, pass: added50 / floor50 <= 1.5,
      note: `startStep + succeed of ${RUNS} runs × ${NODES} nodes, ~${JSON.stringify(payloadOf(1)).length} B payloads, against the same workflow not recording; the workflow alone ${us(median(baseline)).toFixed(1)} µs a node`,
    });
    rows.push({
      part: PART, name: named('the same, p99, µs', writer), store: us(added99), raw: us(percentile(floorTimes, 99)), ratio: Number.NaN, target: Number.NaN,
      pass: us(added99) <= 50, note: `target: p99 at most 50 µs; the slowest call ${us(Math.max(...calls)).toFixed(0)} µs, calls over 1 ms: ${calls.filter((ms) => ms > 1).length} of ${calls.length}`,
    });
    rows.push({
      part: PART, name: named("the machine's tail: pure CPU work as long as a recorded node, p99 / median, µs", writer), store: us(percentile(machineTimes, 99)), raw: us(median(machineTimes)),
      ratio: Number.NaN, target: Number.NaN, pass: true,
      note: `JSON.stringify of the node's input and output ${reference} times over, timed beside the recorded nodes: what the machine alone adds to a call of that length at the p99`,
    });
    rows.push({
      part: PART, name: named('event loop delay while recording, p99 / max, ms', writer), store: loopDelay.percentile(99) / 1e6, raw: loopDelay.max / 1e6, ratio: Number.NaN, target: Number.NaN, pass: true,
      note: 'store column p99, raw column max, over both halves of the run: what the background writer (and everything else) held the loop for between the workflow\'s awaits',
    });
    log(`  (a) ${writer}: ${us(added50).toFixed(1)} µs a node against ${us(floor50).toFixed(1)} µs of JSON.stringify; loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms`);
  }

  // The machine's own event loop delay, for the rows above: the same workflows, nothing recorded (on a shared machine
  // the scheduler alone delays the loop by tens of ms at the p99).
  {
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    for (let i = 0; i < 1_200; i++) {
      for (let node = 0; node < NODES; node++) {
        const input = payloadOf(i * NODES + node);
        JSON.stringify({ ...input, done: true });
        await turn();
      }
    }
    loopDelay.disable();
    rows.push({
      part: PART, name: 'event loop delay of the same workflows recording nothing, p99 / max, ms (the machine\'s own)', store: loopDelay.percentile(99) / 1e6, raw: loopDelay.max / 1e6,
      ratio: Number.NaN, target: Number.NaN, pass: true, note: 'store column p99, raw column max: what the machine alone adds to the loop delay rows above',
    });
    log(`  (a) nothing recorded: loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms`);
  }

  // (d) durability 'step': the same workflow awaiting each call's write (the running row, then its end), against
  // the same workflow recording in batches, in the same run.
  {
    const store = await side.openStore();
    const stepRecorder = createRecorder(store, { durability: 'step' });
    const batchRecorder = createRecorder(store);
    const RUNS = 100;
    const perNode = { step: [] as number[], batch: [] as number[] };
    for (let i = 0; i < RUNS + 10; i++) {
      for (const mode of i % 2 === 0 ? (['step', 'batch'] as const) : (['batch', 'step'] as const)) {
        const recorder = mode === 'step' ? stepRecorder : batchRecorder;
        const run = recorder.startExecution({ workflowId: `wf-${i % 5}`, workflowName: `Workflow ${i % 5}`, triggerType: 'webhook', triggerData: { i } });
        if (mode === 'step') await run.written;
        for (let node = 0; node < NODES; node++) {
          const input = payloadOf(i * NODES + node);
          const started = performance.now();
          const step = run.startStep({ nodeId: `node-${node}`, nodeType: 'noop', input });
          if (mode === 'step') await step.written;
          step.succeed({ ...input, done: true });
          if (mode === 'step') await step.written;
          else await turn();
          // The first 10 runs warm up.
          if (i >= 10) perNode[mode].push(performance.now() - started);
        }
        run.succeed();
      }
    }
    await stepRecorder.close({ timeoutMs: 60_000 });
    await batchRecorder.close({ timeoutMs: 60_000 });
    await store.close();
    const stepMedian = median(perNode.step);
    const batchMedian = median(perNode.batch);
    rows.push({
      part: PART, name: "durability 'step': a node's time with its two writes awaited, median, ms (raw column: recording in batches)",
      store: stepMedian, raw: batchMedian, ratio: stepMedian / batchMedian, target: Number.NaN, pass: true,
      note: `${RUNS} runs × ${NODES} nodes each way, alternating; p99 ${percentile(perNode.step, 99).toFixed(2)} ms against ${percentile(perNode.batch, 99).toFixed(2)} ms; the cost of a transaction per call (the running row, then its end)`,
    });
    log(`  (d) durability 'step': ${stepMedian.toFixed(2)} ms a node against ${batchMedian.toFixed(3)} ms in batches`);
  }

  // (b) throughput against raw batched inserts: rounds alternating the sides (raw and each writer, in an order that
  // turns each round), each side writing into its own database all along (the tables grow alike), the median round
  // reported: sustained rates, not the first run's compiling.
  {
    const RUNS = 2_000;
    const ROUNDS = 3;
    const stores = new Map<Writer, ExecutionStore>();
    for (const writer of writers) stores.set(writer, await side.openStore());
    // Made before any side's clock starts: every side writes the same payload objects.
    const inputs = Array.from({ length: NODES }, (_, node) => payloadOf(node));
    const perBatch = Math.floor(1_000 / (NODES + 1));
    const steps = RUNS * NODES;
    type Round = { rawMs: number } & Partial<Record<Writer, { ms: number; batches: number; dropped: number }>>;
    const rounds: Round[] = [];
    const recordRound = async (writer: Writer, runs = RUNS) => {
      const recorder = await recorderFor(stores.get(writer) as ExecutionStore, writer);
      const started = performance.now();
      for (let i = 0; i < runs; i++) {
        const run = recorder.startExecution({ workflowId: `wf-${i % 5}`, workflowName: `Workflow ${i % 5}`, triggerType: 'webhook', triggerData: { i } });
        for (let node = 0; node < NODES; node++) run.startStep({ nodeId: `node-${node}`, nodeType: 'noop', input: inputs[node] }).succeed({ ok: node });
        run.succeed();
        if (i % 50 === 49) await turn();
      }
      await recorder.flush();
      const ms = performance.now() - started;
      const stats = recorder.stats();
      await recorder.close();
      return { ms, batches: stats.written.batches, dropped: stats.dropped.total };
    };
    const rawRound = async () => {
      // The same runs, finished, in transactions of 1,000 items (the recorder's batch).
      const runs = Array.from({ length: RUNS }, (_, i) => {
        const startedAt = Date.now();
        return {
          execution: { workflowId: `wf-${i % 5}`, workflowName: `Workflow ${i % 5}`, triggerType: 'webhook' as const, triggerData: { i }, status: 'success' as const, startedAt, completedAt: startedAt + 1 },
          steps: Array.from({ length: NODES }, (_, node) => ({ nodeId: `node-${node}`, nodeType: 'noop', stepIndex: node, startedAt, completedAt: startedAt, status: 'success' as const, inputData: inputs[node], outputData: { ok: node } })),
        };
      });
      const rawStarted = performance.now();
      for (let at = 0; at < runs.length; at += perBatch) await side.raw.writeRuns(runs.slice(at, at + perBatch));
      return performance.now() - rawStarted;
    };
    // Each store's connection warmed first, untimed: a worker's thread is a fresh isolate, whose first batches run
    // before its JIT has compiled them (about half the rate, measured), and inline's code was warmed by (a).
    for (const writer of writers) await recordRound(writer, 500);
    const sides = ['raw', ...writers] as const;
    for (let round = 0; round < ROUNDS; round++) {
      const result: Round = { rawMs: 0 };
      for (let k = 0; k < sides.length; k++) {
        const which = sides[(round + k) % sides.length] as (typeof sides)[number];
        if (which === 'raw') result.rawMs = await rawRound();
        else result[which] = await recordRound(which);
      }
      rounds.push(result);
    }
    for (const store of stores.values()) await store.close();
    for (const writer of writers) {
      const ratioOf = (round: Round) => round.rawMs / (round[writer] as { ms: number }).ms;
      const byRatio = [...rounds].sort((a, b) => ratioOf(a) - ratioOf(b));
      const median = byRatio[Math.floor(ROUNDS / 2)] as Round;
      const { ms, batches, dropped } = median[writer] as { ms: number; batches: number; dropped: number };
      const ratio = ratioOf(median);
      const againstInline = writer === 'inline' || !writers.includes('inline') ? '' : `; against inline in the same rounds ${rounds.map((round) => ((round.inline as { ms: number }).ms / (round[writer] as { ms: number }).ms).toFixed(2)).join(', ')}`;
      rows.push({
        part: PART, name: named('steps per second the recorder writes (higher is better)', writer), store: (steps / ms) * 1000, raw: (steps / median.rawMs) * 1000, ratio,
        target: 0.8, higherIsBetter: true, pass: ratio >= 0.8,
        note: `${RUNS} runs of ${NODES} steps recorded as fast as the loop goes, until flush() (${batches} batches, ${dropped} dropped); raw: the same rows in transactions of ${perBatch} runs, no rollups; the median of ${ROUNDS} alternating rounds (ratios ${rounds.map((round) => ratioOf(round).toFixed(2)).join(', ')})${againstInline}`,
      });
      log(`  (b) ${writer}: ${((steps / ms) * 1000).toFixed(0)} steps/s against raw ${((steps / median.rawMs) * 1000).toFixed(0)} (rounds ${rounds.map((round) => ratioOf(round).toFixed(2)).join(', ')})${againstInline}`);
    }
  }

  // (c) memory while the database refuses writes.
  {
    const store = await side.openStore();
    const drops = new Map<string, number>();
    const recorder = createRecorder(store, { buffer: { maxBytes: RECORDER_BOUND_BYTES }, onDrop: (drop) => drops.set(`${drop.reason}/${drop.part}`, (drops.get(`${drop.reason}/${drop.part}`) ?? 0) + 1) });
    // Warm: the recorder's and the store's code loaded, a batch written.
    recorder.startExecution({ workflowId: 'wf-0', workflowName: 'Workflow 0', triggerType: 'webhook' }).succeed();
    await recorder.flush();
    globalThis.gc?.();
    const baseline = process.memoryUsage().rss;
    const release = await side.holdWrites();
    const started = performance.now();
    let peak = baseline;
    let runsRecorded = 0;
    while (performance.now() - started < side.unavailableMs) {
      for (let k = 0; k < 20; k++, runsRecorded++) {
        const run = recorder.startExecution({ workflowId: `wf-${runsRecorded % 5}`, workflowName: 'W', triggerType: 'webhook' });
        for (let node = 0; node < NODES; node++) run.startStep({ nodeId: `node-${node}`, nodeType: 'noop', input: payloadOf(node) }).succeed(payloadOf(node + 1));
        run.succeed();
      }
      peak = Math.max(peak, process.memoryUsage().rss);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const duringStats = recorder.stats();
    await release();
    await recorder.flush();
    const after = recorder.stats();
    await recorder.close();
    await store.close();
    const grownMiB = (peak - baseline) / 1024 / 1024;
    const boundMiB = RECORDER_BOUND_BYTES / 1024 / 1024;
    rows.push({
      part: PART, name: `peak RSS growth while the database refused writes for ${side.unavailableMs / 1000} s, MiB (raw column: the buffer's bound)`,
      store: grownMiB, raw: boundMiB, ratio: grownMiB / boundMiB, target: Number.NaN, pass: duringStats.bufferBytes <= RECORDER_BOUND_BYTES,
      note: `${runsRecorded} runs of ${NODES} steps recorded meanwhile; the buffer held ${(duringStats.bufferBytes / 1024 / 1024).toFixed(1)} MiB / ${duringStats.queued} items at the end; dropped ${[...drops].map(([key, n]) => `${key} ${n}`).join(', ') || 'nothing'}; after the database came back: ${after.written.executions} executions and ${after.written.steps} steps written, ${after.writeErrors} failed tries`,
    });
    lines.push(`13 recorder (c): RSS ${(baseline / 1024 / 1024).toFixed(0)} → peak ${(peak / 1024 / 1024).toFixed(0)} MiB with a ${boundMiB} MiB bound; the difference over the bound is the objects around the payload texts, the heap's slack and garbage not yet collected.`);
    log(`  (c) +${grownMiB.toFixed(0)} MiB with a ${boundMiB} MiB bound`);
  }
  return { rows, lines };
}
