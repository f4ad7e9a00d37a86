// The store: one SQLite file, a writer connection with group commit, a reader connection for the UI
// and analysis, and a read-only connection for the SQL console.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startCheckpointer } from './checkpointer';
import { nativeBinding, openConnection } from './connection';
import { analysisRecorder, findingCountsByTrace, findings, stitches } from './findings';
import { getSpan, getTrace, getTraceOutline, getTraceSummary, logsForTrace, operations, registerReadFunctions, searchLogs, searchTraces, services, stats } from './reads';
import { startRetention } from './retention';
import { querySql } from './sql-console';
import type { Store, StoreOptions, StoreReader } from './types';
import { createWriter } from './writer';

export type * from './types';

/** Retention defaults: keep at most 1 GiB of data and what arrived within the last 7 days. */
export const DEFAULT_MAX_BYTES = 1024 ** 3;
export const DEFAULT_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_PENDING_ITEMS = 200_000;
/** Items committed since the last retention pass after which another one runs without waiting for the timer. */
const RETENTION_AFTER_ITEMS = 50_000;

export function openStore(options: StoreOptions): Store {
  if (options.path === ':memory:' || options.path === '') {
    throw new Error('openStore: a file path is required (readers need their own connection)');
  }
  mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
  const writerDb = openConnection(options.path, 'writer');
  const readerDb = openConnection(options.path, 'reader');
  registerReadFunctions(readerDb);
  const consoleDb = openConnection(options.path, 'console');

  const writer = createWriter(writerDb, options.maxPendingItems ?? DEFAULT_MAX_PENDING_ITEMS);
  const checkpointer = startCheckpointer(writerDb, options.path, nativeBinding());
  const retention = startRetention(writerDb, {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    maxAgeMs: options.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
  });
  let itemsSinceRetention = 0;
  writer.onCommit((info) => {
    checkpointer.committed(info.spans + info.logs);
    itemsSinceRetention += info.spans + info.logs;
    if (itemsSinceRetention >= RETENTION_AFTER_ITEMS) {
      itemsSinceRetention = 0;
      retention.schedule();
    }
  });

  const reader: StoreReader = {
    stats: () => stats(readerDb),
    getTrace: (traceId) => getTrace(readerDb, traceId),
    getTraceOutline: (traceId) => getTraceOutline(readerDb, traceId),
    getSpan: (traceId, key) => getSpan(readerDb, traceId, key),
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
  };
  const analysis = analysisRecorder(writerDb);

  let closed = false;
  return {
    write: (batch) => (closed ? Promise.reject(new Error(`store ${options.path} is closed`)) : writer.write(batch)),
    overloaded: writer.overloaded,
    reader,
    onCommit: writer.onCommit,
    settledTraces: analysis.settledTraces,
    recordTraceAnalysis: analysis.recordTraceAnalysis,
    recordWindowAnalysis: analysis.recordWindowAnalysis,
    async flush() {
      writer.commitQueued();
    },
    async close() {
      if (closed) return;
      closed = true;
      retention.stop();
      writer.commitQueued();
      await checkpointer.stop();
      consoleDb.close();
      readerDb.close();
      writerDb.close();
    },
  };
}
