// The store's public surface. Receivers, importers, analysis and the API depend on these types
// only; how rows are laid out in SQLite stays inside collector/store.
import type { AttributeFilter } from './search';
import type { Finding, Observation, Stitch } from '../../common/findings';
import type { RetentionLimits } from '../../common/retention';
import type { LogRecord, Resource, Span } from '../model';
import type { ClusterHistoryRows, LinkKeys } from '../../common/cluster';
import type { ClusterChange } from './cluster';
import type { CompactLimits, Compaction } from './compact';
import type { EncodedBatch } from './encode';
import type { MessagePort } from 'node:worker_threads';

export interface StoreOptions {
  /** SQLite file path. ':memory:' is not supported (readers need their own connection). */
  path: string;
  /**
   * Retention: once the data in the file (pages in use; the file itself does not shrink) exceeds this, delete
   * whole traces, oldest start first, and logs older than every kept trace, down to 90% of it. Default 1 GiB.
   */
  maxBytes?: number;
  /** Retention: delete traces and logs that arrived longer ago than this (by arrival, so an imported old file is kept). Default 7 days. */
  maxAgeMs?: number;
  /** Spans + logs waiting to be committed above which `overloaded()` is true. Default 200_000. */
  maxPendingItems?: number;
  /**
   * Run the write side (commits, retention, checkpoints, analysis results) in a worker thread, so SQLite
   * and request decoding use two cores (`serve` and `import` do). Default false: all on this thread.
   */
  writerThread?: boolean;
  /**
   * Compact the file when it opens if its free pages pass these limits (store/compact.ts; default 64 MiB and a
   * quarter of the file); false never does.
   */
  compactAtOpen?: CompactLimits | false;
}

export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootOperation: string;
  startNs: bigint;
  durationNs: bigint;
  spanCount: number;
  errorCount: number;
  services: string[];
}

export interface TraceQuery {
  service?: string;
  operation?: string;
  minDurationNs?: bigint;
  maxDurationNs?: bigint;
  status?: 'error' | 'ok';
  /**
   * Every filter must match an attribute of a span, a span's resource, a log or a log's resource in the trace:
   * the key present, its value equal (compared as text) or, with `prefix`, starting with `value`.
   */
  attributes?: AttributeFilter[];
  fromNs?: bigint;
  toNs?: bigint;
  /** Default 100, at most 1000. */
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface LogQuery {
  service?: string;
  minSeverity?: number;
  /** Substring of the body (rendered as text), case-insensitive. */
  text?: string;
  traceId?: string;
  spanId?: string;
  fromNs?: bigint;
  toNs?: bigint;
  limit?: number;
  cursor?: string;
}

/** A span with `attributes` {} and `events`/`links` [] (the resource and scope are whole); their counts kept. */
export interface SpanOutline extends Span {
  /** Names this span among any that share its id, for `getSpan`. */
  key: number;
  eventCount: number;
  linkCount: number;
}

export interface StoredLog extends LogRecord {
  id: number;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface StoreStats {
  spans: number;
  logs: number;
  traces: number;
  services: number;
  dbBytes: number;
}

export interface SqlResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
}

export interface StoreReader {
  stats(): StoreStats;
  /** All spans with this trace id (32 lowercase hex), in start order; [] if unknown. */
  getTrace(traceId: string): Span[];
  /** The same spans without attributes, events and links, for drawing a waterfall fast; `getSpan` reads one in full. */
  getTraceOutline(traceId: string): SpanOutline[];
  /** The resource a span ran in and when it started (for linking it to the cluster); undefined if it is not stored. */
  spanPlace(traceId: string, spanId: string): { resource: Resource; startNs: bigint } | undefined;
  /** As spanPlace, for the root span of each of these traces (one read for a page of summaries); traces not stored are left out. */
  rootPlaces(traceIds: readonly string[]): Map<string, { resource: Resource; startNs: bigint }>;
  /** The span of this trace an outline's `key` names, in full; undefined once it is gone from the store. */
  getSpan(traceId: string, key: number): Span | undefined;
  getTraceSummary(traceId: string): TraceSummary | undefined;
  logsForTrace(traceId: string): StoredLog[];
  searchTraces(q: TraceQuery): Page<TraceSummary>;
  searchLogs(q: LogQuery): Page<StoredLog>;
  services(): string[];
  operations(service: string): string[];
  /** Runs one statement on a read-only connection; anything that would write is refused with InputError. */
  querySql(sql: string, maxRows?: number): SqlResult;
  /** Every finding recorded, most severe first, then most frequent; `occurrences` holds at most 50 examples, `count` all. */
  findings(): StoredFinding[];
  /** Traces waiting for analysis and quiet for `quietMs` (due now), counted to at most a million. */
  analysisDue(quietMs: number): number;
  /** Traces quiet for `quietMs` and not yet analyzed, earliest start first, but for the keys of `except` (analysis-reads.ts). */
  dueTraces(quietMs: number, limit: number, except?: Iterable<number>): DueTrace[];
  /** Those of these traces that wait for analysis, due or not, earliest start first. */
  pendingTraces(keys: readonly number[]): DueTrace[];
  /** The earliest start of any trace waiting for analysis, and whether that trace is due. */
  firstPending(quietMs: number): { startNs: bigint; due: boolean } | undefined;
  /** The rows of these traces' spans and log records, each read in one query. */
  batchRows(traces: readonly BatchTrace[]): BatchRows;
  /** Those rows as spans and records, a trace at a time: on the thread that read them, or on another it sent them to. */
  decodeRows(traces: readonly BatchTrace[], raw: BatchRows): Iterable<[key: number, rows: TraceRows]>;
  /** Log records of a time range that no trace's analysis reads: without trace context, or of a trace with no spans. */
  windowLogs(fromNs: bigint, toNs: bigint, limit: number): StoredLog[];
  /** Every stitch recorded, or those with either end in this trace. */
  stitches(traceId?: string): Stitch[];
  /** Occurrences of findings at each of these traces (the UI's badges); traces without any are left out. */
  findingCountsByTrace(traceIds: readonly string[]): Map<string, number>;
  /** The clusters (API server URLs) with recorded history, most recently seen first. */
  clusters(): string[];
  /** What `cluster` looked like over [fromMs, toMs] (all of its history by default): objects and their states. */
  clusterHistory(cluster: string, fromMs?: number, toMs?: number): ClusterHistoryRows;
  /**
   * Only what linking spans with these keys needs (their pods, owners, nodes, and their namespaces' services, slices,
   * events); with `related` false, only their pods and owners.
   */
  clusterHistoryAround(cluster: string, keys: LinkKeys, options?: { related?: boolean }): ClusterHistoryRows;
}

export interface StoredFinding extends Finding {
  /** When an occurrence was first recorded (ms since the epoch); kept while the finding has any. */
  firstSeenMs: number;
  /** When an occurrence was last recorded. */
  lastSeenMs: number;
}

export interface CommitInfo {
  /** Trace ids (32 hex) that gained spans in this commit, including traces seen for the first time. */
  traceIds: string[];
  /** Those of traceIds that had no span before this commit. */
  newTraceIds: string[];
  spans: number;
  logs: number;
}

/** The write side of the store that is the same on either thread: commits, analysis results, flushing. */
/** What retention keeps, and what it removed since the store was opened. */
export interface RetentionReport {
  maxBytes: number;
  maxAgeMs: number;
  removed: { traces: number; spans: number; logs: number };
}

export interface StoreWrites {
  /** True while the writer is behind; receivers answer 429/503 (HTTP) or UNAVAILABLE (gRPC). */
  overloaded(): boolean;
  /** Called after each commit with what it added; returns an unsubscribe function. */
  onCommit(listener: (info: CommitInfo) => void): () => void;
  /**
   * Replaces what each trace's earlier analysis recorded with these observations (so re-analysis never counts
   * twice), all in one transaction. A trace no span arrived for since its spans were read (the same `touches`
   * as `reader.dueTraces` gave) stops waiting; otherwise it stays due and is read again.
   */
  recordTraceAnalyses(results: readonly TraceAnalysis[]): Promise<void>;
  /**
   * Replaces what an earlier run over the same window recorded: observations of the cross-trace detectors
   * (each counted at the trace its `at` is in) and stitches. Name a window by the time span it covers, so
   * findings of earlier windows stay.
   */
  recordWindowAnalysis(windowId: string, observations: readonly Observation[], stitches: readonly Stitch[]): Promise<void>;
  /** Records what the cluster watches saw (new states and deletions), in one transaction. */
  recordClusterChanges(cluster: string, changes: readonly ClusterChange[]): Promise<void>;
  /** Resolves once everything written so far is committed. */
  flush(): Promise<void>;
  /**
   * Resolves once everything written so far is in the search indexes (they otherwise fill while the writer is
   * quiet; searches are complete either way, only slower over what is not indexed yet).
   */
  catchUpSearch(): Promise<void>;
  /** The retention limits and what retention removed since the store opened; with `run`, after a pass run now. */
  retention(run?: boolean): Promise<RetentionReport>;
  /** Changes the retention limits while the store is open; resolves to the report once a pass under them has run. */
  setRetention(limits: RetentionLimits): Promise<RetentionReport>;
  /** Commits what is queued, then closes. */
  close(): Promise<void>;
}

export interface Store extends StoreWrites {
  /** Resolves once the batch is committed (group commit across concurrent callers). */
  write(batch: { spans: Span[]; logs: LogRecord[] }): Promise<void>;
  /** As write(), for rows already encoded (encodeBatch); the receivers encode as they decode. */
  writeEncoded(rows: EncodedBatch): Promise<void>;
  readonly reader: StoreReader;
  /** The database file. */
  readonly path: string;
  /** What opening the store returned to the disk, if it compacted the file (StoreOptions.compactAtOpen). */
  readonly compacted: Compaction | undefined;
  /** A port that serves the write side to another thread (store/writer-port.ts): live analysis' worker. */
  connectWriter(): MessagePort;
}

/** A log record's row as the reads select it (reads.ts LOG_COLUMNS). */
export interface LogRecordRow {
  id: bigint;
  trace_id: string | null;
  span_id: string;
  time_ns: bigint;
  observed_ns: bigint;
  at_ns: bigint;
  severity_number: bigint;
  severity_text: string;
  body: string;
  attributes: string;
  dropped_attributes_count: bigint;
  flags: bigint;
  event_name: string;
  resource_id: bigint;
  scope_id: bigint;
}

/** A batch's rows as SQLite gives them (arrays of span columns, log rows), cloned as they are to another thread. */
export interface BatchRows {
  spans: unknown[][];
  logs: LogRecordRow[];
}

/** A trace of an analyzed batch: enough to read its rows. */
export type BatchTrace = Pick<DueTrace, 'key' | 'traceId'>;

/** A trace waiting for its analysis. */
export interface DueTrace {
  key: number;
  traceId: string;
  /** Commits that had touched it when it was read: its analysis clears it only if none came since. */
  touches: number;
  /** Its earliest span start. */
  startNs: bigint;
  /** The spans it holds (traces.span_count; 0 for one of log records only). */
  spans: number;
}

/** A trace's spans as analysis reads them, with each span's row id (later rows of a trace have higher ids). */
export interface TraceRows {
  spans: Span[];
  spanIds: number[];
  logs: StoredLog[];
}

/** One trace's analysis, as live analysis hands it to the writer. */
export interface TraceAnalysis {
  /** The trace's key (analysis-reads' DueTrace). */
  key: number;
  /** The commits that had touched the trace when its spans were read: it stops waiting only if none came since. */
  touches: number;
  observations: readonly Observation[];
}

export interface WriteSide extends StoreWrites {
  /** Resolves once the batch is committed. */
  write(batch: EncodedBatch): Promise<void>;
  /** A port that serves this write side (writer-port.ts), for another thread: the analysis worker. */
  connect(): MessagePort;
}
