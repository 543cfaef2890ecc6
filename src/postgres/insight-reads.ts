// What the insight readers' hand-written statements share: the pool (or client) they are sent through, unnamed (no
// server-side prepared statements, so PgBouncer's transaction pooling works), and numbers read from the text
// node-postgres hands int8 and numeric values over as (the store's counts and sums stay below 2^53: exact).
import type { Pool, PoolClient } from 'pg';
import { retentionInForce, type StoredInsightSettings } from '../core/insight-settings-in-force.js';
import { type KeptRollups, keptRollupsOf, type StoredKeptRollups } from '../core/kept-rollups.js';

/** Where a reader sends its statements: the pool (one statement, one snapshot) or a client in a transaction. */
export type Queryable = Pick<Pool | PoolClient, 'query'>;

/** An int8 or numeric value read as a number; NULL stays null. */
export const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/**
 * What a reader's statement depends on besides its query, read in the same snapshot as its data: the insight settings
 * row (where the kept rollups begin, whether they outlive deletes), and for node stats the compacted weeks.
 */
export interface InsightContext {
  kept: KeptRollups;
  outliveDeletes: boolean;
  /** Compacted weeks, ascending: those last seen (see Planned.contextOf). */
  weeks: number[];
}

/** The settings row when there is none: nothing pinned or pruned. */
const NO_ROW = { outliveDeletes: null, hourlyDays: null, dailyDays: null, nodeHoursKeptFrom: null, workflowHoursKeptFrom: null, daysKeptFrom: null };

/** Before a reader has seen the database: nothing pruned or compacted, the default settings. */
const UNSEEN: InsightContext = settingsContext(null, []);

/** A column holding the insight settings row as of the statement's snapshot (null when a tool deleted the row). */
export const SETTINGS_COLUMN = `(SELECT json_build_object('outliveDeletes', outlive_deletes, 'hourlyDays', hourly_days, 'dailyDays', daily_days,
    'nodeHoursKeptFrom', node_hours_kept_from,
    'workflowHoursKeptFrom', workflow_hours_kept_from, 'daysKeptFrom', days_kept_from)
  FROM insight_settings WHERE id = 1) AS settings`;

/** A reader's statement as planned for a context, and how to read its rows. */
export interface Planned<T> {
  text: string;
  values: unknown[];
  /** Rows as arrays of values (the statement's columns in order), rather than objects keyed by column name. */
  rowMode?: 'array';
  /** The context the rows were read in: their settings column, and for node stats the weeks they list. */
  contextOf(rows: Row[], planned: InsightContext): InsightContext;
  answer(rows: Row[]): T;
}

/** A row as node-postgres gives it: an object, or an array under rowMode 'array'; each reader knows its shape. */
type Row = any;

/** The context last seen through each pool: what the next statement is planned with. */
const lastSeen = new WeakMap<Queryable, InsightContext>();

/**
 * Runs a reader's one statement, planned with the context last seen, and answers from its rows once the context they
 * were read in plans the same statement: one statement, one snapshot, one round trip (two when another instance
 * pruned or compacted since), where reading the settings first would take a transaction and four.
 */
export async function readPlanned<T>(db: Queryable, plan: (context: InsightContext) => Planned<T>): Promise<T> {
  let context = lastSeen.get(db) ?? UNSEEN;
  let planned = plan(context);
  for (;;) {
    const { rows } = await db.query({ text: planned.text, values: planned.values, ...(planned.rowMode === undefined ? {} : { rowMode: planned.rowMode }) });
    if (rows.length === 0) throw new Error('an insight query returned no row');
    const seen = planned.contextOf(rows, context);
    lastSeen.set(db, seen);
    const proper = sameContext(seen, context) ? planned : plan(seen);
    if (proper === planned || (proper.text === planned.text && JSON.stringify(proper.values) === JSON.stringify(planned.values))) return proper.answer(rows);
    planned = proper;
    context = seen;
  }
}

/** The context of a SETTINGS_COLUMN value (the settings in force, as src/postgres/insight-settings.ts reads them), with `weeks`. */
export function settingsContext(settings: unknown, weeks: number[]): InsightContext {
  const stored = (settings ?? NO_ROW) as StoredInsightSettings & StoredKeptRollups;
  return { kept: keptRollupsOf(stored), outliveDeletes: retentionInForce(stored).outliveDeletes, weeks };
}

function sameContext(a: InsightContext, b: InsightContext): boolean {
  return (
    a.outliveDeletes === b.outliveDeletes &&
    a.kept.nodeHoursFrom === b.kept.nodeHoursFrom &&
    a.kept.workflowHoursFrom === b.kept.workflowHoursFrom &&
    a.kept.daysFrom === b.kept.daysFrom &&
    a.weeks.length === b.weeks.length &&
    a.weeks.every((week, i) => week === b.weeks[i])
  );
}
