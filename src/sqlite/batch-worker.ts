// The batch worker: a thread with its own connection to a store's SQLite file, writing the recorder's batches there
// so that their transactions (better-sqlite3 is synchronous) never hold the store's event loop. It is a SqliteBackend
// keyed to the store's instance (identity handed in whole, incarnation included), encoding as the store encodes, and
// without a heartbeat (the store beats on its own connection). Batches are written in the order they come; after a
// failure, later batches of the same channel and epoch are refused until the store's writer has handled it.
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { BatchRefused } from '../core/batch-channel.js';
import { CallbackFailure } from '../core/errors.js';
import { Redactor } from '../core/redaction.js';
import { storeEncoding } from '../core/store-encoding.js';
import { type BatchWorkerSettings, fromTransit, toTransitError, type WorkerAnswer, type WorkerRequest } from './batch-transit.js';
import { toStoreError } from './driver-errors.js';
import { SqliteBackend } from './sqlite-backend.js';

const settings = workerData as BatchWorkerSettings;
const port = parentPort;
if (port === null) throw new Error('batch-worker.ts runs as a worker thread, started by the store (src/sqlite/batch-worker-client.ts)');

let now = 0;
let registered = false;
let backend: SqliteBackend | undefined;
try {
  backend = new SqliteBackend(new BetterSqlite3(settings.path), {
    encoding: storeEncoding(settings.maxPayloadBytes, new Redactor(settings.redactKeys)),
    now: () => now,
    busyTimeoutMs: settings.busyTimeoutMs,
    walLimitBytes: settings.walLimitBytes,
    insights: undefined, // pinned, if at all, by the store's own connection when it opened the file
    instance: settings.instance,
    beats: false,
    onRegistered: () => {
      registered = true;
    },
  });
} catch (error) {
  port.postMessage({ kind: 'unopened', error: toTransitError(toStoreError(error, 'opening the batch worker')) } satisfies WorkerAnswer);
  process.exit(1);
}
const writer = backend as SqliteBackend;
port.postMessage({ kind: 'ready' } satisfies WorkerAnswer);

/** Per channel, the epoch in which a batch failed: its later batches of that epoch are refused. */
const haltedAt = new Map<number, number>();

port.on('message', async (request: WorkerRequest) => {
  if (request.kind === 'close') {
    await writer.close();
    port.close();
    return;
  }
  const { id, channel, epoch } = request;
  const stopped = new Int32Array(request.stopped);
  if ((haltedAt.get(channel) ?? -1) >= epoch || Atomics.load(stopped, 0) !== 0) {
    port.postMessage({ kind: 'refused', id } satisfies WorkerAnswer);
    return;
  }
  now = request.now;
  let answer: WorkerAnswer;
  try {
    const wasRegistered = registered;
    const written = await writer.writeBatch(fromTransit(request.batch), undefined, () => {
      // Its writer stopped while this batch waited for the lock: rolled back, as if never sent.
      if (Atomics.load(stopped, 0) !== 0) throw new CallbackFailure(new BatchRefused());
    });
    answer = { kind: 'written', id, written, registered: registered && !wasRegistered };
  } catch (error) {
    haltedAt.set(channel, epoch);
    answer = error instanceof BatchRefused ? { kind: 'refused', id } : { kind: 'failed', id, error: toTransitError(error) };
  }
  port.postMessage(answer);
});
