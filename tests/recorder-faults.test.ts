// The recorder (src/recorder/) under faults: a SQLite file locked by another process for longer than the store's
// busy timeout, a PostgreSQL server stopped and started again, a recording process killed with SIGKILL, and close()
// while nothing can be written. What the recorder promises through all of them: its calls never throw nor wait on the
// database, what it could not write yet waits in its buffer and is written once the database is back (once: batches
// keep their ids when tried again), a crash loses at most the last flush interval of finished steps and never half a
// batch, and close() gives up after its timeout, counting what it let go as dropped ('closed').
// Processes load the built package (dist/), as in tests/crash.test.ts and tests/owned-runs.test.ts.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { INTERRUPTED_EXECUTION_MESSAGE } from '../src/core/interrupted.js';
import { createRecorder, type ExecutionStore, openExecutionStore, type Recorder, type RecorderStats } from '../src/index.js';
import { forEachBackend } from './backends.js';
import { tempDir, track } from './factories.js';
import { findPostgresBinaries } from './postgres/binaries.js';
import { databaseUrl } from './postgres/database-url.js';
import { runAsServerUser } from './postgres/server-user.js';
import { postgresSkipReason } from './postgres/test-database.js';
import { startThrowawayPostgres } from './postgres/throwaway-server.js';
import { queryRows, recountedRollupsOf, reopenableTarget, storedRollupsOf } from './rollup-rows.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const LOCKER = fixture('recorder-locker.mjs');
const KILL_WRITER = fixture('recorder-kill-writer.mjs');
const STEP_DURABILITY = fixture('recorder-step-durability.mjs');
const binaries = findPostgresBinaries();

/**
 * A recorder call takes "a few ms" at most: the 99th percentile is held to that. The slowest single call is held only
 * to SLOWEST_CALL_MS: on the loaded 2-core machine a call is now and then preempted, or meets a GC pause or the JIT's
 * first compile, for 20-40 ms (seen here with the database idle as much as down).
 */
const CALL_MS = 5;
const SLOWEST_CALL_MS = 100;
/** Steps per recorded run, in every test. */
const STEPS = 3;

// ----- child processes -----

interface Child {
  process: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<unknown>;
}

const children = new Set<Child>();

afterEach(async () => {
  for (const child of [...children]) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await child.exited;
    children.delete(child);
  }
});

function spawnChild(file: string, args: string[]): Child {
  const child = spawn(process.execPath, [file, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const spawned: Child = { process: child, stdout: () => stdout, stderr: () => stderr, exited: new Promise((resolve) => child.once('exit', resolve)) };
  children.add(spawned);
  return spawned;
}

/** Waits until `done()`, failing after `ms` or as soon as the child has exited (with what it wrote to stderr). */
async function until(what: string, child: Child, ms: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    const { exitCode, signalCode } = child.process;
    if (exitCode !== null || signalCode !== null) throw new Error(`waiting for ${what}: the process ended (${exitCode ?? signalCode}); its stderr:\n${child.stderr()}`);
    if (Date.now() > deadline) throw new Error(`waiting for ${what}: not within ${ms} ms; stderr:\n${child.stderr()}`);
    await sleep(5);
  }
}

/** Polls until `done()`, failing after `ms`. */
async function waitFor(what: string, ms: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`waiting for ${what}: not within ${ms} ms`);
    await sleep(10);
  }
}

/** A process holding the file's write lock until release() or for `holdMs`; `released` resolves when it let go. */
async function lockFile(file: string, holdMs = 30_000): Promise<{ release: () => Promise<void>; released: Promise<void> }> {
  const locker = spawnChild(LOCKER, [file, String(holdMs)]);
  await until('the lock', locker, 20_000, () => locker.stdout().includes('locked\n'));
  const released = locker.exited.then(() => {
    expect(locker.stdout()).toBe('locked\nreleased\n');
  });
  return {
    released,
    release: async () => {
      locker.process.stdin.write('release\n');
      await released;
    },
  };
}

// ----- recording as a runtime does, each call timed -----

interface Load {
  /** Ids of the runs recorded, whole (started, STEPS steps, succeeded). */
  runs: string[];
  /** How long each call took, in ms. */
  callMs: number[];
  /** What recorder calls threw (they must not). */
  thrown: unknown[];
  /** The longest the event loop went without a tick, in ms: a write that holds the thread shows here. */
  longestStallMs: number;
}

/**
 * Records a run of STEPS steps every `everyMs` (from a timer, as work arriving) until stop() is called. Every call is
 * timed on its own, and the timer's lateness is the event loop's: a call can be fast while the thread is held elsewhere.
 */
function recordContinuously(recorder: Recorder, everyMs = 5): { load: Load; stop: () => Load } {
  const load: Load = { runs: [], callMs: [], thrown: [], longestStallMs: 0 };
  const timed = <T>(call: () => T): T => {
    const start = performance.now();
    try {
      return call();
    } finally {
      load.callMs.push(performance.now() - start);
    }
  };
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    load.longestStallMs = Math.max(load.longestStallMs, now - last);
    last = now;
    try {
      const run = timed(() => recorder.startExecution({ workflowId: 'wf-faults', workflowName: 'Recorded under faults', triggerType: 'webhook', triggerData: { n: load.runs.length } }));
      for (let stepIndex = 0; stepIndex < STEPS; stepIndex++) {
        const step = timed(() => run.startStep({ nodeId: `node-${stepIndex}`, nodeType: 'code', input: { stepIndex } }));
        timed(() => step.succeed({ ok: true }));
      }
      timed(() => run.succeed());
      load.runs.push(run.id);
    } catch (error) {
      load.thrown.push(error);
    }
  }, everyMs);
  return {
    load,
    stop: () => {
      clearInterval(timer);
      return load;
    },
  };
}

/** Calls are fast: the 99th percentile within CALL_MS, the slowest within SLOWEST_CALL_MS. */
function expectFastCalls(load: Load): void {
  const sorted = [...load.callMs].sort((a, b) => a - b);
  const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
  expect({ p99: p99 < CALL_MS, slowest: (sorted.at(-1) ?? 0) < SLOWEST_CALL_MS }, `p99 ${p99.toFixed(2)} ms, slowest ${sorted.at(-1)?.toFixed(2)} ms of ${sorted.length} calls`).toEqual({ p99: true, slowest: true });
}

/** A promise that fails after `ms`: flush() waits through retries, so a test bounds it. */
function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Every execution of the database with its status and number of steps, by id. */
async function storedRuns(target: string, where = ''): Promise<Record<string, { status: string; steps: number }>> {
  const rows = await queryRows(
    target,
    `SELECT e.id, e.status, count(s.id) AS steps FROM workflow_executions e LEFT JOIN execution_steps s ON s.execution_id = e.id ${where} GROUP BY e.id, e.status`,
  );
  return Object.fromEntries(rows.map((row) => [String(row.id), { status: String(row.status), steps: Number(row.steps) }]));
}

const wholeRuns = (ids: string[]) => Object.fromEntries(ids.map((id) => [id, { status: 'success', steps: STEPS }]));

/** What stats() says once everything recorded is written and nothing was dropped. */
function allWritten(runs: number, writeErrors: RecorderStats['writeErrors'], lastError: string | null): Partial<RecorderStats> {
  return {
    queued: 0,
    bufferBytes: 0,
    dropped: { 'buffer-full': 0, 'storage-full': 0, invalid: 0, 'execution-missing': 0, 'write-failed': 0, closed: 0, misuse: 0, total: 0 },
    writeErrors,
    lastError,
    written: expect.objectContaining({ executions: runs, steps: runs * STEPS }) as never,
  };
}

// ---------------------------------------------------------------------------------------------------------------

describe('SQLite: the file locked by another process', () => {
  async function lockedFileStore(busyTimeoutMs?: number): Promise<{ file: string; store: ExecutionStore }> {
    const file = join(tempDir(), 'history.db');
    const store = track(await openExecutionStore(file, busyTimeoutMs === undefined ? {} : { busyTimeoutMs }));
    return { file, store };
  }

  it('for 3 s, far longer than the busy timeout: calls stay fast and never throw, writes fail and are retried, and afterwards every run is stored once, whole', { timeout: 30_000 }, async () => {
    // A short busy timeout is the window in which one write waits for the lock; the recorder's retries go past it.
    const BUSY_MS = 100;
    const { file, store } = await lockedFileStore(BUSY_MS);
    const recorder = createRecorder(store, { flush: { intervalMs: 50 } });

    const lock = await lockFile(file);
    const recording = recordContinuously(recorder);
    await sleep(1_500);
    const whileLocked = recorder.stats();
    await sleep(1_500);
    const beforeRelease = recorder.stats();
    await lock.release();
    await sleep(300); // recorded after the lock went, too
    const load = recording.stop();
    await within('flush after the lock went', 15_000, recorder.flush());

    expect(load.thrown).toEqual([]);
    expectFastCalls(load);
    // better-sqlite3 waits for a lock synchronously: the thread is held for a busy timeout at most per try.
    expect(load.longestStallMs).toBeLessThan(BUSY_MS + 250);
    expect(whileLocked.writeErrors).toBeGreaterThan(0);
    expect(whileLocked.written.executions).toBe(0);
    expect(beforeRelease.written.executions).toBe(0);
    expect(beforeRelease.queued).toBeGreaterThan(0);
    expect(load.runs.length).toBeGreaterThan(100);
    expect(await storedRuns(file)).toEqual(wholeRuns(load.runs));
    expect(recorder.stats()).toMatchObject(allWritten(load.runs.length, recorder.stats().writeErrors, expect.stringMatching(/./) as never));
    expect(await storedRollupsOf(file)).toEqual(await recountedRollupsOf(file));
    await recorder.close();
  });

  it("with the store's default busy timeout, a lock does not hold the runtime's event loop (the recorder never waits on the database)", { timeout: 30_000 }, async () => {
    // The default busy timeout (5 s) is longer than this 2 s lock: a write waits for it rather than failing. The
    // recorder's promise is that the workflow's path never waits on the database, so the wait must not be the thread's.
    const { file, store } = await lockedFileStore();
    const recorder = createRecorder(store, { flush: { intervalMs: 50 } });
    // Released by the locker's own timer: the test's thread may be the one held.
    const lock = await lockFile(file, 2_000);
    const recording = recordContinuously(recorder);
    await lock.released;
    await sleep(200);
    const load = recording.stop();
    await within('flush after the lock went', 15_000, recorder.flush());

    expect(load.thrown).toEqual([]);
    expectFastCalls(load);
    expect(await storedRuns(file)).toEqual(wholeRuns(load.runs));
    expect(load.longestStallMs).toBeLessThan(250);
    await recorder.close();
  });

  it('close() under load while the file stays locked resolves within about timeoutMs, and what it could not write is dropped as closed', { timeout: 30_000 }, async () => {
    const BUSY_MS = 100;
    const TIMEOUT_MS = 500;
    const { file, store } = await lockedFileStore(BUSY_MS);
    const drops: string[] = [];
    const recorder = createRecorder(store, { flush: { intervalMs: 50 }, onDrop: (drop) => drops.push(`${drop.part} ${drop.reason}`) });
    const lock = await lockFile(file);

    // Load: 300 whole runs at once, then a second of backoff, and a run still going when close() is called.
    const RUNS = 300;
    const runs: string[] = [];
    for (let n = 0; n < RUNS; n++) {
      const run = recorder.startExecution({ workflowId: 'wf-close', workflowName: 'Closed while locked', triggerType: 'schedule', triggerData: { n } });
      for (let stepIndex = 0; stepIndex < STEPS; stepIndex++) run.startStep({ nodeId: `node-${stepIndex}`, nodeType: 'code', input: { n } }).succeed({ n });
      run.succeed();
      runs.push(run.id);
    }
    const open = recorder.startExecution({ workflowId: 'wf-close', workflowName: 'Closed while locked', triggerType: 'schedule' });
    open.startStep({ nodeId: 'node-0', nodeType: 'code' }).succeed();
    await sleep(1_000);
    expect(recorder.stats().writeErrors).toBeGreaterThan(0);

    const start = performance.now();
    await recorder.close({ timeoutMs: TIMEOUT_MS });
    const tookMs = performance.now() - start;
    // Calls after close are dropped as closed, never thrown.
    expect(() => open.succeed()).not.toThrow();
    expect(() => recorder.startExecution({ workflowId: 'wf-close', workflowName: 'After close', triggerType: 'manual' }).succeed()).not.toThrow();
    await lock.release();

    // About timeoutMs: one try's busy wait and the timers' slack on a loaded machine past it at most.
    expect(tookMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(tookMs).toBeLessThan(TIMEOUT_MS + BUSY_MS + 400);
    // Nothing was written: every item (a start, STEPS steps and an end per run; the open run's start and step) was
    // dropped by close, and so were the two calls after it (the open run's end, the late run).
    const items = RUNS * (STEPS + 2) + 2;
    const stats = recorder.stats();
    expect(stats).toMatchObject({
      queued: 0,
      bufferBytes: 0,
      written: { batches: 0, executions: 0, steps: 0, updates: 0, counted: 0 },
      dropped: { 'buffer-full': 0, 'storage-full': 0, invalid: 0, 'execution-missing': 0, 'write-failed': 0, closed: items + 2, misuse: 0, total: items + 2 },
    });
    expect(drops.length).toBe(items + 2);
    expect(new Set(drops)).toEqual(new Set(['start closed', 'step closed', 'end closed', 'run closed']));
    // And nothing half: the file holds none of it, the writer having stopped.
    await sleep(200);
    expect(await storedRuns(file)).toEqual({});
  });

  it('close() called while a failing batch is being written returns once that write ends, without waiting out the backoff that follows', { timeout: 30_000 }, async () => {
    const BUSY_MS = 100;
    const TIMEOUT_MS = 100;
    // A try that takes this long to fail, as against a server that does not answer within its connect timeout: the
    // close's timeout ends while the try is under way (a failure within a few ms would leave the writer asleep by then).
    const SLOW_TRY_MS = 300;
    const { file, store } = await lockedFileStore(BUSY_MS);
    // Inline: the test sees each try through the store's writeBatch (a worker's batches do not go through it).
    const recorder = createRecorder(store, { flush: { intervalMs: 50 }, writer: 'inline' });
    const lock = await lockFile(file);
    for (let n = 0; n < 20; n++) {
      const run = recorder.startExecution({ workflowId: 'wf-close', workflowName: 'Closed mid-write', triggerType: 'schedule' });
      run.startStep({ nodeId: 'node-0', nodeType: 'code' }).succeed();
      run.succeed();
    }
    // Six failed tries: the writer's backoff is 1.6 s now, and 3.2 s after the next failure.
    await waitFor('6 failed writes', 15_000, () => recorder.stats().writeErrors >= 6);

    // The next try calls close() as it starts: the writer's own property in front of the store's method sees it.
    const write = store.writeBatch.bind(store);
    let closed: Promise<number> | undefined;
    store.writeBatch = async (batch) => {
      if (closed === undefined) {
        const start = performance.now();
        closed = recorder.close({ timeoutMs: TIMEOUT_MS }).then(() => performance.now() - start);
      }
      await sleep(SLOW_TRY_MS);
      return write(batch);
    };
    await waitFor('the next try', 10_000, () => closed !== undefined || recorder.stats().writeErrors > 7);
    expect(closed).toBeDefined();
    const tookMs = await (closed as Promise<number> | undefined);
    await lock.release();

    // The try under way may finish (what it commits is committed); the writer's next backoff (3.2 s) is not waited.
    expect(tookMs).toBeLessThan(SLOW_TRY_MS + BUSY_MS + 500);
    expect(recorder.stats()).toMatchObject({ queued: 0, bufferBytes: 0, dropped: { closed: 20 * 3, total: 20 * 3 } });
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe.skipIf(postgresSkipReason !== undefined || !binaries.found)('PostgreSQL: the server stopped and started again while runs are recorded', () => {
  it('writes what was recorded while it was down once it is back, once each; no call throws or waits', { timeout: 90_000 }, async () => {
    if (!binaries.found) return;
    const pgCtl = join(binaries.binDir, 'pg_ctl');
    // A server of this test's own: stopping the shared one would fail every other test running now.
    const server = await startThrowawayPostgres();
    try {
      const admin = await openExecutionStoreAdmin(server.url);
      const url = databaseUrl(server.url, 'recorder_restart');
      const store = await openExecutionStore(url, { postgres: { connectTimeoutMs: 1_000 } });
      try {
        const recorder = createRecorder(store, { flush: { intervalMs: 50 } });
        const recording = recordContinuously(recorder, 10);
        await sleep(1_000);
        await within('flush before the stop', 15_000, recorder.flush());
        const beforeStop = recorder.stats();
        expect(beforeStop.writeErrors).toBe(0);

        await runAsServerUser(pgCtl, ['stop', '-D', admin.dataDir, '-m', 'fast', '-w', '-t', '60']);
        await sleep(2_500);
        await waitFor('a failed write', 10_000, () => recorder.stats().writeErrors > 0);
        const whileDown = recorder.stats();
        await runAsServerUser(pgCtl, ['start', '-w', '-t', '60', '-D', admin.dataDir, '-l', join(admin.dataDir, '..', 'restart.log'), '-o', `-p ${admin.port}`]);
        await sleep(500); // recorded after the start, too
        const load = recording.stop();
        await within('flush after the start', 30_000, recorder.flush());

        expect(load.thrown).toEqual([]);
        expectFastCalls(load);
        expect(load.longestStallMs).toBeLessThan(250);
        expect(whileDown.writeErrors).toBeGreaterThan(0);
        expect(whileDown.queued).toBeGreaterThan(0);
        expect(load.runs.length).toBeGreaterThan(200);
        // Each run stored once, whole: no run missing, none extra, no step twice (a batch tried again keeps its ids).
        expect(await storedRuns(url)).toEqual(wholeRuns(load.runs));
        const counted = await queryRows(url, 'SELECT count(*)::int AS steps, count(DISTINCT (execution_id, step_index))::int AS distinct FROM execution_steps');
        expect(counted).toEqual([{ steps: load.runs.length * STEPS, distinct: load.runs.length * STEPS }]);
        // Nor counted twice in the insights: the running totals equal a recount of the rows.
        expect(await storedRollupsOf(url)).toEqual(await recountedRollupsOf(url));
        expect((await store.getExecutionStats()).total).toBe(load.runs.length);
        expect(recorder.stats()).toMatchObject(allWritten(load.runs.length, recorder.stats().writeErrors, expect.stringMatching(/./) as never));
        await recorder.close();
      } finally {
        await store.close();
      }
    } finally {
      await server.stop();
    }
  });
});

/** Creates the test's database on the throwaway server; where its data and port are, for pg_ctl. */
async function openExecutionStoreAdmin(serverUrl: string): Promise<{ dataDir: string; port: number }> {
  const rows = async (query: string) => queryRows(serverUrl, query);
  await rows('CREATE DATABASE recorder_restart');
  const [{ data_directory: dataDir }] = (await rows('SHOW data_directory')) as [{ data_directory: string }];
  const [{ port }] = (await rows('SHOW port')) as [{ port: string }];
  return { dataDir, port: Number(port) };
}

// ---------------------------------------------------------------------------------------------------------------

/** What a killed recording process said: its calls with their times, and its batches. */
interface Said {
  instanceId: string;
  started: Map<string, number>;
  /** `${runId} ${stepIndex}` → when it finished. */
  finishedSteps: Map<string, number>;
  ended: Map<string, number>;
  batches: Array<{ n: number; x: [string, string][]; s: [string, number][]; u: [string, string | null][]; outcome: 'committed' | 'failed' | 'unknown' }>;
}

function parseSaid(stdout: string): Said {
  const lines = stdout.split('\n');
  lines.pop(); // the last line is cut, or empty
  const said: Said = { instanceId: '', started: new Map(), finishedSteps: new Map(), ended: new Map(), batches: [] };
  const batch = new Map<number, Said['batches'][number]>();
  for (const line of lines) {
    const [kind, a, b, c] = line.split(' ') as [string, string, string?, string?];
    if (kind === 'ready') said.instanceId = a;
    else if (kind === 'S') said.started.set(a, Number(b));
    else if (kind === 'F') said.finishedSteps.set(`${a} ${b}`, Number(c));
    else if (kind === 'E') said.ended.set(a, Number(b));
    else if (kind === 'B') {
      const entry = { n: Number(a), ...(JSON.parse(line.slice(line.indexOf('{'))) as Pick<Said['batches'][number], 'x' | 's' | 'u'>), outcome: 'unknown' as const };
      batch.set(entry.n, entry);
      said.batches.push(entry);
    } else if (kind === 'C' || kind === 'X') (batch.get(Number(a)) as { outcome: string }).outcome = kind === 'C' ? 'committed' : 'failed';
  }
  return said;
}

/** The executions (status) and steps the database holds after these batches were committed, in order. */
function afterBatches(batches: Said['batches']): { executions: Record<string, string>; steps: string[] } {
  const executions: Record<string, string> = {};
  const steps = new Set<string>();
  for (const batch of batches) {
    for (const [id, status] of batch.x) executions[id] ??= status;
    for (const [executionId, stepIndex] of batch.s) if (executions[executionId] !== undefined) steps.add(`${executionId} ${stepIndex}`);
    for (const [id, status] of batch.u) if (executions[id] !== undefined && status !== null) executions[id] = status;
  }
  return { executions, steps: [...steps].sort() };
}

forEachBackend((backend) => {
  describe('a recording process killed with SIGKILL at random moments', () => {
    const KILLS = Number(process.env.RECORDER_KILLS ?? 3);
    const FLUSH_MS = 100;
    /**
     * How much older than the flush interval a finished step may be and still be lost: the batch before it being
     * written when it was queued, and its own batch's transaction, on a loaded machine.
     */
    const WRITE_SLACK_MS = 400;
    const LEASE_MS = 1_000;

    it(`leaves only whole batches, loses at most the last flush interval, and every older run is stored or recovered as interrupted (${KILLS} kills)`, { timeout: 60_000 }, async () => {
      const target = await reopenableTarget(backend);
      // Opened first: on SQLite it creates and migrates the file before the writers open it.
      const observer = track(await openExecutionStore(target));
      const summary: string[] = [];

      for (let kill = 1; kill <= KILLS; kill++) {
        const instance = `recorder-kill-${kill}`;
        const writer = spawnChild(KILL_WRITER, [target, instance, String(LEASE_MS), String(FLUSH_MS), String(STEPS)]);
        await until('the writer to be ready', writer, 30_000, () => writer.stdout().startsWith('ready '));
        await until('its first committed batches', writer, 30_000, () => (writer.stdout().match(/^C /gm)?.length ?? 0) >= 3);
        if (kill % 2 === 0) {
          // Right after a batch was handed to writeBatch: its transaction is likely under way.
          const seen = writer.stdout().match(/^B /gm)?.length ?? 0;
          await until('a new batch', writer, 10_000, () => (writer.stdout().match(/^B /gm)?.length ?? 0) > seen);
          await sleep(Math.random() * 10);
        } else {
          await sleep(Math.random() * 1_000);
        }
        const killedAt = Date.now();
        writer.process.kill('SIGKILL');
        await writer.exited;
        expect(writer.stderr()).toBe('');
        const said = parseSaid(writer.stdout());
        expect(said.instanceId).toBe(instance);

        // No half batch: the database is what the committed batches wrote, with the one under way at the kill
        // either wholly in or wholly out.
        const ofThisWriter = `WHERE e.instance_id = '${instance}'`;
        const stored = await storedRuns(target, ofThisWriter);
        const storedSteps = (await queryRows(target, `SELECT s.execution_id, s.step_index FROM execution_steps s JOIN workflow_executions e ON e.id = s.execution_id ${ofThisWriter}`))
          .map((row) => `${String(row.execution_id)} ${Number(row.step_index)}`)
          .sort();
        const actual = { executions: Object.fromEntries(Object.entries(stored).map(([id, run]) => [id, run.status])), steps: storedSteps };
        const committed = said.batches.filter((batch) => batch.outcome === 'committed');
        const underWay = said.batches.filter((batch) => batch.outcome === 'unknown');
        expect(underWay.length, `kill ${kill}: batches under way`).toBeLessThanOrEqual(1);
        const possible = [afterBatches(committed), afterBatches([...said.batches.filter((batch) => batch.outcome !== 'failed')])];
        expect(possible, `kill ${kill}: the database holds whole batches only`).toContainEqual(actual);
        // Every finished run stored has all its steps.
        expect(Object.entries(stored).filter(([, run]) => run.status === 'success' && run.steps !== STEPS), `kill ${kill}`).toEqual([]);

        // What is missing finished within the last flush interval (and the slack of a write) before the kill.
        const cut = killedAt - FLUSH_MS - WRITE_SLACK_MS;
        const storedStepSet = new Set(storedSteps);
        const lostSteps = [...said.finishedSteps].filter(([key, at]) => at < cut && !storedStepSet.has(key));
        const lostEnds = [...said.ended].filter(([id, at]) => at < cut && stored[id]?.status !== 'success');
        const lostStarts = [...said.started].filter(([id, at]) => at < cut && stored[id] === undefined);
        expect({ lostSteps, lostEnds, lostStarts }, `kill ${kill}: lost though finished before ${FLUSH_MS + WRITE_SLACK_MS} ms before the kill`).toEqual({ lostSteps: [], lostEnds: [], lostStarts: [] });
        const missing = [...said.finishedSteps].filter(([key]) => !storedStepSet.has(key)).map(([, at]) => killedAt - at);

        // After the dead writer's lease, recovery marks what it left running as interrupted, and nothing else.
        const running = Object.values(stored).filter((run) => run.status === 'running').length;
        const deadline = Date.now() + 15_000;
        while ((await observer.getInstances()).find((listed) => listed.id === instance)?.state !== 'gone') {
          if (Date.now() > deadline) throw new Error(`${instance} not gone within 15 s of its ${LEASE_MS} ms lease`);
          await sleep(100);
        }
        expect(await observer.recoverInterruptedExecutions(), `kill ${kill}`).toEqual({ executions: running, steps: 0 });
        const recovered = await queryRows(target, `SELECT e.id, e.status, e.error_message FROM workflow_executions e ${ofThisWriter}`);
        expect(
          recovered.filter((row) => !(row.status === 'success' && row.error_message === null) && !(row.status === 'error' && row.error_message === INTERRUPTED_EXECUTION_MESSAGE)),
          `kill ${kill}`,
        ).toEqual([]);
        expect(recovered.length).toBe(Object.keys(stored).length);
        summary.push(
          `kill ${kill}: ${said.started.size} runs started, ${Object.keys(stored).length} stored, ${running} interrupted, ` +
            `${underWay.length === 0 ? 'no batch' : `batch ${underWay[0]?.n} (${actual.steps.length === possible[0]?.steps.length ? 'not written' : 'written'})`} under way; ` +
            `${missing.length} finished steps lost, the oldest ${Math.max(0, ...missing)} ms before the kill`,
        );
      }
      expect(await storedRollupsOf(target)).toEqual(await recountedRollupsOf(target));
      console.info(`${backend.name}: ${summary.join('\n')}`);
    });
  });

  describe("durability 'step': a process killed with SIGKILL", () => {
    it('holds everything whose written promise had resolved, a step that was running shows as running', { timeout: 60_000 }, async () => {
      const target = await reopenableTarget(backend);
      const observer = track(await openExecutionStore(target));
      const writer = spawnChild(STEP_DURABILITY, [target, 'step-durability', String(STEPS)]);
      await until('the writer to be ready', writer, 30_000, () => writer.stdout().startsWith('ready'));
      await until('its first whole runs', writer, 30_000, () => (writer.stdout().match(/^E /gm)?.length ?? 0) >= 3);
      await sleep(Math.random() * 200);
      writer.process.kill('SIGKILL');
      await writer.exited;
      expect(writer.stderr()).toBe('');

      // What the writer was told is written, by run: its highest state and the steps' highest states.
      const said = new Map<string, { ended: boolean; steps: Map<number, 'running' | 'success'> }>();
      for (const line of writer.stdout().split('\n')) {
        const [kind, id, index] = line.split(' ');
        if (id === undefined) continue;
        if (kind === 'S') said.set(id, { ended: false, steps: new Map() });
        const run = said.get(id);
        if (run === undefined) continue;
        if (kind === 'R') run.steps.set(Number(index), 'running');
        if (kind === 'F') run.steps.set(Number(index), 'success');
        if (kind === 'E') run.ended = true;
      }
      const stored = await observer.queryExecutions({ workflowId: 'wf-debugged', orderDir: 'asc', limit: 1000 });
      // Every run said written is stored, and at most one more (whose start was written before it could be said).
      expect(stored.slice(0, said.size).map(({ id }) => id)).toEqual([...said.keys()]);
      expect(stored.length - said.size).toBeLessThanOrEqual(1);
      for (const [id, run] of said) {
        const execution = await observer.getExecutionWithSteps(id);
        // A write under way at the kill may have committed without being said: a state may be one further.
        const statuses = new Map(execution?.steps.map((step) => [step.stepIndex, step.status]));
        expect(execution?.status, id).toBe(run.ended ? 'success' : 'running');
        for (const [stepIndex, state] of run.steps) {
          expect(state === 'success' ? ['success'] : ['running', 'success'], `${id} step ${stepIndex}`).toContain(statuses.get(stepIndex));
        }
        expect(execution?.steps.length, id).toBeLessThanOrEqual(run.steps.size + 1);
        if (run.ended) expect(execution?.steps.map(({ status }) => status), id).toEqual(Array.from({ length: STEPS }, () => 'success'));
      }
      expect(await storedRollupsOf(target)).toEqual(await recountedRollupsOf(target));
    });
  });
});
