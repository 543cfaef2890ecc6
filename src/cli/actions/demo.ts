// `demo`: a database filled with realistic simulated history (the benchmark's generator, ending now, and three
// hand-written runs as the newest), so that every other command has something to show.
import { existsSync, rmSync } from 'node:fs';
import { DATABASE_PATH_ENV, DEFAULT_DATABASE_PATH } from '../../core/database-path.js';
import { recordShowcaseRuns } from '../../demo/showcase-runs.js';
import { generate } from '../../demo/simulated-history.js';
import { CliError } from '../cli-error.js';
import { type Context, withStore } from '../context.js';
import { SHORT_ID_LENGTH, shortIds } from '../execution-id.js';
import { progressBar } from '../progress.js';

const defaultPath = (context: Context) => context.io.env[DATABASE_PATH_ENV] ?? DEFAULT_DATABASE_PATH;

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
    try {
      // The simulated runs end a few minutes before the showcase runs, which end just before now.
      await generate(store, options.executions, (done) => progress.update(done), now - 5 * 60_000);
    } finally {
      progress.stop();
    }
    return recordShowcaseRuns(store, now);
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
