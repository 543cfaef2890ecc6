// Parsing the values of options: times as ISO dates or as durations back from now ("24h", "7d", by the ms
// package), counts as positive integers. A bad value is a usage error (exit 2) that says what was expected.
import { InvalidArgumentError } from 'commander';
// The functions' own modules: date-fns's index loads all of its 300 modules, a third of a second at start-up.
import { isValid } from 'date-fns/isValid';
import { parseISO } from 'date-fns/parseISO';
import ms from 'ms';

/** A length of time like 90s, 15m, 24h, 7d, 2w. */
export function parseDuration(value: string): number {
  const parsed = /^\d+(\.\d+)?\s*[a-z]+$/i.test(value.trim()) ? ms(value.trim() as ms.StringValue) : undefined;
  if (parsed === undefined || !Number.isFinite(parsed) || parsed <= 0) {
    throw new InvalidArgumentError(`expected a duration such as 30m, 24h or 7d, got "${value}".`);
  }
  return parsed;
}

/** A point in time: an ISO date (2026-11-26, 2026-11-26T09:00:00Z) or a duration back from now (24h). */
export function timeParser(now: () => number): (value: string) => number {
  return (value) => {
    if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
      const date = parseISO(value);
      if (isValid(date)) return date.getTime();
    } else if (/^\d+(\.\d+)?\s*[a-z]+$/i.test(value.trim())) {
      return now() - parseDuration(value);
    }
    throw new InvalidArgumentError(`expected an ISO date (2026-11-26, 2026-11-26T09:00:00Z) or a duration back from now (24h, 7d), got "${value}".`);
  };
}

export function parseCount(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(count)) throw new InvalidArgumentError(`expected a whole number, got "${value}".`);
  return count;
}

export function positiveCount(max: number): (value: string) => number {
  return (value) => {
    const count = parseCount(value);
    if (count < 1 || count > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}, got "${value}".`);
    return count;
  };
}
