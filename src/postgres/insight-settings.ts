// The insight settings kept in the database (insight_settings), because every instance that writes to it must use
// the same ones, as on SQLite: an instance counting deletes out of the rollups and another leaving them in would make
// the rollups describe neither; a command pruning with its defaults would drop a year of rollups another keeps for
// two. Each setting is pinned by the first instance that gives it explicitly; the others read it from the database.
// What differs from SQLite: instances write at once, not one after the other. A transaction that reads the row to
// change it therefore locks it first (SELECT ... FOR UPDATE), so that of two instances pinning different values the
// second waits for the first, then reads its value and is refused. Which settings are in force, which to pin and
// when to refuse is src/core/ (insight-settings-in-force.ts, insight-settings-pinning.ts, hourly-kept-within-daily.ts),
// as on SQLite; this file reads, locks and writes the row.
import { eq, sql } from 'drizzle-orm';
import { DEFAULT_INSIGHT_SETTINGS } from '../core/constants.js';
import { checkHourlyKeptWithinDaily } from '../core/hourly-kept-within-daily.js';
import { insightSettingsInForce, retentionInForce, type StoredInsightSettings } from '../core/insight-settings-in-force.js';
import { settingsToPin } from '../core/insight-settings-pinning.js';
import { type KeptRollups, keptRollupsOf, type StoredKeptRollups } from '../core/kept-rollups.js';
import type { InsightRetention, InsightRetentionChange, InsightSettings } from '../core/types.js';
import type { PostgresQueries } from './connection.js';
import { insightSettings } from './schema.js';

export type { KeptRollups };

const SETTINGS_ROW = 1;

type SettingsRow = StoredInsightSettings & StoredKeptRollups;

/** The migration inserts the row; a tool may have deleted it, and then nothing is pinned or pruned. */
const NO_ROW: SettingsRow = {
  outliveDeletes: null,
  hourlyDays: null,
  dailyDays: null,
  nodeHoursKeptFrom: null,
  workflowHoursKeptFrom: null,
  daysKeptFrom: null,
};

export class SharedInsightSettings {
  /** outliveDeletes once seen pinned in the database: it never changes after. */
  private pinnedOutliveDeletes: boolean | undefined;

  /** The settings in force: the database's, the defaults where it has none. Read at every use: another instance may pin them. */
  async current(db: PostgresQueries): Promise<Required<InsightRetention>> {
    return retentionInForce(await this.row(db));
  }

  /**
   * Whether deletes leave the insights counting what they delete, pinned in the database by the first delete that
   * counts under it: an instance opening it later with the other setting is refused, instead of mixing the two ways of
   * counting in the same rollups. Call in the deleting transaction.
   */
  async outliveDeletesForDelete(tx: PostgresQueries): Promise<boolean> {
    // Once pinned the setting never changes (pin refuses another value, setRetention does not touch it), so every
    // delete after the first reads it without taking the row's lock: deletes of several instances do not queue on it;
    // and once this instance has seen it pinned, it does not read it again.
    if (this.pinnedOutliveDeletes !== undefined) return this.pinnedOutliveDeletes;
    const pinned = (await this.row(tx)).outliveDeletes;
    if (pinned !== null) {
      this.pinnedOutliveDeletes = pinned;
      return pinned;
    }
    // Pinning the default, unless another transaction pins a value first: the upsert keeps a value already there
    // (waiting for the row lock of an instance pinning now, then reading what it committed) and says what is in force.
    const [row] = await tx
      .insert(insightSettings)
      .values({ id: SETTINGS_ROW, outliveDeletes: DEFAULT_INSIGHT_SETTINGS.outliveDeletes })
      .onConflictDoUpdate({
        target: insightSettings.id,
        set: { outliveDeletes: sql`coalesce(${insightSettings.outliveDeletes}, excluded.outlive_deletes)` },
      })
      .returning({ outliveDeletes: insightSettings.outliveDeletes });
    return row?.outliveDeletes ?? DEFAULT_INSIGHT_SETTINGS.outliveDeletes;
  }

  /** The settings in force and which of them the database holds (the others are defaults). */
  async describe(db: PostgresQueries): Promise<InsightSettings> {
    return insightSettingsInForce(await this.row(db));
  }

  async kept(db: PostgresQueries): Promise<KeptRollups> {
    return keptRollupsOf(await this.row(db));
  }

  /**
   * Checks the settings an instance opens the database with against the database's, and pins those it does not hold
   * yet. Call inside a write transaction: the row stays locked until it ends, so that two instances pinning different
   * values cannot both succeed. Throws VALIDATION naming the database's value when one differs.
   */
  async pin(tx: PostgresQueries, given: InsightRetention, what: string, databaseName: string): Promise<void> {
    const pinning = settingsToPin(await this.lockedRow(tx), given, what, databaseName);
    if (pinning !== undefined) await this.write(tx, pinning);
  }

  /**
   * Sets the retention of the database's rollups for every instance; call inside a write transaction. The row is
   * locked before it is read: two instances changing hourlyDays and dailyDays at once could otherwise each pass the
   * check against the other's old value and together leave hours kept longer than days.
   */
  async setRetention(tx: PostgresQueries, change: InsightRetentionChange, what: string): Promise<void> {
    const row = await this.lockedRow(tx);
    checkHourlyKeptWithinDaily({ ...retentionInForce(row), ...change }, `${what}: invalid input: retention`);
    await this.write(tx, change);
  }

  /**
   * Records that the rollup rows of buckets before these times were pruned. Only ever moves forward: rows once
   * pruned are gone, whatever a later, longer retention says. Call in the transaction that prunes. One statement, so
   * two instances pruning at once need no lock: the later of the two cutoffs stays.
   */
  async recordPruned(tx: PostgresQueries, cutoffs: KeptRollups): Promise<void> {
    // greatest() ignores NULL, as SQLite's max(coalesce(column, cutoff), cutoff) reads a NULL column as the cutoff.
    const later = (column: typeof insightSettings.nodeHoursKeptFrom, cutoff: number) => sql`greatest(coalesce(${column}, ${cutoff}::bigint), ${cutoff}::bigint)`;
    await tx
      .insert(insightSettings)
      .values({ id: SETTINGS_ROW, nodeHoursKeptFrom: cutoffs.nodeHoursFrom, workflowHoursKeptFrom: cutoffs.workflowHoursFrom, daysKeptFrom: cutoffs.daysFrom })
      .onConflictDoUpdate({
        target: insightSettings.id,
        set: {
          nodeHoursKeptFrom: later(insightSettings.nodeHoursKeptFrom, cutoffs.nodeHoursFrom),
          workflowHoursKeptFrom: later(insightSettings.workflowHoursKeptFrom, cutoffs.workflowHoursFrom),
          daysKeptFrom: later(insightSettings.daysKeptFrom, cutoffs.daysFrom),
        },
      });
  }

  private async write(tx: PostgresQueries, values: InsightRetention): Promise<void> {
    const set = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
    if (Object.keys(set).length === 0) return;
    await tx.insert(insightSettings).values({ id: SETTINGS_ROW, ...set }).onConflictDoUpdate({ target: insightSettings.id, set });
  }

  private async row(db: PostgresQueries): Promise<SettingsRow> {
    const [found] = await db.select().from(insightSettings).where(eq(insightSettings.id, SETTINGS_ROW));
    return found === undefined ? NO_ROW : settingsOf(found);
  }

  /** The row, locked until the transaction ends; recreated empty when a tool deleted it, so that there is a row to lock. */
  private async lockedRow(tx: PostgresQueries): Promise<SettingsRow> {
    const locked = () => tx.select().from(insightSettings).where(eq(insightSettings.id, SETTINGS_ROW)).for('update');
    let [found] = await locked();
    if (found === undefined) {
      // Two transactions that both found no row would otherwise both insert theirs, the second overwriting the first.
      await tx.insert(insightSettings).values({ id: SETTINGS_ROW }).onConflictDoNothing();
      [found] = await locked();
    }
    return found === undefined ? NO_ROW : settingsOf(found);
  }
}

function settingsOf(row: typeof insightSettings.$inferSelect): SettingsRow {
  return {
    outliveDeletes: row.outliveDeletes,
    hourlyDays: row.hourlyDays,
    dailyDays: row.dailyDays,
    nodeHoursKeptFrom: row.nodeHoursKeptFrom,
    workflowHoursKeptFrom: row.workflowHoursKeptFrom,
    daysKeptFrom: row.daysKeptFrom,
  };
}
