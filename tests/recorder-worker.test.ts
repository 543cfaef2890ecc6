// The recorder writing a SQLite file from a worker thread (src/sqlite/batch-worker.ts): everything the recorder
// promises holds as it does inline (same rows, redacted alike, rollups exact, one instance row, retries on a locked
// file, VALIDATION isolation, close and flush), the event loop stays free while a batch is written, and the two
// batches it keeps in flight never commit out of order: a batch sent after a failed one is refused, unwritten, until
// the writer has handled the failure. Real files throughout; the child processes run the built package.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BatchRefused } from '../src/core/batch-channel.js';
import { EncodedPayload } from '../src/core/payload.js';
import {
  createRecorder,
  ExecutionStore,
  type ExecutionStoreOptions,
  newExecutionId,
  newStepId,
  openExecutionStore,
  type Recorder,
  type RecorderOptions,
  type RecorderStats,
  REDACTED,
} from '../src/index.js';
import { BATCH_CHANNEL } from '../src/store.js';
import { memoryStore, tempDir, track } from './factories.js';
import { postgresBackend } from './backends.js';
import { recountedRollups, storedRollups } from './rollup-recount.js';

const NO_DROPS: RecorderStats['dropped'] = {
  'buffer-full': 0, 'storage-full': 0, invalid: 0, 'execution-missing': 0, 'write-failed': 0, closed: 0, misuse: 0, total: 0,
};
const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

async function fileStore(options?: ExecutionStoreOptions): Promise<{ file: string; store: ExecutionStore }> {
  const file = join(tempDir(), 'history.db');
  return { file, store: track(await openExecutionStore(file, options)) };
}

/**
 * A recorder on a store, once it writes where it was asked to: a worker's recorder writes inline until its thread has
 * opened the file, and a fallback would make every test here pass inline.
 */
async function recorderOn(store: ExecutionStore, writer: 'worker' | 'inline', options: RecorderOptions = {}): Promise<Recorder> {
  const recorder = createRecorder(store, { ...options, writer });
  await until(`the recorder to write from ${writer}`, 20_000, () => recorder.writesFrom === writer);
  return recorder;
}

/** Polls until `done()`, failing after `ms`. */
async function until(what: string, ms: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`waiting for ${what}: not within ${ms} ms`);
    await sleep(10);
  }
}

/** The longest the event loop went without a tick of a 1 ms timer while `work` ran, in ms. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 1);
  try {
    const result = await work();
    stallMs = Math.max(stallMs, performance.now() - last);
    return { result, stallMs };
  } finally {
    clearInterval(timer);
  }
}

/** Every stored execution with its steps, ids and instance left out, in start order: what two files can share. */
function storedHistory(file: string) {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    type Row = Record<string, unknown>;
    const executions = db.prepare('SELECT * FROM workflow_executions ORDER BY started_at, workflow_id').all() as Row[];
    const steps = db.prepare('SELECT * FROM execution_steps ORDER BY started_at, step_index').all() as Row[];
    const startOf = new Map(executions.map((row) => [row.id, row.started_at]));
    return {
      executions: executions.map(({ id: _id, instance_id: _instance, ...row }): Row => row),
      steps: steps.map(({ id: _id, execution_id: executionId, ...row }): Row => ({ ...row, executionStartedAt: startOf.get(executionId) })),
    };
  } finally {
    db.close();
  }
}

/** An error whose stack names no line of this file: the two files compared hold it alike. */
const failure = (message: string) => Object.assign(new Error(message), { stack: `Error: ${message}\n    at the workflow (https://api.test/?apiKey=k-1)` });

/** Runs of every kind, with times given (so that two files can hold the same): stored, failed, counted only, open. */
function recordScenario(recorder: Recorder, runs: number): string {
  let open = '';
  for (let n = 0; n < runs; n++) {
    const startedAt = T0 + n * 1_000;
    const kind = n % 5;
    const run = recorder.startExecution({
      workflowId: kind === 4 ? 'wf-sampled' : `wf-${kind}`, workflowName: `Workflow ${kind}`, triggerType: 'webhook', startedAt,
      // A secret key and a bearer token in plain data: redacting them is the writer's (the worker's) to do.
      triggerData: { n, password: 'hunter2', headers: { authorization: 'Bearer abc.def.ghi' }, customerRef: `C-${n}` },
    });
    for (let stepIndex = 0; stepIndex < 4; stepIndex++) {
      const step = run.startStep({ nodeId: `node-${stepIndex}`, nodeType: 'code', input: { stepIndex, apiKey: 'k-1', note: 'x'.repeat(n % 3 === 0 ? 400 : 10) }, startedAt: startedAt + stepIndex * 10 });
      if (stepIndex === 3 && kind === 1) step.fail(failure(`HTTP 502 for https://api.test/?token=${n}`), { completedAt: startedAt + stepIndex * 10 + 5 });
      else if (stepIndex === 2 && kind === 2) step.skip('nothing to do', { completedAt: startedAt + stepIndex * 10 + 1 });
      else step.succeed({ ok: true, secret: 's' }, { completedAt: startedAt + stepIndex * 10 + 7 });
    }
    if (n === runs - 1) {
      open = run.id; // still going when the test ends: running in the database, never marked interrupted
      continue;
    }
    if (kind === 1) run.fail(failure('step 3 failed'), { completedAt: startedAt + 50 });
    else run.succeed({ completedAt: startedAt + 60 });
  }
  return open;
}

describe('the recorder writing from a worker thread (SQLite files)', () => {
  it('writes what the inline writer writes: the same rows, redacted and cut alike, rollups exact, one instance row', async () => {
    // The store's own redact keys and payload cap: the worker's encoder must be made from them, not the defaults.
    const options: ExecutionStoreOptions = { redactKeys: ['password', 'authorization', 'apiKey', 'secret', 'token', 'customerRef'], maxPayloadBytes: 300 };
    const policy: RecorderOptions['policy'] = { workflows: { 'wf-sampled': { success: 'none' } } };
    const files: Record<string, string> = {};
    for (const writer of ['inline', 'worker'] as const) {
      const { file, store } = await fileStore(options);
      const recorder = await recorderOn(store, writer, { policy, flush: { maxItems: 40 } });
      // The last run (wf-0, stored as it goes) is left open.
      const open = recordScenario(recorder, 61);
      await recorder.flush();
      expect(recorder.stats()).toMatchObject({ queued: 0, dropped: NO_DROPS, writeErrors: 0 });
      expect(await store.getInstances()).toEqual([
        expect.objectContaining({ id: store.instanceId, current: true, state: 'alive', runningExecutions: 1 }),
      ]);
      expect((await store.getExecution(open))?.status).toBe('running');
      files[writer] = file;
      await recorder.close();
    }
    const inline = storedHistory(files.inline as string);
    const worker = storedHistory(files.worker as string);
    expect(worker).toEqual(inline);
    // And what both hold is redacted and cut, as the store's options say.
    const trigger = JSON.parse(String(inline.executions[0]?.trigger_data));
    expect(trigger).toEqual({ n: 0, password: REDACTED, headers: { authorization: REDACTED }, customerRef: REDACTED });
    expect(inline.steps.some((step) => String(step.input_data).includes('"__truncated":true'))).toBe(true);
    expect(inline.executions.filter((row) => row.workflow_id === 'wf-sampled')).toEqual([]);
    // The insights count the runs not stored too (so they are not a recount of the rows): the same in both files.
    expect(storedRollups(files.worker as string)).toEqual(storedRollups(files.inline as string));
  });

  it('keeps the event loop free while a batch that holds it for over 100 ms inline is written', { timeout: 60_000 }, async () => {
    const stalls: Record<string, number> = {};
    for (const writer of ['inline', 'worker'] as const) {
      const { store } = await fileStore();
      const recorder = await recorderOn(store, writer, { flush: { intervalMs: 60_000 } });
      // Warm: the worker started and both connections' statements prepared before anything is timed.
      recorder.startExecution({ workflowId: 'wf-warm', workflowName: 'Warm-up', triggerType: 'manual' }).succeed();
      await recorder.flush();
      // One batch of 1,000 items with 8 KB payloads, written by flush().
      const note = 'n'.repeat(8_000);
      for (let n = 0; n < 100; n++) {
        const run = recorder.startExecution({ workflowId: 'wf-big', workflowName: 'Big', triggerType: 'webhook' });
        for (let stepIndex = 0; stepIndex < 8; stepIndex++) run.startStep({ nodeId: `node-${stepIndex}`, nodeType: 'code', input: { note, n } }).succeed({ note });
        run.succeed();
      }
      const { stallMs } = await longestStall(() => recorder.flush());
      expect(recorder.stats()).toMatchObject({ queued: 0, dropped: NO_DROPS, written: { executions: 101, steps: 800 } });
      stalls[writer] = stallMs;
      await recorder.close();
    }
    // The premise: inline, the batch's transaction holds the loop for over 100 ms. Through the worker the loop holds
    // only for building and sending the batch (its structured clone).
    expect(stalls.inline, JSON.stringify(stalls)).toBeGreaterThan(100);
    expect(stalls.worker, JSON.stringify(stalls)).toBeLessThan((stalls.inline as number) * 0.4);
  });

  it('waits out a file locked by another connection with retries, the loop free, and then writes every run once', { timeout: 30_000 }, async () => {
    const { file, store } = await fileStore({ busyTimeoutMs: 100 });
    const recorder = await recorderOn(store, 'worker', { flush: { intervalMs: 20, maxItems: 50 } });
    const locker = new BetterSqlite3(file);
    locker.exec('BEGIN IMMEDIATE');
    const runs: string[] = [];
    const { stallMs } = await longestStall(async () => {
      for (let n = 0; n < 60; n++) {
        const run = recorder.startExecution({ workflowId: 'wf-locked', workflowName: 'Locked', triggerType: 'webhook' });
        for (let stepIndex = 0; stepIndex < 3; stepIndex++) run.startStep({ nodeId: `node-${stepIndex}`, nodeType: 'code', input: { n } }).succeed();
        run.succeed();
        runs.push(run.id);
        await sleep(5);
      }
      await sleep(300);
    });
    const whileLocked = recorder.stats();
    locker.exec('COMMIT');
    locker.close();
    await recorder.flush();

    // Each try waited 100 ms for the lock on the worker's thread, not on the loop.
    expect(stallMs).toBeLessThan(60);
    expect(whileLocked.writeErrors).toBeGreaterThan(0);
    expect(whileLocked.lastError).toMatch(/SQLITE_BUSY/);
    expect(whileLocked.written.executions).toBe(0);
    expect(recorder.stats()).toMatchObject({ queued: 0, bufferBytes: 0, dropped: NO_DROPS, written: { executions: 60, steps: 180 } });
    const stored = await store.queryExecutions({ limit: 100 });
    expect(stored.map((row) => row.id).sort()).toEqual([...runs].sort());
    expect(stored.every((row) => row.status === 'success')).toBe(true);
    expect(storedRollups(file)).toEqual(recountedRollups(file));
    await recorder.close();
  });

  it('drops only the item the store refuses, with batches in flight behind it: no later step is lost as execution-missing', async () => {
    const { file, store } = await fileStore();
    const drops: string[] = [];
    const recorder = await recorderOn(store, 'worker', { flush: { intervalMs: 60_000, maxItems: 25 }, onDrop: (drop) => drops.push(`${drop.part} ${drop.reason}`) });
    const runs: string[] = [];
    // 40 runs of 5 steps: 280 items, 12 batches, each run's start in one batch and its steps and end in the next ones.
    for (let n = 0; n < 40; n++) {
      const run = recorder.startExecution({ workflowId: 'wf-refused', workflowName: 'Refused item', triggerType: 'webhook' });
      for (let stepIndex = 0; stepIndex < 5; stepIndex++) {
        // In the second batch: the store refuses an empty nodeId (validation, on the store's thread).
        run.startStep({ nodeId: n === 4 && stepIndex === 1 ? '' : `node-${stepIndex}`, nodeType: 'code', input: { n } }).succeed();
      }
      run.succeed();
      runs.push(run.id);
    }
    await recorder.flush();
    expect(drops).toEqual(['step invalid']);
    expect(recorder.stats()).toMatchObject({ queued: 0, dropped: { ...NO_DROPS, invalid: 1, total: 1 }, written: { executions: 40, steps: 199 }, writeErrors: 1 });
    const stored = await store.queryExecutions({ limit: 100 });
    expect(stored.length).toBe(40);
    for (const id of runs) expect((await store.getStepsForExecution(id)).length).toBe(id === runs[4] ? 4 : 5);
    expect(storedRollups(file)).toEqual(recountedRollups(file));
    await recorder.close();
  });

  it('close({ timeoutMs }) while the file stays locked returns in about timeoutMs and drops what is left as closed', { timeout: 30_000 }, async () => {
    const { file, store } = await fileStore({ busyTimeoutMs: 100 });
    const recorder = await recorderOn(store, 'worker', { flush: { intervalMs: 20 } });
    const locker = new BetterSqlite3(file);
    locker.exec('BEGIN IMMEDIATE');
    for (let n = 0; n < 50; n++) {
      const run = recorder.startExecution({ workflowId: 'wf-close', workflowName: 'Closed while locked', triggerType: 'schedule' });
      run.startStep({ nodeId: 'node-0', nodeType: 'code' }).succeed();
      run.succeed();
    }
    await sleep(400);
    expect(recorder.stats().writeErrors).toBeGreaterThan(0);
    const started = performance.now();
    await recorder.close({ timeoutMs: 300 });
    const tookMs = performance.now() - started;
    locker.exec('COMMIT');
    locker.close();
    expect(tookMs).toBeGreaterThanOrEqual(280);
    expect(tookMs).toBeLessThan(300 + 100 + 400);
    expect(recorder.stats()).toMatchObject({ queued: 0, bufferBytes: 0, written: { executions: 0 }, dropped: { closed: 150, total: 150 } });
    await sleep(200);
    expect(await store.getExecutionStats()).toMatchObject({ total: 0 });
  });

  it('a worker killed mid-batch is restarted: nothing half-written, every run written once; killed again, the recorder writes inline', { timeout: 60_000 }, async () => {
    const { file, store } = await fileStore();
    const errors: string[] = [];
    const recorder = await recorderOn(store, 'worker', { flush: { intervalMs: 60_000, maxItems: 5_000 }, onError: (error) => errors.push(error.message) });
    const note = 'n'.repeat(4_000);
    const record = (runs: number) => {
      for (let n = 0; n < runs; n++) {
        const run = recorder.startExecution({ workflowId: 'wf-killed', workflowName: 'Killed', triggerType: 'webhook' });
        for (let stepIndex = 0; stepIndex < 9; stepIndex++) run.startStep({ nodeId: `node-${stepIndex}`, nodeType: 'code', input: { note } }).succeed();
        run.succeed();
      }
    };
    record(1);
    await recorder.flush();
    const stopped = /^writeBatch: the batch worker stopped \(it exited with code 1\); nothing of the batch was written$/;
    for (const kill of [1, 2]) {
      record(400); // one batch of 4,400 items: a transaction of a few hundred ms
      const flushed = recorder.flush(); // the batch is sent before this returns
      await sleep(30);
      const before = await store.getExecutionStats();
      await batchWorkerThreadOf(store).terminate();
      // Whole or nothing: the killed transaction left no row behind.
      expect(await store.getExecutionStats()).toEqual(before);
      await flushed;
      expect(errors.filter((message) => stopped.test(message)).length, errors.join('\n')).toBe(kill);
      expect(recorder.stats()).toMatchObject({ queued: 0, dropped: NO_DROPS, written: { executions: 1 + 400 * kill, steps: 9 * (1 + 400 * kill) }, writeErrors: kill });
      // Started again once: the recorder goes back to it once it has opened the file. Not after a second death.
      if (kill === 1) await until('the restarted worker', 20_000, () => recorder.writesFrom === 'worker');
      else expect(recorder.writesFrom).toBe('inline');
    }
    expect(errors.at(-1)).toMatch(/batch worker is gone/);
    expect(await store.getExecutionStats()).toMatchObject({ total: 801, success: 801 });
    expect(storedRollups(file)).toEqual(recountedRollups(file));
    await recorder.close();
  });

  it("writes inline where a worker cannot write (in memory, a caller's connection, PostgreSQL) or is not asked to; from the worker by default", async () => {
    const memory = createRecorder(await memoryStore(), { writer: 'worker' });
    expect(memory.writesFrom).toBe('inline');
    const connection = new BetterSqlite3(join(tempDir(), 'own.db'));
    const own = track(new ExecutionStore(connection));
    const onCallersConnection = createRecorder(own, { writer: 'worker' });
    expect(onCallersConnection.writesFrom).toBe('inline');
    onCallersConnection.startExecution({ workflowId: 'wf-own', workflowName: 'Own connection', triggerType: 'manual' }).succeed();
    await onCallersConnection.flush();
    expect(await own.getExecutionStats()).toMatchObject({ total: 1 });
    const { store } = await fileStore();
    expect(createRecorder(store, { writer: 'inline' }).writesFrom).toBe('inline');
    // And a file's recorder writes from the worker by default, once its thread has opened the file.
    const byDefault = createRecorder(store);
    await until('the default writer', 20_000, () => byDefault.writesFrom === 'worker');
    if (postgresBackend.skipReason === undefined) expect(createRecorder(await postgresBackend.open(), { writer: 'worker' }).writesFrom).toBe('inline');
  });
});

describe('the batch channel: two batches in flight, never committed past a failure', () => {
  it('refuses the batch sent after one that failed, in the worker or in validation, until resume(); sends payloads as captured', async () => {
    const { store } = await fileStore();
    const channel = store[BATCH_CHANNEL]();
    if (channel === undefined) throw new Error('a store on a file it opened has a batch channel');
    const started = newExecutionId(T0);
    const execution = { id: started, workflowId: 'wf-a', workflowName: 'A', triggerType: 'manual' as const, status: 'running' as const, startedAt: T0 };
    await channel.send({ executions: [execution] });
    // Valid input whose write fails in the worker: an end before the stored start (the duration CHECK).
    const failing = channel.send({ updates: [{ id: started, changes: { status: 'success', completedAt: T0 - 1 } }] });
    const next = newExecutionId(T0 + 1);
    const finished = { ...execution, id: next, status: 'success' as const, startedAt: T0 + 1, completedAt: T0 + 2 };
    const behind = channel.send({ executions: [finished] });
    await expect(failing).rejects.toMatchObject({ name: 'ExecutionStoreError', code: 'VALIDATION' });
    await expect(behind).rejects.toBeInstanceOf(BatchRefused);
    expect(await store.getExecution(next)).toBeNull();
    // Refused on this thread too while the failure is not handled; written once it is.
    await expect(channel.send({ executions: [] })).rejects.toBeInstanceOf(BatchRefused);
    channel.resume();
    await expect(channel.send({ executions: [finished] })).resolves.toMatchObject({ executions: 1 });

    // Refused by validation on the store's thread: the batch after it is refused as well.
    const third = { ...execution, id: newExecutionId(T0 + 3), startedAt: T0 + 3 };
    const invalid = channel.send({ executions: [{ ...third, workflowId: '' }] });
    const afterInvalid = channel.send({ executions: [third] });
    await expect(invalid).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('executions[0].workflowId') });
    await expect(afterInvalid).rejects.toBeInstanceOf(BatchRefused);
    expect(await store.getExecution(third.id)).toBeNull();
    channel.resume();

    // Captured payloads cross as text: one redacted already is written as it is, one left to the writer is redacted.
    const step = {
      id: newStepId(third.id), executionId: third.id, nodeId: 'n', nodeType: 'code', stepIndex: 0, startedAt: T0 + 3, status: 'success' as const, completedAt: T0 + 3,
      inputData: new EncodedPayload('{"password":"kept as captured"}', true) as never,
      outputData: new EncodedPayload('{"password":"hunter2"}', false) as never,
    };
    const batch = { executions: [third], steps: [step] };
    await channel.send(batch);
    // Sent again: what the channel sent was the validation's copies, never the batch's own rows.
    expect(batch.steps[0]?.inputData).toBeInstanceOf(EncodedPayload);
    await expect(channel.send(batch)).resolves.toMatchObject({ executions: 0, steps: 0 });
    expect((await store.getStepsForExecution(third.id)).map(({ inputData, outputData }) => ({ inputData, outputData }))).toEqual([
      { inputData: { password: 'kept as captured' }, outputData: { password: REDACTED } },
    ]);
  });
});

describe('from the built package', () => {
  it('a process recording through its worker, killed with SIGKILL at random moments, leaves whole batches only', { timeout: 60_000 }, async () => {
    const STEPS = 6;
    const file = join(tempDir(), 'history.db');
    await (await openExecutionStore(file)).close(); // created and migrated before the writers open it
    for (let kill = 1; kill <= 2; kill++) {
      const writer = spawn(process.execPath, [fixture('recorder-worker-kill.mjs'), file, String(STEPS)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      writer.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      writer.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise((resolve) => writer.once('exit', resolve));
      const committed = () => stdout.match(/^C \d+$/gm)?.length ?? 0;
      await until(`writer ${kill}: batches committed through its worker`, 30_000, () => stdout.startsWith('ready\n') && committed() >= 5);
      // While batches are being written: the worker takes one every 50 ms or sooner.
      await sleep(Math.random() * 300);
      writer.kill('SIGKILL');
      await exited;
      expect(stderr).toBe('');
      // Whole batches: a finished run has all its steps, the insights are those of the rows stored.
      const db = new BetterSqlite3(file, { readonly: true });
      const runs = db.prepare('SELECT e.status, count(s.id) AS steps FROM workflow_executions e LEFT JOIN execution_steps s ON s.execution_id = e.id GROUP BY e.id').all() as { status: string; steps: number }[];
      db.close();
      expect(runs.length).toBeGreaterThan(0);
      expect(runs.filter((run) => run.status === 'success' && run.steps !== STEPS)).toEqual([]);
      expect(storedRollups(file)).toEqual(recountedRollups(file));
    }
  });

  const script = fixture('recorder-worker-exit.mjs');
  const run = (args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 30_000 });

  it.each([
    ['ES module', join(root, 'dist/index.js')],
    ['CommonJS', join(root, 'dist/index.cjs')],
  ])('%s: records through the worker and ends by itself, without close()', (_format, entry) => {
    const child = run([entry, join(tempDir(), 'history.db'), 'worker']);
    expect({ status: child.status, stderr: child.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(child.stdout)).toEqual({ writesFrom: 'worker', stored: 50, steps: 250 });
  });

  it("a consumer's copy of the package without the worker's file writes inline", () => {
    // dist/ copied beside the package's drizzle/ and node_modules, without batch-worker.js.
    const copy = tempDir();
    cpSync(join(root, 'dist'), join(copy, 'dist'), { recursive: true, filter: (source) => !source.includes('batch-worker') });
    symlinkSync(join(root, 'drizzle'), join(copy, 'drizzle'));
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    const child = run([join(copy, 'dist/index.js'), join(tempDir(), 'history.db'), 'inline']);
    expect({ status: child.status, stderr: child.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(child.stdout)).toEqual({ writesFrom: 'inline', stored: 50, steps: 250 });
  });

  it("the command's bundle has a worker of its own beside its chunks, which writes a batch", () => {
    const child = run([join(root, 'dist/index.js'), join(tempDir(), 'history.db'), 'thread', join(root, 'dist/cli/batch-worker.js')]);
    expect({ status: child.status, stderr: child.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(child.stdout)).toEqual({ answers: ['ready', 'written'], stored: 'wf-cli' });
  });
});

/** The store's batch worker thread: reached through the store's internals, only to kill it. */
function batchWorkerThreadOf(store: ExecutionStore): Worker {
  const thread = (store as unknown as { backend: { batchWorker?: { thread?: Worker } } }).backend.batchWorker?.thread;
  if (thread === undefined) throw new Error('the store has no batch worker thread running');
  return thread;
}
