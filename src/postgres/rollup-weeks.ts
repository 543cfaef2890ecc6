// Weekly node rollups, as on SQLite (src/sqlite/rollup-weeks.ts): the daily rows of a past week summed into one row
// per workflow and node, compacted by the clean-up calls; from then on a change to one of its days is applied to its
// weekly row too, by the same statement (rollup-upsert.ts). Only the weeks listed in compacted_weeks have weekly rows.
import { DurationCounts } from '../core/histogram.js';
import { isLaterError } from '../core/last-error.js';
import { bucketStartOf, WEEK } from '../core/rollup-changes.js';
import type { Transaction } from './transactions.js';

export const weekOf = (time: number) => bucketStartOf(time, WEEK);
const EARLIEST = Number.MIN_SAFE_INTEGER;
/** The lock that makes compaction one instance's work at a time: two compacting one week would insert its rows twice. */
const COMPACTION_LOCK = '7309475736519054197';

interface WeeklyRow {
  workflowId: string;
  nodeId: string;
  nodeType: string;
  nodeName: string | null;
  success: number;
  error: number;
  skipped: number;
  durationCount: number;
  durationSum: number;
  durationMax: number | null;
  lastErrorMessage: string | null;
  lastErrorAt: number | null;
}

export class WeeklyNodeRollups {
  /**
   * @param dailySince where the kept daily rows start (older ones are pruned): a week is compacted only if all of its
   *   days are kept, so that its row is the sum of its days.
   */
  constructor(private readonly dailySince: (tx: Transaction) => Promise<number>) {}

  /**
   * Compacts the earliest week that has ended before `now`'s week and is not compacted yet (after the latest compacted
   * one, with all its days kept); returns it, or null when there is none. Call it in a write transaction of its own,
   * again until it returns null.
   */
  async compactNext(tx: Transaction, now: number): Promise<number | null> {
    await tx.client.query(`SELECT pg_advisory_xact_lock(${COMPACTION_LOCK})`);
    // Writers change daily rows and mirror them into compacted weeks; one that changed a day of this week after the
    // days were read, but before the week was marked compacted, would be missing from the weekly row. SHARE waits for
    // the writers in flight and holds new ones back until this commits (a week took ~45 ms at a million runs on SQLite).
    await tx.client.query('LOCK TABLE node_rollups IN SHARE MODE');
    const latest = await tx.client.query('SELECT max(week_start) AS week FROM compacted_weeks');
    const latestWeek = latest.rows[0]?.week === null ? null : Number(latest.rows[0]?.week);
    const keptWeeks = Math.ceil((await this.dailySince(tx)) / WEEK) * WEEK;
    const from = Math.max(latestWeek === null ? EARLIEST : latestWeek + WEEK, keptWeeks);
    const first = await tx.client.query("SELECT min(bucket_start) AS day FROM node_rollups WHERE grain = 'day' AND bucket_start >= $1 AND bucket_start < $2", [
      from,
      weekOf(now),
    ]);
    if (first.rows[0]?.day === null || first.rows[0] === undefined) return null;
    const week = weekOf(Number(first.rows[0].day));
    await this.compact(tx, week);
    return week;
  }

  /** Drops a week's weekly rows, for a recount of its days; its days are read instead until it is compacted again. */
  async uncompact(tx: Transaction, week: number): Promise<void> {
    await tx.client.query("DELETE FROM node_rollups WHERE grain = 'week' AND bucket_start = $1", [week]);
    await tx.client.query('DELETE FROM compacted_weeks WHERE week_start = $1', [week]);
  }

  /** Sums the week's daily rows into weekly ones, in one insert (its weekly rows are gone). */
  private async compact(tx: Transaction, week: number): Promise<void> {
    const { rows: days } = await tx.client.query(
      `SELECT workflow_id, node_id, node_type, node_name, success, error, skipped, duration_count, duration_sum, duration_max, histogram,
         last_error_message, last_error_at
       FROM node_rollups WHERE grain = 'day' AND bucket_start >= $1 AND bucket_start < $2
       ORDER BY workflow_id COLLATE "C", node_id COLLATE "C", bucket_start`,
      [week, week + WEEK],
    );
    await tx.client.query("DELETE FROM node_rollups WHERE grain = 'week' AND bucket_start = $1", [week]); // none, unless a tool edited the table
    const durations = new DurationCounts(); // reused: one typed array for every node, cleared between them
    const sums: (WeeklyRow & { histogram: string })[] = [];
    let sum: WeeklyRow | undefined;
    const finish = () => {
      if (sum !== undefined) sums.push({ ...sum, histogram: durations.encode() });
    };
    for (const day of days) {
      const workflowId = day.workflow_id as string;
      const nodeId = day.node_id as string;
      if (sum === undefined || sum.workflowId !== workflowId || sum.nodeId !== nodeId) {
        finish();
        durations.clear();
        sum = { workflowId, nodeId, nodeType: '', nodeName: null, success: 0, error: 0, skipped: 0, durationCount: 0, durationSum: 0, durationMax: null, lastErrorMessage: null, lastErrorAt: null };
      }
      sum.success += Number(day.success);
      sum.error += Number(day.error);
      sum.skipped += Number(day.skipped);
      sum.durationCount += Number(day.duration_count);
      sum.durationSum += Number(day.duration_sum);
      // The days come in order: the last one's names are the latest.
      sum.nodeType = day.node_type as string;
      sum.nodeName = (day.node_name as string | null) ?? null;
      const durationMax = day.duration_max === null ? null : Number(day.duration_max);
      if (durationMax !== null && (sum.durationMax === null || durationMax > sum.durationMax)) sum.durationMax = durationMax;
      const lastErrorAt = day.last_error_at === null ? null : Number(day.last_error_at);
      const current = sum.lastErrorAt === null ? null : { at: sum.lastErrorAt, message: sum.lastErrorMessage };
      if (lastErrorAt !== null && isLaterError({ at: lastErrorAt, message: (day.last_error_message as string | null) ?? null }, current)) {
        sum.lastErrorAt = lastErrorAt;
        sum.lastErrorMessage = (day.last_error_message as string | null) ?? null;
      }
      durations.addStored(day.histogram as string);
    }
    finish();
    if (sums.length > 0) {
      // Weekly rows keep no deleted_* of their own: a week's maximum and last error are recounted from its days.
      await tx.client.query(
        `INSERT INTO node_rollups (grain, workflow_id, bucket_start, node_id, node_type, node_name, success, error, skipped, duration_count, duration_sum,
           duration_max, histogram, last_error_message, last_error_at)
         SELECT 'week', v.workflow_id, $1, v.node_id, v.node_type, v.node_name, v.success, v.error, v.skipped, v.duration_count, v.duration_sum,
           v.duration_max, v.histogram, v.last_error_message, v.last_error_at
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::text[], $13::text[], $14::int8[])
           AS v(workflow_id, node_id, node_type, node_name, success, error, skipped, duration_count, duration_sum, duration_max, histogram, last_error_message, last_error_at)`,
        [
          week,
          sums.map((s) => s.workflowId),
          sums.map((s) => s.nodeId),
          sums.map((s) => s.nodeType),
          sums.map((s) => s.nodeName),
          sums.map((s) => s.success),
          sums.map((s) => s.error),
          sums.map((s) => s.skipped),
          sums.map((s) => s.durationCount),
          sums.map((s) => s.durationSum),
          sums.map((s) => s.durationMax),
          sums.map((s) => s.histogram),
          sums.map((s) => s.lastErrorMessage),
          sums.map((s) => s.lastErrorAt),
        ],
      );
    }
    await tx.client.query('INSERT INTO compacted_weeks (week_start) VALUES ($1)', [week]);
  }
}
