// Duration histograms with a fixed relative error, for percentiles over rollups. Bucket i > 0 holds durations d
// with GAMMA^(i-1) < d <= GAMMA^i; bucket 0 holds 0 ms. Reporting a bucket as 2·GAMMA^i / (GAMMA + 1) is then within
// RELATIVE_ERROR of every duration in it (the DDSketch construction); rounding that to whole milliseconds moves it by
// up to 0.5 ms more, so a percentile read from a histogram is within 1% of the exact one plus 0.5 ms (1,075 ms reads
// 1,064, 1.02% off). No whole number does better in that form: whichever reports the bucket 39,354–40,149 ms, one of
// its ends is at least 0.46 ms further off than 1%. Below 58 ms each bucket holds at most one whole number and
// reports it, so percentiles there are exact; 58 and 59 share a bucket. tests/percentiles.test.ts checks all of this
// for every bucket up to 10^13 ms.
//
// Stored as short text: the first bucket, then the count of every bucket from it to the last non-empty one, each a
// variable-length integer written 5 bits per character ('0'–'o'; counts zigzag-encoded, since a change may remove).
// A node's day of durations from 1 to 400 ms is ~400 characters. Measured on 18,000 rows: as JSON objects (3 KB)
// parsing was most of a 30-day query; as BLOBs better-sqlite3 spent ~4 µs per row making Buffers; one-byte strings
// cost a tenth of that. A writer changes one with a SQL function (HISTOGRAM_MERGE_FUNCTION) inside its upsert,
// without reading the row first.
import { nearestRank } from './nearest-rank.js';

export const RELATIVE_ERROR = 0.01;
const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR);
const LOG_GAMMA = Math.log(GAMMA);
/** Buckets up to the largest safe integer of milliseconds. */
const BUCKETS = Math.ceil(Math.log(Number.MAX_SAFE_INTEGER) / LOG_GAMMA) + 1;

/** The SQL function, registered on the store's connection, that adds one stored histogram to another. */
export const HISTOGRAM_MERGE_FUNCTION = 'execution_history_histogram_merge';

export function registerHistogramFunctions(sqlite: {
  function(name: string, options: { deterministic: boolean }, fn: (stored: string | null, change: string | null) => string): unknown;
}): void {
  sqlite.function(HISTOGRAM_MERGE_FUNCTION, { deterministic: true }, mergeHistograms);
}

/** Bucket → count: what one write transaction changes. */
export type HistogramChange = Map<number, number>;

export function bucketOf(durationMs: number): number {
  return durationMs <= 0 ? 0 : Math.max(1, Math.ceil(Math.log(durationMs) / LOG_GAMMA));
}

function valueOf(bucket: number): number {
  return bucket === 0 ? 0 : (2 * GAMMA ** bucket) / (GAMMA + 1);
}

/** Adds `count` (negative to remove) durations of one bucket; empty buckets disappear. */
export function addToChange(change: HistogramChange, bucket: number, count: number): void {
  const next = (change.get(bucket) ?? 0) + count;
  if (next === 0) change.delete(bucket);
  else change.set(bucket, next);
}

export function encodeHistogram(change: HistogramChange): string {
  if (change.size === 0) return '';
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const bucket of change.keys()) {
    first = Math.min(first, bucket);
    last = Math.max(last, bucket);
  }
  let length = writeVarintAt(first, 0);
  for (let bucket = first; bucket <= last; bucket++) length = writeZigzagAt(change.get(bucket) ?? 0, length);
  return encoding.toString('latin1', 0, length);
}

const DIGIT_ZERO = 48; // '0'
/** Between the histograms of a list (group_concat in SQL); not a digit character. */
const SEPARATOR = 44; // ','
const MORE = 32; // the continuation bit of a 5-bit digit

/** Room for every bucket's count at its longest (a 53-bit count is 11 digits). */
const encoding = Buffer.alloc((BUCKETS + 1) * 11);

/** Writes a varint into `encoding` at `at`; returns where the next one goes. */
function writeVarintAt(value: number, at: number): number {
  let rest = value;
  let next = at;
  while (rest >= MORE) {
    encoding[next++] = DIGIT_ZERO + MORE + (rest % MORE);
    rest = Math.floor(rest / MORE);
  }
  encoding[next++] = DIGIT_ZERO + rest;
  return next;
}

/** A count that may be negative (a change that removes), zigzag-encoded: 0, -1, 1, -2, ... → 0, 1, 2, 3, ... */
function writeZigzagAt(count: number, at: number): number {
  return writeVarintAt(count >= 0 ? count * 2 : -count * 2 - 1, at);
}

/** Calls `add(bucket, count)` for every non-empty bucket of a stored histogram. */
function forEachBucket(text: string, add: (bucket: number, count: number) => void): void {
  let at = 0;
  /** The next number; -1 at a character that is not a digit or past the end (a damaged value). */
  const read = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const digit = text.charCodeAt(at++) - DIGIT_ZERO; // NaN past the end
      if (digit >= 0 && digit < MORE) return value + digit * scale;
      if (!(digit >= MORE && digit < 2 * MORE)) return -1;
      value += (digit - MORE) * scale;
      scale *= MORE;
    }
  };
  if (text.length === 0) return;
  let bucket = read();
  while (at < text.length && bucket >= 0 && bucket < BUCKETS) {
    const zigzag = read();
    if (zigzag < 0) return; // damaged from here on: what came before still counts
    if (zigzag !== 0) add(bucket, zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2);
    bucket++;
  }
}

/** One array reused by every merge: a writer merges into a rollup row at every completion. */
let merging: DurationCounts | undefined;

/**
 * Both histograms added up, buckets whose count reaches 0 left out. The body of HISTOGRAM_MERGE_FUNCTION, run in
 * every rollup upsert: through a Map it took 12 µs for a day's histogram of ~300 characters, a quarter of a step's
 * write; through a reused typed array, ~1 µs.
 */
export function mergeHistograms(stored: string | null, change: string | null): string {
  return addHistograms(stored, change, true);
}

/**
 * Both histograms added up. `positiveOnly`: a stored histogram has no negative counts, and only a damaged one could
 * leave some, which are then dropped; a shard's row on PostgreSQL may hold negative counts (another shard holds what
 * they cancel), which must be kept.
 */
export function addHistograms(stored: string | null, change: string | null, positiveOnly: boolean): string {
  merging ??= new DurationCounts();
  merging.clear();
  if (stored !== null) merging.addStoredList(stored, false);
  if (change !== null) merging.addStoredList(change, false);
  return merging.encode(positiveOnly);
}

/**
 * A list of stored histograms (separated by commas) merged into one: PostgreSQL's writers append a change to a row's
 * stored list, and merge it once it grew long. `positiveOnly` as for addHistograms.
 */
export function mergeHistogramList(list: string, positiveOnly: boolean): string {
  merging ??= new DurationCounts();
  merging.clear();
  merging.addStoredList(list);
  return merging.encode(positiveOnly);
}

/** A stored histogram, or a list of them (added up), as bucket → count, for tests and inspection. */
export function decodeHistogram(text: string): HistogramChange {
  const histogram: HistogramChange = new Map();
  for (const part of text.split(',')) {
    forEachBucket(part, (bucket, count) => {
      const sum = (histogram.get(bucket) ?? 0) + count;
      if (sum === 0) histogram.delete(bucket);
      else histogram.set(bucket, sum);
    });
  }
  return histogram;
}

/** Durations counted per bucket, added up from many stored histograms, for percentiles. */
export class DurationCounts {
  /** Dense up to the largest bucket seen (an hour is bucket ~750), so that adding is an array write. */
  private counts = new Int32Array(0);
  private total = 0;
  /**
   * A histogram added alone is kept as its text until a second one comes: an hourly timeline has one row per
   * bucket, and allocating arrays for them was a quarter of its time.
   */
  private only: string | null = null;

  /**
   * Adds a list of stored histograms separated by commas, as SQL's group_concat(histogram) gives them.
   * `list` false: one histogram, in which a comma is damage like any other character that is not a digit.
   */
  addStoredList(list: string, isList = true): void {
    this.flushOnly();
    this.decode(list, isList);
  }

  /** Adds a stored histogram, or a list of them separated by commas. */
  addStored(text: string): void {
    if (this.only === null && this.total === 0 && this.counts.length === 0) {
      this.only = text;
      return;
    }
    this.flushOnly();
    this.decode(text);
  }

  private flushOnly(): void {
    if (this.only === null) return;
    const text = this.only;
    this.only = null;
    this.decode(text);
  }

  /** Decoded inline rather than through forEachBucket: this runs for every row read. */
  private decode(text: string, isList = true): void {
    let at = 0;
    let bucket = -1;
    while (at < text.length) {
      if (isList && text.charCodeAt(at) === SEPARATOR) {
        at++;
        bucket = -1; // the next histogram of a list starts
        continue;
      }
      let value = 0;
      let scale = 1;
      for (;;) {
        const digit = text.charCodeAt(at++) - DIGIT_ZERO; // NaN past the end
        if (digit >= 0 && digit < MORE) {
          value += digit * scale;
          break;
        }
        // A damaged histogram (edited by hand, cut short) counts up to the damage; reading never loops or throws.
        if (!(digit >= MORE && digit < 2 * MORE)) return;
        value += (digit - MORE) * scale;
        scale *= MORE;
      }
      if (bucket < 0) {
        bucket = value; // the first number is the first bucket
        continue;
      }
      if (bucket >= BUCKETS) return;
      if (value !== 0) {
        const count = value % 2 === 0 ? value / 2 : -(value + 1) / 2;
        if (bucket >= this.counts.length) this.reach(bucket);
        (this.counts[bucket] as number) += count;
        this.total += count;
      }
      bucket++;
    }
  }

  /** The counts as stored text; `positiveOnly` leaves out buckets whose count is below zero. */
  encode(positiveOnly = false): string {
    // A text held alone is returned as it is, unless it is a list (then its parts are added up first).
    if (this.only !== null && !this.only.includes(',')) return this.only;
    this.flushOnly();
    const counts = this.counts;
    const floor = positiveOnly ? 1 : Number.NEGATIVE_INFINITY; // counts below it are left out (with 0 itself)
    let first = 0;
    while (first < counts.length && ((counts[first] as number) === 0 || (counts[first] as number) < floor)) first++;
    let last = counts.length - 1;
    while (last >= first && ((counts[last] as number) === 0 || (counts[last] as number) < floor)) last--;
    if (first > last) return '';
    // Written into one reused buffer and made a string at once: pushing to an array and spreading it was 3/4 of a
    // merge; String.fromCharCode over a typed array, half.
    let length = writeVarintAt(first, 0);
    for (let bucket = first; bucket <= last; bucket++) {
      const count = counts[bucket] as number;
      length = writeZigzagAt(count < floor ? 0 : count, length);
    }
    return encoding.toString('latin1', 0, length);
  }

  /** Back to empty, keeping the array. */
  clear(): void {
    this.counts.fill(0);
    this.total = 0;
    this.only = null;
  }

  addDuration(durationMs: number): void {
    this.flushOnly();
    const bucket = bucketOf(durationMs);
    this.reach(bucket);
    (this.counts[bucket] as number) += 1;
    this.total += 1;
  }

  private reach(bucket: number): void {
    if (bucket < this.counts.length) return;
    const grown = new Int32Array(Math.min(BUCKETS, Math.max(bucket + 1, this.counts.length * 2, 64)));
    grown.set(this.counts);
    this.counts = grown;
  }

  /**
   * The nearest-rank percentile (the ceil(p% × n)-th smallest duration) in whole milliseconds: within 1% of it plus
   * 0.5 ms, and exact below 58 ms (see the top of this file). When the exact maximum is known, never above it (which
   * only brings the value closer) and equal to it at the last rank. Null when empty.
   */
  percentile(percent: number, maxMs?: number | null): number | null {
    if (this.only !== null) return textPercentile(this.only, percent, maxMs);
    if (this.total <= 0) return null;
    const rank = nearestRank(percent, this.total);
    if (rank === this.total && maxMs != null) return maxMs;
    let seen = 0;
    for (let bucket = 0; bucket < this.counts.length; bucket++) {
      seen += this.counts[bucket] as number;
      if (seen >= rank) {
        const value = Math.round(valueOf(bucket));
        return maxMs == null ? value : Math.min(value, maxMs);
      }
    }
    return null; // not reached: the counts add up to total
  }
}

/** One array reused to read a single stored histogram's percentile: no allocation per timeline bucket. */
let scratch: DurationCounts | undefined;

/** DurationCounts.percentile for one stored histogram. */
function textPercentile(text: string, percent: number, maxMs?: number | null): number | null {
  scratch ??= new DurationCounts();
  scratch.clear();
  scratch.addStoredList(text);
  return scratch.percentile(percent, maxMs);
}
