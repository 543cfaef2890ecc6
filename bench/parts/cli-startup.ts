// Part 10: what the built command costs before it has printed, against starting Node itself. Each round runs
// `node -e 0`, `execution-history --help` and `execution-history list --limit 10` on a demo file (as `npm run demo`
// makes it), in an order that turns every round so that the machine's noise hits all three alike. Wall times,
// medians; the ratio is the command's over the bare Node start's.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median, type Row } from '../measure.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const PART = '10 command start-up';
/** A command may cost twice a bare Node start: its own work no more than starting Node again. */
const TARGET = 2;
/** Rounds at least, whatever --reps says: process start-up is noisy, and a median of three says little. */
const ROUNDS = 15;

export function cliStartupPart(dir: string, reps: number, keep: boolean): Row[] {
  const commands: [name: string, args: (file: string) => string[]][] = [
    ['`list --limit 10` on the demo file, ms', (file) => [CLI, '--db', file, 'list', '--limit', '10']],
    ['`--help`, ms', () => [CLI, '--help']],
  ];
  if (!existsSync(CLI)) {
    // The benchmark runs from the sources (tsx); the command is measured as users run it, built.
    const note = `not measured: ${CLI} is missing; run \`npm run build\` first (CI builds before it benchmarks)`;
    return commands.map(([name]) => ({ part: PART, name, store: Number.NaN, raw: Number.NaN, ratio: Number.NaN, target: TARGET, pass: false, note }));
  }
  const file = join(dir, 'cli-demo.db');
  // A fixed width: without one the command asks /dev/tty for the terminal's, which a bench in a terminal has.
  const env = { ...process.env, COLUMNS: '100', NODE_OPTIONS: undefined };
  const run = (args: string[]) => {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const ms = performance.now() - started;
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
    return ms;
  };
  run([CLI, '--db', file, 'demo', '--replace']); // 2,000 simulated executions and the three showcase runs
  const candidates: [string, string[]][] = [['node -e 0', ['-e', '0']], ...commands.map(([name, args]): [string, string[]] => [name, args(file)])];
  const times = new Map<string, number[]>(candidates.map(([name]) => [name, []]));
  for (const [, args] of candidates) run(args); // untimed: the file system's caches warm for all alike
  const rounds = Math.max(ROUNDS, reps);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < candidates.length; i++) {
      const [name, args] = candidates[(round + i) % candidates.length] as [string, string[]];
      times.get(name)?.push(run(args));
    }
  }
  if (!keep) for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  const node = median(times.get('node -e 0') as number[]);
  return commands.map(([name]) => {
    const command = median(times.get(name) as number[]);
    const ratio = command / node;
    return { part: PART, name, store: command, raw: node, ratio, target: TARGET, pass: ratio <= TARGET, note: `beside \`node -e 0\` (raw), ${rounds} alternating rounds` };
  });
}
