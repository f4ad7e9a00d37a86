import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { InputError } from '../errors';
import { hostPort, listenHttp } from '../net';
import { handleExport, peerAddress, type IngestCounters, type IngestSink, type Signal } from './ingest';
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
}

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
  const server: Server = createServer((req, res) => {
    handle(req, res, options, maxBody, origins).catch((err: unknown) => {
      if (!res.headersSent) reply(res, 500, 'json', encodeStatus('json', GrpcCode.INTERNAL, `internal error: ${(err as Error).message}`));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 120_000;
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

async function handle(req: IncomingMessage, res: ServerResponse, options: HttpReceiverOptions, maxBody: number, origins: string[]): Promise<void> {
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
  if (!signal) {
    drainAndReply(req, res, 404, format ?? 'json', GrpcCode.NOT_FOUND, `no OTLP endpoint at ${path}; use /v1/traces, /v1/logs or /v1/metrics`);
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST, OPTIONS');
    drainAndReply(req, res, 405, format ?? 'json', GrpcCode.UNIMPLEMENTED, `${req.method} is not supported on ${path}; OTLP exporters POST`);
    return;
  }
  if (!format) {
    drainAndReply(req, res, 415, 'json', GrpcCode.INVALID_ARGUMENT,
      `unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}; send application/x-protobuf or application/json`);
    return;
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBody) {
    tooLarge(req, res, format, maxBody);
    return;
  }
  const raw = await readBody(req, maxBody);
  if (raw === 'too-large') {
    tooLarge(req, res, format, maxBody);
    return;
  }
  let body: Uint8Array;
  try {
    body = await decompress(raw, req.headers['content-encoding'], maxBody);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(req, res, format, maxBody);
    options.counters.failedRequests++;
    return reply(res, err instanceof UnsupportedEncoding ? 415 : 400, format, encodeStatus(format, GrpcCode.INVALID_ARGUMENT, (err as Error).message));
  }

  const outcome = await handleExport(signal, format, body, options.sink, options.counters, peerAddress(req.socket.remoteAddress));
  if (outcome.ok) return reply(res, 200, format, outcome.response);
  if (outcome.retryAfterS) res.setHeader('Retry-After', String(outcome.retryAfterS));
  const status = outcome.code === GrpcCode.INVALID_ARGUMENT ? 400 : outcome.code === GrpcCode.UNAVAILABLE ? 503 : 500;
  reply(res, status, format, encodeStatus(format, outcome.code, outcome.message));
}

class UnsupportedEncoding extends InputError {}

function bodyFormat(contentType: string | undefined): BodyFormat | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'proto';
  if (type === 'application/json') return 'json';
  return undefined;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        resolve('too-large');
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

function tooLarge(req: IncomingMessage, res: ServerResponse, format: BodyFormat, max: number): void {
  // Stop reading a body we will not take, and close the connection so the client stops sending.
  res.setHeader('Connection', 'close');
  reply(res, 413, format, encodeStatus(format, GrpcCode.RESOURCE_EXHAUSTED, `body is larger than the ${max} byte limit; raise it with --max-body-mib or send smaller batches`));
  res.on('finish', () => req.destroy());
}

function drainAndReply(req: IncomingMessage, res: ServerResponse, status: number, format: BodyFormat, code: number, message: string): void {
  req.resume();
  reply(res, status, format, encodeStatus(format, code, message));
}

function reply(res: ServerResponse, status: number, format: BodyFormat, body: Uint8Array): void {
  res.writeHead(status, {
    'Content-Type': format === 'json' ? 'application/json' : 'application/x-protobuf',
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
