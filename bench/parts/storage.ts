// Part 7: bytes on disk per step against the payload bytes stored, and where the rest goes.
import { statSync } from 'node:fs';
import type { openRaw } from '../raw.js';

type Raw = ReturnType<typeof openRaw>;

export function storageLines(file: string, raw: Raw): string[] {
  raw.db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = statSync(file).size;
  const { steps, payload } = raw.db
    .prepare('SELECT count(*) AS steps, sum(length(input_data)) + sum(ifnull(length(output_data), 0)) AS payload FROM execution_steps')
    .get() as { steps: number; payload: number };
  const perObject = raw.db
    .prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC')
    .all() as { name: string; bytes: number }[];
  const mb = (value: number) => `${(value / 1024 / 1024).toFixed(1)} MiB`;
  return [
    `Database file: ${mb(bytes)} for ${steps} steps: ${(bytes / steps).toFixed(0)} bytes per step, of which ${(payload / steps).toFixed(0)} are payload JSON (overhead ${(((bytes - payload) / payload) * 100).toFixed(1)}% over the payloads).`,
    '',
    '| table or index | size | share |',
    '|---|---|---|',
    ...perObject.map((object) => `| ${object.name} | ${mb(object.bytes)} | ${((object.bytes / bytes) * 100).toFixed(1)}% |`),
  ];
}
