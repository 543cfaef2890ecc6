// A real full disk, not a size limit set in SQLite: in WAL mode what was written since the last checkpoint lives in
// the -wal file, and deleting writes there too, so the advice of a STORAGE_FULL error must work with no space left.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './factories.js';

const script = new URL('./fixtures/full-disk.mjs', import.meta.url).pathname;
/** Mounting a small file system needs root; a private mount namespace keeps it from outliving the child. */
const CAN_MOUNT =
  process.getuid?.() === 0 && process.platform === 'linux' && spawnSync('unshare', ['-m', 'mount', '-t', 'tmpfs', 'tmpfs', tempDir()]).status === 0;

describe.skipIf(!CAN_MOUNT)('a disk with no space left (an 8 MiB tmpfs)', () => {
  it("fails writes with advice naming the room to free, and following it word for word makes writes work again", () => {
    const folder = join(tempDir(), 'small-disk');
    mkdirSync(folder);
    const child = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=8m tmpfs "${folder}" && exec "${process.execPath}" "${script}" "${folder}"`], {
      encoding: 'utf8',
    });
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout);
    expect(result.recorded).toBeGreaterThan(20);
    expect(result.freeWhenFull).toBeLessThan(64 * 1024);
    expect(result.full).toEqual({
      ok: false,
      code: 'STORAGE_FULL',
      message: expect.stringMatching(
        new RegExp(
          '^recordExecution: the database is full; nothing of this call was written and the history so far is intact\\. ' +
            `The disk holding "${folder}/history\\.db" has no space left\\. Free at least \\d+\\.\\d MiB on it \\(the database file must ` +
            'grow by \\d+\\.\\d MiB to take in what its -wal file holds before anything can be deleted\\), then delete old history with ' +
            'cleanupOldExecutions or cleanupByCount \\(`execution-history prune`\\), then reclaimSpace\\(\\) to give the freed pages back to the disk$',
        ),
      ),
    });
    expect(result.askedMiB).toBeLessThan(4);
    // The clean-up deletes the older half (runs i < recorded / 2, a minute apart: the odd one out goes too), the next
    // run is recorded, and reclaiming gives the disk room back.
    const older = Math.ceil(result.recorded / 2);
    expect(result.cleanup).toEqual({ ok: true, value: older });
    expect(result.write).toMatchObject({ ok: true });
    expect(result.reclaim).toMatchObject({ ok: true });
    expect(result.reclaim.value.bytesAfter).toBeLessThan(result.reclaim.value.bytesBefore);
    expect(result.freeAfterReclaim).toBeGreaterThan(result.freeBeforeReclaim);
    expect(result.total).toBe(result.recorded - older + 1);
  });
});
