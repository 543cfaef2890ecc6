// Part 6 on PostgreSQL: deleting the oldest 10% of the history in batches while a second process keeps adding steps
// (bench/writer.ts, the SQLite part's writer: it opens the store on whatever it is given, here the database's URL).
// The raw baseline deletes the first half of that 10% with hand-written batches of 1000 executions, each one
// autocommitted DELETE (steps go by ON DELETE CASCADE); the store deletes the second half with
// cleanupOldExecutions. Rates are rows (executions + steps) per second.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { type ExecutionStore, openExecutionStore } from '../../../src/index.js';
import { DAY, HISTORY_START } from '../../dataset.js';
import type { Row } from '../../measure.js';
import { countRoundTrips, type Raw } from '../raw.js';

interface WriterReport {
  writes: number;
  failures: number;
  firstFailure?: string;
  p50: number;
  p99: number;
  max: number;
}

const WRITER = new URL('../../writer.ts', import.meta.url).pathname;

async function withWriter<T>(url: string, work: () => Promise<T>): Promise<{ result: T; writer: WriterReport }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, url], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  while (!output.includes('ready\n')) {
    if (child.exitCode !== null) throw new Error(`the second writer (${WRITER}) exited with ${child.exitCode} before it was ready`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const result = await work();
  child.stdin.end('stop\n');
  await once(child, 'exit');
  const report = JSON.parse(output.split('\n').filter(Boolean).at(-1) as string) as WriterReport;
  return { result, writer: report };
}

export async function retentionPart(url: string, raw: Raw): Promise<{ rows: Row[]; lines: string[] }> {
  const countRows = async (before: number) =>
    Number(
      (
        await raw.rows(
          `SELECT (SELECT count(*) FROM workflow_executions WHERE started_at < $1 AND status != 'running')
                + (SELECT count(*) FROM execution_steps s JOIN workflow_executions e ON e.id = s.execution_id
                    WHERE e.started_at < $1 AND e.status != 'running') AS n`,
          [before],
        )
      )[0]?.n,
    );
  const databaseBytes = async () => Number((await raw.rows('SELECT pg_database_size(current_database()) AS bytes'))[0]?.bytes);
  const rawCutoff = HISTORY_START + 1.5 * DAY;
  const storeCutoff = HISTORY_START + 3 * DAY;
  const bytesBefore = await databaseBytes();

  // Raw: fixed batches of 1000 executions, one autocommitted DELETE statement each.
  const rawRows = await countRows(rawCutoff);
  const rawDelete = `DELETE FROM workflow_executions WHERE id IN
       (SELECT id FROM workflow_executions WHERE started_at < $1 AND status != 'running' LIMIT 1000)`;
  let rawBatches = 0;
  const rawRun = await withWriter(url, async () => {
    const started = performance.now();
    let longest = 0;
    for (;;) {
      const batchStarted = performance.now();
      const { rowCount } = await raw.pool.query(rawDelete, [rawCutoff]);
      rawBatches++;
      longest = Math.max(longest, performance.now() - batchStarted);
      if ((rowCount ?? 0) < 1000) break;
    }
    return { ms: performance.now() - started, longest };
  });

  // Store: the same kind of work on the next 1.5 days.
  const storeRows = await countRows(storeCutoff);
  const store: ExecutionStore = await openExecutionStore(url, { now: () => storeCutoff });
  const batches: number[] = [];
  let batchTrips = Number.NaN;
  const storeRun = await withWriter(url, async () => {
    const started = performance.now();
    // Round trips of the whole call, divided by its batches below (counting costs nothing measurable).
    let deleted = 0;
    batchTrips = await countRoundTrips(async () => {
      deleted = await store.cleanupOldExecutions(0, { onProgress: ({ batchMs }) => batches.push(batchMs) });
    });
    return { ms: performance.now() - started, deleted };
  });
  const bytesAfterCleanup = await databaseBytes();
  const reclaimStarted = performance.now();
  await store.reclaimSpace();
  const reclaimMs = performance.now() - reclaimStarted;
  const bytesAfterReclaim = await databaseBytes();
  await store.close();

  const rawRate = rawRows / (rawRun.result.ms / 1000);
  const storeRate = storeRows / (storeRun.result.ms / 1000);
  const longestBatch = Math.max(...batches);
  const rows: Row[] = [
    {
      part: '6 retention',
      name: 'delete rate, rows/s (higher is better)',
      store: storeRate,
      raw: rawRate,
      ratio: storeRate / rawRate,
      target: 0.8,
      higherIsBetter: true,
      pass: storeRate / rawRate >= 0.8,
      note:
        `store ${storeRows} rows in ${(storeRun.result.ms / 1000).toFixed(1)} s, ${batches.length} batches, ${storeRun.result.deleted} executions deleted, ` +
        `${batchTrips} round trips (${(batchTrips / Math.max(1, batches.length)).toFixed(1)} per batch, the call's pruning and compaction included); ` +
        `raw ${rawRows} rows in ${(rawRun.result.ms / 1000).toFixed(1)} s, ${rawBatches} batches of 1 statement`,
    },
    {
      part: '6 retention',
      name: 'longest row-lock hold of a batch, ms',
      store: longestBatch,
      raw: rawRun.result.longest,
      ratio: longestBatch / rawRun.result.longest,
      target: Number.NaN,
      pass: longestBatch <= 100,
      note: 'target: store at most 100 ms (raw: fixed batches of 1000 executions); on PostgreSQL a batch locks its rows, not the database',
    },
    {
      part: '6 retention',
      name: "second process's addStep p99 latency during clean-up, ms",
      store: storeRun.writer.p99,
      raw: rawRun.writer.p99,
      ratio: storeRun.writer.p99 / rawRun.writer.p99,
      target: Number.NaN,
      pass: storeRun.writer.p99 < 250 && storeRun.writer.failures === 0,
      note: `target: under 250 ms and no failed write; ${storeRun.writer.writes} writes, ${storeRun.writer.failures} failed${
        storeRun.writer.firstFailure ? ` (${storeRun.writer.firstFailure})` : ''
      }, max ${storeRun.writer.max.toFixed(0)} ms; during the raw side's: ${rawRun.writer.writes} writes, ${rawRun.writer.failures} failed`,
    },
  ];
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  const lines = [
    `Database size (pg_database_size): before ${mb(bytesBefore)}, after deleting ${mb(bytesAfterCleanup)}, after reclaimSpace() ${mb(bytesAfterReclaim)} ` +
      `(reclaimSpace, a plain VACUUM (ANALYZE) of the tables, took ${(reclaimMs / 1000).toFixed(1)} s; it makes the space reusable and gives back only emptied end pages).`,
  ];
  return { rows, lines };
}
