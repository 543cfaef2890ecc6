// Which data answers each part of a timeline. Time is cut into UTC hours: an hour that lies wholly inside one bucket
// is read from its hourly rollup row, and a UTC day wholly inside one bucket from its daily row (fewer rows), while
// those rows are kept. Everything else is counted from the stored rows: hours a bucket boundary cuts (minute
// buckets, the day edges of zones such as India's +5:30) and hours whose rollups were pruned. Stored rows can lack
// executions that the rollups still count (deleted, with insights.outliveDeletes), so each such hour says what its
// stored rows can be checked against: its hourly rollup, its day's rollup, or nothing.
import type { KeptRollups } from './kept-rollups.js';
import { DAY, HOUR } from './rollup-changes.js';

/** What a stored-row hour's finished executions are compared with to know whether any are missing. */
export type RowCheck = 'hour' | 'day' | 'none';

export interface TimelinePlan {
  /** UTC days read from their daily rollup rows, ascending. */
  days: number[];
  /** UTC hours read from their hourly rollup rows, ascending. */
  hours: number[];
  /** UTC hours counted from the stored rows (the whole hour is read, the part inside the range counted), ascending. */
  rowHours: { start: number; check: RowCheck }[];
}

/**
 * Plans the reads for buckets given by ascending `boundaries` (bucket i is [boundaries[i], boundaries[i + 1])).
 * `bucketOf(time)` is the index of the bucket holding a time inside the range.
 */
export function planTimeline(boundaries: number[], bucketOf: (time: number) => number, kept: KeptRollups): TimelinePlan {
  const from = boundaries[0] as number;
  const to = boundaries.at(-1) as number;
  const plan: TimelinePlan = { days: [], hours: [], rowHours: [] };
  const insideOneBucket = (start: number, end: number) => start >= from && end <= to && bucketOf(start) === bucketOf(end - 1);
  for (let day = Math.floor(from / DAY) * DAY; day < to; day += DAY) {
    if (day >= kept.daysFrom && insideOneBucket(day, day + DAY)) {
      plan.days.push(day);
      continue;
    }
    for (let hour = Math.max(day, Math.floor(from / HOUR) * HOUR); hour < Math.min(day + DAY, to); hour += HOUR) {
      const hourKept = hour >= kept.workflowHoursFrom;
      if (hourKept && insideOneBucket(hour, hour + HOUR)) plan.hours.push(hour);
      else plan.rowHours.push({ start: hour, check: hourKept ? 'hour' : day >= kept.daysFrom ? 'day' : 'none' });
    }
  }
  return plan;
}
