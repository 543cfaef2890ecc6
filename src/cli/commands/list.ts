// `list`: what it accepts. The work is in ../actions/list.ts, loaded when it runs.
import { type Command, InvalidArgumentError } from 'commander';
import { positiveCount, timeParser } from '../arguments.js';
import { MAX_SEARCH_LIMIT, PAYLOAD_FIELDS } from '../../core/constants.js';
import { searchValueOf } from '../../core/search-value.js';
import { EXECUTION_STATUSES, MAX_PAGE_SIZE, TRIGGER_TYPES } from '../option-values.js';
import type { Io } from '../terminal.js';
import { choices, type Run, WORKFLOW_HELP } from './shared.js';

export function registerList(program: Command, io: Io, run: Run): void {
  program
    .command('list')
    .description('recent executions, newest first')
    .option('--workflow <workflow>', WORKFLOW_HELP)
    .addOption(choices('--status <status>', 'only this status', EXECUTION_STATUSES))
    .addOption(choices('--trigger <type>', 'only this trigger type', TRIGGER_TYPES))
    .option('--since <time>', 'started at or after: an ISO date or a duration back from now (24h, 7d)', timeParser(io.now))
    .option('--until <time>', 'started before: an ISO date or a duration back from now', timeParser(io.now))
    .option('--limit <n>', `how many (1–${MAX_PAGE_SIZE}; with --where or --text 1–${MAX_SEARCH_LIMIT})`, positiveCount(MAX_PAGE_SIZE), 20)
    .option('--cursor <cursor>', 'the next page, as printed under the previous one')
    .addOption(choices('--sort <key>', 'started (newest first) or duration (slowest first)', ['started', 'duration'] as const).default('started'))
    .option('--where <key=value>', 'only runs whose payloads hold this key, at any depth, with this value (orderId=1002; the value read as JSON when it is JSON)', parseWhere)
    .option('--text <text>', 'only runs whose payloads hold this text (ASCII case ignored)')
    .option('--in <fields>', `with --where or --text, look only in these payloads, comma-separated: ${PAYLOAD_FIELDS.join(', ')}`, parseFields)
    .action(run(async () => (await import('../actions/list.js')).list));
}

/** `key=value`: the value as JSON when it is a JSON string, number, boolean or null, else as it is written. */
export function parseWhere(value: string): { key: string; equals: string | number | boolean | null } {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, such as orderId=1002, got "${value}".`);
  return { key: value.slice(0, at), equals: searchValueOf(value.slice(at + 1)) };
}

function parseFields(value: string): (typeof PAYLOAD_FIELDS)[number][] {
  const fields = value.split(',').map((field) => field.trim());
  const unknown = fields.filter((field) => !(PAYLOAD_FIELDS as readonly string[]).includes(field));
  if (unknown.length > 0 || fields.length === 0) {
    throw new InvalidArgumentError(`expected payload fields among ${PAYLOAD_FIELDS.join(', ')}, separated by commas, got "${value}".`);
  }
  return [...new Set(fields)] as (typeof PAYLOAD_FIELDS)[number][];
}
