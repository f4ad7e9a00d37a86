// The store: one SQLite file, a write side (group commit, retention, checkpoints, analysis results) on this
// thread or in a worker thread, a reader connection for the UI and analysis, and a read-only connection
// for the SQL console.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { clusterHistory, clusterHistoryAround, clusters } from './cluster';
import { openConnection } from './connection';
import { encodeBatch, type EncodedBatch } from './encode';
import { findingCountsByTrace, findings, stitches } from './findings';
import { getSpan, rootPlaces, spanPlace, getTrace, getTraceOutline, getTraceSummary, logsForTrace, operations, registerReadFunctions, searchLogs, searchTraces, services, stats } from './reads';
import { querySql } from './sql-console';
import type { Store, StoreOptions, StoreReader } from './types';
import { openWriteSide, type WriteSideOptions } from './write-side';
import { startWriterThread } from './writer-thread';

export type * from './types';
export type { ClusterChange, ListedChange, ObjectChange } from './cluster';

/** Retention defaults: keep at most 1 GiB of data and what arrived within the last 7 days. */
export const DEFAULT_MAX_BYTES = 1024 ** 3;
export const DEFAULT_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_PENDING_ITEMS = 200_000;

export function openStore(options: StoreOptions): Store {
  if (options.path === ':memory:' || options.path === '') {
    throw new Error('openStore: a file path is required (readers need their own connection)');
  }
  mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
  const writeOptions: WriteSideOptions = {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    maxAgeMs: options.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
    maxPendingItems: options.maxPendingItems ?? DEFAULT_MAX_PENDING_ITEMS,
  };
  let writeSide;
  if (options.writerThread) {
    // Here, so that a file that is not ours or too new is refused by openStore itself, and the schema is
    // current before the readers open it.
    openConnection(options.path, 'writer').close();
    writeSide = startWriterThread(options.path, writeOptions);
  } else {
    writeSide = openWriteSide(options.path, writeOptions);
  }
  const readerDb = openConnection(options.path, 'reader');
  registerReadFunctions(readerDb);
  const consoleDb = openConnection(options.path, 'console');

  const reader: StoreReader = {
    stats: () => stats(readerDb),
    getTrace: (traceId) => getTrace(readerDb, traceId),
    getTraceOutline: (traceId) => getTraceOutline(readerDb, traceId),
    getSpan: (traceId, key) => getSpan(readerDb, traceId, key),
    spanPlace: (traceId, spanId) => spanPlace(readerDb, traceId, spanId),
    rootPlaces: (traceIds) => rootPlaces(readerDb, traceIds),
    getTraceSummary: (traceId) => getTraceSummary(readerDb, traceId),
    logsForTrace: (traceId) => logsForTrace(readerDb, traceId),
    searchTraces: (q) => searchTraces(readerDb, q),
    searchLogs: (q) => searchLogs(readerDb, q),
    services: () => services(readerDb),
    operations: (service) => operations(readerDb, service),
    querySql: (sql, maxRows) => querySql(consoleDb, sql, maxRows),
    findings: () => findings(readerDb),
    stitches: (traceId) => stitches(readerDb, traceId),
    findingCountsByTrace: (traceIds) => findingCountsByTrace(readerDb, traceIds),
    clusters: () => clusters(readerDb),
    clusterHistory: (cluster, fromMs, toMs) => clusterHistory(readerDb, cluster, fromMs, toMs),
    clusterHistoryAround: (cluster, keys, options) => clusterHistoryAround(readerDb, cluster, keys, options),
  };

  let closed: Promise<void> | undefined;
  const writeEncoded = (rows: EncodedBatch) => (closed ? Promise.reject(new Error(`store ${options.path} is closed`)) : writeSide.write(rows));
  return {
    write(batch) {
      let rows;
      try {
        // Encoded here: a bad span rejects only its own request, and the writer only binds values.
        rows = encodeBatch(batch);
      } catch (e) {
        return Promise.reject(e);
      }
      return writeEncoded(rows);
    },
    writeEncoded,
    overloaded: writeSide.overloaded,
    reader,
    onCommit: writeSide.onCommit,
    settledTraces: writeSide.settledTraces,
    recordTraceAnalysis: writeSide.recordTraceAnalysis,
    recordWindowAnalysis: writeSide.recordWindowAnalysis,
    recordClusterChanges: writeSide.recordClusterChanges,
    flush: writeSide.flush,
    close: () =>
      (closed ??= (async () => {
        await writeSide.close();
        consoleDb.close();
        readerDb.close();
      })()),
  };
}
