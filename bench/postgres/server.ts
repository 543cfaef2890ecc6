// The PostgreSQL server the benchmark runs on: the one --url names, or a throwaway one of the tests' helper
// (tests/postgres/throwaway-server.ts: initdb into a temporary folder, loopback only, removed when stopped). The
// helper writes fsync, synchronous_commit and full_page_writes off into the cluster's postgresql.conf, which suits
// tests; a benchmark of commits wants a server as deployed, so the benchmark turns them back on with ALTER SYSTEM
// (postgresql.auto.conf is read after postgresql.conf) and a reload: all three take effect without a restart.
// The benchmark works in databases of its own on that server, dropped at the end (unless --keep): the dataset's
// retention part deletes executions, which must never touch a database someone keeps their history in.
import pg from 'pg';
import { startThrowawayPostgres } from '../../tests/postgres/throwaway-server.js';

export interface BenchServer {
  /** The URL given or the throwaway's; its database is only used to create and drop the benchmark's. */
  url: string;
  throwaway: boolean;
  /** One line for the results: version and the settings that decide what a commit costs. */
  description: string;
  /** A URL of the same server on another database. */
  urlOf(database: string): string;
  /** Creates the database afresh (dropping one of that name first) and returns its URL. */
  createDatabase(database: string): Promise<string>;
  dropDatabase(database: string): Promise<void>;
  /** Asks the server for a checkpoint, so that the next measurement does not inherit the last one's dirty pages. */
  checkpoint(): Promise<void>;
  stop(): Promise<void>;
}

/** With this set to `off`, a throwaway server keeps the helper's fsync=off settings (to compare what durability costs). */
export const DURABILITY_ENV = 'EXECUTION_HISTORY_BENCH_POSTGRES_FSYNC';

export async function openBenchServer(url: string | undefined, log: (message: string) => void): Promise<BenchServer> {
  const throwaway = url === undefined ? await startThrowawayPostgres() : undefined;
  const serverUrl = url ?? (throwaway?.url as string);
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: serverUrl, application_name: 'execution-history-bench-admin' });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  const durable = process.env[DURABILITY_ENV] !== 'off';
  if (throwaway !== undefined && durable) {
    await admin(async (client) => {
      await client.query('ALTER SYSTEM SET fsync = on');
      await client.query('ALTER SYSTEM SET synchronous_commit = on');
      await client.query('ALTER SYSTEM SET full_page_writes = on');
      await client.query('SELECT pg_reload_conf()');
    });
    // The reload is asynchronous: wait until the server says it took the settings.
    for (let attempt = 0; attempt < 50; attempt++) {
      const fsync = await admin(async (client) => (await client.query('SHOW fsync')).rows[0]?.fsync as string);
      if (fsync === 'on') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const settings = await admin(async (client) => {
    const { rows } = await client.query(
      `SELECT name, setting, unit FROM pg_settings
       WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_wal_size', 'wal_sync_method')`,
    );
    const version = (await client.query('SHOW server_version')).rows[0]?.server_version as string;
    return { version, values: Object.fromEntries(rows.map((row) => [row.name as string, row.unit === '8kB' ? `${(Number(row.setting) * 8) / 1024} MB` : `${row.setting}${row.unit === 'MB' ? ' MB' : ''}`])) };
  });
  const v = settings.values;
  const where = throwaway === undefined
    ? `the server at ${new URL(serverUrl).host} (--url)`
    : `a throwaway server started by the benchmark (tests/postgres/throwaway-server.ts: initdb into a temporary folder, loopback, removed afterwards)${
        durable
          ? '; the helper configures fsync, synchronous_commit and full_page_writes off for tests, and the benchmark turned them back on (ALTER SYSTEM, reload) before anything was written'
          : `; ${DURABILITY_ENV}=off kept the helper's settings, fsync=off: commits are not flushed to disk, which makes every write cheaper than on a durable server`
      }`;
  const description =
    `Server: PostgreSQL ${settings.version} on this machine (loopback TCP), ${where}. ` +
    `fsync=${v.fsync}, synchronous_commit=${v.synchronous_commit}, full_page_writes=${v.full_page_writes}, wal_sync_method=${v.wal_sync_method}, ` +
    `shared_buffers=${v.shared_buffers}, max_wal_size=${v.max_wal_size}. The store and the raw side run on the same server with the same settings, so these apply to both sides equally.`;
  log(description);

  const urlOf = (database: string) => {
    const target = new URL(serverUrl);
    target.pathname = `/${database}`;
    return target.toString();
  };
  const quoted = (database: string) => `"${database.replaceAll('"', '""')}"`;
  const dropDatabase = (database: string) => admin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${quoted(database)} WITH (FORCE)`)));
  return {
    url: serverUrl,
    throwaway: throwaway !== undefined,
    description,
    urlOf,
    createDatabase: async (database) => {
      await dropDatabase(database);
      await admin((client) => client.query(`CREATE DATABASE ${quoted(database)}`));
      return urlOf(database);
    },
    dropDatabase,
    checkpoint: async () => {
      // CHECKPOINT needs a superuser (or pg_checkpoint): the throwaway's user is one; on another server it may be refused.
      await admin((client) => client.query('CHECKPOINT')).catch(() => undefined);
    },
    stop: async () => {
      await throwaway?.stop();
    },
  };
}
