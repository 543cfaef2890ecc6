// Part 14: searchExecutions over the dataset's 30 days, on either backend (the raw side is the backend's own: a SQLite
// file or a PostgreSQL pool). Two searches read the whole range, a call after another until nextCursor is null: a
// value one payload of a million holds (`id` = a step output's id: every payload has the key, so the key's needle
// passes them all and the value's is what sifts), and a text no payload holds. Per call: time and steps read; per
// search: the calls, their total, and the same scan done as raw SQL in one pass (the same instr()/strpos()
// prefilter over every execution and step of the range, candidates returned, no JavaScript check), for the ratio.
// Then the first page of two common matches (a metadata value a quarter of the runs hold, a step value in one
// payload of twenty), which stop at the limit after a few hundred runs.
import { performance } from 'node:perf_hooks';
import { payloadMatcher, type Prefilter } from '../../src/core/payload-match.js';
import type { ExecutionSearch, ExecutionSearchResult, ExecutionStore } from '../../src/index.js';
import { HISTORY_END, HISTORY_START } from '../dataset.js';
import { median, type Row } from '../measure.js';

/** The raw side's reads, on the benchmark's dataset. */
export interface SearchRawSide {
  /** The `id` of one step's output, from the middle of the history: a value one payload holds. */
  rareValue(): Promise<number>;
  /**
   * Every execution and step that started in [from, to) read once with the prefilter, in one pass per table; how many
   * payload texts came back as candidates.
   */
  scan(prefilter: Prefilter, from: number, to: number): Promise<number>;
  /** The statements the store sends for one chunk of `size` executions from the newest, done by hand. */
  firstChunk(prefilter: Prefilter, size: number): Promise<number>;
}

const PART = '14 search';
const RANGE = { startedAfter: HISTORY_START, startedBefore: HISTORY_END };

interface Exhausted {
  ms: number;
  calls: number;
  callMs: number[];
  steps: number[];
  executions: number;
  matches: number;
}

/** One search from its first call until nextCursor is null. */
async function exhaust(store: ExecutionStore, search: ExecutionSearch): Promise<Exhausted> {
  const callMs: number[] = [];
  const steps: number[] = [];
  let executions = 0;
  let matches = 0;
  let cursor: string | undefined;
  const started = performance.now();
  do {
    const before = performance.now();
    const result: ExecutionSearchResult = await store.searchExecutions({ ...search, cursor });
    callMs.push(performance.now() - before);
    steps.push(result.scanned.steps);
    executions += result.scanned.executions;
    matches += result.items.length;
    cursor = result.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return { ms: performance.now() - started, calls: callMs.length, callMs, steps, executions, matches };
}

const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const thousands = (value: number) => Math.round(value).toLocaleString('en-US');

export async function searchPart(store: ExecutionStore, raw: SearchRawSide, reps: number, log: (line: string) => void): Promise<{ rows: Row[]; lines: string[] }> {
  const rows: Row[] = [];
  const lines: string[] = [];
  const rare = await raw.rareValue();
  const full: [string, ExecutionSearch][] = [
    [`rare value (id = ${rare}), 30 days to the end`, { key: 'id', equals: rare, limit: 20, ...RANGE }],
    ['text found nowhere, 30 days to the end', { text: 'zq-no-such-text', limit: 20, ...RANGE }],
  ];
  for (const [name, search] of full) {
    log(`  ${name} …`);
    const { prefilter } = payloadMatcher(search);
    // One untimed round of each first (JIT, caches); then alternately, as sideBySide does.
    await exhaust(store, search);
    await raw.scan(prefilter, RANGE.startedAfter, RANGE.startedBefore);
    const storeRuns: Exhausted[] = [];
    const rawMs: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const storeFirst = rep % 2 === 0;
      if (storeFirst) storeRuns.push(await exhaust(store, search));
      const started = performance.now();
      await raw.scan(prefilter, RANGE.startedAfter, RANGE.startedBefore);
      rawMs.push(performance.now() - started);
      if (!storeFirst) storeRuns.push(await exhaust(store, search));
    }
    const totals = storeRuns.map((run) => run.ms);
    const typical = storeRuns[totals.indexOf(median(totals))] ?? (storeRuns[0] as Exhausted);
    const ratio = median(totals) / median(rawMs);
    rows.push({
      part: PART,
      name: `${name}: the whole range, ms (store: every call until nextCursor is null)`,
      store: median(totals),
      raw: median(rawMs),
      ratio,
      target: 2,
      pass: ratio <= 2,
      note:
        `${typical.calls} calls, ${ms(median(typical.callMs))} ms a call (median; slowest ${ms(Math.max(...typical.callMs))}), ` +
        `steps read a call: median ${thousands(median(typical.steps))}, most ${thousands(Math.max(...typical.steps))}; ` +
        `${thousands(typical.executions)} runs and ${thousands(typical.steps.reduce((a, b) => a + b, 0))} steps read in all; ${typical.matches} match(es)`,
    });
  }

  const firstPages: [string, ExecutionSearch][] = [
    ['common metadata value (host = worker-1: 1 run in 4), first page of 20', { key: 'host', equals: 'worker-1', limit: 20 }],
    ['common step value (ok = false: 1 payload in 20), first page of 20', { key: 'ok', equals: false, limit: 20 }],
  ];
  for (const [name, search] of firstPages) {
    log(`  ${name} …`);
    const { prefilter } = payloadMatcher(search);
    let last: ExecutionSearchResult | undefined;
    const storeMs: number[] = [];
    const rawMs: number[] = [];
    for (let rep = 0; rep < 3; rep++) await store.searchExecutions(search); // warm-up
    for (let rep = 0; rep < reps * 3; rep++) {
      let started = performance.now();
      last = await store.searchExecutions(search);
      storeMs.push(performance.now() - started);
      started = performance.now();
      await raw.firstChunk(prefilter, 200);
      rawMs.push(performance.now() - started);
    }
    const ratio = median(storeMs) / median(rawMs);
    rows.push({
      part: PART,
      name: `${name}, ms`,
      store: median(storeMs),
      raw: median(rawMs),
      ratio,
      target: 2,
      pass: ratio <= 2,
      note: `read ${thousands(last?.scanned.executions ?? 0)} runs and ${thousands(last?.scanned.steps ?? 0)} steps; raw: the store's statements for its first chunk of 200 runs`,
    });
  }
  lines.push(
    `14 search: each call reads at most ${thousands(50_000)} steps (SEARCH_STEPS_PER_CALL) and as many runs; the whole-range rows read every payload of the 30 days once.`,
  );
  return { rows, lines };
}

/** The SQLite side: the same instr() prefilter the store's SQL applies, on raw better-sqlite3. */
export function sqliteSearchRaw(db: import('better-sqlite3').Database): SearchRawSide {
  const holds = (column: string, prefilter: Prefilter) => {
    const found = prefilter.kind === 'key' ? prefilter.values : prefilter.texts;
    const searched = prefilter.kind === 'key' ? column : `lower(${column})`;
    const any = found.map((_, index) => `instr(${searched}, @n${index}) > 0`).join(' or ');
    return prefilter.kind === 'key' ? `(instr(${column}, @key) > 0 and (${any}))` : `(${any})`;
  };
  const candidate = (column: string, prefilter: Prefilter) => `case when ${holds(column, prefilter)} then ${column} end`;
  const needles = (prefilter: Prefilter) => {
    const found = prefilter.kind === 'key' ? prefilter.values : prefilter.texts;
    return { ...Object.fromEntries(found.map((needle, index) => [`n${index}`, needle])), ...(prefilter.kind === 'key' ? { key: prefilter.key } : {}) };
  };
  const statements = new Map<string, import('better-sqlite3').Statement>();
  const prepared = (text: string) => {
    let statement = statements.get(text);
    if (statement === undefined) statements.set(text, (statement = db.prepare(text).raw(true)));
    return statement;
  };
  const countCandidates = (rows: unknown[][], from: number) => rows.reduce((sum, row) => sum + row.slice(from).filter((value) => value !== null).length, 0);
  return {
    rareValue: async () => {
      const row = db.prepare('SELECT output_data FROM execution_steps WHERE rowid >= (SELECT max(rowid) / 2 FROM execution_steps) AND output_data IS NOT NULL LIMIT 1').get() as { output_data: string };
      return (JSON.parse(row.output_data) as { id: number }).id;
    },
    scan: async (prefilter, from, to) => {
      const values = { ...needles(prefilter), from, to };
      const executions = prepared(
        `SELECT id, started_at, ${candidate('trigger_data', prefilter)}, ${candidate('metadata', prefilter)} FROM workflow_executions WHERE started_at >= @from AND started_at < @to`,
      ).all(values) as unknown[][];
      const steps = prepared(
        `SELECT execution_id, id, node_id, step_index, ${candidate('input_data', prefilter)}, ${candidate('output_data', prefilter)} FROM execution_steps ` +
          `WHERE execution_id IN (SELECT id FROM workflow_executions WHERE started_at >= @from AND started_at < @to) AND (${holds('input_data', prefilter)} OR ${holds('output_data', prefilter)})`,
      ).all(values) as unknown[][];
      return countCandidates(executions, 2) + countCandidates(steps, 4);
    },
    firstChunk: async (prefilter, size) => {
      const values = needles(prefilter);
      const chunk = prepared(
        `SELECT id, started_at, ${candidate('trigger_data', prefilter)}, ${candidate('metadata', prefilter)} FROM workflow_executions ORDER BY started_at DESC, id DESC LIMIT @size`,
      ).all({ ...values, size }) as unknown[][];
      const ids = JSON.stringify(chunk.map((row) => row[0]));
      prepared('SELECT execution_id, count(*) FROM execution_steps WHERE execution_id IN (SELECT value FROM json_each(@ids)) GROUP BY execution_id').all({ ids });
      const steps = prepared(
        `SELECT execution_id, id, node_id, step_index, ${candidate('input_data', prefilter)}, ${candidate('output_data', prefilter)} FROM execution_steps ` +
          `WHERE execution_id IN (SELECT value FROM json_each(@ids)) AND (${holds('input_data', prefilter)} OR ${holds('output_data', prefilter)})`,
      ).all({ ...values, ids }) as unknown[][];
      const matched = [...new Set([...chunk.filter((row) => row[2] !== null || row[3] !== null).map((row) => row[0]), ...steps.map((row) => row[0])])].slice(0, 20);
      prepared('SELECT * FROM workflow_executions WHERE id IN (SELECT value FROM json_each(@ids))').all({ ids: JSON.stringify(matched) });
      return countCandidates(chunk, 2) + countCandidates(steps, 4);
    },
  };
}
