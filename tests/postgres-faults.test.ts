// Faults on PostgreSQL: a writer killed with SIGKILL mid-batch, the server stopped and started again under load, and
// random input (a compact fuzz of what PostgreSQL stores differently from SQLite). Processes load the built package
// (dist/), as in tests/crash.test.ts. The model test (random sequences of calls against a model) runs on PostgreSQL
// as on SQLite in tests/model.test.ts.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { Client } from 'pg';
import { describe, expect, it } from 'vitest';
import { type ExecutionStore, ExecutionStoreError, openExecutionStore } from '../src/index.js';
import { T0, newExecution, newStep, track } from './factories.js';
import { findPostgresBinaries } from './postgres/binaries.js';
import { databaseUrl } from './postgres/database-url.js';
import { storedAndRecounted } from './postgres/recount.js';
import { runAsServerUser } from './postgres/server-user.js';
import { freshPostgresUrl, postgresSkipReason } from './postgres/test-database.js';
import { startThrowawayPostgres } from './postgres/throwaway-server.js';

const fixture = (name: string) => new URL(`./fixtures/postgres/${name}`, import.meta.url).pathname;
const crashWriter = fixture('crash-writer.mjs');
const restartWriter = fixture('restart-writer.mjs');
const binaries = findPostgresBinaries();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A child process and what it wrote to stderr so far. */
interface Watched {
  process: ChildProcessWithoutNullStreams;
  stderr: () => string;
}

/** Waits until `done()`, failing after `ms` or as soon as the child process has exited (saying what it wrote to stderr). */
async function until(what: string, child: Watched, ms: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    const { exitCode, signalCode } = child.process;
    if (exitCode !== null || signalCode !== null) {
      throw new Error(`waiting for ${what}: the process ended (${exitCode === null ? signalCode : `exit code ${exitCode}`}); its stderr:\n${child.stderr()}`);
    }
    if (Date.now() > deadline) throw new Error(`waiting for ${what}: not within ${ms} ms`);
    await sleep(10);
  }
}

/** The stats of all executions as the running totals give them, and as the rows do (a start filter reads the rows). */
async function statsBothWays(store: ExecutionStore) {
  return { fromTotals: await store.getExecutionStats(), fromRows: await store.getExecutionStats({ startedAfter: 0 }) };
}

describe.skipIf(postgresSkipReason !== undefined)('PostgreSQL: a writer killed with SIGKILL mid-batch', () => {
  const KILLS = 6;

  /**
   * Starts the writer, waits for `commits` committed calls, then kills it: right after it starts a live run's next
   * batch (odd kills) or after a random pause (even kills). Returns what it said it committed.
   */
  async function killWhileWriting(url: string, kill: number): Promise<string[]> {
    const writer = spawn(process.execPath, [crashWriter, url, String(kill)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    writer.stdout.on('data', (chunk) => (stdout += chunk));
    writer.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise((resolve) => writer.on('exit', resolve));
    const lines = () => stdout.split('\n').slice(1).filter(Boolean);
    const watched = { process: writer, stderr: () => stderr };
    await until('the writer to be ready', watched, 30_000, () => stdout.startsWith('ready\n'));
    const commits = 4 + Math.floor(Math.random() * 8);
    await until(`${commits} commits`, watched, 30_000, () => lines().length >= commits);
    if (kill % 2 === 1) {
      // A live run has just written its execution or first batch: the next addSteps is in flight.
      const seen = lines().length;
      await until('a live run to be under way', watched, 30_000, () => lines().slice(seen).some((line) => /^(started|batch \S+ 25$)/.test(line)));
      await sleep(Math.random() * 15);
    } else {
      await sleep(Math.random() * 200);
    }
    writer.kill('SIGKILL');
    await exited;
    expect(stderr).toBe('');
    return lines();
  }

  /** Waits until the server has ended the killed writer's session, rolling back what it left open. */
  async function writerGone(url: string): Promise<void> {
    await withClient(url, async (client) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await client.query(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'execution-history'",
        );
        if (Number(rows[0].n) === 0) return;
        if (Date.now() > deadline) throw new Error('the killed writer\'s sessions are still open after 10 s');
        await sleep(20);
      }
    });
  }

  it(`leaves every execution with all its steps (no half-written batch), every committed call, and totals equal to a recount (${KILLS} kills)`, { timeout: 120_000 }, async () => {
    const url = await freshPostgresUrl();
    const committed = new Map<string, { event: string; steps: number }>();
    let recoveredTotal = 0;
    for (let kill = 1; kill <= KILLS; kill++) {
      for (const line of await killWhileWriting(url, kill)) {
        const [event, id, steps] = line.split(' ') as [string, string, string?];
        committed.set(id, { event, steps: steps === undefined ? 0 : Number(steps) });
      }
      await writerGone(url);

      const rows = await withClient(url, async (client) =>
        (await client.query(
          `SELECT e.id, e.status, e.trigger_data::json ->> 'mode' AS mode, count(s.id)::int AS steps
           FROM workflow_executions e LEFT JOIN execution_steps s ON s.execution_id = e.id GROUP BY e.id`,
        )).rows as { id: string; status: string; mode: string; steps: number }[],
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      // A batch is there whole or not at all, whether or not the writer lived to say so.
      const halfWritten = rows.filter((row) => (row.mode === 'record' ? row.steps !== 50 : row.steps % 25 !== 0 || (row.status === 'success' && row.steps !== 50)));
      expect(halfWritten, `after kill ${kill}`).toEqual([]);
      // Every call that returned before this kill or an earlier one is stored.
      const lost = [...committed].filter(([id, call]) => {
        const row = byId.get(id);
        if (row === undefined) return true;
        if (call.event === 'finished') return row.status !== 'success' || row.steps !== 50;
        return row.steps < call.steps;
      });
      expect(lost, `after kill ${kill}`).toEqual([]);

      // What a runtime that alone writes the database does at start-up: whatever was running is marked, and nothing
      // else. (Recovery by the dead writer's lease, with other writers alive: tests/owned-runs.test.ts.)
      const running = rows.filter((row) => row.status === 'running').length;
      const store = await openExecutionStore(url);
      try {
        expect(await store.recoverInterruptedExecutions({ startedBefore: Date.now() + 1 })).toMatchObject({ executions: running });
        recoveredTotal += running;
        const { fromTotals, fromRows } = await statsBothWays(store);
        expect(fromTotals, `after kill ${kill}`).toEqual(fromRows);
        expect(fromTotals.total).toBe(rows.length);
      } finally {
        await store.close();
      }
      const { stored, recounted } = await storedAndRecounted(url);
      expect(stored, `after kill ${kill}`).toEqual(recounted);
    }
    console.info(`${KILLS} kills: ${committed.size} executions whose calls returned, all stored; ${recoveredTotal} live runs cut off and marked interrupted`);
    expect(committed.size).toBeGreaterThan(KILLS);
  });
});

interface Outcome {
  loop: number;
  call: string;
  start: number;
  end: number;
  ok: boolean;
  value?: unknown;
  name?: string;
  code?: string;
  message?: string;
  cause?: { name: string; code: string | null; message: string } | null;
}

describe.skipIf(postgresSkipReason !== undefined)('PostgreSQL: the server stopped and started again under load', () => {
  const CONNECT_TIMEOUT_MS = 1000;

  it.skipIf(!binaries.found)(
    'fails calls with UNAVAILABLE within the connect timeout while it is down, never hangs or crashes, and succeeds again without reopening the store',
    { timeout: 120_000 },
    async () => {
      if (!binaries.found) return;
      const pgCtl = join(binaries.binDir, 'pg_ctl');
      // A server of this test's own: stopping the shared one would fail every other test running now.
      const server = await startThrowawayPostgres();
      let writer: ChildProcessWithoutNullStreams | undefined;
      try {
        const { dataDir, port } = await withClient(server.url, async (client) => {
          await client.query('CREATE DATABASE restart_test');
          return {
            dataDir: String((await client.query('SHOW data_directory')).rows[0].data_directory),
            port: Number((await client.query('SHOW port')).rows[0].port),
          };
        });
        const url = databaseUrl(server.url, 'restart_test');
        writer = spawn(process.execPath, [restartWriter, url, String(CONNECT_TIMEOUT_MS)], { stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        writer.stdout.on('data', (chunk) => (stdout += chunk));
        writer.stderr.on('data', (chunk) => (stderr += chunk));
        const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
          writer!.on('exit', (code, signal) => resolve({ code, signal })));
        const watched = { process: writer, stderr: () => stderr };
        const lines = () => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Outcome & { ready?: true; closed?: true });
        const outcomes = () => lines().filter((line) => line.call !== undefined);

        await until('30 calls before the stop', watched, 30_000, () => outcomes().filter((outcome) => outcome.ok).length >= 30);
        const stopAsked = Date.now();
        await runAsServerUser(pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60']);
        const stopped = Date.now();
        // Down for 3 s at least, and until each of the writer's 4 loops has seen a failure.
        await until('failures while the server is down', watched, 30_000, () =>
          Date.now() - stopped >= 3000 && new Set(outcomes().filter((outcome) => !outcome.ok && outcome.start >= stopped).map((outcome) => outcome.loop)).size === 4);
        const startAsked = Date.now();
        await runAsServerUser(pgCtl, ['start', '-w', '-t', '60', '-D', dataDir, '-l', join(dirname(dataDir), 'server.log'), '-o', `-p ${port}`]);
        const started = Date.now();
        await until('30 calls after the start', watched, 30_000, () => outcomes().filter((outcome) => outcome.ok && outcome.start >= started).length >= 30);
        writer.stdin.end('stop\n');
        const exit = await exited;
        console.info(
          `server down ${startAsked - stopAsked} ms: ${outcomes().filter((outcome) => outcome.start >= stopped && outcome.end <= startAsked).length} calls failed meanwhile; ` +
            `${outcomes().length} calls in all, ${outcomes().filter((outcome) => !outcome.ok).length} failed`,
        );

        // The process neither crashed (an idle client's 'error' unheard ends it) nor hung; it closed its store.
        expect({ exit, stderr }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
        expect(lines().at(-1)).toEqual({ closed: true });
        const all = outcomes();
        // Every call ended within the connect timeout and a margin, whatever the server was doing.
        expect(all.filter((outcome) => outcome.end - outcome.start > CONNECT_TIMEOUT_MS + 2000)).toEqual([]);
        // Every failure is UNAVAILABLE, says which call and that the server could not be reached, and keeps the driver error.
        const failures = all.filter((outcome) => !outcome.ok);
        expect(failures.length).toBeGreaterThanOrEqual(4);
        for (const failure of failures) {
          expect(failure).toMatchObject({
            name: 'ExecutionStoreError',
            code: 'UNAVAILABLE',
            message: expect.stringMatching(new RegExp(`^${failure.call}: the PostgreSQL server at postgres://postgres@127\\.0\\.0\\.1:${port}/restart_test could not be reached or gave no connection in time \\(.+\\); nothing of this call was written`)),
          });
          expect(failure.cause, failure.message).not.toBeNull();
          expect(failure.cause?.name).not.toBe('ExecutionStoreError');
        }
        // Calls made while it was down all failed; calls made once it was up again all succeeded, on the same store.
        expect(all.filter((outcome) => outcome.start >= stopped && outcome.end <= startAsked && outcome.ok)).toEqual([]);
        expect(all.filter((outcome) => outcome.start >= started && !outcome.ok)).toEqual([]);

        // What the calls that succeeded wrote is there, each run with its steps, and nothing of the calls that failed.
        const recorded = all.filter((outcome) => outcome.ok && outcome.call === 'recordExecution').map((outcome) => outcome.value as string).sort();
        const stored = await withClient(url, async (client) =>
          (await client.query('SELECT e.id, count(s.id)::int AS steps FROM workflow_executions e LEFT JOIN execution_steps s ON s.execution_id = e.id GROUP BY e.id ORDER BY e.id')).rows,
        );
        expect(stored).toEqual(recorded.map((id) => ({ id, steps: 3 })));
      } finally {
        if (writer !== undefined && writer.exitCode === null && writer.signalCode === null) writer.kill('SIGKILL');
        await server.stop();
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// A compact input fuzz of what PostgreSQL stores differently from SQLite (tests/fuzz.test.ts runs the full one on
// SQLite; its definitions are not exported): text with any code point, NUL included, which PostgreSQL's text refuses
// and SQLite keeps; and integers up to the safe range, which PostgreSQL's integer column (step_index) does not hold.
// Each call either stores the value and reads it back as given, or throws VALIDATION; never DATABASE.

const anyText = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
  fc.tuple(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 })).map(([before, after]) => `${before}\u0000${after}`),
);
const anyStepIndex = fc.oneof(fc.nat(10), fc.integer({ min: 2 ** 31 - 2, max: Number.MAX_SAFE_INTEGER }));

/** Runs a call: its result, or the code of the ExecutionStoreError it threw (anything else fails the test). */
async function outcomeOf<T>(call: () => Promise<T>): Promise<{ ok: T } | { code: string; message: string }> {
  try {
    return { ok: await call() };
  } catch (error) {
    expect(error).toBeInstanceOf(ExecutionStoreError);
    return { code: (error as ExecutionStoreError).code, message: (error as Error).message };
  }
}

describe.skipIf(postgresSkipReason !== undefined)('PostgreSQL: input fuzz', () => {
  it("an execution's text with any code point (NUL included) is stored and read back as given, or refused with VALIDATION; never a DATABASE error", { timeout: 60_000 }, async () => {
    const store = track(await openExecutionStore(await freshPostgresUrl(), { now: () => T0 }));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('workflowId', 'workflowName', 'errorMessage'), anyText, async (field, text) => {
        const created = await outcomeOf(() => store.createExecution(newExecution({ [field]: text })));
        if ('code' in created) {
          expect(created, `createExecution with ${field} ${JSON.stringify(text)}`).toMatchObject({ code: 'VALIDATION' });
          return;
        }
        expect((await store.getExecution(created.ok))?.[field as 'workflowId']).toBe(text);
      }),
      { numRuns: 100 },
    );
  });

  it("a step's text with any code point (NUL included) is stored and read back as given, or refused with VALIDATION; never a DATABASE error", { timeout: 60_000 }, async () => {
    const store = track(await openExecutionStore(await freshPostgresUrl(), { now: () => T0 }));
    const executionId = await store.createExecution(newExecution());
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('nodeId', 'nodeType', 'nodeName', 'errorMessage'), anyText, async (field, text) => {
        const added = await outcomeOf(() => store.addStep(newStep(executionId, { [field]: text })));
        if ('code' in added) {
          expect(added, `addStep with ${field} ${JSON.stringify(text)}`).toMatchObject({ code: 'VALIDATION' });
          return;
        }
        const stored = (await store.getStepsForExecution(executionId)).find((step) => step.id === added.ok);
        expect(stored?.[field as 'nodeId']).toBe(text);
      }),
      { numRuns: 100 },
    );
  });

  it('a read or delete by text with any code point (NUL included) finds nothing or refuses it with VALIDATION; never a DATABASE error', async () => {
    const store = track(await openExecutionStore(await freshPostgresUrl(), { now: () => T0 }));
    await store.createExecution(newExecution());
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        for (const [what, read] of [
          ['getExecution', () => store.getExecution(text)],
          ['getStepsForExecution', () => store.getStepsForExecution(text)],
          ['queryExecutions', () => store.queryExecutions({ workflowId: text })],
          ['getExecutionStats', () => store.getExecutionStats(text)],
          ['findExecutionIds', () => store.findExecutionIds(text)],
          ['deleteExecution', () => store.deleteExecution(text)],
        ] as const) {
          const outcome = await outcomeOf(read as () => Promise<unknown>);
          if ('code' in outcome) expect(outcome, `${what}(${JSON.stringify(text)})`).toMatchObject({ code: 'VALIDATION' });
        }
      }),
      { numRuns: 50 },
    );
  });

  it('a step index up to the largest safe integer is stored and read back, or refused with VALIDATION; never a DATABASE error', async () => {
    const store = track(await openExecutionStore(await freshPostgresUrl(), { now: () => T0 }));
    const executionId = await store.createExecution(newExecution());
    await fc.assert(
      fc.asyncProperty(anyStepIndex, async (stepIndex) => {
        const added = await outcomeOf(() => store.addStep(newStep(executionId, { stepIndex })));
        if ('code' in added) {
          expect(added, `addStep with stepIndex ${stepIndex}`).toMatchObject({ code: 'VALIDATION' });
          return;
        }
        expect((await store.getStepsForExecution(executionId)).find((step) => step.id === added.ok)?.stepIndex).toBe(stepIndex);
      }),
      { numRuns: 50 },
    );
  });
});
