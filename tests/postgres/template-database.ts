// The template that every test database is cloned from: migrated once per run, then cloned in ~0.1 s per test
// instead of migrating each test's database again.
import { type Client, escapeIdentifier } from 'pg';
import { withAdminClient } from './admin-client.js';
import { databaseUrl } from './database-url.js';
import { migrateTemplate } from './migrate-template.js';

/** PostgreSQL clones a database only while nobody is connected to it; it waits this long for them to go. */
const CONNECTIONS_GONE_WITHIN_MS = 5_000;

export async function createTemplateDatabase(serverUrl: string, name: string): Promise<void> {
  const template = escapeIdentifier(name);
  await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE ${template}`));
  await migrateTemplate(databaseUrl(serverUrl, name));
  await withAdminClient(serverUrl, async (client) => {
    // Refusing connections from now on means no test can open it by mistake and block every clone after it.
    await client.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    await waitForNoConnections(client, name);
  });
}

/**
 * A store whose close() left a connection open would make every clone fail with "source database is being
 * accessed by other users"; this says so once, here, with the reason.
 */
async function waitForNoConnections(client: Client, name: string): Promise<void> {
  const deadline = Date.now() + CONNECTIONS_GONE_WITHIN_MS;
  for (;;) {
    const { rows } = await client.query<{ open: number }>(
      'SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = $1',
      [name],
    );
    const open = rows[0]?.open ?? 0;
    if (open === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`${open} connection(s) still open on the template database ${name} after the store that migrated it was closed`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
