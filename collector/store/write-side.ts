// Everything that writes to the database: ingest (group commit), retention, checkpoints and analysis
// results. It runs either on the caller's thread (`openWriteSide`) or in a worker thread behind the same
// interface (`startWriterThread`), where SQLite's time no longer holds up decoding requests.
import { startCheckpointer } from './checkpointer';
import { clusterRecorder } from './cluster';
import { openConnection } from './connection';
import { analysisRecorder } from './findings';
import { startRetention } from './retention';
import { startSearchIndexer } from './search-index';
import type { WriteSide } from './types';
import { createWriter } from './writer';
import { serveWriter } from './writer-port';
import { MessageChannel } from 'node:worker_threads';

/** Items committed since the last retention pass after which another one runs without waiting for the timer. */
const RETENTION_AFTER_ITEMS = 50_000;

export interface WriteSideOptions {
  maxBytes: number;
  maxAgeMs: number;
  maxPendingItems: number;
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
  const side: WriteSide = {
    write: (batch) => writer.write(batch),
    overloaded: writer.overloaded,
    onCommit: writer.onCommit,
    recordTraceAnalyses: async (results) => analysis.recordTraceAnalyses(results),
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
    setRetention: async (limits) => {
      await retention.setLimits(limits);
      return retention.report();
    },
    catchUpSearch: async () => {
      writer.commitQueued();
      await searchIndexer.catchUp();
    },
    connect() {
      const { port1, port2 } = new MessageChannel();
      serveWriter(port1, side, { commits: false });
      // served for as long as the other end keeps it; it does not keep this process alive
      port1.unref();
      return port2;
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
  return side;
}
