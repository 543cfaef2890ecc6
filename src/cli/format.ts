// How times, durations and statuses read in a terminal: short, aligned and coloured by meaning.
import ms from 'ms';
import type { Colors } from './terminal.js';

/** 850 ms, 3.2 s, 4m 05s, 2h 10m: precise where it matters, short where it does not. */
export function formatDuration(durationMs: number | null | undefined): string {
  if (durationMs === null || durationMs === undefined) return '';
  if (durationMs < 1000) return `${Math.round(durationMs)} ms`;
  if (durationMs < 60_000) return `${(durationMs / 1000).toFixed(1)} s`;
  const minutes = Math.floor(durationMs / 60_000);
  if (minutes < 60) return `${minutes}m ${String(Math.floor((durationMs % 60_000) / 1000)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

const two = (value: number) => String(value).padStart(2, '0');

/** Local date and time, to the second: 2026-11-01 13:00:05. */
export function formatTime(at: number): string {
  const date = new Date(at);
  return `${date.getFullYear()}-${formatShortTime(at)}:${two(date.getSeconds())}`;
}

/** Local date and time without the year and seconds, for narrow terminals: 11-01 13:00. */
export function formatShortTime(at: number): string {
  const date = new Date(at);
  return `${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}`;
}

/** How long ago: 45s, 12m, 3h, 2d (ms's short form). */
export function formatAgo(at: number, now: number): string {
  const elapsed = now - at;
  return elapsed < 0 ? 'in future' : `${ms(Math.max(elapsed, 0))} ago`;
}

/** A percentage with one decimal, or empty when there is no rate. */
export const formatRate = (rate: number | null) => (rate === null ? '' : `${(rate * 100).toFixed(1)}%`);

export function colorStatus(colors: Colors, status: string): string {
  if (status === 'success') return colors.green(status);
  if (status === 'error') return colors.red(status);
  if (status === 'running') return colors.yellow(status);
  return colors.dim(status);
}

/** The first line of a message, for one table cell. */
export const firstLine = (text: string | null | undefined) => (text ?? '').split('\n', 1)[0] ?? '';
