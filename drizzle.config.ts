import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { defineConfig } from 'drizzle-kit';
import { resolveDatabasePath } from './src/database-path.js';

const url = resolveDatabasePath();
// drizzle-kit migrate/studio open the file with better-sqlite3, which cannot create missing folders.
mkdirSync(dirname(url), { recursive: true });

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/schema.ts',
  out: './drizzle',
  dbCredentials: { url },
  strict: true,
  verbose: true,
});
