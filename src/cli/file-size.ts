// What a history takes on disk: the database file and its write-ahead log.
import { existsSync, statSync } from 'node:fs';

export const sizeOf = (file: string) => (existsSync(file) ? statSync(file).size : 0);

export function fileBytes(dbPath: string): { database: number; wal: number } {
  return { database: sizeOf(dbPath), wal: sizeOf(`${dbPath}-wal`) };
}

/** 1.4 MB, 820 KB, 12 GB: decimal units, as file managers show them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
