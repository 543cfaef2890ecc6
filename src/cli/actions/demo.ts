// `demo`: a database filled with realistic simulated history, recorded as a runtime records it: a simulated workflow
// engine runs the demo's workflows (src/demo/) through the recorder, over the last 30 days on a simulated clock, and
// three hand-written runs as the newest, so that every other command has something to show.
import { existsSync, rmSync } from 'node:fs';
import { DATABASE_PATH_ENV, DEFAULT_DATABASE_PATH } from '../../core/database-path.js';
import { ExecutionStoreError } from '../../core/errors.js';
import { recordSimulatedHistory } from '../../demo/demo-history.js';
import { recordShowcaseRuns } from '../../demo/showcase-runs.js';
import { createRecorder } from '../../recorder/recorder.js';
import { CliError } from '../cli-error.js';
import { type Context, withStore } from '../context.js';
import { SHORT_ID_LENGTH, shortIds } from '../execution-id.js';
import { progressBar } from '../progress.js';

const defaultPath = (context: Context) => context.io.env[DATABASE_PATH_ENV] ?? DEFAULT_DATABASE_PATH;

/** The demo's history is the same every time (but for its times, which end now). */
const SEED = 42;
/** What close() may still take once everything was flushed: nothing should be left by then. */
const CLOSE_TIMEOUT_MS = 5_000;

export async function demo(context: Context, options: { executions: number; replace?: boolean }): Promise<void> {
  if (context.isPostgres) {
    // A PostgreSQL database is never emptied by the demo: --replace deletes a file, and a server's history is not one.
    const stored = await withStore(context.open(), async (store) => (await store.getExecutionStats()).total);
    if (stored > 0) {
      throw new CliError(
        `${context.dbName} already holds ${stored} executions; the demo fills an empty database and never deletes a PostgreSQL history (--replace is for SQLite files). Point --db at an empty database.`,
      );
    }
  } else if (existsSync(context.dbPath)) {
    if (options.replace) {
      for (const file of [context.dbPath, `${context.dbPath}-wal`, `${context.dbPath}-shm`]) rmSync(file, { force: true });
    } else {
      const stored = await withStore(context.open(), async (store) => (await store.getExecutionStats()).total);
      if (stored > 0) {
        throw new CliError(
          `${context.dbPath} already holds ${stored} executions; the demo fills a new database. Choose another file with --db, or add --replace to delete this one first.`,
        );
      }
    }
  }
  const now = context.io.now();
  const progress = progressBar(context.terminal, 'Simulating', options.executions, context.json);
  const ids = await withStore(context.open(), async (store) => {
    // A failed write stops the demo: it fills a new database, where a write fails only when something is wrong (a
    // full disk, a server gone), and the recorder would otherwise try again for as long as the flush below waits. But
    // for input the store refuses (VALIDATION): the writer then writes the batch row by row, and drops what is refused,
    // which fails the demo below all the same.
    const failed = new AbortController();
    const recorder = createRecorder(store, { onError: (error) => (error instanceof ExecutionStoreError && error.code === 'VALIDATION' ? undefined : failed.abort(error)) });
    const failure = new Promise<void>((resolve) => failed.signal.addEventListener('abort', () => resolve(), { once: true }));
    let showcase: string[] = [];
    try {
      // The simulated runs end a few minutes before the showcase runs, which end just before now.
      await recordSimulatedHistory(recorder, { executions: options.executions, seed: SEED, end: now - 5 * 60_000, onProgress: (done) => progress.update(done), signal: failed.signal });
      progress.stop();
      if (!failed.signal.aborted) showcase = (await recordShowcaseRuns(recorder, { now, seed: SEED })).map((run) => run.id);
      await Promise.race([recorder.flush(), failure]);
    } finally {
      progress.stop();
      await recorder.close({ timeoutMs: failed.signal.aborted ? 0 : CLOSE_TIMEOUT_MS });
    }
    if (failed.signal.aborted) {
      const reason = failed.signal.reason as Error;
      throw new CliError(`the demo could not write its history to ${context.dbName}: ${reason.message}`);
    }
    const { dropped } = recorder.stats();
    if (dropped.total > 0) {
      const reasons = Object.entries(dropped).filter(([reason, count]) => reason !== 'total' && count > 0).map(([reason, count]) => `${count} ${reason}`);
      throw new CliError(`the demo's recorder dropped ${dropped.total} of what it recorded (${reasons.join(', ')}); ${context.dbName} holds an incomplete history.`);
    }
    return showcase;
  });
  const total = options.executions + ids.length;
  if (context.json) return context.terminal.json({ [context.isPostgres ? 'database' : 'file']: context.dbName, executions: total, failedShowcaseId: ids[1] });
  const { colors } = context.terminal;
  const dbOption = context.dbPath === defaultPath(context) ? '' : ` --db ${context.dbName}`;
  const suggestions = [
    [`execution-history${dbOption} list`, 'the newest'],
    [`execution-history${dbOption} show ${shortIds(ids, SHORT_ID_LENGTH)[1]}`, 'the failed order sync, step by step'],
    [`execution-history${dbOption} stats`, 'the last 24 hours'],
  ];
  const width = Math.max(...suggestions.map(([command]) => (command as string).length));
  context.terminal.print(
    `Recorded ${total} simulated executions in ${context.dbName}.`,
    '',
    'Look at them:',
    ...suggestions.map(([command, what]) => `  ${colors.bold((command as string).padEnd(width))}  ${what}`),
  );
}
