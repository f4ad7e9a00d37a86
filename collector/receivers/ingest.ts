import { InputError } from '../errors';
import {
  encodeExportResponse,
  countMetricPointsJson,
  countMetricPointsProto,
  decodeLogsJson,
  decodeLogsProtoForStore,
  decodeTracesJson,
  decodeTracesProtoForStore,
  type DecodedLogs,
  type DecodedSpans,
  type LogsForStore,
  type SpansForStore,
} from '../otlp';
import { encodeBatch, type EncodedBatch } from '../store/encode';
import { GrpcCode, type BodyFormat } from './status';

/** Where receivers hand decoded telemetry, as the store's rows: the store's writer, or anything that acknowledges after commit. */
export interface IngestSink {
  write(rows: EncodedBatch): Promise<void>;
  overloaded(): boolean;
}

export type Signal = 'traces' | 'logs' | 'metrics';

export interface DecodedRequest {
  /** What to store (empty for metrics). */
  rows: EncodedBatch;
  spans: number;
  logs: number;
  metricPoints: number;
  /** Items refused individually (invalid ids); reported back as partial_success. */
  rejected: number;
  rejectReason?: string;
}

const NO_ROWS: EncodedBatch = { spans: [], logs: [], resources: [], scopes: [] };

/**
 * Decodes one Export*ServiceRequest body into the store's rows; throws InputError when the body cannot be
 * decoded or holds a value the store cannot keep. Protobuf attributes go straight into their stored JSON.
 */
function decodeExportRequest(signal: Signal, format: BodyFormat, body: Uint8Array): DecodedRequest {
  const doc = format === 'json' ? parseJsonBody(body) : undefined;
  switch (signal) {
    case 'traces': {
      const r: Partial<SpansForStore> & DecodedSpans = format === 'json' ? decodeTracesJson(doc) : decodeTracesProtoForStore(body);
      const rows = encodeBatch({ spans: r.spans, logs: [] }, { spans: r.attributesJson });
      return { rows, spans: r.spans.length, logs: 0, metricPoints: 0, rejected: r.rejected, rejectReason: r.rejectReason };
    }
    case 'logs': {
      const r: Partial<LogsForStore> & DecodedLogs = format === 'json' ? decodeLogsJson(doc) : decodeLogsProtoForStore(body);
      const rows = encodeBatch({ spans: [], logs: r.logs }, { logs: r.attributesJson });
      return { rows, spans: 0, logs: r.logs.length, metricPoints: 0, rejected: r.rejected, rejectReason: r.rejectReason };
    }
    case 'metrics': {
      const points = format === 'json' ? countMetricPointsJson(doc) : countMetricPointsProto(body);
      return { rows: NO_ROWS, spans: 0, logs: 0, metricPoints: points, rejected: 0 };
    }
  }
}

/**
 * The exporter's address as link rules compare it with pod IPs: an IPv4-mapped IPv6 address as IPv4; undefined
 * for loopback (a port-forward, a local process), which is never a pod's.
 */
export function peerAddress(remote: string | undefined): string | undefined {
  if (!remote) return undefined;
  const address = remote.startsWith('::ffff:') && remote.includes('.') ? remote.slice(7) : remote;
  return address === '::1' || address.startsWith('127.') ? undefined : address;
}

/** A gRPC peer (`ipv4:10.1.2.3:5555`, `ipv6:[fd00::1]:5555`) as its address. */
export function grpcPeerAddress(peer: string): string | undefined {
  const m = /^ipv4:([\d.]+):\d+$/.exec(peer) ?? /^ipv6:\[([^\]]+)\]:\d+$/.exec(peer);
  return m ? peerAddress(m[1]) : undefined;
}

/** How an Export call ended, in google.rpc.Code terms; each receiver maps it to its own protocol. */
export type ExportOutcome = { ok: true; response: Uint8Array } | ExportRefusal;

export interface ExportRefusal {
  ok: false;
  code: ExportErrorCode;
  message: string;
  /** Seconds the sender should wait before retrying (HTTP Retry-After); only with UNAVAILABLE. */
  retryAfterS?: number;
}

type ExportErrorCode = typeof GrpcCode.INVALID_ARGUMENT | typeof GrpcCode.INTERNAL | typeof GrpcCode.UNAVAILABLE;

/**
 * Retry-After of a refusal for being busy. OTLP exporters retry a refused batch only within their export timeout
 * (10 s by default, backing off from 1 s in the JavaScript SDK): a longer wait means fewer tries before they drop it.
 */
export const BUSY_RETRY_AFTER_S = 1;
/** The writer is behind: give it a little longer to catch up. */
export const WRITER_BEHIND_RETRY_AFTER_S = 2;
/** The store failed (a full disk, say): a retry may find it working again. */
export const STORE_ERROR_RETRY_AFTER_S = 2;

/**
 * Refuses a request before its body is read or decoded, when the writer is behind or taking `bytes` more would
 * pass the bound on request bytes in flight (counting it); undefined, with the bytes taken, when it may go on.
 */
export function admitExport(sink: IngestSink, ticket: InflightTicket, bytes: number, counters: IngestCounters): ExportRefusal | undefined {
  if (sink.overloaded()) return refuse(counters, writerBehind(), 'writer-behind');
  if (!ticket.take(bytes)) return refuse(counters, busy(ticket.budget), 'busy');
  return undefined;
}

/** The answer to a request whose body grew past what the in-flight bound allows, counted. */
export function refuseBusy(ticket: InflightTicket, counters: IngestCounters): ExportRefusal {
  return refuse(counters, busy(ticket.budget), 'busy');
}

function busy(budget: InflightBudget): ExportRefusal {
  return {
    ok: false,
    code: GrpcCode.UNAVAILABLE,
    message: `Hopscope is busy: ${mib(budget.bytes)} of requests are being read, decoded or stored, and it takes ${mib(budget.maxBytes)} at once; retry shortly`,
    retryAfterS: BUSY_RETRY_AFTER_S,
  };
}

function writerBehind(): ExportRefusal {
  return { ok: false, code: GrpcCode.UNAVAILABLE, message: 'Hopscope is writing behind; retry shortly', retryAfterS: WRITER_BEHIND_RETRY_AFTER_S };
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
}

function refuse(counters: IngestCounters, refusal: ExportRefusal, kind: RefusalKind, items?: { spans: number; logs: number }): ExportRefusal {
  counters.refuse({ kind, retryable: refusal.code === GrpcCode.UNAVAILABLE, message: refusal.message, spans: items?.spans ?? 0, logs: items?.logs ?? 0 });
  return refusal;
}

/**
 * The one path every Export request takes: decode, refuse while the writer is behind, store, and answer
 * only after the data is committed. Every request not stored is counted in `counters`.
 */
export async function handleExport(signal: Signal, format: BodyFormat, body: Uint8Array, sink: IngestSink, counters: IngestCounters, peer?: string): Promise<ExportOutcome> {
  let decoded: DecodedRequest;
  try {
    decoded = decodeExportRequest(signal, format, body);
  } catch (err) {
    if (err instanceof InputError) return refuse(counters, { ok: false, code: GrpcCode.INVALID_ARGUMENT, message: `cannot decode ${signal} request: ${err.message}` }, 'invalid');
    return refuse(counters, { ok: false, code: GrpcCode.INTERNAL, message: `internal error: ${(err as Error).message}` }, 'internal');
  }
  // UNAVAILABLE / 503 (not RESOURCE_EXHAUSTED) is what OTLP exporters retry with backoff.
  if (sink.overloaded()) return refuse(counters, writerBehind(), 'writer-behind', decoded);
  try {
    if (decoded.spans + decoded.logs > 0) await sink.write(peer === undefined ? decoded.rows : { ...decoded.rows, peer });
  } catch (err) {
    const refusal: ExportRefusal = { ok: false, code: GrpcCode.UNAVAILABLE, message: `could not store the ${signal}: ${(err as Error).message}`, retryAfterS: STORE_ERROR_RETRY_AFTER_S };
    return refuse(counters, refusal, 'store-error', decoded);
  }
  counters.add(decoded);
  return { ok: true, response: encodeExportResponse(format, decoded.rejected, decoded.rejectReason ?? '', signal) };
}

function parseJsonBody(body: Uint8Array): unknown {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Why a request was not stored. */
export type RefusalKind =
  /** Too many request bytes in flight (503, retried). */
  | 'busy'
  /** The store's writer has too much queued (503, retried). */
  | 'writer-behind'
  /** The store failed to write (503, retried). */
  | 'store-error'
  /** The body could not be decoded, or holds what the store cannot keep (400, not retried). */
  | 'invalid'
  /** The body is over the size limit (413, not retried). */
  | 'too-large'
  /** Not an OTLP export: a wrong path, Content-Type or Content-Encoding (404, 415; not retried). */
  | 'unsupported'
  /** A fault of Hopscope's own (500). */
  | 'internal';

export interface Refusal {
  kind: RefusalKind;
  /** Answered 503 / UNAVAILABLE, which exporters retry (a few times, then they drop the batch); otherwise dropped at once. */
  retryable: boolean;
  /** What the sender was told. */
  message: string;
  /** Spans and log records in the request, when it was decoded (0 otherwise). */
  spans: number;
  logs: number;
}

/** Counts of what the receivers accepted and refused since start, for the status lines and the API. */
export class IngestCounters {
  spans = 0;
  logs = 0;
  metricPoints = 0;
  rejected = 0;
  requests = 0;
  /** Requests answered 503 / UNAVAILABLE: Hopscope was busy or could not store them. Exporters retry these. */
  refusedRequests = 0;
  /** Requests answered with an error exporters do not retry: undecodable, over the size limit, not OTLP. */
  failedRequests = 0;
  /** Spans and log records in refused or failed requests that were decoded (a request retried counts each time). */
  refusedSpans = 0;
  refusedLogs = 0;
  /** The last refused or failed request. */
  last: Refusal | undefined;
  private readonly listeners = new Set<(refusal: Refusal) => void>();

  add(decoded: DecodedRequest): void {
    this.requests++;
    this.spans += decoded.spans;
    this.logs += decoded.logs;
    this.metricPoints += decoded.metricPoints;
    this.rejected += decoded.rejected;
  }

  /** Counts a request that was not stored. */
  refuse(refusal: Refusal): void {
    if (refusal.retryable) this.refusedRequests++;
    else this.failedRequests++;
    this.refusedSpans += refusal.spans;
    this.refusedLogs += refusal.logs;
    this.last = refusal;
    for (const listener of this.listeners) listener(refusal);
  }

  /** Hears of every request not stored; returns the function that stops it. */
  onRefusal(listener: (refusal: Refusal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Request bytes a receiver may hold between reading a request and answering it (body, inflated body, the decoded
 * rows and the writer's queue all grow with them), shared by both receivers. Beyond it new requests are refused
 * with 503 before their bodies are read, so memory stays bounded however many exporters send at once. One request
 * alone is always let in, whatever its size (the body limit bounds it). Measured with 512-span requests of 335 KiB
 * (about 24 of them in flight at 8 MiB, plenty to keep the writer busy): 600 clients at once took serve's RSS to
 * 1.1 GB without a bound, to 670 MB with 16 MiB and about 520 MB with 8 MiB; 4 clients are never refused.
 */
export const DEFAULT_MAX_INFLIGHT_BYTES = 8 * 1024 * 1024;

export class InflightBudget {
  private held = 0;

  constructor(readonly maxBytes = DEFAULT_MAX_INFLIGHT_BYTES) {}

  /** Bytes held by requests in flight. */
  get bytes(): number {
    return this.held;
  }

  /** What one request holds; release it when the request is answered. */
  ticket(): InflightTicket {
    return new InflightTicket(this);
  }

  /** @internal for InflightTicket */
  tryTake(more: number, own: number): boolean {
    if (this.held + more > this.maxBytes && this.held > own) return false;
    this.held += more;
    return true;
  }

  /** @internal for InflightTicket */
  give(bytes: number): void {
    this.held -= bytes;
  }
}

export class InflightTicket {
  private held = 0;

  constructor(readonly budget: InflightBudget) {}

  /** Takes `more` bytes; false, taking none, when that would pass the bound while other requests hold bytes. */
  take(more: number): boolean {
    if (more <= 0) return true;
    if (!this.budget.tryTake(more, this.held)) return false;
    this.held += more;
    return true;
  }

  release(): void {
    this.budget.give(this.held);
    this.held = 0;
  }
}
