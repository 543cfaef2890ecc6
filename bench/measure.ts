// Timing helpers. Store and raw are always measured side by side, interleaved, so that the machine's noise hits
// both alike; figures are medians.
import { performance } from 'node:perf_hooks';

export interface Row {
  part: string;
  name: string;
  /** Median ms per operation through the store. */
  store: number;
  /** Median ms per operation with raw better-sqlite3. */
  raw: number;
  /** store / raw, unless `higherIsBetter` (then store / raw of a rate). */
  ratio: number;
  /** The ratio the issue asks for: at most this (or at least, when higherIsBetter). */
  target: number;
  higherIsBetter?: boolean;
  pass: boolean;
  note?: string;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * Runs `store` and `raw` alternately `reps` times; each returns how many operations it did. Medians of ms/op.
 * `beforeEach` runs untimed before every timed run, to start both from the same state.
 */
export async function sideBySide(
  reps: number,
  store: (rep: number) => Promise<number> | number,
  raw: (rep: number) => Promise<number> | number,
  beforeEach?: () => void,
): Promise<{ store: number; raw: number }> {
  const storeTimes: number[] = [];
  const rawTimes: number[] = [];
  // One untimed round first: JIT compilation and cold caches are not what is being compared.
  await store(reps);
  await raw(reps);
  for (let rep = 0; rep < reps; rep++) {
    // Alternate which goes first, so that neither always inherits the other's cache state.
    const order = rep % 2 === 0 ? ([store, raw] as const) : ([raw, store] as const);
    for (const run of order) {
      beforeEach?.();
      const started = performance.now();
      const operations = await run(rep);
      const perOperation = (performance.now() - started) / operations;
      (run === store ? storeTimes : rawTimes).push(perOperation);
    }
  }
  return { store: median(storeTimes), raw: median(rawTimes) };
}

/**
 * For store calls with absolute targets whose comparator is a scan of gigabytes: interleaved, each store call ran
 * on caches the scan had just emptied, which is neither how a dashboard calls it nor what the comparison is about.
 * So each side is timed in a block of its own, after warm-up calls (the store's JavaScript, decoding thousands of
 * histograms, runs 2x slower until the JIT has seen it a few times); the store side gets at least STORE_REPS timed
 * calls, since they cost milliseconds. `storeAfterRaw` is one store call timed right after the last raw one, the
 * cold case, reported beside it.
 */
export async function apart(
  reps: number,
  store: (rep: number) => Promise<unknown>,
  raw: (rep: number) => unknown,
): Promise<{ store: number; raw: number; storeAfterRaw: number }> {
  const time = async (run: () => unknown) => {
    const started = performance.now();
    await run();
    return performance.now() - started;
  };
  for (let warmUp = 0; warmUp < STORE_WARM_UP; warmUp++) await store(warmUp);
  const storeTimes: number[] = [];
  for (let rep = 0; rep < Math.max(reps, STORE_REPS); rep++) storeTimes.push(await time(() => store(rep)));
  await raw(reps);
  const rawTimes: number[] = [];
  for (let rep = 0; rep < reps; rep++) rawTimes.push(await time(() => raw(rep)));
  const storeAfterRaw = await time(() => store(reps + 1));
  return { store: median(storeTimes), raw: median(rawTimes), storeAfterRaw };
}

const STORE_WARM_UP = 20;
const STORE_REPS = 30;

export function row(
  part: string,
  name: string,
  measured: { store: number; raw: number },
  target: number,
  note?: string,
): Row {
  const ratio = measured.store / measured.raw;
  return { part, name, ...measured, ratio, target, pass: ratio <= target, ...(note ? { note } : {}) };
}

/** Peak resident memory of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
