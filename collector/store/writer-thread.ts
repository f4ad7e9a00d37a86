// The store's write side in a worker thread. This thread decodes requests and encodes rows; the worker binds
// them into SQLite, commits, runs retention and analysis writes. Both cores work on ingest, and a long
// commit never holds up the receivers or the UI API. Acknowledgements still come only after COMMIT.
import { MessageChannel, type Worker } from 'node:worker_threads';
import { startWorker } from '../workers';
import { batchItems } from './encode';
import type { CommitInfo } from './types';
import type { WriteSideOptions } from './write-side';
import type { WriteSide } from './types';
import { writerClient, type AttachPort, type WriterCall } from './writer-port';

export interface WriterThreadData {
  file: string;
  options: WriteSideOptions;
}

const WORKER_YOUNG_GENERATION_MB = 8;

/** The write side in a worker thread; the file must exist with an up-to-date schema (openStore sees to it). */
export function startWriterThread(file: string, options: WriteSideOptions): WriteSide {
  const worker: Worker = startWorker(import.meta.url, 'writer-worker', {
    workerData: { file, options } satisfies WriterThreadData,
    // What the thread allocates lives for one commit. A small young generation: measured under bench/ingest.ts,
    // serve's peak RSS went from 332 to 285 MB at the same throughput.
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  const listeners = new Set<(info: CommitInfo) => void>();
  let closed: Promise<void> | undefined;

  // Only while something is waiting for an answer does the thread keep the process alive.
  worker.unref();
  const client = writerClient(
    worker,
    (waiting) => {
      if (waiting) worker.ref();
      else if (!closed) worker.unref();
    },
    (info) => {
      for (const listener of listeners) {
        try {
          listener(info);
        } catch (e) {
          console.error('store: commit listener failed', e);
        }
      }
    },
  );
  const fail = (err: Error): void => client.fail(new Error(`the store's writer thread stopped: ${err.message}`, { cause: err }));
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(closed ? 'it was closed' : `it exited with code ${code}`)));
  // Spans + logs of a write count against maxPendingItems until it is acknowledged.
  const call = <T>(request: WriterCall, items = 0): Promise<T> => client.call<T>(request, items);

  return {
    write(batch) {
      const items = batchItems(batch);
      return items === 0 ? Promise.resolve() : call({ op: 'write', batch }, items);
    },
    overloaded: () => client.pendingItems > options.maxPendingItems,
    onCommit(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    recordTraceAnalyses: (results) => call({ op: 'recordTraceAnalyses', results }),
    recordWindowAnalysis: (windowId, observations, stitches) => call({ op: 'recordWindowAnalysis', windowId, observations, stitches }),
    recordClusterChanges: (cluster, changes) => call({ op: 'recordClusterChanges', cluster, changes }),
    flush: () => call({ op: 'flush' }),
    catchUpSearch: () => call({ op: 'catchUpSearch' }),
    retention: (run = false) => call({ op: 'retention', run }),
    setRetention: (limits) => call({ op: 'setRetention', limits }),
    connect() {
      const { port1, port2 } = new MessageChannel();
      worker.postMessage({ attach: port1 } satisfies AttachPort, [port1]);
      return port2;
    },
    close: () =>
      (closed ??= (async () => {
        const exited = new Promise<void>((resolve) => (worker.threadId === -1 ? resolve() : worker.once('exit', () => resolve())));
        if (!client.failure) await call({ op: 'close' });
        // held until the thread has ended, so the process cannot exit while its database is still being closed
        worker.ref();
        await exited;
      })()),
  };
}
