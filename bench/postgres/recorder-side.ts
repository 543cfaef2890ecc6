// Part 13's PostgreSQL side: stores on fresh databases of their own, the raw side's batched inserts with
// node-postgres, and a second connection holding the two tables locked to make the database hold writes back.
import pg from 'pg';
import { openExecutionStore } from '../../src/index.js';
import type { RecorderBenchSide } from '../parts/recorder.js';
import { openRaw } from './raw.js';
import type { BenchServer } from './server.js';

export async function postgresRecorderSide(server: BenchServer, unavailableMs: number): Promise<RecorderBenchSide & { cleanUp(): Promise<void> }> {
  const databases: string[] = [];
  const fresh = async () => {
    const database = `execution_history_bench_recorder_${databases.length}`;
    databases.push(database);
    return server.createDatabase(database);
  };
  let current = '';
  const rawUrl = await fresh();
  await (await openExecutionStore(rawUrl)).close(); // the store's schema, migrated
  const raw = openRaw(rawUrl);
  return {
    openStore: async () => {
      current = await fresh();
      return openExecutionStore(current);
    },
    raw: {
      writeRuns: async (runs) => {
        await raw.writeRuns(runs);
      },
    },
    holdWrites: async () => {
      const holder = new pg.Client({ connectionString: current, application_name: 'execution-history-bench-holder' });
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE workflow_executions, execution_steps IN EXCLUSIVE MODE');
      return async () => {
        await holder.query('COMMIT');
        await holder.end();
      };
    },
    unavailableMs,
    cleanUp: async () => {
      await raw.close();
      for (const database of databases) await server.dropDatabase(database).catch(() => undefined);
    },
  };
}
