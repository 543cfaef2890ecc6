// `npm run bench -- --backend postgres [--url postgres://…] [--scale small|medium|large] [--json] [--reps N] [--keep]`
// With EXECUTION_HISTORY_BENCH_POSTGRES_ONLY=12 only the dataset and part 12 (day retention) run; with =13 only part
// 13 (the recorder), without the dataset; with =14 only the dataset and part 14 (search). Each leaves RESULTS.md alone
// (the run prints its table).
// The PostgreSQL benchmark, dispatched from bench/run.ts: the same parts as SQLite's, the store against raw
// node-postgres with hand-written SQL on the same server, side by side, as store/raw ratios against the same targets,
// plus one figure only a server has (4 processes recording at once against 1). Without --url it starts a throwaway
// server of its own (see server.ts). It works in two databases of its own on the server, created afresh and dropped
// at the end unless --keep: the dataset's and the writes'. Medium and large runs write their section of
// bench/RESULTS.md (<!-- postgres-medium:begin --> …).
import { existsSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { openExecutionStore } from '../../src/index.js';
import { generate, SCALES, type Scale } from '../dataset.js';
import { peakRssMb, type Row } from '../measure.js';
import { concurrencyPart } from './parts/concurrency.js';
import { insightParts } from './parts/insights.js';
import { deepPageParts, pageParts, withStepsParts } from './parts/reads.js';
import { retentionPart } from './parts/retention.js';
import { dayRetentionPart, dayRetentionTemplate, prepareDayRetention } from './parts/retention-drop.js';
import { storageLines } from './parts/storage.js';
import { writeParts } from './parts/writes.js';
import { openRaw } from './raw.js';
import { recorderPart } from '../parts/recorder.js';
import { postgresRecorderSide } from './recorder-side.js';
import { searchPart } from '../parts/search.js';
import { postgresSearchRaw } from './parts/search.js';
import { type BenchServer, openBenchServer } from './server.js';

export interface PostgresBenchArgs {
  scale: Scale;
  reps: number;
  json: boolean;
  /** A server to run on; without it a throwaway one is started. */
  url: string | undefined;
  /** Keep the benchmark's databases afterwards (on a throwaway server they go with it). */
  keep: boolean;
  /** Whether --dir was given: it names SQLite files, so it means nothing here. */
  dirGiven: boolean;
}

const log = (message: string) => process.stderr.write(`${message}\n`);

/** What PostgreSQL takes per execution with its ~10 steps (medium: 1.7 GB for 100,000), with room to spare; the WAL on top. */
const BYTES_PER_EXECUTION = 20_000;

/** recordExecution calls under way at once while the dataset is generated (one per connection of the store's pool). */
const GENERATE_IN_FLIGHT = 4;

/** Runs only the part of this number: '12' (with the dataset it needs) or '13' (no dataset). */
export const ONLY_ENV = 'EXECUTION_HISTORY_BENCH_POSTGRES_ONLY';

export async function runPostgresBench(args: PostgresBenchArgs): Promise<void> {
  const { scale, reps } = args;
  const executions = SCALES[scale];
  const only = process.env[ONLY_ENV];
  if (only !== undefined && only !== '12' && only !== '13' && only !== '14') {
    throw new Error(`${ONLY_ENV} may only be 12 (day retention), 13 (the recorder) or 14 (search), not ${only}`);
  }
  if (args.dirGiven) log('--dir names SQLite files; with --backend postgres the data lives on the server and --dir is not used.');
  if (args.url === undefined) {
    // The throwaway server's cluster lives under the temporary folder.
    // The dataset and part 12's pristine copy of it; part 12 works on one more copy at a time, once the dataset is dropped.
    const neededBytes = executions * BYTES_PER_EXECUTION * 2.3 + 1.5e9;
    const { bavail, bsize } = statfsSync(tmpdir());
    if (bavail * bsize < neededBytes) {
      console.error(
        `The ${scale} benchmark on a throwaway PostgreSQL server needs about ${(neededBytes / 1e9).toFixed(1)} GB free in ${tmpdir()}; ` +
          `there are ${((bavail * bsize) / 1e9).toFixed(1)} GB. Free space, choose a smaller --scale, or give --url.`,
      );
      process.exit(1);
    }
  }

  const started = performance.now();
  log(args.url === undefined ? 'Starting a throwaway PostgreSQL server …' : 'Connecting to the PostgreSQL server of --url …');
  const server = await openBenchServer(args.url, log);
  const datasetDatabase = `execution_history_bench_${scale}`;
  const writesDatabase = 'execution_history_bench_writes';
  try {
    const rows: Row[] = [];
    const memory: [string, number][] = [];
    const notes: string[] = [server.description];
    const recorderRows = async () => {
      log('13 recorder …');
      const side = await postgresRecorderSide(server, scale === 'small' ? 10_000 : 30_000);
      try {
        const measured = await recorderPart(side, log);
        notes.push(...measured.lines);
        return measured.rows;
      } finally {
        await side.cleanUp();
      }
    };
    if (only === '13') {
      rows.push(...(await recorderRows()));
      console.log(markdown(scale, executions, /PostgreSQL (\S+)/.exec(server.description)?.[1] ?? '', rows, notes, []));
      log(`${ONLY_ENV}=13: bench/RESULTS.md is left as it is.`);
      return;
    }

    const url = await server.createDatabase(datasetDatabase);
    log(`Generating ${executions} executions through the store into the database ${datasetDatabase} …`);
    {
      const store = await openExecutionStore(url);
      const generateStarted = performance.now();
      await generate(
        store,
        executions,
        (done) => {
          if (done % (executions / 10) === 0) log(`  ${done} executions (${((performance.now() - generateStarted) / 1000).toFixed(0)} s)`);
        },
        undefined,
        GENERATE_IN_FLIGHT,
      );
      await store.close();
      notes.push(
        `Dataset: ${executions} executions generated through recordExecution, ${GENERATE_IN_FLIGHT} calls under way at once, in ${((performance.now() - generateStarted) / 1000).toFixed(0)} s.`,
      );
    }
    memory.push(['generate', peakRssMb()]);
    if (only === '14') {
      const raw = openRaw(url);
      await raw.pool.query('VACUUM (ANALYZE)'); // as the full run does before its reads
      const store = await openExecutionStore(url);
      log('14 search …');
      const measured = await searchPart(store, postgresSearchRaw(raw), reps, log);
      rows.push(...measured.rows);
      notes.push(...measured.lines);
      await store.close();
      await raw.close();
      console.log(markdown(scale, executions, /PostgreSQL (\S+)/.exec(server.description)?.[1] ?? '', rows, notes, []));
      log(`${ONLY_ENV}=14: bench/RESULTS.md is left as it is.`);
      return;
    }
    // Part 12's pristine copy, before any part changes the dataset (nothing is connected to it now).
    const dayRetentionCopy = await prepareDayRetention(server.url, datasetDatabase);

    // A part that fails (the backend is young) is reported as a failed row, and the others are measured all the same.
    const part = async (name: string, work: () => Promise<Row[]>) => {
      log(`${name} …`);
      try {
        rows.push(...(await work()));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`${name} failed: ${error instanceof Error ? (error.stack ?? message) : message}`);
        rows.push({ part: name, name: 'the part failed', store: Number.NaN, raw: Number.NaN, ratio: Number.NaN, target: Number.NaN, pass: false, note: `failed: ${message.replaceAll('|', '\\|').replaceAll('\n', ' ').slice(0, 400)}` });
      }
      memory.push([name, peakRssMb()]);
    };
    const dayRetentionPartRun = async () => {
      // Nothing needs the dataset any more; its room goes to part 12's copy (a large one is 17 GB).
      if (!args.keep) await server.dropDatabase(datasetDatabase);
      await server.checkpoint();
      await part('12 day retention', async () => {
        // (a0), the data as generated, is left out at the large scale: it costs a copy and a VACUUM of 17 GB to show
        // what the medium run shows already, that a day holding a running execution is not dropped.
        const measured = await dayRetentionPart(server.url, dayRetentionCopy, log, { asGenerated: scale !== 'large' });
        notes.push(...measured.lines);
        return measured.rows;
      });
    };
    if (only === '12') {
      await dayRetentionPartRun();
      const text = markdown(scale, executions, /PostgreSQL (\S+)/.exec(server.description)?.[1] ?? '', rows, notes, []);
      console.log(args.json ? JSON.stringify(rows, null, 2) : text);
      log(`${ONLY_ENV}=12: bench/RESULTS.md is left as it is.`);
      return;
    }

    const raw = openRaw(url);
    // As a loaded database would be once autovacuum got to it: statistics and visibility map fresh, before either side
    // is measured (and so that autovacuum does not start on these tables in the middle of a measurement).
    const vacuumStarted = performance.now();
    await raw.pool.query('VACUUM (ANALYZE)');
    notes.push(`Then VACUUM (ANALYZE) of the database, untimed for both sides: ${((performance.now() - vacuumStarted) / 1000).toFixed(0)} s.`);

    log('7 storage …');
    const storage = await storageLines(raw).catch((error: Error) => [`7 storage failed: ${error.message}`]);
    memory.push(['7 storage', peakRssMb()]);

    const store = await openExecutionStore(url);
    await part('3 pages', () => pageParts(store, raw, reps, 50));
    await part('4 deep pages', () => deepPageParts(store, raw, executions, reps));
    await part('5 execution with steps', () => withStepsParts(store, raw, executions, reps));
    await part('14 search', async () => {
      const measured = await searchPart(store, postgresSearchRaw(raw), Math.min(reps, 3), log);
      notes.push(...measured.lines);
      return measured.rows;
    });
    await store.close();
    await part('9 insights', () => insightParts(url, raw, reps));

    const writesUrl = await server.createDatabase(writesDatabase);
    log(`(parts 1, 2 and 11 in the database ${writesDatabase})`);
    await part('1, 2 writes', () => writeParts(writesUrl, reps, () => server.checkpoint()));
    await server.checkpoint();
    const [durationMs, rounds] = scale === 'small' ? [3_000, 1] : [10_000, 2];
    await part('11 concurrent writers', () => concurrencyPart(writesUrl, durationMs, rounds, log));

    await server.checkpoint();
    await part('6 retention', async () => {
      const retention = await retentionPart(url, raw);
      notes.push(...retention.lines);
      return retention.rows;
    });
    await raw.close();
    await part('13 recorder', recorderRows);
    await dayRetentionPartRun();

    const peak = Math.max(...memory.map(([, mb]) => mb));
    rows.push({
      part: '8 memory',
      name: 'peak RSS of the benchmark process, MB',
      store: peak,
      raw: Number.NaN,
      ratio: Number.NaN,
      target: 300,
      pass: peak < 300,
      note: `the server's memory is its own, not counted; ${memory.map(([part, mb]) => `${part} ${mb.toFixed(0)}`).join(', ')}`,
    });
    notes.push(
      'Not measured on PostgreSQL: 10 command start-up (the command opens a SQLite file or a URL alike; its start-up is measured by the SQLite run), ' +
        "and 7 storage's SQLite page breakdown and WAL (the tables' and indexes' sizes on the server are listed below instead).",
      '11 concurrent writers is PostgreSQL only: a SQLite file takes one writer at a time.',
    );

    const version = /PostgreSQL (\S+)/.exec(server.description)?.[1] ?? '';
    const text = markdown(scale, executions, version, rows, notes, storage);
    if (args.json) {
      console.log(
        JSON.stringify(
          rows.map(({ part, name, store: s, raw: r, ratio, target, pass, note }) => ({ part, name, store: s, raw: r, ratio, target, pass, note })),
          null,
          2,
        ),
      );
    } else {
      console.log(text);
    }
    if (scale !== 'small') writeResults(scale, text);
  } finally {
    await cleanUp(server, [datasetDatabase, writesDatabase, dayRetentionTemplate(datasetDatabase)], args.keep);
  }
  log(`Done in ${((performance.now() - started) / 1000).toFixed(0)} s.`);
}

async function cleanUp(server: BenchServer, databases: string[], keep: boolean): Promise<void> {
  if (server.throwaway) {
    if (keep) log('--keep: the throwaway server and its databases are removed all the same when the benchmark ends; give --url to keep them.');
    await server.stop();
    return;
  }
  if (keep) {
    log(`--keep: the databases ${databases.join(' and ')} are left on the server.`);
    return;
  }
  for (const database of databases) await server.dropDatabase(database).catch((error: Error) => log(`could not drop ${database}: ${error.message}`));
}

function markdown(scale: Scale, executions: number, version: string, rows: Row[], notes: string[], storage: string[]): string {
  const figure = (value: number) => (Number.isNaN(value) ? '' : value >= 100 ? value.toFixed(0) : value < 1 ? value.toFixed(3) : value.toFixed(2));
  const target = (r: Row) => (Number.isNaN(r.target) ? '' : `${r.higherIsBetter ? '≥' : '≤'} ${r.target}`);
  return [
    `### PostgreSQL, ${scale}: ${executions} executions (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, PostgreSQL ${version})`,
    '',
    'Times are medians in ms per operation unless the name says otherwise; ratio is store / raw, raw being hand-written SQL on node-postgres ' +
      '(a pool of 4, unnamed queries, as the store) on the same server. Round trips are statements sent to the server for one call, counted outside the timed runs.',
    '',
    '| part | measurement | store | raw | ratio | target | pass | note |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.part} | ${r.name} | ${figure(r.store)} | ${figure(r.raw)} | ${figure(r.ratio)} | ${target(r)} | ${r.pass ? 'yes' : '**no**'} | ${r.note ?? ''} |`),
    '',
    ...notes.flatMap((note) => [note, '']),
    ...storage,
  ].join('\n');
}

/** Rewrites this scale's PostgreSQL section of bench/RESULTS.md; a new one goes after the SQLite sections. */
function writeResults(scale: Scale, text: string): void {
  const path = new URL('../RESULTS.md', import.meta.url);
  const begin = `<!-- postgres-${scale}:begin -->`;
  const end = `<!-- postgres-${scale}:end -->`;
  const section = `${begin}\n${text}\n${end}`;
  let results = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n\nWritten by `npm run bench`; see the README for how to read and reproduce them.\n';
  const from = results.indexOf(begin);
  const to = results.indexOf(end);
  if (from >= 0 && to > from) {
    results = `${results.slice(0, from)}${section}${results.slice(to + end.length)}`;
  } else {
    // After the sections that come before this one: SQLite's, then PostgreSQL's smaller scales.
    const anchors = ['<!-- large:end -->', '<!-- medium:end -->', ...(scale === 'large' ? ['<!-- postgres-medium:end -->'] : [])];
    const at = Math.max(...anchors.map((anchor) => (results.includes(anchor) ? results.indexOf(anchor) + anchor.length : -1)));
    results = at < 0 ? `${results}\n${section}\n` : `${results.slice(0, at)}\n\n${section}${results.slice(at)}`;
  }
  writeFileSync(path, results);
}
