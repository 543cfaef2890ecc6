// A look into a SQLite history file that changes nothing (the store, when it opens a file, applies migrations and
// switches it to WAL): its pages, an integrity check, its pragmas, which migrations it has, its rows and the
// insight settings it holds. What `doctor` reports and `migrate` compares.
import { insightSettingsInForce } from '../core/insight-settings-in-force.js';
import type { InspectionOptions, InsightSettings, SqliteInspection } from '../core/types.js';
import { instancesIn } from './instances.js';
import { migrationState } from './migration-state.js';
import { readOnly } from './read-only.js';
import type BetterSqlite3 from 'better-sqlite3';

const AUTO_VACUUM = ['none', 'full', 'incremental'] as const;

export function inspectSqliteFile(file: string, { integrity = 'full', runningSince }: InspectionOptions = {}): SqliteInspection {
  return readOnly(file, (sqlite) => {
    const pragma = (name: string) => sqlite.pragma(name, { simple: true }) as number | string;
    // Both integrity checks read the whole file: at 17 GB, minutes.
    const check = integrity === 'quick' ? 'quick_check' : 'integrity_check';
    const hasTable = (name: string) => sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    const hasTables = hasTable('workflow_executions');
    const count = (sql: string, ...values: unknown[]) => (hasTables ? (sqlite.prepare(sql).pluck().get(...values) as number) : 0);
    return {
      backend: 'sqlite',
      pageSize: Number(pragma('page_size')),
      pageCount: Number(pragma('page_count')),
      freePages: Number(pragma('freelist_count')),
      journalMode: String(pragma('journal_mode')),
      autoVacuum: AUTO_VACUUM[Number(pragma('auto_vacuum'))] ?? 'unknown',
      integrity: integrity === 'none' ? null : (sqlite.pragma(check) as Record<string, string>[]).map((row) => row[check] as string),
      migrations: migrationState(sqlite),
      rows: {
        executions: count('SELECT count(*) FROM workflow_executions'),
        steps: count('SELECT count(*) FROM execution_steps'),
        running: count("SELECT count(*) FROM workflow_executions WHERE status = 'running'"),
        runningSince:
          runningSince === undefined ? null : count("SELECT count(*) FROM workflow_executions WHERE status = 'running' AND started_at < ?", runningSince),
      },
      insights: hasTable('insight_settings') ? insightSettingsOf(sqlite) : null,
      instances: instancesIn(sqlite),
    };
  });
}

/** The insight settings the file holds, with the defaults for the others. */
function insightSettingsOf(sqlite: BetterSqlite3.Database): InsightSettings {
  const row = sqlite.prepare('SELECT outlive_deletes, hourly_days, daily_days FROM insight_settings WHERE id = 1').get() as
    | { outlive_deletes: number | null; hourly_days: number | null; daily_days: number | null }
    | undefined;
  return insightSettingsInForce({
    outliveDeletes: row?.outlive_deletes == null ? null : row.outlive_deletes === 1,
    hourlyDays: row?.hourly_days ?? null,
    dailyDays: row?.daily_days ?? null,
  });
}
