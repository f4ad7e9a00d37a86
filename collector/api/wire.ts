// The JSON the UI API speaks. The renderer imports these as types only. JSON has no bigint and
// no bytes, so nanosecond timestamps travel as decimal strings and bytes as base64; attribute
// values are tagged where a plain JSON value would lose their OTLP type.
import type { CriticalSection, RowFlag, TraceTop } from '../analysis/assemble';
import type { Finding, Severity, SpanRef, Stitch } from '../analysis/findings';

/**
 * An attribute value: strings, booleans, finite doubles and null as themselves; int64 as
 * `{int: "123"}`; a non-finite double as `{double: "NaN"}`; bytes as `{bytes: base64}`.
 */
export type WireAnyValue =
  | string
  | boolean
  | number
  | null
  | WireAnyValue[]
  | { int: string }
  | { double: 'NaN' | 'Infinity' | '-Infinity' }
  | { bytes: string }
  | { kvlist: WireAttributes };

export type WireAttributes = Record<string, WireAnyValue>;

export interface WireResource {
  /** `service.name`, or `unknown_service` as the OpenTelemetry default. */
  service: string;
  attributes: WireAttributes;
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface WireScope {
  name: string;
  version: string;
  attributes: WireAttributes;
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface WireSpanEvent {
  timeNs: string;
  name: string;
  attributes: WireAttributes;
  droppedAttributesCount: number;
}

export interface WireSpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: WireAttributes;
  droppedAttributesCount: number;
  flags: number;
}

export interface WireSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  /** SpanKind number (0 unspecified … 5 consumer). */
  kind: number;
  startNs: string;
  endNs: string;
  attributes: WireAttributes;
  droppedAttributesCount: number;
  events: WireSpanEvent[];
  droppedEventsCount: number;
  links: WireSpanLink[];
  droppedLinksCount: number;
  /** StatusCode number (0 unset, 1 ok, 2 error). */
  status: { code: number; message: string };
  /** Index into the enclosing `resources`. */
  resource: number;
  /** Index into the enclosing `scopes`. */
  scope: number;
}

export interface WireLog {
  id: number;
  timeNs: string;
  observedNs: string;
  severityNumber: number;
  severityText: string;
  body: WireAnyValue;
  attributes: WireAttributes;
  droppedAttributesCount: number;
  flags: number;
  /** '' when the record has no trace context. */
  traceId: string;
  spanId: string;
  eventName: string;
  resource: number;
  scope: number;
}

/** Resources and scopes are sent once per response and referred to by index. */
export interface WireTelemetry {
  resources: WireResource[];
  scopes: WireScope[];
}

/** `RowFlag` of the assembly, as a type: the renderer declares the same bits and the compiler checks them. */
export type WireRowFlags = typeof RowFlag;

/**
 * The span tree from `assembleTrace`, row i being row i of `WireTrace.rows` (tree order). Times are
 * ns after `startNs`. Missing parents are not rows: the `tops` of kind 'missing-parent' name them.
 */
export interface WireTraceTree {
  startNs: string;
  endNs: string;
  parent: number[];
  depth: number[];
  subtreeEnd: number[];
  /** WireRowFlags bits. */
  flags: number[];
  start: number[];
  end: number[];
  criticalPath: CriticalSection[];
  tops: TraceTop[];
}

/**
 * What the waterfall draws, one column per field and one entry per row. Attributes, events and
 * links stay on the server until a span is opened: a 100,000-span trace must load in a blink.
 */
export interface WireTraceRows {
  /** Index into `WireTrace.traceIds` (a stitched view holds two traces). */
  trace: number[];
  spanId: string[];
  /** Index into `WireTrace.names`. */
  name: number[];
  /** Index into `WireTrace.resources`. */
  resource: number[];
  kind: number[];
  /** StatusCode number (0 unset, 1 ok, 2 error). */
  status: number[];
  eventCount: number[];
  linkCount: number[];
}

/** A finding that has an occurrence at one span of the trace being shown. */
export interface WireSpanFinding {
  spanId: string;
  fingerprint: string;
  kind: string;
  subkind: string;
  severity: Severity;
  title: string;
}

/** `GET /api/traces/:traceId`, and `GET /api/stitched` for two halves of a split trace shown as one. */
export interface WireTrace extends WireTelemetry {
  traceId: string;
  traceIds: string[];
  /** Span names, each once. */
  names: string[];
  rows: WireTraceRows;
  tree: WireTraceTree;
  /** The logs emitted inside these spans, in time order. */
  logs: WireLog[];
  findings: WireSpanFinding[];
  /** Set on a stitched view: the `to` span's row hangs under the `from` span's. */
  stitch?: WireStitch;
}

/** `GET /api/traces/:traceId/spans/:spanId`: one span in full. */
export interface WireSpanDetail extends WireTelemetry {
  span: WireSpan;
}

/** `GET /api/span-search?traceId=…&q=…`: spans whose name, service, id, status, attributes or events contain `q`. */
export interface WireSpanSearch {
  matches: SpanRef[];
}

export interface WireTraceSummary {
  traceId: string;
  rootService: string;
  rootOperation: string;
  startNs: string;
  durationNs: string;
  spanCount: number;
  errorCount: number;
  /** Occurrences of findings in this trace (0 until analysis reports some). */
  findingCount: number;
  services: string[];
}

export interface WirePage<T> {
  items: T[];
  nextCursor?: string;
}

/** `GET /api/logs` */
export interface WireLogPage extends WireTelemetry, WirePage<WireLog> {}

export interface WireStats {
  spans: number;
  logs: number;
  traces: number;
  services: number;
  dbBytes: number;
  findings: number;
}

export type { Severity, SpanRef };

/** One finding, grouped by fingerprint (DESIGN.md, Detectors); evidence is plain JSON already. */
export type WireFinding = Finding;

/** A split trace joined back: `from` is the producer/client span, `to` the span whose context was lost. */
export type WireStitch = Stitch;

/** `GET /api/findings` */
export interface WireFindings {
  findings: WireFinding[];
  stitches: WireStitch[];
}

/** `POST /api/import` answer once the file is in the store. */
export interface WireImportResult {
  format: string;
  spans: number;
  logs: number;
}

/** `POST /api/sql` answer; cells are JSON values, bigints as decimal strings, blobs as base64. */
export interface WireSqlResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
}

export interface WireImportProgress {
  /** Chosen by the server, also in the `X-Import-Id` response header. */
  id: string;
  name: string;
  phase: 'upload' | 'import' | 'done' | 'failed';
  bytesRead: number;
  totalBytes: number;
  spans: number;
  logs: number;
  /** Set when phase is 'failed'. */
  error?: string;
}

/** `GET /api/info`: what this run offers, for the empty state and the import button. */
export interface WireInfo {
  /** Where services send OTLP, e.g. `http://localhost:4318` and `localhost:4317`; absent when not receiving. */
  receivers: { otlpHttp?: string; otlpGrpc?: string };
  canImport: boolean;
  maxImportBytes: number;
}

/** Server-sent events on `GET /api/events`: the event name and its JSON data. */
export interface WireEventMap {
  stats: WireStats;
  /** Traces that gained spans since the last push (at most a few per second). */
  traces: { updated: WireTraceSummary[]; newTraceIds: string[]; truncated: boolean };
  findings: { count: number };
  import: WireImportProgress;
}

export type WireEventName = keyof WireEventMap;

/** Error bodies: `{error: message}` with a 4xx/5xx status. */
export interface WireError {
  error: string;
}
