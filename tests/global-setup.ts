import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { setUpPostgresForTests } from './postgres/postgres-for-tests.js';
import type {} from './postgres/provided-postgres.js'; // the type of provide('postgres')

// Tests that spawn processes or import the package as a consumer would use the built JavaScript in dist/: the
// library's ES module and CommonJS builds with their types, and the bundled command.
function buildPackage(): void {
  execFileSync('npm', ['run', 'build', '--silent'], {
    cwd: new URL('..', import.meta.url),
    stdio: 'inherit',
  });
}

// The PostgreSQL tests' server (started here, or the one EXECUTION_HISTORY_TEST_POSTGRES_URL names) reaches the
// workers through provide/inject: the workers read it with inject('postgres') in tests/postgres/test-database.ts.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  buildPackage();
  const postgres = await setUpPostgresForTests();
  project.provide('postgres', postgres.provided);
  return postgres.teardown;
}
