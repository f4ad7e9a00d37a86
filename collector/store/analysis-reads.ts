// What live analysis reads, on its own connection: the traces due (quiet for the settle time), earliest span
// time first, and their spans and log records in one query each per batch. Resources and scopes are decoded
// once per batch-reader and shared by every span of the batch.
import { prepared, type Db } from './connection';
import { LOG_COLUMNS, ResourceScopeReader, searchLogs, SPAN_COLUMNS_READ, toLogs, toSpan } from './reads';
import { clusterHistoryAround, clusters } from './cluster';
import { analysisDue } from './findings';
import type { BatchRows, BatchTrace, DueTrace, LogRecordRow, StoredLog, StoreReader, TraceRows } from './types';

// the span count from traces (one primary-key lookup per trace taken): serve's analysis worker sets aside a trace
// too large for its heap without reading it
const DUE_COLUMNS = `p.trace_key, i.trace_id, p.touches, p.start_ns, coalesce(t.span_count, 0)
  FROM analysis_pending p JOIN trace_ids i ON i.trace_key = p.trace_key LEFT JOIN traces t ON t.trace_key = p.trace_key`;
// those being recorded are left out in SQL: read and dropped in JavaScript, they were two rows in three of a batch's
// (up to two batches are being recorded) and 3 % of the analysis worker's time draining 5M spans
export const DUE_SQL = `SELECT ${DUE_COLUMNS} WHERE p.touched_ms <= ? AND p.trace_key NOT IN (SELECT value FROM json_each(?))
  ORDER BY p.start_ns LIMIT ?`;
export const PENDING_SQL = `SELECT ${DUE_COLUMNS} WHERE p.trace_key IN (SELECT value FROM json_each(?)) ORDER BY p.start_ns`;

type DueRow = [bigint, string, bigint, bigint, bigint];
const dueTrace = ([key, traceId, touches, startNs, spans]: DueRow): DueTrace => ({ key: Number(key), traceId, touches: Number(touches), startNs, spans: Number(spans) });

/** Traces quiet for `quietMs` and not yet analyzed, earliest start first, at most `limit`, but for those of `except`. */
export function dueTraces(db: Db, quietMs: number, limit: number, except: Iterable<number> = []): DueTrace[] {
  return prepared<[number, string, number], DueRow>(db, DUE_SQL)
    .raw(true)
    .all(Date.now() - quietMs, JSON.stringify([...except]), limit)
    .map(dueTrace);
}

/** Those of these traces that wait for analysis, whether due or not, earliest start first. */
export function pendingTraces(db: Db, keys: readonly number[]): DueTrace[] {
  if (keys.length === 0) return [];
  return prepared<[string], DueRow>(db, PENDING_SQL).raw(true).all(JSON.stringify(keys)).map(dueTrace);
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

// by trace key only, as the index gives them: ordering by start as well sorted every row in a temporary b-tree (15 to
// 40 % of the query), so each trace's few rows are put in start order by decodeRows
export const BATCH_SPANS_SQL = `SELECT ${SPAN_COLUMNS_READ}, s.id, s.trace_key FROM spans s WHERE s.trace_key IN (SELECT value FROM json_each(?)) ORDER BY s.trace_key`;
export const BATCH_LOGS_SQL = `SELECT ${LOG_COLUMNS} FROM logs l JOIN trace_ids i ON i.trace_key = l.trace_key
  WHERE l.trace_key IN (SELECT value FROM json_each(?)) ORDER BY l.trace_key, l.at_ns, l.id`;

/** The rows of these traces' spans and log records, each read in one query. */
export function batchRows(db: Db, traces: readonly BatchTrace[]): BatchRows {
  if (traces.length === 0) return { spans: [], logs: [] };
  const keys = JSON.stringify(traces.map((t) => t.key));
  return { spans: prepared<[string], unknown[]>(db, BATCH_SPANS_SQL).raw(true).all(keys), logs: prepared<[string], LogRecordRow>(db, BATCH_LOGS_SQL).all(keys) };
}

/**
 * Those rows as spans and records, one trace at a time (by trace key; a trace with none stored is left out), so
 * that a batch's decoded spans need not all be alive at once. Resources and scopes are read on this connection.
 * Uses `raw` up: its span rows are let go of as they are decoded.
 */
export function* decodeRows(db: Db, traces: readonly BatchTrace[], raw: BatchRows, parts = new ResourceScopeReader(db)): Generator<[number, TraceRows]> {
  if (traces.length === 0) return;
  const ids = new Map(traces.map((t) => [t.key, t.traceId]));
  const logRows = new Map<number, LogRecordRow[]>();
  if (raw.logs.length > 0) {
    const keyOf = new Map(traces.map((t) => [t.traceId, t.key]));
    for (const r of raw.logs) {
      const key = keyOf.get(r.trace_id ?? '');
      if (key === undefined) continue;
      const list = logRows.get(key);
      if (list) list.push(r);
      else logRows.set(key, [r]);
    }
  }
  const logsOf = (key: number) => {
    const rows = logRows.get(key);
    logRows.delete(key);
    return rows ? toLogs(db, rows, parts) : [];
  };
  // ordered by trace key: the span's columns, then its row id and trace key; a trace's spans by start, then row id
  const spans = raw.spans as SpanRowWithKey[];
  for (let i = 0; i < spans.length; ) {
    const key = Number(spans[i][TRACE_KEY]);
    const traceId = ids.get(key)!;
    let end = i + 1;
    while (end < spans.length && Number(spans[end][TRACE_KEY]) === key) end++;
    const ordered = spans.slice(i, end).sort(byStartThenId);
    // each row let go of once decoded: a trace of 100,000 spans would otherwise hold its rows and its spans at once
    spans.fill(undefined as never, i, end);
    const rows: TraceRows = { spans: [], spanIds: [], logs: [] };
    for (let j = 0; j < ordered.length; j++) {
      const row = ordered[j];
      ordered[j] = undefined as never;
      rows.spans.push(toSpan(traceId, row, parts));
      rows.spanIds.push(Number(row[ROW_ID]));
    }
    i = end;
    rows.logs = logsOf(key);
    yield [key, rows];
  }
  for (const key of [...logRows.keys()]) yield [key, { spans: [], spanIds: [], logs: logsOf(key) }];
}

/** A row of BATCH_SPANS_SQL: the span's columns (SPAN_COLUMNS_READ, start at START), its row id and trace key. */
type SpanRowWithKey = unknown[] & { [START]: bigint; [ROW_ID]: bigint; [TRACE_KEY]: bigint };
const START = 6;
const ROW_ID = 18;
const TRACE_KEY = 19;
const byStartThenId = (a: SpanRowWithKey, b: SpanRowWithKey): number =>
  a[START] < b[START] ? -1 : a[START] > b[START] ? 1 : a[ROW_ID] < b[ROW_ID] ? -1 : a[ROW_ID] > b[ROW_ID] ? 1 : 0;

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
  'dueTraces' | 'pendingTraces' | 'firstPending' | 'batchRows' | 'decodeRows' | 'windowLogs' | 'analysisDue' | 'searchLogs' | 'clusters' | 'clusterHistoryAround'
>;

// What changes when a resource or scope is added, or an exporter's address is seen again (peers are listed last seen
// first): counts and maxima over a primary key and a table of a few rows per resource.
const PARTS_VERSION_SQL = `SELECT (SELECT max(id) FROM resources), (SELECT max(id) FROM scopes),
  (SELECT count(*) FROM resource_peers), (SELECT max(last_seen_ms) FROM resource_peers)`;
/** Resources and scopes kept at most between batches (each ~1 KB decoded); more, and they are read again. */
const MAX_KEPT_PARTS = 10_000;

/**
 * Resources and scopes decoded once for many batches, not once per batch: read anew for every batch they cost 2.4 of
 * the analysis worker's ~82 busy seconds draining 5M spans (CPU profile) (two queries for each resource a batch holds). Read
 * again once any resource, scope or exporter address has been written since.
 */
function keptParts(db: Db): () => ResourceScopeReader {
  let parts = new ResourceScopeReader(db);
  let version = '';
  return () => {
    const now = prepared<[], unknown[]>(db, PARTS_VERSION_SQL).raw(true).get()!.join();
    if (now !== version || parts.size > MAX_KEPT_PARTS) {
      parts = new ResourceScopeReader(db);
      version = now;
    }
    return parts;
  };
}

/** Those reads on a connection: the store's reader, or the analysis worker's own. */
export function analysisReader(db: Db): AnalysisReader {
  const parts = keptParts(db);
  return {
    dueTraces: (quietMs, limit, except) => dueTraces(db, quietMs, limit, except),
    pendingTraces: (keys) => pendingTraces(db, keys),
    firstPending: (quietMs) => firstPending(db, quietMs),
    batchRows: (traces) => batchRows(db, traces),
    decodeRows: (traces, raw) => decodeRows(db, traces, raw, parts()),
    windowLogs: (fromNs, toNs, limit) => windowLogs(db, fromNs, toNs, limit),
    analysisDue: (quietMs) => analysisDue(db, quietMs),
    searchLogs: (q) => searchLogs(db, q),
    clusters: () => clusters(db),
    clusterHistoryAround: (cluster, keys, options) => clusterHistoryAround(db, cluster, keys, options),
  };
}
