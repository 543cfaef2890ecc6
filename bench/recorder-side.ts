// Part 13's SQLite side: stores on fresh files of their own, the raw side's batched inserts with better-sqlite3, and
// a second connection holding the write lock to make the file refuse writes.
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openExecutionStore } from '../src/index.js';
import type { RecorderBenchSide } from './parts/recorder.js';
import { openRaw } from './raw.js';

/** How long a write of the recorder's store waits for a held lock: the driver is synchronous, and the wait is the loop's. */
const RECORDER_BUSY_TIMEOUT_MS = 100;

export async function sqliteRecorderSide(dir: string, unavailableMs: number): Promise<RecorderBenchSide & { cleanUp(): void }> {
  const files: string[] = [];
  const fresh = (name: string) => {
    const file = join(dir, `recorder-${name}-${files.length}.db`);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    files.push(file);
    return file;
  };
  let current = '';
  // The raw side's file, with the store's schema.
  const rawFile = fresh('raw');
  (await openExecutionStore(rawFile)).close();
  const raw = openRaw(rawFile);
  const writeRuns = raw.db.transaction((runs: Parameters<RecorderBenchSide['raw']['writeRuns']>[0]) => {
    for (const { execution, steps } of runs) {
      const executionId = raw.addExecution(execution);
      for (const step of steps) raw.addStep({ ...step, executionId });
    }
  });
  return {
    openStore: async () => {
      current = fresh('store');
      return openExecutionStore(current, { busyTimeoutMs: RECORDER_BUSY_TIMEOUT_MS });
    },
    raw: { writeRuns: async (runs) => writeRuns(runs) },
    holdWrites: async () => {
      const holder = new Database(current);
      holder.exec('BEGIN IMMEDIATE');
      return async () => {
        holder.exec('COMMIT');
        holder.close();
      };
    },
    unavailableMs,
    // A SQLite file's recorder may write from a worker thread: both measured.
    writers: ['inline', 'worker'],
    cleanUp: () => {
      raw.db.close();
      for (const file of files) for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    },
  };
}
