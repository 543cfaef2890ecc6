// Part 14 on PostgreSQL: the shared measurements (bench/parts/search.ts) with a raw side on node-postgres: the same
// strpos()/lower(… collate "C") prefilter the store's SQL applies, over the same rows.
import type { Prefilter } from '../../../src/core/payload-match.js';
import type { SearchRawSide } from '../../parts/search.js';
import type { Raw } from '../raw.js';

export function postgresSearchRaw(raw: Raw): SearchRawSide {
  // $1 key (or unused), $2 and $3 the needles ($3 unused when there is one: it repeats $2).
  const holds = (column: string, prefilter: Prefilter) => {
    const found = prefilter.kind === 'key' ? prefilter.values : prefilter.texts;
    const searched = prefilter.kind === 'key' ? column : `lower(${column} collate "C")`;
    const any = found.map((_, index) => `strpos(${searched}, $${index + 2}) > 0`).join(' or ');
    return prefilter.kind === 'key' ? `(strpos(${column}, $1) > 0 and (${any}))` : `(${any})`;
  };
  const candidate = (column: string, prefilter: Prefilter) => `case when ${holds(column, prefilter)} then ${column} end`;
  const needles = (prefilter: Prefilter) => {
    const found = prefilter.kind === 'key' ? prefilter.values : prefilter.texts;
    return [prefilter.kind === 'key' ? prefilter.key : '', found[0], found[1] ?? found[0]];
  };
  const countCandidates = (rows: Record<string, unknown>[], columns: string[]) =>
    rows.reduce((sum, row) => sum + columns.filter((column) => row[column] !== null).length, 0);
  return {
    rareValue: async () => {
      const [row] = await raw.rows('SELECT output_data FROM execution_steps WHERE output_data IS NOT NULL ORDER BY id COLLATE "C" LIMIT 1 OFFSET 500000');
      return (JSON.parse((row as { output_data: string }).output_data) as { id: number }).id;
    },
    scan: async (prefilter, from, to) => {
      const values = [...needles(prefilter), from, to];
      // $1 may be unused (a text search): typed so that PostgreSQL takes it all the same.
      const executions = await raw.rows(
        `SELECT id, started_at, ${candidate('trigger_data', prefilter)} AS t, ${candidate('metadata', prefilter)} AS m FROM workflow_executions ` +
          'WHERE started_at >= $4 AND started_at < $5 AND $1::text IS NOT NULL AND $3::text IS NOT NULL',
        values,
      );
      const steps = await raw.rows(
        `SELECT execution_id, id, node_id, step_index, ${candidate('input_data', prefilter)} AS i, ${candidate('output_data', prefilter)} AS o FROM execution_steps ` +
          `WHERE execution_id IN (SELECT id FROM workflow_executions WHERE started_at >= $4 AND started_at < $5) AND (${holds('input_data', prefilter)} OR ${holds('output_data', prefilter)}) AND $1::text IS NOT NULL AND $3::text IS NOT NULL`,
        values,
      );
      return countCandidates(executions, ['t', 'm']) + countCandidates(steps, ['i', 'o']);
    },
    firstChunk: async (prefilter, size) => {
      const values = needles(prefilter);
      const chunk = await raw.rows(
        `SELECT id, started_at, ${candidate('trigger_data', prefilter)} AS t, ${candidate('metadata', prefilter)} AS m FROM workflow_executions ` +
          'WHERE $1::text IS NOT NULL AND $3::text IS NOT NULL ORDER BY started_at DESC, id COLLATE "C" DESC LIMIT $4',
        [...values, size],
      );
      const ids = chunk.map((row) => row.id as string);
      // The steps' ids, as the store bounds them (stepsOfChunk): from the first millisecond of the chunk's ids to the last.
      const prefixes = ids.map((id) => id.slice(0, 13)).sort();
      const timeOf = (prefix: string) => Number.parseInt(prefix.replace('-', ''), 16);
      const boundOf = (time: number) => {
        const hex = time.toString(16).padStart(12, '0');
        return `${hex.slice(0, 8)}-${hex.slice(8, 12)}`;
      };
      const stepsFrom = prefixes[0] as string;
      const stepsTo = boundOf(timeOf(prefixes.at(-1) as string) + 1);
      await raw.rows('SELECT execution_id, count(*) FROM execution_steps WHERE execution_id = ANY($1) AND id >= $2 AND id < $3 GROUP BY execution_id', [ids, stepsFrom, stepsTo]);
      const steps = await raw.rows(
        `SELECT execution_id, id, node_id, step_index, ${candidate('input_data', prefilter)} AS i, ${candidate('output_data', prefilter)} AS o FROM execution_steps ` +
          `WHERE execution_id = ANY($4) AND id >= $5 AND id < $6 AND (${holds('input_data', prefilter)} OR ${holds('output_data', prefilter)}) AND $1::text IS NOT NULL AND $3::text IS NOT NULL`,
        [...values, ids, stepsFrom, stepsTo],
      );
      const matched = [...new Set([...chunk.filter((row) => row.t !== null || row.m !== null).map((row) => row.id), ...steps.map((row) => row.execution_id)])].slice(0, 20);
      await raw.rows('SELECT * FROM workflow_executions WHERE id = ANY($1)', [matched]);
      return countCandidates(chunk, ['t', 'm']) + countCandidates(steps, ['i', 'o']);
    },
  };
}
