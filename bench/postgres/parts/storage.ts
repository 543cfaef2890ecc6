// Part 7 on PostgreSQL: SQLite's page-by-page breakdown (dbstat) and its WAL have no meaning here; what does is the
// bytes the server keeps per step against the payload bytes stored, by table and index (TOAST with its table).
import type { Raw } from '../raw.js';

export async function storageLines(raw: Raw): Promise<string[]> {
  const [database] = await raw.rows('SELECT pg_database_size(current_database()) AS bytes');
  const [payload] = await raw.rows(
    `SELECT count(*) AS steps, sum(octet_length(input_data)) + sum(coalesce(octet_length(output_data), 0)) AS payload,
       sum(pg_column_size(input_data)) + sum(coalesce(pg_column_size(output_data), 0)) AS stored FROM execution_steps`,
  );
  const objects = await raw.rows(
    `SELECT c.relname AS name, c.relkind AS kind, pg_relation_size(c.oid) AS main,
       coalesce(pg_total_relation_size(c.reltoastrelid), 0) AS toast
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')
     ORDER BY pg_relation_size(c.oid) + coalesce(pg_total_relation_size(c.reltoastrelid), 0) DESC`,
  );
  const bytes = Number(database?.bytes);
  const steps = Number(payload?.steps);
  const payloadBytes = Number(payload?.payload);
  const mb = (value: number) => `${(value / 1024 / 1024).toFixed(1)} MiB`;
  return [
    `Database: ${mb(bytes)} (pg_database_size, the catalogue's few MB included) for ${steps} steps: ${(bytes / steps).toFixed(0)} bytes per step, ` +
      `of which ${(payloadBytes / steps).toFixed(0)} are payload JSON (${(Number(payload?.stored) / steps).toFixed(0)} as stored: PostgreSQL compresses values over ~2 KB); ` +
      `overhead ${(((bytes - payloadBytes) / payloadBytes) * 100).toFixed(1)}% over the payloads. SQLite's page breakdown and WAL (part 7 there) do not apply.`,
    '',
    '| table or index | size | of which TOAST | share |',
    '|---|---|---|---|',
    ...objects.map((object) => {
      const size = Number(object.main) + Number(object.toast);
      return `| ${object.name as string}${object.kind === 'i' ? ' (index)' : ''} | ${mb(size)} | ${Number(object.toast) > 0 ? mb(Number(object.toast)) : ''} | ${((size / bytes) * 100).toFixed(1)}% |`;
    }),
  ];
}
