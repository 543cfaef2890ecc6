// Where a timeline's buckets start and end, read on the clock of a time zone.
//
// A day bucket starts at the first instant whose local date is its day: local midnight, or where the clock lands when
// a change skips midnight (Santiago, Havana and the Azores spring forward from 00:00 to 01:00). Days across changes
// have 23, 25 (or 23.5, 24.5 on Lord Howe) hours. A day the zone skipped (Samoa's 30 December 2011, crossing the date
// line) has no bucket: the one before ends where the next date begins. Where the clock is set back across midnight
// (St. John's, until 2011, from 00:01 to 23:01), the new day started at the first midnight, so its bucket also holds
// the hour replayed under the previous date.
//
// Hour and minute buckets follow the clock's readings instead: one starts whenever the clock shows a whole hour
// (minute) and wherever it is set forward or back, so none is longer than an hour (minute) or spans a change. In Berlin
// they are UTC hours, the repeated 02:00 hour two buckets of its own; in Kolkata they start at :30 UTC; on Lord Howe,
// whose clock moves by 30 minutes, the half hour between the change and the next whole hour is a bucket of its own.
// Every day boundary is also an hour boundary (local midnight is a whole hour, and a day not starting at one starts at
// a change), so hours add up to days.
//
// The zone's offsets come from Intl, probed rather than stepped through with @date-fns/tz's addDays: that keeps the time
// of day it starts from, so after a day that began at 01:00 every later one did too, and it cost tens of µs a day.
import { ExecutionStoreError } from './errors.js';
import { DAY, HOUR } from './rollup-changes.js';
import type { TimelineBucket, TimelineQuery } from './types.js';
import { MAX_TIMELINE_BUCKETS } from './constants.js';

const MINUTE = 60_000;
const CLOCK_UNIT: Record<Exclude<TimelineBucket, 'day'>, number> = { minute: MINUTE, hour: HOUR };

/**
 * How far apart the offset is probed. A change shows as two probes that differ, so two changes within one step
 * would hide each other: the closest since 1970 are 6.96 days apart (Brazil's one-week summer time, October 2000).
 */
const PROBE_STEP = 3 * DAY;
/**
 * How long before startedAfter its day may have begun: a day, plus the offset's largest jump (a day, where a zone
 * crossed the date line), with room to spare.
 */
const LOOK_BEHIND = 3 * DAY;

/** Bucket boundaries: the start of the bucket holding startedAfter, up to the end of the one holding startedBefore - 1. */
export function bucketBoundaries(query: Required<TimelineQuery>): number[] {
  const zone = offsetsOf(query.timeZone, query.startedAfter - LOOK_BEHIND);
  const starts = query.bucket === 'day' ? dayStarts(zone, query.startedAfter) : clockReadings(zone, query.startedAfter, CLOCK_UNIT[query.bucket]);
  // Both begin at or before startedAfter, but the day it belongs to may have begun later than its date's midnight
  // (a clock set back across midnight), so the first bucket is the last one starting by then.
  const boundaries = [starts.next().value];
  let at = starts.next().value;
  while (at <= query.startedAfter) {
    boundaries[0] = at;
    at = starts.next().value;
  }
  boundaries.push(at);
  while (at < query.startedBefore) {
    if (boundaries.length > MAX_TIMELINE_BUCKETS) {
      throw new ExecutionStoreError(
        'VALIDATION',
        `getTimeline: invalid input: the range holds more than ${MAX_TIMELINE_BUCKETS} ${query.bucket} buckets; expected a shorter range or a larger bucket`,
      );
    }
    at = starts.next().value;
    boundaries.push(at);
  }
  return boundaries;
}

/** The first instant of each local date from the one holding `from` on, once each (a skipped day shares the next one's). */
function* dayStarts(zone: ZoneOffsets, from: number): Generator<number, never> {
  let stretch = zone.first;
  let previous = -Infinity;
  for (let day = Math.floor(zone.wallClockAt(from) / DAY); ; day++) {
    // Within a stretch the wall clock runs steadily, so its first reading at or past midnight is midnight itself or
    // the stretch's start (the clock was set past midnight); the earliest stretch that has one holds the day's start.
    const midnight = day * DAY;
    let at = Math.max(stretch.start, midnight - stretch.offset);
    while (zone.stretchAt(at, stretch) !== stretch) {
      stretch = stretch.next as Stretch;
      at = Math.max(stretch.start, midnight - stretch.offset);
    }
    if (at > previous) yield (previous = at);
  }
}

/** Each instant the clock reads a whole `unit` or is set forward or back, from the last one at or before `from` on. */
function* clockReadings(zone: ZoneOffsets, from: number, unit: number): Generator<number, never> {
  let stretch = zone.stretchAt(from);
  let at = Math.max(stretch.start, Math.floor((from + stretch.offset) / unit) * unit - stretch.offset);
  for (;;) {
    yield at;
    const reading = (Math.floor((at + stretch.offset) / unit) + 1) * unit - stretch.offset;
    if (zone.stretchAt(reading, stretch) === stretch) {
      at = reading;
    } else {
      stretch = stretch.next as Stretch;
      at = stretch.start;
    }
  }
}

/** A stretch of time over which the zone's offset from UTC (ms, added to UTC to get the wall clock) does not change. */
interface Stretch {
  start: number;
  offset: number;
  /** Undefined until a change after `start` is found. */
  next: Stretch | undefined;
}

/** The last instant a Date holds (year 275760). */
const LAST_DATE = 8.64e15;

/** Each zone's offsets as far as probed, kept because a zone's rules never change while the process runs. */
const knownOffsets = new Map<string, ZoneOffsets>();
/** Any spelling Intl accepts is a key ('europe/berlin', 'EUROPE/BERLIN'), so the map is emptied rather than left to grow. */
const MAX_KNOWN_ZONES = 1000;

/** The zone's offsets from `from` on: what is known when it covers `from`, else probed afresh from there. */
function offsetsOf(timeZone: string, from: number): ZoneOffsets {
  const known = knownOffsets.get(timeZone);
  if (known !== undefined && known.covers(from)) return known;
  if (knownOffsets.size >= MAX_KNOWN_ZONES) knownOffsets.clear();
  // Building a formatter costs about 50 µs, as much as ten probes.
  const format = known?.format ?? new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  const offsets = new ZoneOffsets(format, from);
  knownOffsets.set(timeZone, offsets);
  return offsets;
}

/**
 * A zone's offset from UTC over time, as stretches found by probing Intl forward from `probedFrom`, only as far as the
 * buckets reach: a range that holds too many buckets fails before all of it is probed.
 */
class ZoneOffsets {
  /** Reaches back before `probedFrom`, as if its offset had always been. */
  readonly first: Stretch;
  private last: Stretch;
  /** Every change up to this instant is known. */
  private probedTo: number;

  constructor(
    readonly format: Intl.DateTimeFormat,
    private readonly probedFrom: number,
  ) {
    this.first = { start: -Infinity, offset: this.offsetAt(probedFrom), next: undefined };
    this.last = this.first;
    this.probedTo = probedFrom;
  }

  /** Whether probing on from here to `time` costs no more than starting afresh there. */
  covers(time: number): boolean {
    return this.probedFrom <= time && time <= this.probedTo;
  }

  wallClockAt(time: number): number {
    return time + this.stretchAt(time).offset;
  }

  /** The stretch holding `time`, searched forward from `from` (callers move forward in time). */
  stretchAt(time: number, from: Stretch = this.first): Stretch {
    this.probeTo(time);
    let stretch = from;
    while (stretch.next !== undefined && stretch.next.start <= time) stretch = stretch.next;
    return stretch;
  }

  private probeTo(time: number): void {
    while (this.probedTo < time) {
      const probe = this.probedTo + PROBE_STEP;
      const offset = this.offsetAt(probe);
      if (offset === this.last.offset) {
        this.probedTo = probe;
        continue;
      }
      // The change is the first millisecond with the new offset: halve the gap until the two probes are adjacent.
      let before = this.probedTo;
      let change: Stretch = { start: probe, offset, next: undefined };
      while (change.start - before > 1) {
        const middle = Math.floor((before + change.start) / 2);
        const middleOffset = this.offsetAt(middle);
        if (middleOffset === this.last.offset) before = middle;
        else change = { start: middle, offset: middleOffset, next: undefined };
      }
      this.last.next = change;
      this.last = change;
      this.probedTo = change.start;
    }
  }

  /**
   * From Intl's "GMT-03:00" ("GMT" at UTC itself). @date-fns/tz's tzOffset reads Monrovia's "-00:44:30" (until 1972)
   * as east of UTC.
   */
  private offsetAt(time: number): number {
    // Timestamps are validated as safe integers, which reach past the last Date; its offset stands for the rest.
    const text = this.format.format(Math.min(time, LAST_DATE));
    const offset = text.slice(text.indexOf('GMT') + 3);
    if (offset === '') return 0;
    const [hours = 0, minutes = 0, seconds = 0] = offset.slice(1).split(':').map(Number);
    return (offset.startsWith('-') ? -1 : 1) * ((hours * 60 + minutes) * 60 + seconds) * 1000;
  }
}
