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
export type ExportOutcome =
  | { ok: true; response: Uint8Array }
  | { ok: false; code: ExportErrorCode; message: string; retryAfterS?: number };

type ExportErrorCode = typeof GrpcCode.INVALID_ARGUMENT | typeof GrpcCode.INTERNAL | typeof GrpcCode.UNAVAILABLE;

/**
 * The one path every Export request takes: decode, refuse while the writer is behind, store, and answer
 * only after the data is committed.
 */
export async function handleExport(signal: Signal, format: BodyFormat, body: Uint8Array, sink: IngestSink, counters: IngestCounters, peer?: string): Promise<ExportOutcome> {
  let decoded: DecodedRequest;
  try {
    decoded = decodeExportRequest(signal, format, body);
  } catch (err) {
    counters.failedRequests++;
    if (err instanceof InputError) return { ok: false, code: GrpcCode.INVALID_ARGUMENT, message: `cannot decode ${signal} request: ${err.message}` };
    return { ok: false, code: GrpcCode.INTERNAL, message: `internal error: ${(err as Error).message}` };
  }
  // UNAVAILABLE / 503 (not RESOURCE_EXHAUSTED) is what OTLP exporters retry with backoff.
  if (sink.overloaded()) return { ok: false, code: GrpcCode.UNAVAILABLE, message: 'Hopscope is writing behind; retry shortly', retryAfterS: 2 };
  try {
    if (decoded.spans + decoded.logs > 0) await sink.write(peer === undefined ? decoded.rows : { ...decoded.rows, peer });
  } catch (err) {
    counters.failedRequests++;
    return { ok: false, code: GrpcCode.UNAVAILABLE, message: `could not store the ${signal}: ${(err as Error).message}`, retryAfterS: 5 };
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

/** Counts of what the receivers accepted since start, for the status line and the API. */
export class IngestCounters {
  spans = 0;
  logs = 0;
  metricPoints = 0;
  rejected = 0;
  requests = 0;
  failedRequests = 0;

  add(decoded: DecodedRequest): void {
    this.requests++;
    this.spans += decoded.spans;
    this.logs += decoded.logs;
    this.metricPoints += decoded.metricPoints;
    this.rejected += decoded.rejected;
  }
}
