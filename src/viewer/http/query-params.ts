// A route's query parameters, read strictly: each route names the parameters it takes, so a misspelt filter in a
// shared link is a 400 naming it rather than a silently wider list. Every bad value says what was expected.
import ms from 'ms';
import { ApiError, badParameter } from './api-error.js';

export class QueryParams {
  private readonly values = new Map<string, string>();

  constructor(search: URLSearchParams, allowed: readonly string[]) {
    for (const [name, value] of search) {
      if (!allowed.includes(name)) {
        const takes = allowed.length === 0 ? 'no query parameters' : `only ${allowed.join(', ')}`;
        throw new ApiError(400, 'bad_parameter', `${name}: not a parameter of this route, which takes ${takes}`, { parameter: name, allowed });
      }
      if (this.values.has(name)) {
        throw new ApiError(400, 'bad_parameter', `${name}: expected one value, got ${JSON.stringify(this.values.get(name))} and ${JSON.stringify(value)}`, { parameter: name, expected: 'one value' });
      }
      this.values.set(name, value);
    }
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The value as given, empty included. */
  raw(name: string): string | undefined {
    return this.values.get(name);
  }

  /** A non-empty string, or undefined when the parameter is absent. */
  string(name: string): string | undefined {
    const value = this.values.get(name);
    if (value === undefined) return undefined;
    if (value === '') throw badParameter(name, 'a non-empty value', value);
    return value;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const number = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(number) || number < min || number > max) {
      throw badParameter(name, `a whole number from ${min} to ${max}`, value);
    }
    return number;
  }

  /** A point in time: milliseconds since the epoch, or an ISO 8601 date or time (2026-11-01, 2026-11-01T12:00:00Z). */
  time(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const time = /^\d+$/.test(value) ? Number(value) : /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? Date.parse(value) : Number.NaN;
    if (!Number.isSafeInteger(time) || time < 0) {
      throw badParameter(name, 'milliseconds since the epoch or an ISO 8601 time (2026-11-01T12:00:00Z)', value);
    }
    return time;
  }

  /** A length of time: whole milliseconds, or a duration such as 90s, 30m, 24h, 14d. */
  duration(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const parsed = /^\d+$/.test(value) ? Number(value) : /^\d+(\.\d+)?\s*[a-z]+$/i.test(value) ? ms(value as ms.StringValue) : undefined;
    if (parsed === undefined || !Number.isSafeInteger(Math.round(parsed)) || parsed < 0) {
      throw badParameter(name, 'whole milliseconds or a duration such as 30m, 24h or 14d', value);
    }
    return Math.round(parsed);
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!(values as readonly string[]).includes(value)) throw badParameter(name, `one of ${values.join(', ')}`, value);
    return value as T;
  }

  /** 1/true or 0/false; absent is false. */
  flag(name: string): boolean {
    const value = this.values.get(name);
    if (value === undefined) return false;
    if (value === '1' || value === 'true') return true;
    if (value === '0' || value === 'false') return false;
    throw badParameter(name, '1 or 0 (true or false)', value);
  }

  /** A comma-separated list of non-empty strings, at most `max` of them. */
  list(name: string, max: number): string[] | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const items = value.split(',');
    if (items.some((item) => item === '') || items.length > max) throw badParameter(name, `1 to ${max} comma-separated values, none empty`, value);
    return items;
  }
}

/** The parameters of a request's URL, as the route allows them. */
export function queryOf(url: string, allowed: readonly string[]): QueryParams {
  return new QueryParams(new URL(url).searchParams, allowed);
}
