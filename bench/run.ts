// `npm run bench -- [--scale small|medium|large] [--json] [--reps N] [--dir DIR] [--keep]`
// `npm run bench -- --backend postgres [--url postgres://…] [--scale …] [--json] [--reps N] [--keep]`: the same parts
// on PostgreSQL against raw node-postgres, in bench/postgres/run.ts.
// Generates the dataset through the store, then measures each part side by side with raw better-sqlite3 and prints
// store/raw ratios against the targets. Medium and large runs also write their section of bench/RESULTS.md.
import { existsSync, mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openExecutionStore } from '../src/index.js';
import { generate, SCALES, type Scale } from './dataset.js';
import { peakRssMb, type Row } from './measure.js';
import { cliStartupPart } from './parts/cli-startup.js';
import { insightParts } from './parts/insights.js';
import { deepPageParts, pageParts, withStepsParts } from './parts/reads.js';
import { retentionPart } from './parts/retention.js';
import { storageLines } from './parts/storage.js';
import { writeParts } from './parts/writes.js';
import { openRaw } from './raw.js';
import { recorderPart } from './parts/recorder.js';
import { sqliteRecorderSide } from './recorder-side.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: 'medium' },
    json: { type: 'boolean', default: false },
    reps: { type: 'string', default: '7' },
    dir: { type: 'string', default: 'data/bench' },
    keep: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'sqlite' },
    url: { type: 'string' },
  },
});
if (!(args.scale in SCALES)) {
  console.error(`--scale must be one of ${Object.keys(SCALES).join(', ')}, not "${args.scale}"`);
  process.exit(2);
}
if (args.backend !== 'sqlite' && args.backend !== 'postgres') {
  console.error(`--backend must be sqlite or postgres, not "${args.backend}"`);
  process.exit(2);
}
if (args.url !== undefined && args.backend !== 'postgres') {
  console.error('--url names a PostgreSQL server: give it with --backend postgres');
  process.exit(2);
}
const scale = args.scale as Scale;
const executions = SCALES[scale];
const reps = Number(args.reps);
const log = (message: string) => process.stderr.write(`${message}\n`);

if (args.backend === 'postgres') {
  const { runPostgresBench } = await import('./postgres/run.js');
  await runPostgresBench({ scale, reps, json: args.json, url: args.url, keep: args.keep, dirGiven: process.argv.some((arg) => arg === '--dir' || arg.startsWith('--dir=')) });
  process.exit(0);
}

// With EXECUTION_HISTORY_BENCH_ONLY=13, only part 13 (the recorder) runs, without the dataset; RESULTS.md is left alone.
if (process.env.EXECUTION_HISTORY_BENCH_ONLY !== undefined) {
  if (process.env.EXECUTION_HISTORY_BENCH_ONLY !== '13') {
    console.error(`EXECUTION_HISTORY_BENCH_ONLY may only be 13 (the recorder), not ${process.env.EXECUTION_HISTORY_BENCH_ONLY}`);
    process.exit(2);
  }
  mkdirSync(args.dir, { recursive: true });
  const measured = await recorderRows();
  console.log(measured.rows.map((r) => `| ${r.part} | ${r.name} | ${r.store.toFixed(2)} | ${r.raw.toFixed(2)} | ${r.ratio.toFixed(2)} | ${r.pass ? 'yes' : '**no**'} | ${r.note ?? ''} |`).join('\n'));
  console.log(measured.lines.join('\n'));
  process.exit(0);
}

/** Part 13 on files of its own in --dir. */
async function recorderRows() {
  log('13 recorder …');
  const side = await sqliteRecorderSide(args.dir, scale === 'small' ? 10_000 : 30_000);
  try {
    return await recorderPart(side, log);
  } finally {
    side.cleanUp();
  }
}

// About 15 KB on disk per execution with its steps; the WAL and retention need room on top.
const neededBytes = executions * 15_000 * 1.3;
mkdirSync(args.dir, { recursive: true });
const { bavail, bsize } = statfsSync(args.dir);
if (bavail * bsize < neededBytes) {
  console.error(
    `The ${scale} benchmark needs about ${(neededBytes / 1e9).toFixed(1)} GB free in ${args.dir}; there are ${((bavail * bsize) / 1e9).toFixed(1)} GB. Free space or choose a smaller --scale.`,
  );
  process.exit(1);
}

const file = join(args.dir, `history-${scale}.db`);
const writesFile = join(args.dir, `writes-${scale}.db`);
for (const path of [file, writesFile]) for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });

const rows: Row[] = [];
const memory: [string, number][] = [];
const notes: string[] = [];
const started = performance.now();

log(`Generating ${executions} executions through the store into ${file} …`);
{
  const store = await openExecutionStore(file);
  const generateStarted = performance.now();
  await generate(store, executions, (done) => {
    if (done % (executions / 10) === 0) log(`  ${done} executions (${((performance.now() - generateStarted) / 1000).toFixed(0)} s)`);
  });
  store.close();
  notes.push(`Dataset: ${executions} executions generated through recordExecution in ${((performance.now() - generateStarted) / 1000).toFixed(0)} s.`);
}
memory.push(['generate', peakRssMb()]);

const raw = openRaw(file);
log('7 storage …');
const storage = storageLines(file, raw);
memory.push(['7 storage', peakRssMb()]);

const store = await openExecutionStore(file);
log('3 pages …');
rows.push(...(await pageParts(store, raw, reps, 50)));
memory.push(['3 pages', peakRssMb()]);
log('4 deep pages …');
rows.push(...(await deepPageParts(store, raw, executions, reps)));
memory.push(['4 deep pages', peakRssMb()]);
log('5 execution with steps …');
rows.push(...(await withStepsParts(store, raw, executions, reps)));
memory.push(['5 with steps', peakRssMb()]);
store.close();
log('9 insights …');
rows.push(...(await insightParts(file, raw, reps)));
memory.push(['9 insights', peakRssMb()]);

log('1, 2 writes …');
rows.push(...(await writeParts(writesFile, reps)));
memory.push(['1, 2 writes', peakRssMb()]);

log('6 retention …');
const retention = await retentionPart(file, raw);
rows.push(...retention.rows);
notes.push(...retention.lines);
memory.push(['6 retention', peakRssMb()]);
raw.db.close();

log('10 command start-up …');
rows.push(...cliStartupPart(args.dir, reps, args.keep));

{
  const recorder = await recorderRows();
  rows.push(...recorder.rows);
  notes.push(...recorder.lines);
  memory.push(['13 recorder', peakRssMb()]);
}

if (!args.keep) for (const path of [file, writesFile]) for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });

const peak = Math.max(...memory.map(([, mb]) => mb));
rows.push({
  part: '8 memory',
  name: 'peak RSS of the benchmark process, MB',
  store: peak,
  raw: Number.NaN,
  ratio: Number.NaN,
  target: 300,
  pass: peak < 300,
  note: memory.map(([part, mb]) => `${part} ${mb.toFixed(0)}`).join(', '),
});

if (args.json) {
  console.log(JSON.stringify(rows.map(({ part, name, store, raw, ratio, target, pass, note }) => ({ part, name, store, raw, ratio, target, pass, note })), null, 2));
} else {
  console.log(markdown());
}
if (scale !== 'small') writeResults();
log(`Done in ${((performance.now() - started) / 1000).toFixed(0)} s.`);

function markdown(): string {
  const figure = (value: number) => (Number.isNaN(value) ? '' : value >= 100 ? value.toFixed(0) : value < 1 ? value.toFixed(3) : value.toFixed(2));
  const target = (r: Row) => (Number.isNaN(r.target) ? '' : `${r.higherIsBetter ? '≥' : '≤'} ${r.target}`);
  return [
    `### ${scale}: ${executions} executions (${new Date().toISOString().slice(0, 10)}, Node ${process.version})`,
    '',
    'Times are medians in ms per operation unless the name says otherwise; ratio is store / raw.',
    '',
    '| part | measurement | store | raw | ratio | target | pass | note |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.part} | ${r.name} | ${figure(r.store)} | ${figure(r.raw)} | ${figure(r.ratio)} | ${target(r)} | ${r.pass ? 'yes' : '**no**'} | ${r.note ?? ''} |`),
    '',
    ...notes,
    '',
    ...storage,
  ].join('\n');
}

function writeResults(): void {
  const path = new URL('./RESULTS.md', import.meta.url);
  const begin = `<!-- ${scale}:begin -->`;
  const end = `<!-- ${scale}:end -->`;
  let text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n\nWritten by `npm run bench`; see the README for how to read and reproduce them.\n';
  const section = `${begin}\n${markdown()}\n${end}`;
  text = text.includes(begin) ? text.replace(new RegExp(`${begin}[\\s\\S]*${end}`), section) : `${text}\n${section}\n`;
  writeFileSync(path, text);
}
