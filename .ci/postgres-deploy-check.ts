// The deploy route on PostgreSQL, as CI checks it on SQLite: `npm run db:migrate:postgres` (drizzle-kit) migrates a
// fresh database, then the store opens it and applies nothing again (the same migrations table and hashes).
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { openExecutionStore } from '../dist/index.js';
import { startThrowawayPostgres } from '../tests/postgres/throwaway-server.js';

const server = await startThrowawayPostgres();
try {
  execFileSync('npm', ['run', 'db:migrate:postgres', '--silent'], { stdio: 'inherit', env: { ...process.env, EXECUTION_HISTORY_DB: server.url } });
  const applied = async () => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      return (await client.query('SELECT hash, created_at FROM drizzle.__execution_history_migrations ORDER BY id')).rows;
    } finally {
      await client.end();
    }
  };
  const before = await applied();
  const store = await openExecutionStore(server.url);
  await store.queryExecutions();
  await store.close();
  const after = await applied();
  if (before.length === 0 || JSON.stringify(before) !== JSON.stringify(after)) {
    console.error('migrations applied by drizzle-kit:', before.length, 'after the store opened:', after.length);
    process.exitCode = 1;
  } else {
    console.log(`store opened the migrated database; ${after.length} migration(s), none applied again`);
  }
} finally {
  await server.stop();
}
