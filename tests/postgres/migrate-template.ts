// The template database holds what the package's own migrations make of an empty database, so every database
// cloned from it starts as a store opening a new PostgreSQL database would leave it.
export async function migrateTemplate(url: string): Promise<void> {
  const { openExecutionStore } = await import('../../src/index.js');
  const store = await openExecutionStore(url);
  await store.close();
}
