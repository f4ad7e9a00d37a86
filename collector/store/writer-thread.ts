// The store's write side in a worker thread. This thread decodes requests and encodes rows; the worker binds
// them into SQLite, commits, runs retention and analysis writes. Both cores work on ingest, and a long
// commit never holds up the receivers or the UI API. Acknowledgements still come only after COMMIT.
import type { Worker } from 'node:worker_threads';
import type { Observation, Stitch } from '../../common/findings';
import { startWorker } from '../workers';
import type { ClusterChange } from './cluster';
import { batchItems, type EncodedBatch } from './encode';
import type { CommitInfo } from './types';
import type { WriteSide, WriteSideOptions } from './write-side';

export interface WriterThreadData {
  file: string;
  options: WriteSideOptions;
}

type WriterCall =
  | { op: 'write'; batch: EncodedBatch }
  | { op: 'settledTraces'; quietMs: number; limit: number }
  | { op: 'recordTraceAnalysis'; traceId: string; observations: readonly Observation[] }
  | { op: 'recordWindowAnalysis'; windowId: string; observations: readonly Observation[]; stitches: readonly Stitch[] }
  | { op: 'recordClusterChanges'; cluster: string; changes: readonly ClusterChange[] }
  | { op: 'flush' }
  | { op: 'catchUpSearch' }
  | { op: 'retention'; run: boolean }
  | { op: 'close' };

/** The thread is sent arrays of these: everything asked for in one turn of the caller's event loop. */
export type WriterRequest = WriterCall & { id: number };

export type WriterReply =
  | { kind: 'commit'; info: CommitInfo }
  | { kind: 'reply'; id: number; value: unknown }
  | { kind: 'error'; id: number; message: string };

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  /** Spans + logs of a write, counted against maxPendingItems until it is acknowledged. */
  items: number;
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
  const pending = new Map<number, Pending>();
  const listeners = new Set<(info: CommitInfo) => void>();
  let nextId = 1;
  let pendingItems = 0;
  let failure: Error | undefined;
  let closed: Promise<void> | undefined;

  // Only while something is waiting for an answer does the thread keep the process alive.
  worker.unref();

  const settle = (id: number, outcome: { value: unknown } | { error: Error }): void => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    pendingItems -= p.items;
    if (pending.size === 0 && !closed) worker.unref();
    if ('error' in outcome) p.reject(outcome.error);
    else p.resolve(outcome.value);
  };

  worker.on('message', (reply: WriterReply) => {
    switch (reply.kind) {
      case 'commit':
        for (const listener of listeners) {
          try {
            listener(reply.info);
          } catch (e) {
            console.error('store: commit listener failed', e);
          }
        }
        return;
      case 'reply':
        return settle(reply.id, { value: reply.value });
      case 'error':
        return settle(reply.id, { error: new Error(reply.message) });
    }
  });
  const fail = (err: Error): void => {
    failure ??= new Error(`the store's writer thread stopped: ${err.message}`, { cause: err });
    for (const id of [...pending.keys()]) settle(id, { error: failure });
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(closed ? 'it was closed' : `it exited with code ${code}`)));

  // What is asked for in one turn of this thread's event loop goes over in one message, so writes queued
  // together commit together, as they do with the writer on this thread (and one message costs less than many).
  let outbox: WriterRequest[] = [];
  let posting: NodeJS.Immediate | undefined;
  const post = (): void => {
    posting = undefined;
    worker.postMessage(outbox);
    outbox = [];
  };

  function call<T>(request: WriterCall, items = 0): Promise<T> {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, items });
      pendingItems += items;
      if (pending.size === 1) worker.ref();
      outbox.push({ ...request, id });
      posting ??= setImmediate(post);
    });
  }

  return {
    write(batch) {
      const items = batchItems(batch);
      return items === 0 ? Promise.resolve() : call({ op: 'write', batch }, items);
    },
    overloaded: () => pendingItems > options.maxPendingItems,
    onCommit(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    settledTraces: (quietMs, limit) => call({ op: 'settledTraces', quietMs, limit }),
    recordTraceAnalysis: (traceId, observations) => call({ op: 'recordTraceAnalysis', traceId, observations }),
    recordWindowAnalysis: (windowId, observations, stitches) => call({ op: 'recordWindowAnalysis', windowId, observations, stitches }),
    recordClusterChanges: (cluster, changes) => call({ op: 'recordClusterChanges', cluster, changes }),
    flush: () => call({ op: 'flush' }),
    catchUpSearch: () => call({ op: 'catchUpSearch' }),
    retention: (run = false) => call({ op: 'retention', run }),
    close: () =>
      (closed ??= (async () => {
        const exited = new Promise<void>((resolve) => (worker.threadId === -1 ? resolve() : worker.once('exit', () => resolve())));
        if (!failure) await call({ op: 'close' });
        // held until the thread has ended, so the process cannot exit while its database is still being closed
        worker.ref();
        await exited;
      })()),
  };
}
