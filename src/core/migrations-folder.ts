// Where the package's migrations for a dialect are, wherever the running module is: `src/<dialect>/` under tsx and
// vitest, `dist/` for the built library (ESM and CommonJS), `dist/cli/` for the bundled command. All of them sit
// below the package root, which holds `drizzle/sqlite/` and `drizzle/postgres/`. Resolved from this module's own
// location, never from the working directory.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const JOURNAL = join('meta', '_journal.json');

export function findMigrationsFolder(moduleUrl: string, dialect: 'sqlite' | 'postgres'): string {
  const start = dirname(fileURLToPath(moduleUrl));
  for (let folder = start, depth = 0; depth < 4; folder = dirname(folder), depth++) {
    const candidate = join(folder, 'drizzle', dialect);
    if (existsSync(join(candidate, JOURNAL))) return candidate;
  }
  throw new Error(
    `@opennoodl/execution-history: its migrations folder (drizzle/${dialect}/, with ${JOURNAL}) was not found above ${start}. ` +
      'The package was installed or bundled without its drizzle/ folder; ship it beside dist/ (it is in the package\'s "files").',
  );
}
