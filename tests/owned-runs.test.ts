// Runs owned by instances: several processes write one history, each as an instance with a lease, and
// recoverInterruptedExecutions() marks the running executions of an instance only once it is gone (unheard of for
// longer than its lease), never those of one that is alive, paused for less than its lease, or whose clock is wrong.
// Each instance is a real process (tests/fixtures/instance-worker.mjs, on the built package) that is killed with
// SIGKILL, paused with SIGSTOP and resumed with SIGCONT; the test process watches through a store of its own.
//
// How clock skew is tolerated: every time that decides whether an instance is alive is the DATABASE's clock. An
// instance's heartbeat writes heard_at as the database reads the time (SQLite: unixepoch('subsec') of the host that
// every process on it shares; PostgreSQL: the server's clock_timestamp()), and recovery compares heard_at + lease with
// the database's now in the same statement. No process's Date.now, nor the store's `now` option (retention's clock),
// enters into it, so a process whose clock is ten minutes off either way is judged exactly like one whose clock is
// right, whether it is the instance being judged or the one recovering. What remains is the lease's margin for a late
// heartbeat: a beat every lease / 6, so an instance stays alive through five missed or late beats (a paused event
// loop, a busy file, a slow server) and is gone only after a whole lease of silence.
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { INTERRUPTED_EXECUTION_MESSAGE, INTERRUPTED_STEP_MESSAGE } from '../src/core/interrupted.js';
import { type ExecutionStore, type HistoryInstance, openExecutionStore } from '../src/index.js';
import { forEachBackend } from './backends.js';
import { track } from './factories.js';
import { reopenableTarget } from './rollup-rows.js';

const WORKER = fileURLToPath(new URL('./fixtures/instance-worker.mjs', import.meta.url));
/** How long a worker may take to start, open the history and write its runs (a loaded 2-core machine). */
const STARTUP_MS = 20_000;
/** How long polling waits for a state that should come within a lease or two. */
const POLL_MS = 15_000;
const SKEW_MS = 10 * 60_000;

interface Child {
  child: ChildProcess;
  stopped: boolean;
  exited: Promise<unknown>;
}

/** A worker process with running executions of its own, as it reported them. */
interface Worker extends Child {
  id: string;
  pid: number;
  /** The worker's Date.now when it reported (skewed, if it was started so). */
  now: number;
  executions: string[];
  steps: string[];
}

interface Recovery {
  instanceId: string;
  now: number;
  recovered: { executions: number; steps: number };
}

/** Every process a test started: killed after it (resumed first if paused), whatever the test did. */
const children = new Set<Child>();

function spawnFixture(args: string[]): { spawned: Child; line: Promise<Record<string, unknown>> } {
  const child = spawn(process.execPath, [WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const spawned: Child = { child, stopped: false, exited: new Promise((resolve) => child.once('exit', resolve)) };
  children.add(spawned);
  const line = new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`instance-worker ${args.join(' ')}: no line within ${STARTUP_MS} ms; stderr: ${err}`)), STARTUP_MS);
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end < 0) return;
      clearTimeout(timer);
      resolve(JSON.parse(out.slice(0, end)) as Record<string, unknown>);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`instance-worker ${args.join(' ')} exited (${code ?? signal}) before its line; stderr: ${err}`));
    });
  });
  return { spawned, line };
}

/** A process that opens the history as instance `id`, starts `runs` running executions (one running step each), and lives on. */
async function startWorker(target: string, id: string, leaseMs: number, runs: number, skewMs = 0): Promise<Worker> {
  const { spawned, line } = spawnFixture([target, id, String(leaseMs), String(runs), String(skewMs)]);
  const reported = await line;
  expect(reported.instanceId).toBe(id);
  // The same object as in `children`, so that pause() marks the process that afterEach resumes before killing it.
  return Object.assign(spawned, { id }, reported as { pid: number; now: number; executions: string[]; steps: string[] });
}

/** recoverInterruptedExecutions() in a process of its own whose clock is skewed by skewMs. */
async function recoverInProcess(target: string, id: string, skewMs: number): Promise<Recovery> {
  const { spawned, line } = spawnFixture([target, id, '1500', 'recover', String(skewMs)]);
  const reported = (await line) as unknown as Recovery;
  await spawned.exited;
  expect(spawned.child.exitCode).toBe(0);
  return reported;
}

async function kill(worker: Child): Promise<void> {
  worker.child.kill('SIGKILL');
  await worker.exited;
}

function pause(worker: Child): void {
  worker.child.kill('SIGSTOP');
  worker.stopped = true;
}

function resume(worker: Child): void {
  worker.child.kill('SIGCONT');
  worker.stopped = false;
}

/** Polls until `probe` gives a value other than undefined, or fails after timeoutMs. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = POLL_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(50);
  }
}

async function instanceOf(store: ExecutionStore, id: string): Promise<HistoryInstance | undefined> {
  return (await store.getInstances()).find((instance) => instance.id === id);
}

/** Waits until the store lists the instance as `state`; returns it. */
function untilState(store: ExecutionStore, id: string, state: HistoryInstance['state']): Promise<HistoryInstance> {
  return until(`${id} is ${state}`, async () => {
    const instance = await instanceOf(store, id);
    return instance?.state === state ? instance : undefined;
  });
}

/** The instances as the store lists them, reduced to what the tests decide on, by id. */
async function instanceStates(store: ExecutionStore): Promise<Array<Pick<HistoryInstance, 'id' | 'pid' | 'state' | 'runningExecutions' | 'current'>>> {
  return (await store.getInstances())
    .map(({ id, pid, state, runningExecutions, current }) => ({ id, pid, state, runningExecutions, current }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

interface RunState {
  instanceId: string | undefined;
  status: string | undefined;
  errorMessage: string | undefined;
  steps: Array<{ id: string; status: string; errorMessage: string | undefined }>;
}

/** Every execution of these workers as stored now, by id, with its steps. */
async function runStates(store: ExecutionStore, workers: Worker[]): Promise<Record<string, RunState>> {
  const states: Record<string, RunState> = {};
  for (const worker of workers) {
    for (const id of worker.executions) {
      const stored = await store.getExecutionWithSteps(id);
      states[id] = {
        instanceId: stored?.instanceId,
        status: stored?.status,
        errorMessage: stored?.errorMessage,
        steps: (stored?.steps ?? []).map((step) => ({ id: step.id, status: step.status, errorMessage: step.errorMessage })),
      };
    }
  }
  return states;
}

/** What runStates should read for a worker whose runs are still running. */
function stillRunning(worker: Worker): Record<string, RunState> {
  return Object.fromEntries(
    worker.executions.map((id, i) => [
      id,
      { instanceId: worker.id, status: 'running', errorMessage: undefined, steps: [{ id: worker.steps[i] as string, status: 'running', errorMessage: undefined }] },
    ]),
  );
}

/** What runStates should read for a worker whose runs recovery marked as interrupted. */
function interrupted(worker: Worker): Record<string, RunState> {
  return Object.fromEntries(
    worker.executions.map((id, i) => [
      id,
      {
        instanceId: worker.id,
        status: 'error',
        errorMessage: INTERRUPTED_EXECUTION_MESSAGE,
        steps: [{ id: worker.steps[i] as string, status: 'error', errorMessage: INTERRUPTED_STEP_MESSAGE }],
      },
    ]),
  );
}

forEachBackend((backend) => {
  describe('runs owned by instances in separate processes', () => {
    afterEach(async () => {
      for (const spawned of [...children]) {
        if (spawned.child.exitCode === null && spawned.child.signalCode === null) {
          if (spawned.stopped) spawned.child.kill('SIGCONT');
          spawned.child.kill('SIGKILL');
        }
        await spawned.exited;
        children.delete(spawned);
      }
    });

    /** A database the processes share, and the test process's own store on it (its own instance, which writes nothing). */
    async function sharedHistory(): Promise<{ target: string; observer: ExecutionStore }> {
      const target = await reopenableTarget(backend);
      // Opened first: on SQLite it creates and migrates the file before the workers open it.
      const observer = track(await openExecutionStore(target));
      return { target, observer };
    }

    it('a killed instance is gone after its lease, and recovery marks its runs and no one else\'s', { timeout: 40_000 }, async () => {
      const { target, observer } = await sharedHistory();
      const [a, b, c] = (await Promise.all(['worker-a', 'worker-b', 'worker-c'].map((id) => startWorker(target, id, 1_500, 3)))) as [Worker, Worker, Worker];
      expect(observer.instanceId).not.toMatch(/^worker-/);
      // Nobody is gone yet: recovery marks nothing.
      expect(await observer.recoverInterruptedExecutions()).toEqual({ executions: 0, steps: 0 });

      await kill(b);
      await untilState(observer, 'worker-b', 'gone');

      expect(await observer.recoverInterruptedExecutions()).toEqual({ executions: 3, steps: 3 });
      expect(await runStates(observer, [a, b, c])).toEqual({ ...stillRunning(a), ...interrupted(b), ...stillRunning(c) });
      expect(await instanceStates(observer)).toEqual([
        { id: 'worker-a', pid: a.pid, state: 'alive', runningExecutions: 3, current: false },
        { id: 'worker-b', pid: b.pid, state: 'gone', runningExecutions: 0, current: false },
        { id: 'worker-c', pid: c.pid, state: 'alive', runningExecutions: 3, current: false },
      ]);
      // Done once: a second recovery finds nothing more.
      expect(await observer.recoverInterruptedExecutions()).toEqual({ executions: 0, steps: 0 });
    });

    it('an instance paused for less than its lease keeps its runs; paused for longer than its lease, it loses them', { timeout: 40_000 }, async () => {
      const { target, observer } = await sharedHistory();
      const [short, long] = (await Promise.all([startWorker(target, 'paused-short', 4_000, 2), startWorker(target, 'paused-long', 1_500, 2)])) as [Worker, Worker];

      // 1.5 s of silence against a 4 s lease: alive, and nothing of it is recovered.
      pause(short);
      await sleep(1_500);
      const silent = await instanceOf(observer, 'paused-short');
      expect(silent).toMatchObject({ state: 'alive', runningExecutions: 2 });
      expect(silent?.silentMs).toBeGreaterThanOrEqual(1_000); // it really was silent (heartbeats every 666 ms)
      expect(await observer.recoverInterruptedExecutions()).toEqual({ executions: 0, steps: 0 });
      expect(await runStates(observer, [short, long])).toEqual({ ...stillRunning(short), ...stillRunning(long) });
      resume(short);
      // Resumed, it beats again and stays alive.
      await until('paused-short is heard of again', async () => {
        const instance = await instanceOf(observer, 'paused-short');
        return instance !== undefined && instance.silentMs < 1_000 ? instance : undefined;
      });
      expect(await instanceOf(observer, 'paused-short')).toMatchObject({ state: 'alive', runningExecutions: 2 });

      // Silent for longer than its 1.5 s lease: gone while paused, and recovery takes its runs.
      pause(long);
      await untilState(observer, 'paused-long', 'gone');
      expect(await observer.recoverInterruptedExecutions()).toEqual({ executions: 2, steps: 2 });
      resume(long);
      expect(await runStates(observer, [short, long])).toEqual({ ...stillRunning(short), ...interrupted(long) });
      expect(await instanceOf(observer, 'paused-short')).toMatchObject({ state: 'alive', runningExecutions: 2 });
    });

    it('instances whose clocks are ten minutes off either way are judged on the database\'s clock', { timeout: 40_000 }, async () => {
      const { target, observer } = await sharedHistory();
      const [ahead, behind] = (await Promise.all([
        startWorker(target, 'clock-ahead', 1_500, 3, SKEW_MS),
        startWorker(target, 'clock-behind', 1_500, 3, -SKEW_MS),
      ])) as [Worker, Worker];
      // The skew took: each worker's Date.now was ten minutes off this process's.
      expect(Math.abs(ahead.now - SKEW_MS - Date.now())).toBeLessThan(5_000);
      expect(Math.abs(behind.now + SKEW_MS - Date.now())).toBeLessThan(5_000);

      // Two leases later both are alive, and their times are the database's (this host's, right) clock, not theirs.
      await sleep(3_000);
      for (const instance of (await observer.getInstances()).filter((listed) => listed.id.startsWith('clock-'))) {
        expect(instance).toMatchObject({ state: 'alive', runningExecutions: 3 });
        expect(Math.abs(instance.heardAt - Date.now())).toBeLessThan(5_000);
        expect(Math.abs(instance.startedAt - Date.now())).toBeLessThan(10_000);
      }
      // Neither a store with the right clock nor one whose own clock is ten minutes off either way recovers them.
      // The skewed recoverers are processes of their own (Date.now replaced before the package is imported, as in
      // the workers) rather than this process with Date.now replaced for a while: the store takes its clock when it
      // is opened, and vitest's own timers and the pg pool here should not run on a false clock.
      expect(await observer.recoverInterruptedExecutions()).toEqual({ executions: 0, steps: 0 });
      const [fromAhead, fromBehind] = await Promise.all([
        recoverInProcess(target, 'recoverer-ahead', SKEW_MS),
        recoverInProcess(target, 'recoverer-behind', -SKEW_MS),
      ]);
      expect(Math.abs(fromAhead.now - SKEW_MS - Date.now())).toBeLessThan(10_000);
      expect(Math.abs(fromBehind.now + SKEW_MS - Date.now())).toBeLessThan(10_000);
      expect([fromAhead.recovered, fromBehind.recovered]).toEqual([
        { executions: 0, steps: 0 },
        { executions: 0, steps: 0 },
      ]);
      expect(await runStates(observer, [ahead, behind])).toEqual({ ...stillRunning(ahead), ...stillRunning(behind) });

      // Killed, the one ahead is gone after its lease, and the recoverer whose clock is behind (which would see the
      // dead one's last beat, were it written on its own clock, twenty minutes in its future) recovers it alone.
      await kill(ahead);
      await untilState(observer, 'clock-ahead', 'gone');
      expect((await recoverInProcess(target, 'recoverer-behind', -SKEW_MS)).recovered).toEqual({ executions: 3, steps: 3 });
      expect(await runStates(observer, [ahead, behind])).toEqual({ ...interrupted(ahead), ...stillRunning(behind) });
      expect((await recoverInProcess(target, 'recoverer-ahead', SKEW_MS)).recovered).toEqual({ executions: 0, steps: 0 });
      expect(await instanceStates(observer)).toEqual([
        { id: 'clock-ahead', pid: ahead.pid, state: 'gone', runningExecutions: 0, current: false },
        { id: 'clock-behind', pid: behind.pid, state: 'alive', runningExecutions: 3, current: false },
      ]);
    });

    it('a new process with a killed instance\'s id takes over at its first write, without waiting for the lease', { timeout: 30_000 }, async () => {
      const { target, observer } = await sharedHistory();
      const first = await startWorker(target, 'worker-1', 60_000, 2);
      await kill(first);
      // A minute's lease is far from over: to everyone else the dead process is still alive.
      expect(await observer.recoverInterruptedExecutions()).toEqual({ executions: 0, steps: 0 });
      expect(await instanceOf(observer, 'worker-1')).toMatchObject({ pid: first.pid, state: 'alive', runningExecutions: 2 });

      const second = await startWorker(target, 'worker-1', 60_000, 1);
      expect(second.pid).not.toBe(first.pid);
      expect(await runStates(observer, [first, second])).toEqual({ ...interrupted(first), ...stillRunning(second) });
      expect(await instanceStates(observer)).toEqual([{ id: 'worker-1', pid: second.pid, state: 'alive', runningExecutions: 1, current: false }]);
    });
  });
});
