// Which rollup rows answer a time range: whole UTC days from the daily rows, the hours around them from the hourly
// rows. A range is widened to whole hours (to whole days where the hourly rows have been pruned).
import { DAY, type Grain, HOUR, WEEK } from './rollup-changes.js';

export interface RollupSpan {
  grain: Grain;
  /** Bucket starts from `from` (inclusive) to `to` (exclusive). */
  from: number;
  to: number;
}

const EARLIEST = -8.64e15; // the range of a JavaScript Date
const LATEST = 8.64e15;

const floorTo = (time: number, size: number) => Math.floor(time / size) * size;
const ceilTo = (time: number, size: number) => Math.ceil(time / size) * size;

/**
 * The spans of rollup rows that cover [startedAfter, startedBefore), either end open when undefined.
 * `hourlySince`: hourly rows start there (older ones are pruned), so older edges widen to whole days.
 */
export function rollupSpans(startedAfter: number | undefined, startedBefore: number | undefined, hourlySince: number): RollupSpan[] {
  let from = startedAfter === undefined ? EARLIEST : floorTo(startedAfter, HOUR);
  let to = startedBefore === undefined ? LATEST : ceilTo(startedBefore, HOUR);
  if (from < hourlySince) from = floorTo(from, DAY);
  if (to < hourlySince) to = ceilTo(to, DAY);
  if (from >= to) return [];
  const firstDay = ceilTo(from, DAY);
  const lastDay = floorTo(to, DAY);
  if (firstDay >= lastDay) return [{ grain: 'hour', from, to }];
  return [
    { grain: 'hour' as const, from, to: firstDay },
    { grain: 'day' as const, from: firstDay, to: lastDay },
    { grain: 'hour' as const, from: lastDay, to },
  ].filter((span) => span.from < span.to);
}

/**
 * The spans with every compacted week that lies wholly inside a daily span read from its weekly rows instead;
 * consecutive weeks become one span. `compactedWeeks` in ascending order.
 */
export function withWeeks(spans: RollupSpan[], compactedWeeks: number[]): RollupSpan[] {
  const result: RollupSpan[] = [];
  const add = (span: RollupSpan) => {
    const last = result.at(-1);
    if (last?.grain === span.grain && last.to === span.from) last.to = span.to;
    else result.push({ ...span });
  };
  for (const span of spans) {
    if (span.grain !== 'day') {
      add(span);
      continue;
    }
    let at = span.from;
    for (const week of compactedWeeks) {
      if (week < at || week + WEEK > span.to) continue;
      if (week > at) add({ grain: 'day', from: at, to: week });
      add({ grain: 'week', from: week, to: week + WEEK });
      at = week + WEEK;
    }
    if (at < span.to) add({ grain: 'day', from: at, to: span.to });
  }
  return result;
}
