import { describe, expect, it } from 'vitest';
import { bucketBoundaries } from '../src/core/timeline-buckets.js';
import type { TimelineBucket } from '../src/core/types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const boundaries = (timeZone: string, bucket: TimelineBucket, startedAfter: string | number, startedBefore: string | number) =>
  bucketBoundaries({ workflowId: 'wf-orders', timeZone, bucket, startedAfter: instant(startedAfter), startedBefore: instant(startedBefore) });
const instant = (time: string | number) => (typeof time === 'number' ? time : Date.parse(time));
const iso = (time: number) => new Date(time).toISOString();
const lengthsInHours = (starts: number[]) => starts.slice(1).map((end, i) => (end - (starts[i] as number)) / HOUR);

// The reference reads the zone's clock through Intl.DateTimeFormat and knows nothing of how the boundaries were found.
const perZone = (locale: string, options: Intl.DateTimeFormatOptions) => {
  // One formatter per zone: building one costs as much as a few hundred readings.
  const formats = new Map<string, Intl.DateTimeFormat>();
  return (timeZone: string, time: number) => {
    let format = formats.get(timeZone);
    if (format === undefined) {
      format = new Intl.DateTimeFormat(locale, { ...options, timeZone });
      formats.set(timeZone, format);
    }
    return format.format(time);
  };
};
/** "2026-09-06": ISO dates compare as strings. */
const localDate = perZone('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' });
/** "2026-09-06 01:00:00". */
const localTime = perZone('sv-SE', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
/** The clock's reading as milliseconds since a local 1970-01-01, to the second (Intl shows no milliseconds). */
const wallClock = (timeZone: string, time: number) => {
  const [year, month, day, hour, minute, second] = localTime(timeZone, time).split(/[- :]/).map(Number) as number[];
  return Date.UTC(year as number, (month as number) - 1, day, hour, minute, second) + (time - Math.floor(time / 1000) * 1000);
};

/**
 * What is wrong with a year of day buckets in one zone, and the days the zone skipped. Each boundary must be the first
 * instant of its local date: the instant before it still reads the previous bucket's date. A bucket longer than a day
 * holds a clock set back, which could have hidden an earlier start of the next date (St. John's set 00:01 back to 23:01
 * until 2011), so the last three hours of it are read minute by minute for that date. Days last 21 to 27 hours: Casey
 * station's clock moved by three.
 */
function dayBucketProblems(timeZone: string, year: number): { problems: string[]; skipped: string[] } {
  const [startedAfter, startedBefore] = [Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1)];
  const starts = boundaries(timeZone, 'day', startedAfter, startedBefore);
  const problems: string[] = [];
  const skipped: string[] = [];
  const dates = starts.map((start) => localDate(timeZone, start));
  if (!((starts[0] as number) <= startedAfter && startedAfter < (starts[1] as number))) problems.push(`${timeZone} ${year}: the first bucket does not hold startedAfter`);
  if (!((starts.at(-2) as number) < startedBefore && startedBefore <= (starts.at(-1) as number))) {
    problems.push(`${timeZone} ${year}: the last bucket does not hold startedBefore - 1`);
  }
  if (localDate(timeZone, (starts[0] as number) - 1) >= (dates[0] as string)) problems.push(`${timeZone} ${year}: ${dates[0]} starts after its first instant`);
  for (let i = 1; i < starts.length; i++) {
    const [start, end] = [starts[i - 1] as number, starts[i] as number];
    const [date, nextBucketDate] = [dates[i - 1] as string, dates[i] as string];
    const problem = (what: string) => problems.push(`${timeZone} ${date} (${iso(start)} to ${iso(end)}): ${what}`);
    if (!(end - start >= 21 * HOUR && end - start <= 27 * HOUR)) problem(`lasts ${(end - start) / HOUR} h`);
    if (localDate(timeZone, end - 1) !== date) problem(`ends in ${localDate(timeZone, end - 1)}`);
    if (!(nextBucketDate > date)) problem(`is followed by ${nextBucketDate}`);
    for (let day = Date.parse(date) + DAY; day < Date.parse(nextBucketDate); day += DAY) skipped.push(`${timeZone} ${iso(day).slice(0, 10)}`);
    if (end - start > DAY) {
      for (let time = end - 3 * HOUR; time < end; time += MINUTE) {
        if (localDate(timeZone, time) >= nextBucketDate) problem(`${nextBucketDate} began at ${iso(time)} already`);
      }
    }
  }
  return { problems, skipped };
}

/**
 * What is wrong with a year of hour buckets, a month at a time (a year holds more than 5,000): each must be a whole
 * stretch in which the clock shows one hour and is not set. It starts where the clock reads a whole hour or is set,
 * and shows one offset and one hour until its end.
 */
function hourBucketProblems(timeZone: string, year: number): string[] {
  const problems: string[] = [];
  for (let month = 0; month < 12; month++) {
    const starts = boundaries(timeZone, 'hour', Date.UTC(year, month, 1), Date.UTC(year, month + 1, 1));
    const clock = starts.map((start) => ({ at: wallClock(timeZone, start), before: wallClock(timeZone, start - 1) }));
    starts.forEach((start, i) => {
      const { at, before } = clock[i] as { at: number; before: number };
      if (at % HOUR !== 0 && at - start === before - (start - 1)) {
        problems.push(`${timeZone} ${iso(start)} (${localTime(timeZone, start)}): neither a whole hour nor a change`);
      }
    });
    for (let i = 1; i < starts.length; i++) {
      const [start, end] = [starts[i - 1] as number, starts[i] as number];
      const [startClock, endClockBefore] = [(clock[i - 1] as { at: number }).at, (clock[i] as { before: number }).before];
      const problem = (what: string) => problems.push(`${timeZone} ${iso(start)} to ${iso(end)}: ${what}`);
      if (!(end > start && end - start <= HOUR)) problem(`lasts ${(end - start) / MINUTE} min`);
      if (startClock - start !== endClockBefore - (end - 1)) problem('holds a change');
      if (Math.floor(startClock / HOUR) !== Math.floor(endClockBefore / HOUR)) problem('holds a whole hour');
    }
  }
  return problems;
}

/**
 * Zones whose clock changes at local midnight in at least ten of the years 2000–2030 (zdump of tzdata 2025b), and
 * Pyongyang, which set midnight back to 23:30 in 2015, checked in every one of those years: their days start at 01:00
 * on spring-forward days, or run 25 hours before falling back.
 */
const CHANGING_AT_MIDNIGHT = [
  'Africa/Cairo',
  'America/Asuncion',
  'America/Campo_Grande',
  'America/Coyhaique',
  'America/Cuiaba',
  'America/Goose_Bay',
  'America/Havana',
  'America/Punta_Arenas',
  'America/Santiago',
  'America/Sao_Paulo',
  'America/Scoresbysund',
  'America/St_Johns',
  'Antarctica/Palmer',
  'Asia/Amman',
  'Asia/Beirut',
  'Asia/Damascus',
  'Asia/Gaza',
  'Asia/Hebron',
  'Asia/Pyongyang',
  'Asia/Tehran',
  'Atlantic/Azores',
];
/** Every zone is checked in these: past rules, the year Samoa and Tokelau skipped a day, and the years around now. */
const SWEEP_YEARS = [1995, 2011, 2016, 2024, 2026, 2027];
const MIDNIGHT_YEARS = Array.from({ length: 31 }, (_, i) => 2000 + i).filter((year) => !SWEEP_YEARS.includes(year));

/** The days zones skipped in the sweep's years: Samoa and Tokelau crossed the date line at the end of 2011. */
const SKIPPED: Record<number, string[]> = { 2011: ['Pacific/Apia 2011-12-30', 'Pacific/Fakaofo 2011-12-30'] };

describe('day buckets in every time zone', () => {
  const sweep = (zones: string[], years: number[]) => {
    const results = zones.flatMap((timeZone) => years.map((year) => dayBucketProblems(timeZone, year)));
    return { problems: results.flatMap((result) => result.problems), skipped: results.flatMap((result) => result.skipped) };
  };

  it.each(SWEEP_YEARS)('start at the first instant of each local day of %i in all zones Intl knows, skipping no other day', (year) => {
    expect(sweep(Intl.supportedValuesOf('timeZone'), [year])).toEqual({ problems: [], skipped: SKIPPED[year] ?? [] });
  });

  it('start at the first instant of each local day of 2000–2030 in zones whose clocks change at midnight', () => {
    expect(sweep(CHANGING_AT_MIDNIGHT, MIDNIGHT_YEARS)).toEqual({ problems: [], skipped: [] });
  });
});

describe('day buckets across changes', () => {
  const days = (timeZone: string, startedAfter: string, startedBefore: string) => {
    const starts = boundaries(timeZone, 'day', startedAfter, startedBefore);
    return { starts: starts.map(iso), local: starts.map((start) => localTime(timeZone, start)), hours: lengthsInHours(starts) };
  };

  it("start at 01:00 on Santiago's spring-forward day, when midnight does not happen, and at midnight on the days after", () => {
    expect(days('America/Santiago', '2026-09-05T04:00Z', '2026-09-09T03:00Z')).toEqual({
      starts: ['2026-09-05T04:00:00.000Z', '2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z', '2026-09-08T03:00:00.000Z', '2026-09-09T03:00:00.000Z'],
      local: ['2026-09-05 00:00:00', '2026-09-06 01:00:00', '2026-09-07 00:00:00', '2026-09-08 00:00:00', '2026-09-09 00:00:00'],
      hours: [24, 23, 24, 24],
    });
  });

  it("last 25 hours on Santiago's fall-back day, whose midnight is set back to 23:00", () => {
    expect(days('America/Santiago', '2026-04-04T03:00Z', '2026-04-06T04:00Z')).toEqual({
      starts: ['2026-04-04T03:00:00.000Z', '2026-04-05T04:00:00.000Z', '2026-04-06T04:00:00.000Z'],
      local: ['2026-04-04 00:00:00', '2026-04-05 00:00:00', '2026-04-06 00:00:00'],
      hours: [25, 24],
    });
  });

  it("follow Havana's spring forward at midnight and fall back at 01:00", () => {
    expect(days('America/Havana', '2026-03-07T05:00Z', '2026-03-10T04:00Z')).toEqual({
      starts: ['2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z', '2026-03-10T04:00:00.000Z'],
      local: ['2026-03-07 00:00:00', '2026-03-08 01:00:00', '2026-03-09 00:00:00', '2026-03-10 00:00:00'],
      hours: [24, 23, 24],
    });
    expect(days('America/Havana', '2026-11-01T04:00Z', '2026-11-03T05:00Z')).toEqual({
      starts: ['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z', '2026-11-03T05:00:00.000Z'],
      local: ['2026-11-01 00:00:00', '2026-11-02 00:00:00', '2026-11-03 00:00:00'],
      hours: [25, 24],
    });
  });

  it('last 23 and 25 hours in Berlin', () => {
    expect(days('Europe/Berlin', '2026-03-28T23:00Z', '2026-03-30T22:00Z')).toEqual({
      starts: ['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z', '2026-03-30T22:00:00.000Z'],
      local: ['2026-03-29 00:00:00', '2026-03-30 00:00:00', '2026-03-31 00:00:00'],
      hours: [23, 24],
    });
    expect(days('Europe/Berlin', '2026-10-24T22:00Z', '2026-10-26T23:00Z')).toEqual({
      starts: ['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z', '2026-10-26T23:00:00.000Z'],
      local: ['2026-10-25 00:00:00', '2026-10-26 00:00:00', '2026-10-27 00:00:00'],
      hours: [25, 24],
    });
  });

  it('start at local midnight in zones half and three quarters of an hour off UTC: Kolkata, Kathmandu', () => {
    expect(days('Asia/Kolkata', '2026-03-01T12:00Z', '2026-03-02T12:00Z')).toEqual({
      starts: ['2026-02-28T18:30:00.000Z', '2026-03-01T18:30:00.000Z', '2026-03-02T18:30:00.000Z'],
      local: ['2026-03-01 00:00:00', '2026-03-02 00:00:00', '2026-03-03 00:00:00'],
      hours: [24, 24],
    });
    expect(days('Asia/Kathmandu', '2026-03-01T12:00Z', '2026-03-02T12:00Z')).toEqual({
      starts: ['2026-02-28T18:15:00.000Z', '2026-03-01T18:15:00.000Z', '2026-03-02T18:15:00.000Z'],
      local: ['2026-03-01 00:00:00', '2026-03-02 00:00:00', '2026-03-03 00:00:00'],
      hours: [24, 24],
    });
  });

  it('last 23.5 and 24.5 hours on Lord Howe, whose clock moves by half an hour', () => {
    expect(days('Australia/Lord_Howe', '2026-10-03T13:30Z', '2026-10-05T13:00Z')).toEqual({
      starts: ['2026-10-03T13:30:00.000Z', '2026-10-04T13:00:00.000Z', '2026-10-05T13:00:00.000Z'],
      local: ['2026-10-04 00:00:00', '2026-10-05 00:00:00', '2026-10-06 00:00:00'],
      hours: [23.5, 24],
    });
    expect(days('Australia/Lord_Howe', '2026-04-04T13:00Z', '2026-04-06T13:30Z')).toEqual({
      starts: ['2026-04-04T13:00:00.000Z', '2026-04-05T13:30:00.000Z', '2026-04-06T13:30:00.000Z'],
      local: ['2026-04-05 00:00:00', '2026-04-06 00:00:00', '2026-04-07 00:00:00'],
      hours: [24.5, 24],
    });
  });

  it('last 23 and 25 hours on the Chatham Islands, 12:45 and 13:45 ahead of UTC', () => {
    expect(days('Pacific/Chatham', '2026-09-26T11:15Z', '2026-09-28T10:15Z')).toEqual({
      starts: ['2026-09-26T11:15:00.000Z', '2026-09-27T10:15:00.000Z', '2026-09-28T10:15:00.000Z'],
      local: ['2026-09-27 00:00:00', '2026-09-28 00:00:00', '2026-09-29 00:00:00'],
      hours: [23, 24],
    });
    expect(days('Pacific/Chatham', '2026-04-04T10:15Z', '2026-04-06T11:15Z')).toEqual({
      starts: ['2026-04-04T10:15:00.000Z', '2026-04-05T11:15:00.000Z', '2026-04-06T11:15:00.000Z'],
      local: ['2026-04-05 00:00:00', '2026-04-06 00:00:00', '2026-04-07 00:00:00'],
      hours: [25, 24],
    });
  });

  it('have no bucket for a day the zone skipped: Samoa went from 29 to 31 December 2011, Kwajalein from 20 to 22 August 1993', () => {
    expect(days('Pacific/Apia', '2011-12-28T10:00Z', '2011-12-31T10:00Z')).toEqual({
      starts: ['2011-12-28T10:00:00.000Z', '2011-12-29T10:00:00.000Z', '2011-12-30T10:00:00.000Z', '2011-12-31T10:00:00.000Z'],
      local: ['2011-12-28 00:00:00', '2011-12-29 00:00:00', '2011-12-31 00:00:00', '2012-01-01 00:00:00'],
      hours: [24, 24, 24],
    });
    expect(days('Pacific/Kwajalein', '1993-08-19T12:00Z', '1993-08-21T12:00Z')).toEqual({
      starts: ['1993-08-19T12:00:00.000Z', '1993-08-20T12:00:00.000Z', '1993-08-21T12:00:00.000Z'],
      local: ['1993-08-19 00:00:00', '1993-08-20 00:00:00', '1993-08-22 00:00:00'],
      hours: [24, 24],
    });
  });

  it("start at the first midnight where St. John's set its clock back from 00:01 to 23:01 (2010), holding the replayed hour", () => {
    expect(days('America/St_Johns', '2010-11-06T02:30Z', '2010-11-08T03:30Z')).toEqual({
      starts: ['2010-11-06T02:30:00.000Z', '2010-11-07T02:30:00.000Z', '2010-11-08T03:30:00.000Z'],
      local: ['2010-11-06 00:00:00', '2010-11-07 00:00:00', '2010-11-08 00:00:00'],
      hours: [24, 25],
    });
    // The bucket starting at a time in the replayed hour is 7 November's, though the clock shows the 6th.
    expect(days('America/St_Johns', '2010-11-07T03:00Z', '2010-11-07T04:00Z').starts).toEqual(['2010-11-07T02:30:00.000Z', '2010-11-08T03:30:00.000Z']);
  });

  it('are limited to 5,000, as before', () => {
    expect(boundaries('Europe/Berlin', 'day', '2020-01-01T00:00Z', Date.parse('2020-01-01T00:00Z') + 4999 * DAY)).toHaveLength(5001);
    expect(() => boundaries('Europe/Berlin', 'day', '2020-01-01T00:00Z', Date.parse('2020-01-01T00:00Z') + 5000 * DAY)).toThrow(
      'getTimeline: invalid input: the range holds more than 5000 day buckets; expected a shorter range or a larger bucket',
    );
  });
});

describe('hour and minute buckets', () => {
  const hours = (timeZone: string, startedAfter: string, startedBefore: string) =>
    boundaries(timeZone, 'hour', startedAfter, startedBefore).map((start) => `${iso(start).slice(11, 16)}Z ${localTime(timeZone, start).slice(11, 16)}`);

  it('each hold one hour of the clock between changes, over years with changes of an hour, half an hour and 15 minutes', () => {
    const problems = [
      hourBucketProblems('Australia/Lord_Howe', 2026),
      hourBucketProblems('Asia/Kathmandu', 1985),
      hourBucketProblems('Asia/Pyongyang', 2015),
      hourBucketProblems('America/Caracas', 2016),
      hourBucketProblems('America/St_Johns', 2010),
      hourBucketProblems('Pacific/Chatham', 2026),
      hourBucketProblems('Europe/Berlin', 2026),
    ].flat();
    expect(problems).toEqual([]);
  });

  it('add up to days: every day starts where an hour does', () => {
    const daysStartingWithinAnHour = ['Australia/Lord_Howe', 'America/Santiago', 'America/St_Johns', 'Asia/Pyongyang', 'Pacific/Apia'].flatMap((timeZone) =>
      [2010, 2011, 2015, 2026].flatMap((year) => {
        const hourStarts = new Set(
          Array.from({ length: 12 }, (_, month) => boundaries(timeZone, 'hour', Date.UTC(year, month, 1), Date.UTC(year, month + 1, 1))).flat(),
        );
        return boundaries(timeZone, 'day', Date.UTC(year, 0, 2), Date.UTC(year, 11, 31))
          .filter((start) => !hourStarts.has(start))
          .map((start) => `${timeZone} ${iso(start)}`);
      }),
    );
    expect(daysStartingWithinAnHour).toEqual([]);
  });

  it('are UTC hours in Berlin, 25 of them on the day the clock falls back', () => {
    const starts = boundaries('Europe/Berlin', 'hour', '2026-10-24T22:00Z', '2026-10-25T23:00Z');
    expect(starts.map(iso)).toEqual(Array.from({ length: 26 }, (_, i) => iso(Date.parse('2026-10-24T22:00Z') + i * HOUR)));
  });

  it('start at half past UTC hours in Kolkata', () => {
    expect(hours('Asia/Kolkata', '2026-03-01T00:00Z', '2026-03-01T02:00Z')).toEqual(['23:30Z 05:00', '00:30Z 06:00', '01:30Z 07:00', '02:30Z 08:00']);
  });

  it('on Lord Howe give the half hour between a change and the next whole hour a bucket of its own', () => {
    // 4 October 2026: 02:00 becomes 02:30.
    expect(hours('Australia/Lord_Howe', '2026-10-03T14:30Z', '2026-10-03T17:00Z')).toEqual(['14:30Z 01:00', '15:30Z 02:30', '16:00Z 03:00', '17:00Z 04:00']);
    // 5 April 2026: 02:00 becomes 01:30 again.
    expect(hours('Australia/Lord_Howe', '2026-04-04T14:00Z', '2026-04-04T16:30Z')).toEqual(['14:00Z 01:00', '15:00Z 01:30', '15:30Z 02:00', '16:30Z 03:00']);
  });

  it('are UTC minutes where the offset is whole minutes, and follow an offset with seconds: Monrovia until 1972', () => {
    expect(boundaries('Asia/Kolkata', 'minute', '2026-03-01T00:00:30Z', '2026-03-01T00:02Z').map(iso)).toEqual([
      '2026-03-01T00:00:00.000Z',
      '2026-03-01T00:01:00.000Z',
      '2026-03-01T00:02:00.000Z',
    ]);
    // -0:44:30 became +0:00 at 00:44:30 UTC on 7 January 1972.
    const starts = boundaries('Africa/Monrovia', 'minute', '1972-01-07T00:43:00Z', '1972-01-07T00:46:00Z');
    expect(starts.map((start) => `${iso(start).slice(11, 19)}Z ${localTime('Africa/Monrovia', start)}`)).toEqual([
      '00:42:30Z 1972-01-06 23:58:00',
      '00:43:30Z 1972-01-06 23:59:00',
      '00:44:30Z 1972-01-07 00:44:30',
      '00:45:00Z 1972-01-07 00:45:00',
      '00:46:00Z 1972-01-07 00:46:00',
    ]);
  });
});
