// `show` in a real terminal: tmux runs the built binary in an 80- and a 160-column window and the screen is read
// back. Here stdout is a TTY, so the width comes from the terminal itself and colours are on; piped through `cat`,
// the width comes from stderr, or (stderr sent away too) from /dev/tty.
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, fixture, NOW } from './cli-fixture.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const socket = `execution-history-test-${process.pid}`;
let sessions = 0;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });

async function screenOf(command: string, columns: number): Promise<string[]> {
  const session = `show-${columns}-${sessions++}`;
  // The shell keeps the window open after the command, so that the screen can be read.
  tmux('new-session', '-d', '-s', session, '-x', String(columns), '-y', '50', `${command}; sleep 60`);
  // Sessions are left open: killing the last one makes the tmux server exit, and the next test's new-session then
  // raced its exit ("server exited unexpectedly", once in a CI run). The server goes, sessions and all, after the file.
  for (let attempt = 0; attempt < 100; attempt++) {
    const screen = tmux('capture-pane', '-p', '-t', session);
    if (screen.includes('✗ 2 Fetch order')) return screen.split('\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the waterfall never appeared:\n${tmux('capture-pane', '-p', '-t', session)}`);
}

describe.skipIf(!hasTmux)('show in a real terminal (tmux)', () => {
  afterAll(() => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
  });

  it('draws the waterfall within the window at 80 and at 160 columns, bars to scale', async () => {
    const { file, ids } = await fixture();
    const command = `TZ=UTC EXECUTION_HISTORY_NOW=${NOW} ${process.execPath} ${CLI} --db ${file} show ${ids.failed}`;
    const bars: Record<number, number[]> = {};
    for (const columns of [80, 160]) {
      const screen = await screenOf(command, columns);
      const start = screen.findIndex((line) => line.startsWith('#  STEP'));
      expect(start).toBeGreaterThan(0);
      const header = screen[start] as string;
      expect(header).toMatch(/0 +3\.0 s$/);
      expect(header.length).toBe(columns); // the axis runs to the window's edge
      const steps = screen.slice(start + 1, start + 4);
      // Node ids where there is room: at 160 columns, not at 80 (where the bars keep theirs).
      expect(steps.map((line) => line.replace(/ +/g, ' ').replace(/[█·]+$/, '').trim())).toEqual(
        columns === 80
          ? ['1 Order webhook webhook success 2 ms', '2 Fetch order http_request error 3.0 s', '3 Save order db_query skipped 0 ms']
          : ['1 Order webhook trigger webhook success 2 ms', '2 Fetch order fetch http_request error 3.0 s', '3 Save order save db_query skipped 0 ms'],
      );
      for (const line of screen) expect(line.length).toBeLessThanOrEqual(columns);
      bars[columns] = steps.map((line) => [...line].filter((c) => c === '█').length);
      const axis = header.indexOf('0 ');
      expect(steps.map((line) => line.slice(axis).search(/[█·]/))).toEqual([0, 0, header.length - axis - 1]); // skipped at the end
    }
    // The 3-second step fills the axis but its first cell (the 2 ms trigger's); at 160 columns the axis is longer
    // by the 80 columns less the node ids' 9.
    const axis80 = (bars[80] as number[])[1] as number;
    const axis160 = (bars[160] as number[])[1] as number;
    expect(bars[80]).toEqual([1, axis80, 0]);
    expect(bars[160]).toEqual([1, axis160, 0]);
    expect(axis160 - axis80).toBe(80 - 9);
  });

  it('piped (show | cat), is as wide as the window: by stderr, or by /dev/tty when stderr goes elsewhere too', async () => {
    const { file, ids } = await fixture();
    // Shells do not export COLUMNS; make sure it is not inherited either.
    const command = `env -u COLUMNS TZ=UTC EXECUTION_HISTORY_NOW=${NOW} ${process.execPath} ${CLI} --db ${file} show ${ids.failed}`;
    const direct = await screenOf(command, 80);
    const header = direct.find((line) => line.startsWith('#  STEP')) as string;
    expect(header.length).toBe(80);
    const waterfall = (screen: string[]) => screen.slice(screen.indexOf(header), screen.indexOf(header) + 4);
    expect(waterfall(await screenOf(`${command} | cat`, 80))).toEqual(waterfall(direct));
    expect(waterfall(await screenOf(`${command} 2>/dev/null | cat`, 80))).toEqual(waterfall(direct));
  });
});
