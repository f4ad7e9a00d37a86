import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { InputError } from '../errors';
import { hostPort, listenHttp } from '../net';
import {
  admitExport,
  handleExport,
  InflightBudget,
  peerAddress,
  refuseBusy,
  type ExportOutcome,
  type IngestCounters,
  type IngestSink,
  type InflightTicket,
  type RefusalKind,
  type Signal,
} from './ingest';
import { encodeStatus, GrpcCode, type BodyFormat } from './status';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;
/** Browser exporters on a local dev server are allowed by default; anything else must be configured. */
export const DEFAULT_CORS_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*', 'https://localhost:*', 'https://127.0.0.1:*'];

export interface HttpReceiverOptions {
  host: string;
  port: number;
  sink: IngestSink;
  counters: IngestCounters;
  /** Largest body accepted, compressed or not (default 20 MiB); larger bodies get 413. */
  maxBodyBytes?: number;
  /** Origins allowed by CORS: exact origins, `scheme://host:*` for any port, or `*`. */
  corsOrigins?: string[];
  /** The bound on request bytes in flight, shared with the gRPC receiver (default: its own, of DEFAULT_MAX_INFLIGHT_BYTES). */
  budget?: InflightBudget;
  /** How long a request may take to arrive, headers and body (default 120 s); then it is answered 408. */
  requestTimeoutMs?: number;
}

/** After a 413 the rest of the body is read and dropped, up to this much (and TOO_LARGE_DRAIN_MS), before closing. */
const TOO_LARGE_DRAIN_MIN_BYTES = 64 * 1024 * 1024;
const TOO_LARGE_DRAIN_MS = 10_000;

export interface RunningReceiver {
  /** The port actually bound. */
  port: number;
  address: string;
  close(): Promise<void>;
}

const ROUTES: Record<string, Signal> = { '/v1/traces': 'traces', '/v1/logs': 'logs', '/v1/metrics': 'metrics' };

/** OTLP/HTTP receiver per the OTLP spec: protobuf and JSON bodies, gzip, CORS, partial success. */
export async function startHttpReceiver(options: HttpReceiverOptions): Promise<RunningReceiver> {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const origins = options.corsOrigins ?? DEFAULT_CORS_ORIGINS;
  const budget = options.budget ?? new InflightBudget();
  const requestTimeout = options.requestTimeoutMs ?? 120_000;
  const server: Server = createServer(
    // Node checks the request timeout every connectionsCheckingInterval (30 s by default): often enough for short ones too.
    { requestTimeout, headersTimeout: Math.min(60_000, requestTimeout), connectionsCheckingInterval: Math.min(30_000, Math.max(50, requestTimeout / 4)) },
    (req, res) => {
      handle(req, res, options, budget, maxBody, origins).catch((err: unknown) => {
        if (!res.headersSent) {
          options.counters.refuse({ kind: 'internal', retryable: false, message: (err as Error).message, spans: 0, logs: 0 });
          reply(res, 500, 'json', encodeStatus('json', GrpcCode.INTERNAL, `internal error: ${(err as Error).message}`));
        } else res.destroy();
      });
    },
  );
  server.keepAliveTimeout = 65_000;
  const port = await listenHttp(server, options.host, options.port, 'OTLP/HTTP receiver', '--otlp-http');
  return {
    port,
    address: `http://${hostPort(options.host, port)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: HttpReceiverOptions, budget: InflightBudget, maxBody: number, origins: string[]): Promise<void> {
  const origin = req.headers.origin;
  const originAllowed = origin !== undefined && isOriginAllowed(origin, origins);
  if (originAllowed) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
  }
  const path = (req.url ?? '/').split('?')[0];
  const signal = ROUTES[path];

  if (req.method === 'OPTIONS') {
    if (!signal || !originAllowed) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end(origin ? `origin ${origin} is not allowed; add it with --cors-origin\n` : 'not a CORS preflight\n');
      return;
    }
    res.writeHead(204, {
      'Access-Control-Allow-Methods': 'POST, OPTIONS',
      'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? 'Content-Type, Content-Encoding',
      'Access-Control-Max-Age': '86400',
    });
    res.end();
    return;
  }
  const format = bodyFormat(req.headers['content-type']);
  // Only POSTs are exports (and lost data when refused); a GET from a browser is not counted.
  const counted = (kind: RefusalKind, message: string) => {
    if (req.method === 'POST') options.counters.refuse({ kind, retryable: false, message, spans: 0, logs: 0 });
    return message;
  };
  if (!signal) {
    drainAndReply(req, res, 404, format ?? 'json', GrpcCode.NOT_FOUND, counted('unsupported', `no OTLP endpoint at ${path}; use /v1/traces, /v1/logs or /v1/metrics`));
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST, OPTIONS');
    drainAndReply(req, res, 405, format ?? 'json', GrpcCode.UNIMPLEMENTED, `${req.method} is not supported on ${path}; OTLP exporters POST`);
    return;
  }
  if (!format) {
    drainAndReply(req, res, 415, 'json', GrpcCode.INVALID_ARGUMENT,
      counted('unsupported', `unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}; send application/x-protobuf or application/json`));
    return;
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBody) {
    tooLarge(req, res, format, maxBody, options.counters);
    return;
  }
  // Everything this request holds (its body, inflated, decoded, queued for the writer) counts against the bound until it is answered.
  const ticket = budget.ticket();
  try {
    const refused = admitExport(options.sink, ticket, Number.isFinite(declared) ? declared : 0, options.counters);
    if (refused) return refuse(req, res, format, refused);
    const raw = await readBody(req, maxBody, ticket, Number.isFinite(declared));
    if (raw === 'too-large') return tooLarge(req, res, format, maxBody, options.counters);
    if (raw === 'busy') return refuse(req, res, format, refuseBusy(ticket, options.counters));
    let body: Uint8Array;
    try {
      body = await decompress(raw, req.headers['content-encoding'], maxBody);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(req, res, format, maxBody, options.counters);
      const unsupported = err instanceof UnsupportedEncoding;
      const message = counted(unsupported ? 'unsupported' : 'invalid', (err as Error).message);
      return reply(res, unsupported ? 415 : 400, format, encodeStatus(format, GrpcCode.INVALID_ARGUMENT, message));
    }
    // An inflated body holds more than its bytes on the wire.
    if (!ticket.take(body.byteLength - raw.byteLength)) return refuse(req, res, format, refuseBusy(ticket, options.counters));

    const outcome = await handleExport(signal, format, body, options.sink, options.counters, peerAddress(req.socket.remoteAddress));
    if (outcome.ok) return reply(res, 200, format, outcome.response);
    refuse(req, res, format, outcome);
  } finally {
    ticket.release();
  }
}

/** Answers a refused export with its status; the body, if still arriving, is read and dropped so the connection stays usable. */
function refuse(req: IncomingMessage, res: ServerResponse, format: BodyFormat, outcome: Exclude<ExportOutcome, { ok: true }>): void {
  if (outcome.retryAfterS) res.setHeader('Retry-After', String(outcome.retryAfterS));
  const status = outcome.code === GrpcCode.INVALID_ARGUMENT ? 400 : outcome.code === GrpcCode.UNAVAILABLE ? 503 : 500;
  drainAndReply(req, res, status, format, outcome.code, outcome.message);
}

class UnsupportedEncoding extends InputError {}

function bodyFormat(contentType: string | undefined): BodyFormat | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'proto';
  if (type === 'application/json') return 'json';
  return undefined;
}

/**
 * The whole body, or 'too-large' past `max` bytes, or 'busy' when its bytes (counted here unless `declared`, when
 * the ticket holds them already) would pass the in-flight bound. What arrives after either is read and dropped.
 */
function readBody(req: IncomingMessage, max: number, ticket: InflightTicket, declared: boolean): Promise<Buffer | 'too-large' | 'busy'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max || (!declared && !ticket.take(chunk.length))) {
        done = true;
        chunks.length = 0;
        resolve(size > max ? 'too-large' : 'busy');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}

async function decompress(raw: Buffer, encoding: string | undefined, max: number): Promise<Uint8Array> {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  if (enc === 'identity' || enc === '') return raw;
  try {
    if (enc === 'gzip') return await gunzipAsync(raw, { maxOutputLength: max });
    if (enc === 'deflate') return await inflateAsync(raw, { maxOutputLength: max });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw err;
    throw new InputError(`body is not valid ${enc}: ${(err as Error).message}`);
  }
  throw new UnsupportedEncoding(`unsupported Content-Encoding ${JSON.stringify(encoding)}; use gzip, deflate or none`);
}

/**
 * 413 with Connection: close. The answer goes out at once, but the connection is ended only once the client has
 * sent its whole body (read and dropped), or more than twice the limit (64 MiB at least), or after 10 s: closing
 * while it still sends would reset the connection, and most clients then report the reset, not the 413.
 */
function tooLarge(req: IncomingMessage, res: ServerResponse, format: BodyFormat, max: number, counters: IngestCounters): void {
  const message = `body is larger than the ${max} byte limit; raise it with --max-body-mib or send smaller batches`;
  counters.refuse({ kind: 'too-large', retryable: false, message, spans: 0, logs: 0 });
  const body = encodeStatus(format, GrpcCode.RESOURCE_EXHAUSTED, message);
  res.writeHead(413, { 'Content-Type': contentType(format), 'Content-Length': body.byteLength, Connection: 'close' });
  res.write(body);
  if (req.complete) {
    res.end();
    return;
  }
  const limit = Math.max(2 * max, TOO_LARGE_DRAIN_MIN_BYTES);
  let drained = 0;
  const finish = () => {
    clearTimeout(timer);
    req.off('data', onData).off('end', finish).off('close', finish);
    if (!res.writableEnded) res.end();
    // Past the bound the client is still sending: stop reading it.
    if (!req.complete) req.destroy();
  };
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > limit) finish();
  };
  const timer = setTimeout(finish, TOO_LARGE_DRAIN_MS);
  timer.unref();
  req.on('data', onData).once('end', finish).once('close', finish);
  req.resume();
}

function drainAndReply(req: IncomingMessage, res: ServerResponse, status: number, format: BodyFormat, code: number, message: string): void {
  req.resume();
  reply(res, status, format, encodeStatus(format, code, message));
}

function contentType(format: BodyFormat): string {
  return format === 'json' ? 'application/json' : 'application/x-protobuf';
}

function reply(res: ServerResponse, status: number, format: BodyFormat, body: Uint8Array): void {
  res.writeHead(status, {
    'Content-Type': contentType(format),
    'Content-Length': body.byteLength,
  });
  res.end(body);
}

export function isOriginAllowed(origin: string, allowed: string[]): boolean {
  for (const pattern of allowed) {
    if (pattern === '*' || pattern === origin) return true;
    if (pattern.endsWith(':*')) {
      const prefix = pattern.slice(0, -1);
      if (origin.startsWith(prefix) && /^\d+$/.test(origin.slice(prefix.length))) return true;
      if (origin === pattern.slice(0, -2)) return true;
    }
  }
  return false;
}
