import { defineConfig } from 'drizzle-kit';
import { DATABASE_PATH_ENV } from './src/core/database-path.js';

// The PostgreSQL history: its URL in EXECUTION_HISTORY_DB, the same variable the store and the command read.
// `generate` and `check` read the schema and the migrations folder alone and need no server.
const url = process.env[DATABASE_PATH_ENV] ?? '';
const OPENS_THE_DATABASE = ['migrate', 'push', 'studio', 'pull', 'introspect'];
if (process.argv.some((argument) => OPENS_THE_DATABASE.includes(argument)) && !/^postgres(ql)?:\/\//i.test(url)) {
  throw new Error(`${DATABASE_PATH_ENV} must hold a postgres:// URL for this command; it holds ${url === '' ? 'nothing' : `"${url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@')}"`}`);
}

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/postgres/schema.ts',
  out: './drizzle/postgres',
  dbCredentials: { url },
  // The package's own migrations table (src/postgres/migrations.ts says why), the one the store records into.
  migrations: { schema: 'drizzle', table: '__execution_history_migrations' },
  strict: true,
  verbose: true,
});
