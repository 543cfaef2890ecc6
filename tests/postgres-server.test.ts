// The PostgreSQL test infrastructure as a test sees it: the databases it hands out are real, separate, migrated
// (or empty when asked), and gone once dropped.
import { Client } from 'pg';
import { describe, expect, it } from 'vitest';
import {
  dropPostgresDatabase,
  emptyPostgresUrl,
  freshPostgresUrl,
  postgresAdminUrl,
  postgresSkipReason,
} from './postgres/test-database.js';

async function withConnection<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function publicTables(url: string): Promise<string[]> {
  return withConnection(url, async (client) => {
    const { rows } = await client.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    return rows.map((row) => row.tablename);
  });
}

describe.skipIf(postgresSkipReason !== undefined)('PostgreSQL test databases', () => {
  it('a fresh database accepts a connection and holds the package tables', async () => {
    const url = await freshPostgresUrl();
    expect(await withConnection(url, async (client) => (await client.query('SELECT 1 AS one')).rows)).toEqual([{ one: 1 }]);
    expect(await publicTables(url)).toEqual(expect.arrayContaining(['workflow_executions', 'execution_steps']));
  });

  it('two fresh databases are distinct: a row written in one is not in the other', async () => {
    const [first, second] = [await freshPostgresUrl(), await freshPostgresUrl()];
    expect(first).not.toBe(second);
    await withConnection(first, (client) => client.query('CREATE TABLE only_here (id int)'));
    expect(await publicTables(first)).toContain('only_here');
    expect(await publicTables(second)).not.toContain('only_here');
  });

  it('an empty database has no tables', async () => {
    expect(await publicTables(await emptyPostgresUrl())).toEqual([]);
  });

  it('a dropped database is gone, even with a connection still open on it', async () => {
    const url = await freshPostgresUrl();
    const leftOpen = new Client({ connectionString: url });
    leftOpen.on('error', () => {}); // the drop ends this connection; that is the point
    await leftOpen.connect();
    await dropPostgresDatabase(url);
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    const remaining = await withConnection(postgresAdminUrl!, async (client) =>
      (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount,
    );
    expect(remaining).toBe(0);
    await expect(withConnection(url, async () => undefined)).rejects.toThrow(/does not exist/);
    await leftOpen.end().catch(() => {});
  });
});
