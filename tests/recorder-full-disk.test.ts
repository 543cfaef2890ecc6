// The recorder facing a real full disk: an 8 MiB tmpfs in a private mount namespace (as tests/full-disk.test.ts),
// filled by the recorder's own runs (tests/fixtures/recorder-full-disk.mjs, on the built package). What it promises
// (README "Recording from a runtime", src/recorder/writer.ts): on STORAGE_FULL a batch's payloads are dropped first,
// counted and told as 'storage-full' payload drops, the step rows stored with the marker in their place and the run
// marked (metadata.__dropped); nothing else of a run is lost, nothing half-written. When even the rows do not fit,
// the batch waits in the buffer and is tried again with backoff, nothing dropped, and is written once there is room.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RecorderStats } from '../src/index.js';
import { tempDir } from './factories.js';

const script = new URL('./fixtures/recorder-full-disk.mjs', import.meta.url).pathname;
/** Mounting a small file system needs root; a private mount namespace keeps it from outliving the child. */
const CAN_MOUNT =
  process.getuid?.() === 0 && process.platform === 'linux' && spawnSync('unshare', ['-m', 'mount', '-t', 'tmpfs', 'tmpfs', tempDir()]).status === 0;

const NO_DROPS: RecorderStats['dropped'] = {
  'buffer-full': 0, 'storage-full': 0, invalid: 0, 'execution-missing': 0, 'write-failed': 0, closed: 0, misuse: 0, total: 0,
};
const MARK = { __dropped: 'storage-full' };
const FULL = /^writeBatch: the database is full; nothing of this call was written and the history so far is intact\. /;
const range = (n: number) => Array.from({ length: n }, (_, at) => at);

/** Runs the fixture on a fresh 8 MiB tmpfs; `keepAlive` holds the process up as a server's sockets would. */
function recordOntoSmallDisk(keepAlive: boolean) {
  const folder = join(tempDir(), 'small-disk');
  mkdirSync(folder);
  const args = `"${process.execPath}" "${script}" "${folder}"${keepAlive ? ' keep-alive' : ''}`;
  return spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=8m tmpfs "${folder}" && exec ${args}`], { encoding: 'utf8', timeout: 120_000 });
}

interface Result {
  runs: { i: number; id: string; steps: number }[];
  firstFullRun: number;
  phase1: { stats: RecorderStats; drops: unknown[]; errors: string[] };
  phase2: {
    before: { queued: number; bufferBytes: number; writeErrors: number };
    duringFull: { stats: RecorderStats; errorsSince: number };
    errorsAfterFreeing: number;
  } & Record<string, unknown>;
  stored: unknown[];
  big: unknown;
  totals: unknown;
}

describe.skipIf(!CAN_MOUNT)('the recorder on a disk with no space left (an 8 MiB tmpfs)', () => {
  it('drops the payloads of the batches that do not fit, stores their rows marked, and waits out a disk too full for rows', () => {
    const child = recordOntoSmallDisk(true);
    expect({ status: child.status, stderr: child.stderr }).toEqual({ status: 0, stderr: '' });
    const result = JSON.parse(child.stdout) as Result;
    const { runs, firstFullRun } = result;

    // Runs of two 200 KB inputs while there was room, then runs of eight: the first of them met the full disk, and
    // so did the three after it.
    expect(firstFullRun).toBeGreaterThanOrEqual(3);
    expect(runs.map(({ i, steps }) => ({ i, steps }))).toEqual(range(firstFullRun + 4).map((i) => ({ i, steps: i < firstFullRun ? 2 : 8 })));
    const stripped = runs.filter(({ steps }) => steps === 8);

    // Each batch that did not fit failed once, lost the payloads of its steps (one drop a step, told with its run and
    // node), and was written at the next try: nothing else was dropped.
    expect(result.phase1.drops).toEqual(
      stripped.flatMap(({ id }) => range(8).map((k) => ({ reason: 'storage-full', part: 'payload', executionId: id, workflowId: 'wf-import', nodeId: `node-${k}` }))),
    );
    expect(result.phase1.errors).toEqual(stripped.map(() => expect.stringMatching(FULL)));
    expect(result.phase1.stats).toEqual({
      queued: 0,
      bufferBytes: 0,
      written: { batches: runs.length, executions: runs.length, steps: 2 * firstFullRun + 8 * 4, updates: 0, counted: 0 },
      dropped: { ...NO_DROPS, 'storage-full': 32, total: 32 },
      writeErrors: 4,
      lastError: expect.stringMatching(FULL),
    });

    // Every run is stored whole, finished: the ones that fit with their payloads, the others with every step row,
    // its input and output replaced by the marker, and the run marked with what it lost. Its trigger data stays.
    expect(result.stored).toEqual(
      runs.map(({ i, id, steps }) => ({
        i,
        id,
        status: 'success',
        triggerData: { file: i },
        metadata: steps === 8 ? { attempt: i, __dropped: { payloads: 8, steps: 0, reasons: ['storage-full'] } } : { attempt: i },
        steps: range(steps).map((k) => ({
          nodeId: `node-${k}`, stepIndex: k, status: 'success', input: steps === 8 ? MARK : 'whole', output: steps === 8 ? MARK : { ok: k },
        })),
      })),
    );

    // The disk filled to the last byte: a run of 2,000 steps without payloads waits in the buffer, tried again with
    // backoff (each try told to onError), nothing dropped; once the other program's file is deleted it is written.
    const { phase2 } = result;
    expect(phase2.duringFull.errorsSince).toBeGreaterThanOrEqual(3);
    expect(phase2.errorsAfterFreeing).toBeLessThanOrEqual(1);
    const writeErrors = 4 + phase2.duringFull.errorsSince;
    expect(phase2).toEqual({
      fillerBytes: expect.any(Number),
      before: { queued: 2_002, bufferBytes: phase2.before.bufferBytes, writeErrors: 4 },
      duringFull: {
        outcome: 'still waiting',
        stats: { ...result.phase1.stats, queued: 2_002, bufferBytes: phase2.before.bufferBytes, writeErrors },
        drops: [],
        errorsSince: phase2.duringFull.errorsSince,
        errorMessages: ['writeBatch: the database is full; nothin'],
      },
      afterFreeing: 'flushed',
      errorsAfterFreeing: phase2.errorsAfterFreeing,
      stats: {
        ...result.phase1.stats,
        written: { batches: runs.length + 1, executions: runs.length + 1, steps: 2 * firstFullRun + 8 * 4 + 2_000, updates: 0, counted: 0 },
        writeErrors: writeErrors + phase2.errorsAfterFreeing,
      },
      drops: [],
    });
    expect(phase2.before.bufferBytes).toBeGreaterThanOrEqual(2_002 * 256);
    expect(result.big).toEqual({ status: 'success', steps: 2_000, indexes: true });
    expect(result.totals).toEqual({ total: runs.length + 1, running: 0, success: runs.length + 1, error: 0 });
  });

  // The writer's retry timers are unref'd (a recorder alone never holds a process open), so a process whose only work
  // left was `await recorder.flush()` (or close()) while a batch waited out its backoff simply ended (exit code 13,
  // nothing written, no drop told). flush() and close() now hold the process up while they are awaited.
  it('a script that only awaits flush() is not ended by the writer waiting out its backoff', () => {
    const child = recordOntoSmallDisk(false);
    expect({ status: child.status, stderr: child.stderr }).toEqual({ status: 0, stderr: '' });
    expect((JSON.parse(child.stdout) as Result).totals).toMatchObject({ running: 0 });
  });
});
