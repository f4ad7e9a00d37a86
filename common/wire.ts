// The JSON the UI API speaks (common/routes says which endpoint speaks which). JSON has no bigint and
// no bytes, so nanosecond timestamps travel as decimal strings and bytes as base64; attribute
// values are tagged where a plain JSON value would lose their OTLP type.
import type { ClusterKind, ClusterStateOf, EventState, ObjectLink, OwnerRef } from './cluster';
import type { Finding, FindingKey, Severity, SpanRef, Stitch } from './findings';

/** A trace id as the API takes it: 32 lower-case hex digits. */
export function isTraceId(text: string): boolean {
  return /^[0-9a-f]{32}$/.test(text);
}

/** A span id as the API takes it: 16 lower-case hex digits. */
export function isSpanId(text: string): boolean {
  return /^[0-9a-f]{16}$/.test(text);
}

/** `traceId:spanId`: one span named in a single string (a query parameter, a map key). */
export function spanKey(ref: SpanRef): string {
  return `${ref.traceId}:${ref.spanId}`;
}

/** The span a `spanKey` names; undefined unless both ids are well formed. */
export function parseSpanKey(key: string): SpanRef | undefined {
  const colon = key.indexOf(':');
  const ref = { traceId: key.slice(0, colon), spanId: key.slice(colon + 1) };
  return colon >= 0 && isTraceId(ref.traceId) && isSpanId(ref.spanId) ? ref : undefined;
}

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

/** A top-level group of rows: `rows firstRow..endRow-1`, contiguous in tree order. */
export interface TraceTop {
  kind: 'root' | 'missing-parent' | 'self-parent' | 'cycle';
  firstRow: number;
  endRow: number;
  /** For 'missing-parent': the absent parent id the UI shows as a placeholder row above the orphans. */
  parentSpanId: string;
  /** The group's top rows: the root, the orphans under the placeholder, or the row the cycle was cut at. */
  rows: number[];
}

/** A stretch of time on the critical path, attributed to one row. Offsets from `startNs`, in ns. */
export interface CriticalSection {
  row: number;
  start: number;
  end: number;
}

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
  /** RowFlag bits (common/telemetry). */
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
export interface WireSpanFinding extends FindingKey {
  spanId: string;
  fingerprint: string;
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
  /** The lost hops with an end (producer or consumer) in these traces; absent when there are none. */
  hops?: WireTraceHop[];
}

/** A stitch a finding reported (the context was lost between its two spans), with that finding. */
export interface WireTraceHop extends WireStitch {
  /** The finding; its service and operation are the consumer's (`to`), where the new trace started. */
  finding: Pick<WireFinding, 'fingerprint' | 'kind' | 'subkind' | 'severity' | 'title' | 'service' | 'operation'>;
}

/** `GET /api/traces/:traceId/spans/:spanId`: one span in full. */
export interface WireSpanDetail extends WireTelemetry {
  span: WireSpan;
  /** The Kubernetes objects behind the span at its time (its pod, owners, node, services, events); [] without cluster history. */
  objects: ObjectLink[];
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
  /**
   * The pod the root span ran in and that pod's top workload (Deployment, StatefulSet…), as they were at the root's
   * start, from the recorded cluster history; absent without history or when the root links to no pod.
   */
  objects?: ObjectLink[];
}

export interface WirePage<T> {
  items: T[];
  nextCursor?: string;
}

/** Where a page starts and how long it is: `cursor` is the `nextCursor` of the page before. */
export interface WirePageQuery {
  /** 1 to 1000. */
  limit?: number;
  cursor?: string;
}

/** `GET /api/traces` query; nanoseconds as decimal strings. */
export interface WireTraceQuery extends WirePageQuery {
  service?: string;
  operation?: string;
  minDurationNs?: string;
  maxDurationNs?: string;
  status?: 'error' | 'ok';
  /** `key=value` pairs, all of which a trace must have. */
  attr?: string[];
  hasFinding?: boolean;
  fromNs?: string;
  toNs?: string;
}

/** `GET /api/logs` query; nanoseconds as decimal strings. */
export interface WireLogQuery extends WirePageQuery {
  service?: string;
  /** SeverityNumber, 0 to 24. */
  minSeverity?: number;
  text?: string;
  traceId?: string;
  spanId?: string;
  fromNs?: string;
  toNs?: string;
}

/** `GET /api/logs` */
export interface WireLogPage extends WireTelemetry, WirePage<WireLog> {}

/** `GET /api/services` */
export interface WireServices {
  services: string[];
}

/** `GET /api/operations?service=…` */
export interface WireOperations {
  operations: string[];
}

/** `GET /api/span-search` query: `traceId` repeats, one per trace of the view. */
export interface WireSpanSearchQuery {
  traceId: string[];
  q: string;
}

/** `GET /api/stitched` query: the stitch's two spans, each as a `spanKey`. */
export interface WireStitchQuery {
  from: string;
  to: string;
}

export interface WireStats {
  spans: number;
  logs: number;
  traces: number;
  services: number;
  dbBytes: number;
  findings: number;
  /** What the OTLP receivers did not store since they started; absent where no receivers run. */
  ingest?: WireIngestStats;
  /** What the store keeps and what retention removed since it opened; absent until the writer first answers. */
  retention?: WireRetention;
  /** Present while many traces wait for analysis (an import, a burst): findings are incomplete until it drains. */
  analysisBacklog?: WireAnalysisBacklog;
  /**
   * Traces serve set aside this run as too large to analyze live (present when there are any): their own findings
   * are missing; serve's terminal names each, and `hopscope analyze --db` analyzes them.
   */
  analysisSetAside?: number;
}

/** Traces due for analysis at which the backlog is shown (terminal, UI): below it, analysis is a tick or two behind. */
export const ANALYSIS_BACKLOG_SHOWN = 1000;

export interface WireAnalysisBacklog {
  /** Traces quiet for the settle time and not yet analyzed. */
  due: number;
  /** Traces analyzed per second lately (0 before any). */
  perSecond: number;
}

export interface WireRetention {
  /** Data kept at most (pages in use), and for how long after arrival. */
  maxBytes: number;
  maxAgeMs: number;
  /** Whether the limits can be changed here (the UI's storage settings); absent: they cannot. */
  settable?: boolean;
  removedTraces: number;
  removedSpans: number;
  removedLogs: number;
}

/** New retention limits (the UI's storage settings): data kept at most, and for how long after arrival. */
export interface WireRetentionLimits {
  maxBytes: number;
  maxAgeMs: number;
}

/** OTLP export requests the receivers refused or failed since start (a request retried counts each time). */
export interface WireIngestStats {
  /** Answered 503 / UNAVAILABLE: Hopscope was busy, or could not store them. Exporters retry these a few times, then drop them. */
  refusedRequests: number;
  /** Answered with an error exporters do not retry: undecodable, over the size limit, not an OTLP export. */
  failedRequests: number;
  /** Spans and log records in those requests, where they were decoded before being refused. */
  refusedSpans: number;
  refusedLogs: number;
  /** Requests are being refused now (the last only seconds ago). */
  refusing: boolean;
  /** What the last refused or failed request was told. */
  lastReason?: string;
}

export type { Severity, SpanRef };

/** One finding, grouped by fingerprint (DESIGN.md, Detectors); evidence is plain JSON already. */
export interface WireFinding extends Finding {
  /** The Kubernetes objects behind the occurrences shown; [] without cluster history. */
  objects: ObjectLink[];
}

/** A Kubernetes uid as the API takes it: RFC 4122 in practice, any short run of letters, digits and dashes accepted. */
export function isObjectUid(text: string): boolean {
  return /^[A-Za-z0-9-]{1,64}$/.test(text);
}

/**
 * `GET /api/cluster/objects/:uid` query: the time to show the object at. `atMs` is a span's start; `finding` (a
 * fingerprint) is the start of the first occurrence that reached the object, as the finding's `objects` were judged.
 * Neither: its latest state.
 */
export interface WireClusterObjectQuery {
  atMs?: number;
  finding?: string;
}

/** An event about an object, as it stood at the time asked for. */
export interface WireClusterEvent extends EventState {
  uid: string;
}

/** An owner by ownerReferences; `known` when the history holds it (it can be opened). */
export interface WireOwner extends OwnerRef {
  known: boolean;
}

interface ClusterObjectOf<K extends ClusterKind> {
  kind: K;
  /** '' for cluster-scoped kinds (Node). */
  namespace: string;
  name: string;
  uid: string;
  /** metadata.creationTimestamp */
  created: string;
  /** The time the state is for; null for the latest state. */
  atMs: number | null;
  /** The last state observed by `atMs` (or the first, when `atMs` is before any); null when none was recorded. */
  state: ClusterStateOf[K] | null;
  /** When that state was observed. */
  observedMs: number | null;
  /** The same summary a chip shows (ObjectLink.status), at `atMs`. */
  status: ObjectLink['status'];
  /** How many states the history holds, and when the object was first and last seen. */
  states: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** null while the object exists; else when it was last seen (RFC 3339). */
  gone: string | null;
  /** The chain of controllers above it, nearest first (ReplicaSet, then Deployment). */
  owners: WireOwner[];
  /** Events about it within an hour of `atMs` (all of them for the latest state), newest first. */
  events: WireClusterEvent[];
}

/** `GET /api/cluster/objects/:uid`: one object as it was at a time; `kind` tells which state it carries. */
export type WireClusterObject = { [K in ClusterKind]: ClusterObjectOf<K> }[ClusterKind];

/** Why a watch of one resource fails (collector/cluster/errors.ts, ClusterFailure). */
export type WireClusterFailure = 'unauthorized' | 'forbidden' | 'not-served' | 'expired' | 'unreachable' | 'tls' | 'credential-plugin' | 'credentials' | 'kubeconfig' | 'server';

/** How the watch of one resource in one namespace (or all) is doing. */
export interface WireClusterStream {
  kind: ClusterKind;
  /** Plural resource name (`pods`). */
  resource: string;
  /** '' for all namespaces or a cluster-scoped kind. */
  namespace: string;
  state: 'syncing' | 'synced' | 'error';
  /** The last failure, in words a user can act on (never a credential). */
  error?: string;
  failure?: WireClusterFailure;
  /** When the last event or bookmark arrived. */
  lastEventMs?: number;
  /** Restarts after failures and silent watches. */
  restarts: number;
  objects: number;
}

/** What is being watched: the context chosen, its API server and namespaces, and each resource's watch. */
export interface WireClusterWatch {
  /** A context was chosen (at start or from the UI) and not disconnected since. */
  connected: boolean;
  context: string;
  /** The API server URL; '' when no context could be used. */
  server: string;
  /** Namespaces watched; [] for every namespace the user may list. */
  namespaces: string[];
  /** Why nothing is watched although connected (no kubeconfig, an unknown context, …). */
  error?: string;
  streams: WireClusterStream[];
}

/** A kubeconfig context: names and the server URL, never credentials. */
export interface WireKubeContext {
  name: string;
  cluster: string;
  /** '' when the context names a cluster no file defines. */
  server: string;
  user: string;
  namespace?: string;
  /** The kubeconfig's current-context. */
  current: boolean;
}

/** The kubeconfig the collector reads, as kubectl would, and its contexts. */
export interface WireKubeconfig {
  /** `--kubeconfig`, the KUBECONFIG variable, the default ~/.kube/config, or the pod's service account. */
  source: 'flag' | 'env' | 'default' | 'in-cluster';
  /** The files read (or looked for), in order; empty in-cluster. */
  files: string[];
  /** None of the files exists. */
  missing: boolean;
  /** Why it cannot be read; with contexts listed, the last good reading is still in use. */
  error?: string;
  contexts: WireKubeContext[];
}

/** `GET /api/cluster`: what is watched, what could be, and which clusters the store has history of. */
export interface WireClusterStatus {
  /** This run can connect to a cluster from the UI (the desktop app and `serve` can). */
  canConnect: boolean;
  watch: WireClusterWatch;
  kubeconfig: WireKubeconfig;
  /** API server URLs with recorded history, most recently seen first. */
  clusters: string[];
}

/** `POST /api/cluster/connect` body: the context to watch and its namespaces ([] or absent: all the user may list). */
export interface WireClusterConnect {
  context: string;
  namespaces?: string[];
}

/** The kinds a row of the Cluster view stands for: a top-level controller, or a pod that has none. */
export type WireWorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'CronJob' | 'Job' | 'ReplicaSet' | 'Pod';

/** A pod of a workload, as it is now (or was when it went). */
export interface WireWorkloadPod {
  name: string;
  uid: string;
  phase: string;
  ready: boolean;
  /** Container restarts, summed. */
  restarts: number;
  /** Its deletion has begun. */
  terminating: boolean;
  /** Why a container is not running (CrashLoopBackOff, ImagePullBackOff, OOMKilled, …). */
  reason?: string;
  node?: string;
  /** null while it exists; else when it was last seen (RFC 3339). */
  gone: string | null;
}

/** A finding whose objects include a workload or one of its pods. */
export interface WireWorkloadFinding {
  fingerprint: string;
  severity: Severity;
  title: string;
}

/** One workload: a controller that runs pods (its ReplicaSets or Jobs folded in), or a bare pod. */
export interface WireWorkload {
  kind: WireWorkloadKind;
  namespace: string;
  name: string;
  uid: string;
  /** The history holds it (it can be opened); false for an owner only named by its pods' ownerReferences. */
  known: boolean;
  /** Desired and ready replicas, where the kind has them. */
  replicas: number | null;
  readyReplicas: number | null;
  pods: WireWorkloadPod[];
  /** Container restarts of its pods, summed. */
  restarts: number;
  /** Findings about it or its pods, most severe first. */
  findings: WireWorkloadFinding[];
  /** null while it exists; else when it was last seen (RFC 3339). */
  gone: string | null;
}

export interface WireNamespaceWorkloads {
  namespace: string;
  workloads: WireWorkload[];
}

/** `GET /api/cluster/workloads`: the watched cluster's workloads (else the most recently recorded cluster's), per namespace. */
export interface WireClusterWorkloads {
  /** The API server URL; null when the store holds no cluster history. */
  cluster: string | null;
  /** It is the cluster being watched now, not only recorded history. */
  watched: boolean;
  /** When this was read. */
  atMs: number;
  /** Pods and workloads gone within this many milliseconds are still listed. */
  recentMs: number;
  /** More objects than one answer reads: some workloads are missing. */
  truncated: boolean;
  namespaces: WireNamespaceWorkloads[];
}

/** A split trace joined back: `from` is the producer/client span, `to` the span whose context was lost. */
export type WireStitch = Stitch;

/** `GET /api/findings` */
export interface WireFindings {
  findings: WireFinding[];
  stitches: WireStitch[];
}

/** `POST /api/import` query: the file's own name, and an id the progress events will carry. */
export interface WireImportQuery {
  name: string;
  id: string;
}

/** `POST /api/import` answer once the file is in the store. */
export interface WireImportResult {
  format: string;
  spans: number;
  logs: number;
}

/** The SQL console's limits: rows and time a query may ask for, and the size of an answer. */
export const SQL_DEFAULT_MAX_ROWS = 1000;
export const SQL_MAX_ROWS = 100_000;
export const SQL_DEFAULT_TIMEOUT_MS = 5000;
export const SQL_MIN_TIMEOUT_MS = 100;
export const SQL_MAX_TIMEOUT_MS = 60_000;
/** An answer's rows stop before their JSON would pass this many bytes (`truncated`, with a `message`). */
export const SQL_MAX_RESULT_BYTES = 8 * 1024 * 1024;

/** `POST /api/sql` body. */
export interface WireSqlQuery {
  sql: string;
  /** An integer from 1 to SQL_MAX_ROWS; SQL_DEFAULT_MAX_ROWS when left out. */
  maxRows?: number;
  /** How long the query may run, SQL_MIN_TIMEOUT_MS to SQL_MAX_TIMEOUT_MS; SQL_DEFAULT_TIMEOUT_MS when left out. */
  timeoutMs?: number;
  /** Chosen by the client (letters, digits, `-`, `_`; at most 100) so that `POST /api/sql/cancel` can stop it. */
  id?: string;
}

/** `POST /api/sql` answer; cells are JSON values, bigints as decimal strings, blobs as base64. */
export interface WireSqlResult {
  columns: string[];
  rows: unknown[][];
  /** More rows were left out, by maxRows or by the size limit; `message` says which. */
  truncated: boolean;
  message?: string;
  /** How long the statement ran. */
  elapsedMs?: number;
}

/** `POST /api/sql/cancel` body: the `id` a running query was sent with. */
export interface WireSqlCancel {
  id: string;
}

/** `POST /api/sql/cancel` answer: false when no query with that id was running. */
export interface WireSqlCancelled {
  cancelled: boolean;
}

export interface WireImportProgress {
  /** The `id` the upload was sent with, or one the server chose. */
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

/** `POST /api/test-trace` answer: the trace it sent. */
export interface WireTestTrace {
  traceId: string;
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
