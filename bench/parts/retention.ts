// Part 6: deleting the oldest 10% of the history in batches while a second process keeps adding steps.
// The raw baseline deletes the first half of that 10% with hand-written batches of 1000 executions; the store
// deletes the second half. Rates are rows (executions + steps) per second.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';
import { type ExecutionStore, openExecutionStore } from '../../src/index.js';
import { DAY, HISTORY_START } from '../dataset.js';
import type { Row } from '../measure.js';
import type { openRaw } from '../raw.js';

type Raw = ReturnType<typeof openRaw>;

interface WriterReport {
  writes: number;
  failures: number;
  firstFailure?: string;
  p50: number;
  p99: number;
  max: number;
}

async function withWriter<T>(file: string, work: () => Promise<T>): Promise<{ result: T; writer: WriterReport }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('../writer.ts', import.meta.url).pathname, file], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  while (!output.includes('ready\n')) await new Promise((resolve) => setTimeout(resolve, 20));
  const result = await work();
  child.stdin.end('stop\n');
  await once(child, 'exit');
  const report = JSON.parse(output.split('\n').filter(Boolean).at(-1) as string) as WriterReport;
  return { result, writer: report };
}

const fileBytes = (file: string) => statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);

export async function retentionPart(file: string, raw: Raw): Promise<{ rows: Row[]; lines: string[] }> {
  const countRows = (before: number) =>
    (raw.db
      .prepare(
        `SELECT (SELECT count(*) FROM workflow_executions WHERE started_at < ? AND status != 'running')
              + (SELECT count(*) FROM execution_steps s JOIN workflow_executions e ON e.id = s.execution_id
                  WHERE e.started_at < ? AND e.status != 'running') AS n`,
      )
      .get(before, before) as { n: number }).n;
  const rawCutoff = HISTORY_START + 1.5 * DAY;
  const storeCutoff = HISTORY_START + 3 * DAY;
  const bytesBefore = fileBytes(file);

  // Raw: fixed batches of 1000 executions, one DELETE statement each.
  const rawRows = countRows(rawCutoff);
  const rawDelete = raw.db.prepare(
    `DELETE FROM workflow_executions WHERE id IN
       (SELECT id FROM workflow_executions WHERE started_at < ? AND status != 'running' LIMIT 1000)`,
  );
  const rawRun = await withWriter(file, async () => {
    const started = performance.now();
    let longest = 0;
    for (;;) {
      const batchStarted = performance.now();
      const { changes } = rawDelete.run(rawCutoff);
      longest = Math.max(longest, performance.now() - batchStarted);
      if (changes < 1000) break;
    }
    return { ms: performance.now() - started, longest };
  });

  // Store: the same kind of work on the next 1.5 days.
  const storeRows = countRows(storeCutoff);
  const store: ExecutionStore = await openExecutionStore(file, { now: () => storeCutoff });
  const batches: number[] = [];
  const storeRun = await withWriter(file, async () => {
    const started = performance.now();
    const deleted = await store.cleanupOldExecutions(0, { onProgress: ({ batchMs }) => batches.push(batchMs) });
    return { ms: performance.now() - started, deleted };
  });
  const bytesAfterCleanup = fileBytes(file);
  const reclaimStarted = performance.now();
  await store.reclaimSpace();
  const reclaimMs = performance.now() - reclaimStarted;
  const bytesAfterReclaim = fileBytes(file);
  store.close();

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
      note: `store ${storeRows} rows in ${(storeRun.result.ms / 1000).toFixed(1)} s, ${batches.length} batches; raw ${rawRows} rows in ${(rawRun.result.ms / 1000).toFixed(1)} s`,
    },
    {
      part: '6 retention',
      name: 'longest write-lock hold of a batch, ms',
      store: longestBatch,
      raw: rawRun.result.longest,
      ratio: longestBatch / rawRun.result.longest,
      target: Number.NaN,
      pass: longestBatch <= 100,
      note: 'target: store at most 100 ms (raw: fixed batches of 1000 executions)',
    },
    {
      part: '6 retention',
      name: "second process's addStep p99 latency during clean-up, ms",
      store: storeRun.writer.p99,
      raw: rawRun.writer.p99,
      ratio: storeRun.writer.p99 / rawRun.writer.p99,
      target: Number.NaN,
      pass: storeRun.writer.p99 < 250 && storeRun.writer.failures === 0,
      note: `target: under 250 ms and no failed write; ${storeRun.writer.writes} writes, ${storeRun.writer.failures} failed, max ${storeRun.writer.max.toFixed(0)} ms`,
    },
  ];
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  const lines = [
    `File size (database + WAL): before ${mb(bytesBefore)}, after deleting ${mb(bytesAfterCleanup)}, after reclaimSpace() ${mb(bytesAfterReclaim)} (reclaimSpace took ${(reclaimMs / 1000).toFixed(1)} s).`,
  ];
  return { rows, lines };
}
