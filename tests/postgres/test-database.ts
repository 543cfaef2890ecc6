// A database of its own for each test, on the run's PostgreSQL server: cloned from the migrated template (or
// empty, for migration tests) and dropped after the test, like tests/factories.ts closes its stores.
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { escapeIdentifier } from 'pg';
import { afterEach, inject } from 'vitest';
import { withAdminClient } from './admin-client.js';
import { databaseNameOf, databaseUrl } from './database-url.js';
import type {} from './provided-postgres.js'; // the type of inject('postgres')

// Undefined only when tests/global-setup.ts did not run (a config without it): then there is no server either.
const postgres = inject('postgres') ?? { available: false, skipReason: 'PostgreSQL suites skipped: tests/global-setup.ts did not run' };

/** Why the PostgreSQL tests cannot run here; undefined when they can. For describe.skipIf. */
export const postgresSkipReason: string | undefined = postgres.available ? undefined : postgres.skipReason;

/** A URL with rights to create and drop databases on the run's server, for tests that need one. */
export const postgresAdminUrl: string | undefined = postgres.available ? postgres.adminUrl : undefined;

// Names unique across workers (process and thread) and across the test files one worker runs in turn (each
// loads this module anew, and the counter starts again).
const namesFromHere = `${process.pid}_${threadId}_${randomBytes(2).toString('hex')}`;
let databasesMade = 0;

const droppedAfterTest: string[] = [];

afterEach(async () => {
  for (const url of droppedAfterTest.splice(0)) await dropPostgresDatabase(url);
});

/** A new database holding the package's migrated schema, dropped after the test. */
export async function freshPostgresUrl(): Promise<string> {
  return trackedPostgresUrl(await clonePostgresDatabase());
}

/** A new database with nothing in it (for migration tests), dropped after the test. */
export async function emptyPostgresUrl(): Promise<string> {
  return trackedPostgresUrl(await createPostgresDatabase(''));
}

/**
 * A new database holding the package's migrated schema that outlives the test: for a database shared by the tests
 * of a describe, made in beforeAll and dropped with dropPostgresDatabase in afterAll.
 */
export async function clonePostgresDatabase(): Promise<string> {
  const { templateDatabase } = availablePostgres();
  return createPostgresDatabase(` TEMPLATE ${escapeIdentifier(templateDatabase)}`);
}

/** Drops the database after the current test; returns the URL. */
export function trackedPostgresUrl(url: string): string {
  droppedAfterTest.push(url);
  return url;
}

/** Drops the database, ending any connection still open on it (a store the test did not close). */
export async function dropPostgresDatabase(url: string): Promise<void> {
  const { adminUrl } = availablePostgres();
  await withAdminClient(adminUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(databaseNameOf(url))} WITH (FORCE)`),
  );
}

async function createPostgresDatabase(fromTemplate: string): Promise<string> {
  const { adminUrl, databasePrefix } = availablePostgres();
  const name = `${databasePrefix}_${namesFromHere}_${++databasesMade}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${escapeIdentifier(name)}${fromTemplate}`));
  return databaseUrl(adminUrl, name);
}

function availablePostgres(): Extract<typeof postgres, { available: true }> {
  if (!postgres.available) throw new Error(`no PostgreSQL for this test: ${postgres.skipReason}`);
  return postgres;
}
