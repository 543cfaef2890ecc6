import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { setUpPostgresForTests } from './postgres/postgres-for-tests.js';
import type {} from './postgres/provided-postgres.js'; // the type of provide('postgres')

// Tests that spawn processes or import the package as a consumer would use the built JavaScript in dist/: the
// library's ES module and CommonJS builds with their types, and the bundled command. Built unless dist/ is newer
// than every source file (the build takes a minute, and a second run of the tests while one rebuilds would find
// dist/ half gone).
function buildPackage(): void {
  const root = new URL('..', import.meta.url).pathname;
  if (builtAfterSources(root)) return;
  execFileSync('npm', ['run', 'build', '--silent'], {
    cwd: new URL('..', import.meta.url),
    stdio: 'inherit',
  });
}

function builtAfterSources(root: string): boolean {
  let built: number;
  try {
    built = Math.min(...['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/cli/main.js'].map((file) => statSync(join(root, file)).mtimeMs));
  } catch {
    return false; // not built yet
  }
  const newestSource = Math.max(
    ...['package.json', 'tsup.config.ts', 'tsconfig.json'].map((file) => statSync(join(root, file)).mtimeMs),
    ...readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => statSync(join(entry.parentPath, entry.name)).mtimeMs),
  );
  return built > newestSource;
}

// The PostgreSQL tests' server (started here, or the one EXECUTION_HISTORY_TEST_POSTGRES_URL names) reaches the
// workers through provide/inject: the workers read it with inject('postgres') in tests/postgres/test-database.ts.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  buildPackage();
  const postgres = await setUpPostgresForTests();
  project.provide('postgres', postgres.provided);
  return postgres.teardown;
}
