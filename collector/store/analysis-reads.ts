// What live analysis reads, on its own connection: the traces due (quiet for the settle time), earliest span
// time first, and their spans and log records in one query each per batch. Resources and scopes are decoded
// once per batch-reader and shared by every span of the batch.
import { prepared, type Db } from './connection';
import { LOG_COLUMNS, ResourceScopeReader, searchLogs, SPAN_COLUMNS_READ, toLogs, toSpan, type LogRecordRow } from './reads';
import { clusterHistoryAround, clusters } from './cluster';
import { analysisDue } from './findings';
import type { DueTrace, StoredLog, StoreReader, TraceRows } from './types';

export const DUE_SQL = `SELECT p.trace_key, i.trace_id, p.touches, p.start_ns FROM analysis_pending p JOIN trace_ids i ON i.trace_key = p.trace_key
  WHERE p.touched_ms <= ? ORDER BY p.start_ns LIMIT ?`;

/** Traces quiet for `quietMs` and not yet analyzed, earliest start first, at most `limit`. */
export function dueTraces(db: Db, quietMs: number, limit: number): DueTrace[] {
  return prepared<[number, number], [bigint, string, bigint, bigint]>(db, DUE_SQL)
    .raw(true)
    .all(Date.now() - quietMs, limit)
    .map(([key, traceId, touches, startNs]) => ({ key: Number(key), traceId, touches: Number(touches), startNs }));
}

export const FIRST_PENDING_SQL = `SELECT start_ns, touched_ms FROM analysis_pending ORDER BY start_ns LIMIT 1`;

/**
 * The earliest start of any trace waiting for analysis, and whether that trace is due (quiet for `quietMs`):
 * no span before it waits, so the cross-trace windows that end before it can be judged.
 */
export function firstPending(db: Db, quietMs: number): { startNs: bigint; due: boolean } | undefined {
  const row = prepared<[], [bigint, bigint]>(db, FIRST_PENDING_SQL).raw(true).get();
  return row && { startNs: row[0], due: Number(row[1]) <= Date.now() - quietMs };
}

export const BATCH_SPANS_SQL = `SELECT ${SPAN_COLUMNS_READ}, s.id, s.trace_key FROM spans s WHERE s.trace_key IN (SELECT value FROM json_each(?)) ORDER BY s.trace_key, s.start_ns, s.id`;
export const BATCH_LOGS_SQL = `SELECT ${LOG_COLUMNS} FROM logs l JOIN trace_ids i ON i.trace_key = l.trace_key
  WHERE l.trace_key IN (SELECT value FROM json_each(?)) ORDER BY l.trace_key, l.at_ns, l.id`;

/** The spans and log records of these traces, by trace key; a trace with none stored is missing from the map. */
export function traceRows(db: Db, traces: readonly DueTrace[]): Map<number, TraceRows> {
  const out = new Map<number, TraceRows>();
  if (traces.length === 0) return out;
  const ids = new Map(traces.map((t) => [t.key, t.traceId]));
  const keys = JSON.stringify(traces.map((t) => t.key));
  const parts = new ResourceScopeReader(db);
  const entry = (key: number) => {
    let rows = out.get(key);
    if (!rows) out.set(key, (rows = { spans: [], spanIds: [], logs: [] }));
    return rows;
  };
  // the span's columns, then its row id and trace key
  for (const r of prepared<[string], unknown[]>(db, BATCH_SPANS_SQL).raw(true).all(keys)) {
    const key = Number(r[19]);
    const rows = entry(key);
    rows.spans.push(toSpan(ids.get(key)!, r, parts));
    rows.spanIds.push(Number(r[18]));
  }
  const logRows = prepared<[string], LogRecordRow>(db, BATCH_LOGS_SQL).all(keys);
  if (logRows.length > 0) {
    const keyOf = new Map(traces.map((t) => [t.traceId, t.key]));
    for (const log of toLogs(db, logRows, parts)) {
      const key = keyOf.get(log.traceId);
      if (key !== undefined) entry(key).logs.push(log);
    }
  }
  return out;
}

export const WINDOW_LOGS_SQL = `SELECT ${LOG_COLUMNS} FROM logs l LEFT JOIN trace_ids i ON i.trace_key = l.trace_key
  WHERE l.at_ns >= ? AND l.at_ns < ? AND (l.trace_key IS NULL OR NOT EXISTS (SELECT 1 FROM traces t WHERE t.trace_key = l.trace_key))
  ORDER BY l.at_ns LIMIT ?`;

/**
 * Log records of [fromNs, toNs) (by their time, or observed time without one) that no trace analysis feeds to the
 * cross-trace detectors: those without trace context, and those whose trace has no span stored. At most `limit`.
 */
export function windowLogs(db: Db, fromNs: bigint, toNs: bigint, limit: number): StoredLog[] {
  return toLogs(db, prepared<[bigint, bigint, number], LogRecordRow>(db, WINDOW_LOGS_SQL).all(fromNs, toNs, limit));
}

/** What live analysis reads of the store. */
export type AnalysisReader = Pick<
  StoreReader,
  'dueTraces' | 'firstPending' | 'traceRows' | 'windowLogs' | 'analysisDue' | 'searchLogs' | 'clusters' | 'clusterHistoryAround'
>;

/** Those reads on a connection: the store's reader, or the analysis worker's own. */
export function analysisReader(db: Db): AnalysisReader {
  return {
    dueTraces: (quietMs, limit) => dueTraces(db, quietMs, limit),
    firstPending: (quietMs) => firstPending(db, quietMs),
    traceRows: (traces) => traceRows(db, traces),
    windowLogs: (fromNs, toNs, limit) => windowLogs(db, fromNs, toNs, limit),
    analysisDue: (quietMs) => analysisDue(db, quietMs),
    searchLogs: (q) => searchLogs(db, q),
    clusters: () => clusters(db),
    clusterHistoryAround: (cluster, keys, options) => clusterHistoryAround(db, cluster, keys, options),
  };
}
