import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openExecutionStore } from '../src/index.js';
import { T0, newExecution, newStep, tempDir, track } from './factories.js';

const busyReader = new URL('./fixtures/busy-reader.mjs', import.meta.url).pathname;
const MiB = 1024 * 1024;

/**
 * Writes steps for `ms`, and on past it until `minRows` are written (a loaded machine writes less in the same time),
 * while another process always holds a read snapshot; returns the largest WAL seen.
 */
async function writeUnderBusyReader(walLimitBytes: number, ms: number, minRows: number) {
  const file = join(tempDir(), 'wal.db');
  const store = track(await openExecutionStore(file, { walLimitBytes }));
  const executionId = await store.createExecution(newExecution());
  // It holds its snapshots until killed below, however long the writes take.
  const reader = spawn(process.execPath, [busyReader, file, String(ms + 120_000), '50'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(reader.stdout, 'data'); // its first snapshot is open
  let largestWal = 0;
  let written = 0;
  for (const end = Date.now() + ms; Date.now() < end || written < minRows; ) {
    await store.addSteps(Array.from({ length: 20 }, () => newStep(executionId, { stepIndex: written++, outputData: { blob: 'w'.repeat(1000) } })));
    largestWal = Math.max(largestWal, statSync(`${file}-wal`).size);
  }
  reader.kill();
  const stored = (await store.getStepsForExecution(executionId)).length;
  return { largestWal, written, stored };
}

describe('the WAL under sustained writes with a reader that always holds a snapshot', () => {
  it('grows without bound when nothing forces a checkpoint (the failure this guards against)', { timeout: 30_000 }, async () => {
    // 6,000 steps of 1 KB: some 30 MiB of WAL (about 5 KB a step, pages and index) if nothing checkpoints it.
    const { largestWal } = await writeUnderBusyReader(1024 * MiB, 2500, 6_000);
    expect(largestWal).toBeGreaterThan(16 * MiB);
  });

  it('stays within the limit, losing no write', { timeout: 30_000 }, async () => {
    const limit = 4 * MiB;
    // At least 2,000 steps of 1 KB: some 10 MiB of WAL, over twice the limit, were it not kept.
    const { largestWal, written, stored } = await writeUnderBusyReader(limit, 2500, 2_000);
    expect(stored).toBe(written);
    expect(written).toBeGreaterThan(1000);
    // Checked every 64 rows: the WAL can pass the limit by what those rows wrote before the checkpoint.
    expect(largestWal).toBeLessThan(limit + MiB);
  });
});

describe('retention', () => {
  it('ends with a checkpoint that leaves the WAL empty', async () => {
    const file = join(tempDir(), 'retention.db');
    const store = track(await openExecutionStore(file, { now: () => T0 + 1000 }));
    for (let i = 0; i < 300; i++) {
      await store.recordExecution(newExecution({ startedAt: T0 + i, status: 'success', completedAt: T0 + i + 1 }), [
        { nodeId: 'n', nodeType: 't', stepIndex: 0, startedAt: T0 + i, status: 'success', outputData: { blob: 'r'.repeat(2000) } },
      ]);
    }
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);

    expect(await store.cleanupOldExecutions(900)).toBe(100);
    expect(statSync(`${file}-wal`).size).toBe(0);
    expect(await store.cleanupByCount(50)).toBe(150);
    expect(statSync(`${file}-wal`).size).toBe(0);
  });
});
