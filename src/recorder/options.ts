// What a recorder is told: how often it writes, how much it may hold, what it keeps. Checked once, when it is made
// (a bad option is the runtime's mistake at start-up, reported then, never while a workflow runs).
import { z } from 'zod';
import { MAX_BATCH_STEPS, validate } from '../core/validation.js';
import type { RecorderDrop } from './drops.js';

/** Which runs are stored, and what of them. Runs not stored are still counted in the insights. */
export interface SaveRules {
  /** Failed runs (and interrupted ones): 'all' (the default) or 'none'. */
  error?: 'all' | 'none';
  /**
   * Successful runs: 'all' (the default), 'none', or a sample: a share of them drawn at random when they start,
   * and every run slower than `keepSlowerThanMs` whatever the draw.
   */
  success?: 'all' | 'none' | { sampleRate: number; keepSlowerThanMs?: number };
  /** Manual runs (triggerType 'manual', someone testing a workflow) are kept whatever the rules above say; default true. */
  keepManual?: boolean;
  /** What steps keep of their data: 'all' (the default), 'inputs', 'outputs' or 'none'. */
  payloads?: 'all' | 'inputs' | 'outputs' | 'none';
}

export interface SavePolicy extends SaveRules {
  /** Rules of particular workflows (by workflowId), each over the rules above. */
  workflows?: Record<string, SaveRules>;
}

export interface RecorderOptions {
  /** Which runs are stored, and what of them; by default everything. */
  policy?: SavePolicy;
  /** What the recorder may hold while the database is slow or away; past it, it drops (see RecorderDrop). */
  buffer?: {
    /** Bytes held: payload texts (2 bytes a character) and 640 bytes an item for the objects around them; default 64 MiB. */
    maxBytes?: number;
    /** Items (starts, steps, ends) held; default 100,000. */
    maxItems?: number;
  };
  /**
   * When the writer commits: every `intervalMs` (default 200), or at once when `maxItems` (default 1,000) wait.
   * `maxHoldMs` bounds how long one batch holds the event loop (its synchronous part: on SQLite, whose driver is
   * synchronous, the whole transaction): batches are sized from the last one's time per item, down to 50 items. No
   * bound by default (batches of `maxItems`, the most throughput); see the README for what a bound costs.
   */
  flush?: { intervalMs?: number; maxItems?: number; maxHoldMs?: number };
  /**
   * 'batch' (the default): every call returns at once and a background writer commits what was recorded every flush
   * interval. 'step', for debugging a runtime: each call's write is committed at once, one transaction per call in
   * the order of the calls (a step's running row when it starts, its end when it finishes), and `run.written` /
   * `step.written` resolve when it is; a crash loses nothing whose promise had resolved. It costs a transaction per
   * call (see the README's figures), and on SQLite a step's end waits for a file lock as the store's single-row calls do.
   */
  durability?: 'batch' | 'step';
  /**
   * Where batches are written. 'worker' (the default): on a SQLite file the store opened itself, by a worker thread
   * with its own connection, two batches in flight, so that no transaction runs on the event loop (inline meanwhile,
   * while the thread starts); elsewhere (in memory, a connection handed to `new ExecutionStore`, PostgreSQL, a bundle
   * without the worker's file) inline. 'inline': the store's writeBatch on this thread, always. See the README for
   * what each costs.
   */
  writer?: 'worker' | 'inline';
  /** Told of everything dropped, when it is dropped. */
  onDrop?: (drop: RecorderDrop) => void;
  /** Told of every failed write (each retry), and of mistakes in the recorder's use. */
  onError?: (error: Error) => void;
}

export const DEFAULT_RECORDER_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_RECORDER_MAX_ITEMS = 100_000;
export const DEFAULT_FLUSH_INTERVAL_MS = 200;
export const DEFAULT_FLUSH_MAX_ITEMS = 1_000;
export const DEFAULT_RECORDER_WRITER: 'worker' | 'inline' = 'worker';

const payloads = z.enum(['all', 'inputs', 'outputs', 'none']);
const rules = {
  error: z.enum(['all', 'none']).optional(),
  success: z
    .union([
      z.enum(['all', 'none']),
      z.strictObject({
        sampleRate: z.number('expected a number from 0 to 1').min(0, 'expected a number from 0 to 1').max(1, 'expected a number from 0 to 1'),
        keepSlowerThanMs: z.number().min(0, 'expected a non-negative number of ms').optional(),
      }),
    ])
    .optional(),
  keepManual: z.boolean().optional(),
  payloads: payloads.optional(),
};
const positive = (expected: string) => z.int(`expected ${expected}`).min(1, `expected ${expected}`);
const callback = z.custom<(value: never) => void>((value) => typeof value === 'function', 'expected a function').optional();

export const recorderOptionsSchema = z
  .strictObject({
    policy: z.strictObject({ ...rules, workflows: z.record(z.string(), z.strictObject(rules)).optional() }).optional(),
    buffer: z.strictObject({ maxBytes: positive('a positive number of bytes').optional(), maxItems: positive('a positive number of items').optional() }).optional(),
    flush: z
      .strictObject({
        intervalMs: positive('a positive number of ms').optional(),
        // A batch's lists take at most MAX_BATCH_STEPS items each.
        maxItems: positive('a positive number of items').max(MAX_BATCH_STEPS, `expected at most ${MAX_BATCH_STEPS} items`).optional(),
        maxHoldMs: positive('a positive number of ms').optional(),
      })
      .optional(),
    durability: z.enum(['batch', 'step']).optional(),
    writer: z.enum(['worker', 'inline']).optional(),
    onDrop: callback,
    onError: callback,
  })
  .optional();

export function recorderSettings(options: RecorderOptions | undefined) {
  const valid = validate(recorderOptionsSchema, options, 'createRecorder', 'options');
  return {
    policy: (valid?.policy ?? {}) as SavePolicy,
    maxBytes: valid?.buffer?.maxBytes ?? DEFAULT_RECORDER_MAX_BYTES,
    maxItems: valid?.buffer?.maxItems ?? DEFAULT_RECORDER_MAX_ITEMS,
    flushIntervalMs: valid?.flush?.intervalMs ?? DEFAULT_FLUSH_INTERVAL_MS,
    flushMaxItems: valid?.flush?.maxItems ?? DEFAULT_FLUSH_MAX_ITEMS,
    flushMaxHoldMs: valid?.flush?.maxHoldMs,
    durability: valid?.durability ?? 'batch',
    writer: valid?.writer ?? DEFAULT_RECORDER_WRITER,
    onDrop: options?.onDrop,
    onError: options?.onError,
  };
}

export type RecorderSettings = ReturnType<typeof recorderSettings>;
