// Where a timeline's buckets start and end: minutes and hours are fixed lengths of time, days follow the calendar
// of a time zone (@date-fns/tz): local midnights, 23- and 25-hour days across daylight-saving changes.
import { TZDate } from '@date-fns/tz';
import { addDays, startOfDay, startOfHour, startOfMinute } from 'date-fns';
import { ExecutionStoreError } from './errors.js';
import { HOUR } from './rollup-changes.js';
import type { TimelineQuery } from './types.js';
import { MAX_TIMELINE_BUCKETS } from './validation.js';

const START_OF = { minute: startOfMinute, hour: startOfHour, day: startOfDay };
const MINUTE = 60_000;

/** Bucket boundaries: the start of the bucket holding startedAfter, up to the end of the one holding startedBefore - 1. */
export function bucketBoundaries(query: Required<TimelineQuery>): number[] {
  const first = START_OF[query.bucket](new TZDate(query.startedAfter, query.timeZone));
  // Minutes and hours are fixed lengths of time, so only days need the calendar (and its time zone rules) per step.
  let day = first;
  const next =
    query.bucket === 'day'
      ? () => {
          day = addDays(day, 1);
          return day.getTime();
        }
      : (at: number) => at + (query.bucket === 'hour' ? HOUR : MINUTE);
  let at = first.getTime();
  const boundaries = [at];
  while (at < query.startedBefore) {
    if (boundaries.length > MAX_TIMELINE_BUCKETS) {
      throw new ExecutionStoreError(
        'VALIDATION',
        `getTimeline: invalid input: the range holds more than ${MAX_TIMELINE_BUCKETS} ${query.bucket} buckets; expected a shorter range or a larger bucket`,
      );
    }
    at = next(at);
    boundaries.push(at);
  }
  return boundaries;
}
