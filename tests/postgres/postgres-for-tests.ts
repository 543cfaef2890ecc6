// Which PostgreSQL server the test run uses: the one EXECUTION_HISTORY_TEST_POSTGRES_URL names, else a throwaway
// server of its own, else none (the PostgreSQL suites skip; in CI that is an error instead, so that CI never
// passes without having run them).
import { randomBytes } from 'node:crypto';
import { escapeIdentifier } from 'pg';
import { withAdminClient } from './admin-client.js';
import { findPostgresBinaries } from './binaries.js';
import type { ProvidedPostgres } from './provided-postgres.js';
import { createTemplateDatabase } from './template-database.js';
import { startThrowawayPostgres } from './throwaway-server.js';

export const POSTGRES_URL_ENV = 'EXECUTION_HISTORY_TEST_POSTGRES_URL';

export interface PostgresForTests {
  provided: ProvidedPostgres;
  /** Stops the throwaway server, or drops this run's databases from the given one. */
  teardown(): Promise<void>;
}

export async function setUpPostgresForTests(): Promise<PostgresForTests> {
  const server = await chooseServer();
  if ('missing' in server) {
    const why = `no initdb found (searched ${server.missing}): install postgresql-15 or set ${POSTGRES_URL_ENV}`;
    if (isCi()) throw new Error(`CI needs PostgreSQL, but ${why}`);
    const skipReason = `PostgreSQL suites skipped: ${why}`;
    console.warn(skipReason);
    return { provided: { available: false, skipReason }, teardown: async () => {} };
  }

  // Unique per run: two runs against one shared server never touch each other's databases.
  const databasePrefix = `execution_history_${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
  const templateDatabase = `${databasePrefix}_template`;
  const teardown = async (): Promise<void> => {
    if (server.stop !== undefined) return server.stop();
    await dropDatabasesStartingWith(server.url, databasePrefix);
  };
  try {
    await createTemplateDatabase(server.url, templateDatabase);
  } catch (error) {
    await teardown().catch(() => {}); // the first error is the one worth reading
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`preparing the template database on ${withoutPassword(server.url)} failed: ${message}`, { cause: error });
  }
  return { provided: { available: true, adminUrl: server.url, templateDatabase, databasePrefix }, teardown };
}

/** A server started here comes with stop(); a given one is left running. */
type Server = { url: string; stop?: () => Promise<void> } | { missing: string };

async function chooseServer(): Promise<Server> {
  const givenUrl = process.env[POSTGRES_URL_ENV];
  if (givenUrl !== undefined && givenUrl !== '') return { url: givenUrl };
  const binaries = findPostgresBinaries();
  if (!binaries.found) return { missing: binaries.searched };
  return startThrowawayPostgres();
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

/** CI sets CI=true; CI=false or CI=0 (some tools' way to say "not CI") does not count. */
function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/** What tests left behind on a shared server (a crashed worker, a database a test forgot) goes with the run. */
async function dropDatabasesStartingWith(serverUrl: string, prefix: string): Promise<void> {
  await withAdminClient(serverUrl, async (client) => {
    const { rows } = await client.query<{ datname: string; datistemplate: boolean }>(
      "SELECT datname, datistemplate FROM pg_database WHERE starts_with(datname, $1 || '_')",
      [prefix],
    );
    for (const { datname, datistemplate } of rows) {
      const database = escapeIdentifier(datname);
      // PostgreSQL drops no database marked as a template.
      if (datistemplate) await client.query(`ALTER DATABASE ${database} WITH IS_TEMPLATE false`);
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  });
}
