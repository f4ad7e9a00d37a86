// Everything that writes to the database: ingest (group commit), retention, checkpoints and analysis
// results. It runs either on the caller's thread (`openWriteSide`) or in a worker thread behind the same
// interface (`startWriterThread`), where SQLite's time no longer holds up decoding requests.
import { startCheckpointer } from './checkpointer';
import { clusterRecorder } from './cluster';
import { openConnection } from './connection';
import type { EncodedBatch } from './encode';
import { analysisRecorder } from './findings';
import { startRetention } from './retention';
import { startSearchIndexer } from './search-index';
import type { StoreWrites } from './types';
import { createWriter } from './writer';

/** Items committed since the last retention pass after which another one runs without waiting for the timer. */
const RETENTION_AFTER_ITEMS = 50_000;

export interface WriteSideOptions {
  maxBytes: number;
  maxAgeMs: number;
  maxPendingItems: number;
}

export interface WriteSide extends StoreWrites {
  /** Resolves once the batch is committed. */
  write(batch: EncodedBatch): Promise<void>;
}

/** The write side on this thread. The file must exist with an up-to-date schema (openStore sees to it). */
export function openWriteSide(file: string, options: WriteSideOptions): WriteSide {
  const db = openConnection(file, 'writer');
  const writer = createWriter(db, options.maxPendingItems);
  const checkpointer = startCheckpointer(db, file);
  const retention = startRetention(db, { maxBytes: options.maxBytes, maxAgeMs: options.maxAgeMs });
  const analysis = analysisRecorder(db);
  const recordCluster = clusterRecorder(db);
  const searchIndexer = startSearchIndexer(db, writer);
  let itemsSinceRetention = 0;
  writer.onCommit((info) => {
    checkpointer.committed(info.spans + info.logs);
    searchIndexer.committed();
    itemsSinceRetention += info.spans + info.logs;
    if (itemsSinceRetention >= RETENTION_AFTER_ITEMS) {
      itemsSinceRetention = 0;
      void retention.schedule();
    }
  });
  // Promises, so that callers are alike whichever thread the write side is on.
  return {
    write: (batch) => writer.write(batch),
    overloaded: writer.overloaded,
    onCommit: writer.onCommit,
    settledTraces: async (quietMs, limit) => analysis.settledTraces(quietMs, limit),
    recordTraceAnalysis: async (traceId, observations) => analysis.recordTraceAnalysis(traceId, observations),
    recordWindowAnalysis: async (windowId, observations, stitches) => analysis.recordWindowAnalysis(windowId, observations, stitches),
    recordClusterChanges: async (cluster, changes) => recordCluster(cluster, changes),
    flush: async () => writer.commitQueued(),
    retention: async (run) => {
      if (run) {
        writer.commitQueued();
        await retention.schedule();
      }
      return retention.report();
    },
    catchUpSearch: async () => {
      writer.commitQueued();
      await searchIndexer.catchUp();
    },
    async close() {
      retention.optimize(true);
      retention.stop();
      searchIndexer.stop();
      writer.commitQueued();
      await checkpointer.stop();
      db.close();
    },
  };
}
