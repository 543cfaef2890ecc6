// `migrate`: applies the package's pending migrations (creating the file if there is none), as the store does
// when it opens a file, and says which ones it applied.
import { existsSync } from 'node:fs';
import { type Context, withStore } from '../context.js';
import { inspectExecutionHistory } from '../../inspect.js';

export async function migrate(context: Context): Promise<void> {
  const created = !existsSync(context.dbPath);
  const migrationsOf = async () => (await inspectExecutionHistory(context.dbPath, { integrity: 'none' })).migrations;
  const before = created ? undefined : await migrationsOf();
  await withStore(context.open(), async () => {});
  const after = await migrationsOf();
  const applied = after.applied.filter((tag) => !(before?.applied ?? []).includes(tag));
  if (context.json) return context.terminal.json({ file: context.dbPath, created, applied, pending: after.pending });
  const { terminal } = context;
  if (created) terminal.print(`Created ${context.dbPath}.`);
  terminal.print(applied.length === 0 ? 'No migrations to apply: the schema is current.' : `Applied ${applied.length} migrations: ${applied.join(', ')}.`);
}
