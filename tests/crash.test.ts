// A writer process killed with SIGKILL at random moments, again and again on the same file. CI runs 50 kills;
// `npm run test:chaos` runs 500 (CHAOS_KILLS sets any number).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openExecutionStore } from '../src/index.js';
import { INTERRUPTED_EXECUTION_MESSAGE } from '../src/sqlite/recovery.js';
import { tempDir } from './factories.js';

const crashWriter = new URL('./fixtures/crash-writer.mjs', import.meta.url).pathname;
const KILLS = Number(process.env.CHAOS_KILLS ?? 50);

/** Starts the writer, lets it write for `ms` after it is ready, kills it, and returns what it said it committed. */
async function killWhileWriting(file: string, seed: number, ms: number): Promise<string[]> {
  const writer = spawn(process.execPath, [crashWriter, file, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  writer.stdout.on('data', (chunk) => (stdout += chunk));
  writer.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => writer.on('exit', resolve));
  while (!stdout.startsWith('ready') && writer.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, ms));
  writer.kill('SIGKILL');
  await exited;
  expect(stderr).toBe('');
  return stdout.split('\n').slice(1).filter(Boolean);
}

describe(`a writer killed with SIGKILL at random moments (${KILLS} times)`, () => {
  it('leaves an intact file, no half-written batch, every committed call, and runs that recovery marks', { timeout: 60_000 + KILLS * 2000 }, async () => {
    const file = join(tempDir(), 'crash.db');
    (await openExecutionStore(file)).close(); // migrated once, as at deployment
    const committed = new Map<string, { finished: boolean; steps?: number }>();
    let recoveredTotal = 0;

    for (let kill = 0; kill < KILLS; kill++) {
      for (const line of await killWhileWriting(file, kill + 1, 20 + Math.floor(Math.random() * 150))) {
        const [event, id, steps] = line.split(' ') as [string, string, string?];
        committed.set(id, { finished: event !== 'started', steps: steps === undefined ? undefined : Number(steps) });
      }

      const sqlite = new Database(file);
      expect(sqlite.pragma('integrity_check', { simple: true }), `after kill ${kill + 1}`).toBe('ok');
      expect(sqlite.pragma('foreign_key_check')).toEqual([]);
      const rows = sqlite
        .prepare(`SELECT e.id, e.status, e.trigger_data ->> 'mode' AS mode, e.trigger_data ->> 'steps' AS expectedSteps,
                         count(s.id) AS steps
                    FROM workflow_executions e LEFT JOIN execution_steps s ON s.execution_id = e.id GROUP BY e.id`)
        .all() as { id: string; status: string; mode: string; expectedSteps: number; steps: number }[];
      sqlite.close();
      const byId = new Map(rows.map((row) => [row.id, row]));
      // A batch is there whole or not at all, whether or not the writer lived to say so.
      expect(rows.filter((row) => row.mode === 'batch' && row.steps !== row.expectedSteps), `after kill ${kill + 1}`).toEqual([]);
      // Every call that returned before this kill or any earlier one is on disk, a finished run with all its steps.
      const lost = [...committed].filter(([id, call]) => !byId.has(id) || (call.finished && byId.get(id)?.steps !== call.steps));
      expect(lost, `after kill ${kill + 1}`).toEqual([]);

      // What a runtime that alone writes the file does at start-up: whatever was running is marked, and nothing
      // else. (Recovery by the dead writer's lease, with other writers alive: tests/owned-runs.test.ts.)
      const running = rows.filter((row) => row.status === 'running').length;
      const store = await openExecutionStore(file);
      const recovered = await store.recoverInterruptedExecutions({ startedBefore: Date.now() + 1 });
      expect(recovered.executions).toBe(running);
      expect(await store.queryExecutions({ status: 'running' })).toEqual([]);
      store.close();
      recoveredTotal += recovered.executions;
    }

    const sqlite = new Database(file, { readonly: true });
    const finished = [...committed].filter(([, call]) => call.finished).map(([id]) => id);
    const statusOf = sqlite.prepare('SELECT status, error_message AS errorMessage FROM workflow_executions WHERE id = ?');
    expect(finished.map((id) => statusOf.get(id))).toEqual(finished.map(() => ({ status: 'success', errorMessage: null })));
    expect(sqlite.prepare('SELECT count(*) FROM workflow_executions WHERE error_message = ?').pluck().get(INTERRUPTED_EXECUTION_MESSAGE)).toBe(recoveredTotal);
    const onDisk = sqlite.prepare('SELECT count(*) FROM workflow_executions').pluck().get();
    sqlite.close();
    // The figures the README's Guarantees quote.
    console.info(`${KILLS} kills: ${committed.size} executions whose calls returned, all on disk, ${onDisk} executions, ${recoveredTotal} marked interrupted`);
    expect(committed.size).toBeGreaterThan(KILLS);
    expect(recoveredTotal).toBeGreaterThan(0); // kills did land in the middle of live runs
  });
});
