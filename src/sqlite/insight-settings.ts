// The insight settings kept in the file (insight_settings), because every process that writes a file must use the
// same ones: a process counting deletes out of the rollups and another leaving them in would make the rollups
// describe neither; a command pruning with its defaults would drop a year of rollups another process keeps for two.
// Each setting is pinned by the first process that gives it explicitly; the others read it from the file. Which
// settings are in force, which to pin and when to refuse is src/core/ (insight-settings-in-force.ts,
// insight-settings-pinning.ts, hourly-kept-within-daily.ts); this file reads and writes the row.
import type BetterSqlite3 from 'better-sqlite3';
import { eq, sql } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { DEFAULT_INSIGHT_SETTINGS } from '../core/constants.js';
import { checkHourlyKeptWithinDaily } from '../core/hourly-kept-within-daily.js';
import { insightSettingsInForce, retentionInForce } from '../core/insight-settings-in-force.js';
import { settingsToPin } from '../core/insight-settings-pinning.js';
import { insightSettings } from './schema.js';
import { prepareDirect } from './statements.js';
import type { InsightRetention, InsightRetentionChange, InsightSettings } from '../core/types.js';
import { type KeptRollups, keptRollupsOf } from '../core/kept-rollups.js';

export type { KeptRollups };

const SETTINGS_ROW = 1;

export class SharedInsightSettings {
  private readonly statements;

  constructor(
    private readonly db: HistoryDatabase,
    sqlite: BetterSqlite3.Database,
  ) {
    this.statements = {
      read: prepareDirect(sqlite, db.select().from(insightSettings).where(eq(insightSettings.id, SETTINGS_ROW))),
    };
  }

  /** The settings in force: the file's, the defaults where the file has none. Read at every use: another process may pin them. */
  current(): Required<InsightRetention> {
    return retentionInForce(this.row());
  }

  /**
   * Whether deletes leave the insights counting what they delete, pinned in the file by the first delete that counts
   * under it: a process opening the file later with the other setting is refused, instead of mixing the two ways of
   * counting in the same rollups. Call in the deleting transaction.
   */
  outliveDeletesForDelete(): boolean {
    const row = this.row();
    if (row.outliveDeletes !== null) return row.outliveDeletes;
    this.write({ outliveDeletes: DEFAULT_INSIGHT_SETTINGS.outliveDeletes });
    return DEFAULT_INSIGHT_SETTINGS.outliveDeletes;
  }

  /** The settings in force and which of them the file holds (the others are defaults). */
  describe(): InsightSettings {
    return insightSettingsInForce(this.row());
  }

  kept(): KeptRollups {
    return keptRollupsOf(this.row());
  }

  /**
   * Checks the settings a process opens the file with against the file's, and pins those the file does not hold
   * yet. Call inside a write transaction, so that two processes pinning different values cannot both succeed.
   * Throws VALIDATION naming the file's value when one differs.
   */
  pin(given: InsightRetention, what: string, fileName: string): void {
    const pinning = settingsToPin(this.row(), given, what, fileName);
    if (pinning !== undefined) this.write(pinning);
  }

  /** Sets the retention of the file's rollups for every process; call inside a write transaction. */
  setRetention(retention: InsightRetentionChange, what: string): void {
    checkHourlyKeptWithinDaily({ ...this.current(), ...retention }, `${what}: invalid input: retention`);
    this.write(retention);
  }

  /**
   * Records that the rollup rows of buckets before these times were pruned. Only ever moves forward: rows once
   * pruned are gone, whatever a later, longer retention says. Call in the transaction that prunes.
   */
  recordPruned(cutoffs: KeptRollups): void {
    const later = (column: string, cutoff: number) => sql.raw(`max(coalesce("${column}", ${cutoff}), ${cutoff})`);
    this.db
      .insert(insightSettings)
      .values({ id: SETTINGS_ROW, nodeHoursKeptFrom: cutoffs.nodeHoursFrom, workflowHoursKeptFrom: cutoffs.workflowHoursFrom, daysKeptFrom: cutoffs.daysFrom })
      .onConflictDoUpdate({
        target: insightSettings.id,
        set: {
          nodeHoursKeptFrom: later('node_hours_kept_from', cutoffs.nodeHoursFrom),
          workflowHoursKeptFrom: later('workflow_hours_kept_from', cutoffs.workflowHoursFrom),
          daysKeptFrom: later('days_kept_from', cutoffs.daysFrom),
        },
      })
      .run();
  }

  private write(values: InsightRetention): void {
    const set = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
    if (Object.keys(set).length === 0) return;
    this.db.insert(insightSettings).values({ id: SETTINGS_ROW, ...set }).onConflictDoUpdate({ target: insightSettings.id, set }).run();
  }

  private row() {
    const found = this.statements.read.get({}) as unknown[] | undefined;
    // The migration inserts the row; a tool may have deleted it, and then nothing is pinned or pruned.
    const [, outliveDeletes, hourlyDays, dailyDays, nodeHoursKeptFrom, workflowHoursKeptFrom, daysKeptFrom] = (found ?? []) as (number | null)[];
    return {
      outliveDeletes: outliveDeletes == null ? null : outliveDeletes === 1,
      hourlyDays: hourlyDays ?? null,
      dailyDays: dailyDays ?? null,
      nodeHoursKeptFrom: nodeHoursKeptFrom ?? null,
      workflowHoursKeptFrom: workflowHoursKeptFrom ?? null,
      daysKeptFrom: daysKeptFrom ?? null,
    };
  }
}

