// Group commit: writes queue up while the event loop serves other requests; one transaction then
// commits all of them and only after COMMIT are their promises resolved.
import type { Db } from './connection';
import { batchItems, type EncodedBatch } from './encode';
import { forget, insertBatches, newIdCache } from './ingest';
import type { CommitInfo } from './types';

/** Queued items at which a write commits at once instead of waiting for the next turn of the event loop. */
const COMMIT_AT_ITEMS = 16_384;
/** The time over which `load()` is measured. */
const LOAD_WINDOW_MS = 1000;

interface QueuedWrite {
  batch: EncodedBatch;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface Writer {
  write(batch: EncodedBatch): Promise<void>;
  overloaded(): boolean;
  /** True while writes wait to be committed. */
  busy(): boolean;
  /** The share of the last LOAD_WINDOW_MS spent committing (0 to 1). */
  load(): number;
  onCommit(listener: (info: CommitInfo) => void): () => void;
  /** Commits whatever is queued, now. */
  commitQueued(): void;
}

export function createWriter(db: Db, maxPendingItems: number): Writer {
  const ids = newIdCache();
  const commit = db.transaction((batches: EncodedBatch[]) => insertBatches(db, ids, batches, Date.now()));
  const listeners = new Set<(info: CommitInfo) => void>();
  let queue: QueuedWrite[] = [];
  let queuedItems = 0;
  let scheduled: NodeJS.Immediate | undefined;
  // When each recent commit ended and how long it took, for load().
  const recent: { endMs: number; ms: number }[] = [];

  function commitQueued(): void {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (queue.length === 0) return;
    const held = queue;
    queue = [];
    queuedItems = 0;
    let info: CommitInfo;
    const started = performance.now();
    try {
      info = commit(held.map((w) => w.batch));
      recent.push({ endMs: performance.now(), ms: performance.now() - started });
    } catch (e) {
      // The transaction rolled back, so ids it assigned no longer exist.
      forget(ids);
      for (const w of held) w.reject(e);
      return;
    }
    for (const w of held) w.resolve();
    for (const listener of listeners) {
      try {
        listener(info);
      } catch (e) {
        console.error('store: commit listener failed', e);
      }
    }
  }

  return {
    write(batch) {
      if (batchItems(batch) === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        queue.push({ batch, resolve, reject });
        queuedItems += batchItems(batch);
        if (queuedItems >= COMMIT_AT_ITEMS) commitQueued();
        else scheduled ??= setImmediate(commitQueued);
      });
    },
    overloaded: () => queuedItems > maxPendingItems,
    busy: () => queue.length > 0,
    load() {
      const since = performance.now() - LOAD_WINDOW_MS;
      while (recent.length && recent[0].endMs < since) recent.shift();
      return recent.reduce((sum, c) => sum + c.ms, 0) / LOAD_WINDOW_MS;
    },
    onCommit(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    commitQueued,
  };
}
