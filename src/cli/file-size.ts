// What a history takes on disk: the database file and its write-ahead log, or on PostgreSQL its tables.
import { existsSync, statSync } from 'node:fs';
import type { Context } from './context.js';

export const sizeOf = (file: string) => (existsSync(file) ? statSync(file).size : 0);

export function fileBytes(dbPath: string): { database: number; wal: number } {
  return { database: sizeOf(dbPath), wal: sizeOf(`${dbPath}-wal`) };
}

/** The history's size on disk, and what to call it: a file with its WAL, or PostgreSQL tables with their indexes. */
export async function historyBytes(context: Context): Promise<{ bytes: number; label: string }> {
  if (!context.isPostgres) {
    const { database, wal } = fileBytes(context.dbPath);
    return { bytes: database + wal, label: 'File size' };
  }
  const { inspectExecutionHistory } = await import('../inspect.js');
  const inspection = await inspectExecutionHistory(context.dbPath, { integrity: 'none' });
  return { bytes: inspection.backend === 'postgres' ? inspection.tableBytes : 0, label: 'Table size' };
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
