import { resolve } from 'node:path';
import { defineConfig } from 'drizzle-kit';
import { createDatabaseFile } from './src/sqlite/database-file.js';
import { resolveDatabasePath } from './src/core/database-path.js';

// A relative path means relative to where the person typed the command: npm runs scripts in this package's folder
// (also for `npm run db:migrate -w …` from a workspace root) and says where it was started in INIT_CWD.
const url = resolve(process.env.INIT_CWD ?? process.cwd(), resolveDatabasePath());
// drizzle-kit would create the file with SQLite's defaults (mode 0644, 4 KiB pages, no auto-vacuum); made here
// first, it is the file the store itself creates. Only for the commands that open the database: `generate` and
// `check` read the schema and the migrations folder alone.
const OPENS_THE_DATABASE = ['migrate', 'push', 'studio', 'pull', 'introspect'];
if (process.argv.some((argument) => OPENS_THE_DATABASE.includes(argument))) createDatabaseFile(url);

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/sqlite/schema.ts',
  out: './drizzle/sqlite',
  dbCredentials: { url },
  strict: true,
  verbose: true,
});
