// The insight settings kept in the file (insight_settings), because every process that writes a file must use the
// same ones: a process counting deletes out of the rollups and another leaving them in would make the rollups
// describe neither; a command pruning with its defaults would drop a year of rollups another process keeps for two.
// Each setting is pinned by the first process that gives it explicitly; the others read it from the file.
import type BetterSqlite3 from 'better-sqlite3';
import { eq, sql } from 'drizzle-orm';
import type { HistoryDatabase } from './connection.js';
import { ExecutionStoreError } from '../core/errors.js';
import { DEFAULT_INSIGHT_SETTINGS } from '../core/constants.js';
import { insightSettingsInForce } from '../core/insight-settings-in-force.js';
import { insightSettings } from './schema.js';
import { prepareDirect } from './statements.js';
import type { InsightRetention, InsightRetentionChange, InsightSettings } from '../core/types.js';
import type { KeptRollups } from '../core/kept-rollups.js';

export type { KeptRollups };


/** Hours are summed into days, so days must be kept at least as long; a day recounted from its hours needs them all. */
function checkRetention(retention: Required<InsightRetention>, context: string): void {
  if (retention.hourlyDays <= retention.dailyDays) return;
  throw new ExecutionStoreError(
    'VALIDATION',
    `${context}: hourlyDays (${retention.hourlyDays}) is more than dailyDays (${retention.dailyDays}); expected hourly rollups kept no longer than the daily ones they add up to`,
  );
}


const SETTINGS_ROW = 1;
const SETTING_NAMES = ['outliveDeletes', 'hourlyDays', 'dailyDays'] as const;

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
    const { pinned: _, ...inForce } = this.describe();
    return inForce;
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
    const row = this.row();
    return {
      nodeHoursFrom: row.nodeHoursKeptFrom ?? Number.NEGATIVE_INFINITY,
      workflowHoursFrom: row.workflowHoursKeptFrom ?? Number.NEGATIVE_INFINITY,
      daysFrom: row.daysKeptFrom ?? Number.NEGATIVE_INFINITY,
    };
  }

  /**
   * Checks the settings a process opens the file with against the file's, and pins those the file does not hold
   * yet. Call inside a write transaction, so that two processes pinning different values cannot both succeed.
   * Throws VALIDATION naming the file's value when one differs.
   */
  pin(given: InsightRetention, what: string, fileName: string): void {
    const row = this.row();
    for (const name of SETTING_NAMES) {
      const value = given[name];
      if (value === undefined || row[name] === null || row[name] === value) continue;
      throw new ExecutionStoreError(
        'VALIDATION',
        `${what}: invalid input: options.insights.${name}: ${fileName} keeps insights with ${name} = ${row[name]}, ` +
          `and every process writing a file must use the same (got ${value}); expected ${row[name]}, or the option left out to use the file's` +
          (name === 'outliveDeletes' ? '' : `, or setInsightRetention({ ${name} }) to change it for the file`),
      );
    }
    const unpinned = SETTING_NAMES.filter((name) => given[name] !== undefined && row[name] === null);
    if (unpinned.length === 0) return;
    const pinning = Object.fromEntries(unpinned.map((name) => [name, given[name]]));
    checkRetention({ ...this.current(), ...pinning }, `${what}: invalid input: options.insights`);
    this.write(pinning);
  }

  /** Sets the retention of the file's rollups for every process; call inside a write transaction. */
  setRetention(retention: InsightRetentionChange, what: string): void {
    checkRetention({ ...this.current(), ...retention }, `${what}: invalid input: retention`);
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

