import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors';
import type { TelemetryBatch } from '../model';
import { hostPort, listenHttp } from '../net';
import type { Store } from '../store/types';
import { allowedOriginSet, loopbackHosts, presentedToken, tokenCookie, tokenMatches } from './auth';
import { encodeLog, encodeTraceSummary, jsonCell, TelemetryTables } from './encode';
import { openTrace, OpenTraces, searchSpans, spanDetail, traceSkeleton, type OpenTrace } from './traceView';
import { EventHub } from './events';
import { parseLogQuery, parseTraceSearch, type TraceSearch } from './query';
import { serveRenderer } from './static';
import { buildTestTrace } from './testTrace';
import { DEFAULT_MAX_IMPORT_BYTES, receiveUpload, UploadTooLarge } from './upload';
import type {
  SpanRef,
  WireFindings,
  WireImportProgress,
  WireImportResult,
  WireInfo,
  WireLogPage,
  WirePage,
  WireSpanFinding,
  WireSpanSearch,
  WireSqlResult,
  WireStats,
  WireStitch,
  WireTrace,
  WireTraceSummary,
} from './wire';

export interface ImportProgressSnapshot {
  bytesRead: number;
  totalBytes: number;
  spans: number;
  logs: number;
}

/** Findings and stitches from the analysis, pulled when asked; `onChange` lets the UI hear of new ones. */
export interface AnalysisSource {
  findings(): WireFindings;
  onChange?(listener: () => void): () => void;
}

export interface ApiServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The per-run secret every request must carry. */
  token: string;
  store: Store;
  /** Where "send a test trace" delivers its batch (the same path receivers use). */
  ingest: (batch: TelemetryBatch) => Promise<void>;
  importFile?: (path: string, onProgress: (p: ImportProgressSnapshot) => void) => Promise<WireImportResult>;
  analysis?: AnalysisSource;
  /** The built renderer (dist/renderer); without it the API still works and pages say how to build it. */
  rendererDir?: string;
  /** Other origins allowed to call the API with the token (the Electron renderer's, for one). */
  allowedOrigins?: string[];
  /** Largest upload `POST /api/import` takes (default 2 GiB). */
  maxImportBytes?: number;
  /** The OTLP endpoints to show in the empty state (`http://localhost:4318`, `localhost:4317`). */
  receivers?: WireInfo['receivers'];
}

export interface RunningApiServer {
  /** The address to open: the UI with `?token=`, which trades the token for a cookie. */
  url: string;
  /** Scheme, host and port without the token. */
  origin: string;
  port: number;
  /** Imports a file by path (the desktop app's File → Open and drag-and-drop), with progress in the UI like an upload. */
  importPath(file: string): Promise<WireImportResult>;
  close(): Promise<void>;
}

const PROGRESS_INTERVAL_MS = 200;
const MAX_JSON_BODY = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, match: RegExpExecArray): Promise<void> | void;
}

/** The UI's HTTP + server-sent-events API on loopback, behind the per-run token. */
export async function startApiServer(options: ApiServerOptions): Promise<RunningApiServer> {
  const reader = options.store.reader;
  const findings = new FindingsCache(options.analysis);
  const hub = new EventHub({
    summaries: (ids) => {
      const counts = findings.countsByTrace();
      return ids.flatMap((id) => {
        const s = reader.getTraceSummary(id);
        return s ? [encodeTraceSummary(s, counts.get(id) ?? 0)] : [];
      });
    },
    stats: () => stats(),
  });
  const openTraces = new OpenTraces();
  const unsubscribe = [
    options.store.onCommit((info) => {
      openTraces.invalidate(info.traceIds);
      hub.onCommit(info);
    }),
    options.analysis?.onChange?.(() => {
      findings.invalidate();
      hub.broadcast('findings', { count: findings.get().findings.length });
    }),
  ];

  function maxImportBytes(): number {
    return options.maxImportBytes ?? DEFAULT_MAX_IMPORT_BYTES;
  }

  function stats(): WireStats {
    return { ...reader.stats(), findings: findings.get().findings.length };
  }

  function searchTraces(q: TraceSearch): WirePage<WireTraceSummary> {
    const counts = findings.countsByTrace();
    if (q.hasFinding === true && counts.size === 0) return { items: [] };
    const page = reader.searchTraces(q);
    // A filtered page may hold fewer than `limit` traces; the cursor still moves on through the store.
    const items = page.items
      .filter((t) => q.hasFinding === undefined || (counts.has(t.traceId) === q.hasFinding))
      .map((t) => encodeTraceSummary(t, counts.get(t.traceId) ?? 0));
    return { items, nextCursor: page.nextCursor };
  }

  function loadTrace(traceId: string): OpenTrace {
    const spans = reader.getTraceOutline(traceId);
    if (spans.length === 0) throw new HttpError(404, `no trace ${traceId} in the store`);
    return openTrace(spans, [traceId]);
  }

  function skeleton(open: OpenTrace): WireTrace {
    const wanted = new Set(open.traceIds);
    const spanFindings: WireSpanFinding[] = [];
    for (const f of findings.get().findings) {
      for (const o of f.occurrences) {
        if (wanted.has(o.traceId)) spanFindings.push({ spanId: o.spanId, fingerprint: f.fingerprint, kind: f.kind, subkind: f.subkind, severity: f.severity, title: f.title });
      }
    }
    const logs = open.traceIds.flatMap((id) => reader.logsForTrace(id));
    if (open.traceIds.length > 1) logs.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : a.id - b.id));
    return traceSkeleton(open, logs, spanFindings);
  }

  /** Both halves of a split trace as one tree: the consumer (`to`) hangs under its producer (`from`). */
  function loadStitched(stitch: WireStitch): OpenTrace {
    const traceIds = [...new Set([stitch.from.traceId, stitch.to.traceId])];
    const spans = traceIds.flatMap((id) => reader.getTraceOutline(id));
    const has = (ref: SpanRef) => spans.some((s) => s.traceId === ref.traceId && s.spanId === ref.spanId);
    if (!has(stitch.from) || !has(stitch.to)) throw new HttpError(404, 'a span of this stitch is no longer in the store');
    return openTrace(spans, traceIds, stitch);
  }

  function openHolding(traceId: string): OpenTrace {
    return openTraces.holding(traceId) ?? openTraces.get(traceId, () => loadTrace(traceId));
  }

  function importProgress(name: string, id: string, totalBytes: number) {
    const progress: WireImportProgress = { id, name, phase: 'upload', bytesRead: 0, totalBytes, spans: 0, logs: 0 };
    let lastSent = 0;
    return (update: Partial<WireImportProgress>, force = false) => {
      Object.assign(progress, update);
      const now = Date.now();
      if (!force && now - lastSent < PROGRESS_INTERVAL_MS) return;
      lastSent = now;
      hub.broadcast('import', { ...progress });
    };
  }

  /** Imports a file on this machine, reporting progress to the UI like an upload; `name` is what the user knows it by. */
  async function importLocal(file: string, name: string, report: ReturnType<typeof importProgress>, totalBytes: number): Promise<WireImportResult> {
    if (!options.importFile) throw new HttpError(501, 'this Hopscope was started without file import');
    try {
      report({ phase: 'import', bytesRead: 0, totalBytes }, true);
      const result = await options.importFile(file, (p) => report(p));
      report({ phase: 'done', bytesRead: totalBytes, spans: result.spans, logs: result.logs }, true);
      return result;
    } catch (err) {
      // Messages name the file they came from; the user knows it by its own name, not a temp path.
      const said = (err as Error).message.split(file).join(name);
      const message = said.includes(name) ? said : `${name}: ${said}`;
      report({ phase: 'failed', error: message }, true);
      throw err instanceof InputError ? new InputError(message, err.where) : new HttpError(500, message);
    }
  }

  async function importUpload(req: IncomingMessage, url: URL): Promise<WireImportResult> {
    if (!options.importFile) throw new HttpError(501, 'this Hopscope was started without file import');
    const maxBytes = maxImportBytes();
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxBytes) throw new HttpError(413, `the file is ${declared} bytes; the import limit is ${maxBytes}`);
    const name = path.basename(url.searchParams.get('name') || 'upload');
    const id = /^[\w-]{1,64}$/.test(url.searchParams.get('id') ?? '') ? url.searchParams.get('id')! : randomBytes(6).toString('hex');
    const report = importProgress(name, id, Number.isFinite(declared) ? declared : 0);
    report({}, true);
    let upload;
    try {
      upload = await receiveUpload(req, maxBytes, (bytes) => report({ bytesRead: bytes }));
    } catch (err) {
      const message = err instanceof UploadTooLarge ? err.message : `the upload broke off: ${(err as Error).message}`;
      report({ phase: 'failed', error: message }, true);
      throw new HttpError(err instanceof UploadTooLarge ? 413 : 400, message);
    }
    try {
      return await importLocal(upload.file, name, report, upload.bytes);
    } finally {
      await upload.discard();
    }
  }

  const routes: Route[] = [
    {
      method: 'GET',
      path: /^\/api\/info$/,
      handle: (_req, res) => {
        const info: WireInfo = { receivers: options.receivers ?? {}, canImport: options.importFile !== undefined, maxImportBytes: maxImportBytes() };
        sendJson(res, 200, info);
      },
    },
    { method: 'GET', path: /^\/api\/stats$/, handle: (_req, res) => sendJson(res, 200, stats()) },
    { method: 'GET', path: /^\/api\/services$/, handle: (_req, res) => sendJson(res, 200, { services: reader.services() }) },
    {
      method: 'GET',
      path: /^\/api\/operations$/,
      handle: (_req, res, url) => {
        const service = url.searchParams.get('service');
        if (!service) throw new InputError('operations needs ?service=NAME', { field: 'service' });
        sendJson(res, 200, { operations: reader.operations(service) });
      },
    },
    { method: 'GET', path: /^\/api\/traces$/, handle: (_req, res, url) => sendJson(res, 200, searchTraces(parseTraceSearch(url.searchParams))) },
    { method: 'GET', path: /^\/api\/traces\/([0-9a-f]{32})$/, handle: (_req, res, _url, m) => sendJson(res, 200, skeleton(openTraces.get(m[1], () => loadTrace(m[1])))) },
    {
      method: 'GET',
      path: /^\/api\/traces\/([0-9a-f]{32})\/spans\/([0-9a-f]{16})$/,
      handle: (_req, res, _url, m) => {
        const detail = spanDetail(openHolding(m[1]), m[1], m[2], reader);
        if (!detail) throw new HttpError(404, `no span ${m[2]} in trace ${m[1]}`);
        sendJson(res, 200, detail);
      },
    },
    {
      method: 'GET',
      path: /^\/api\/span-search$/,
      handle: (_req, res, url) => {
        const traceIds = url.searchParams.getAll('traceId');
        if (traceIds.length === 0 || traceIds.some((id) => !/^[0-9a-f]{32}$/.test(id))) throw new InputError('span-search needs ?traceId= (32 hex digits, repeatable)', { field: 'traceId' });
        const q = url.searchParams.get('q') ?? '';
        const matches = [...new Set(traceIds)].flatMap((id) => searchSpans(openHolding(id), q, reader).filter((m) => m.traceId === id));
        const body: WireSpanSearch = { matches };
        sendJson(res, 200, body);
      },
    },
    {
      method: 'GET',
      path: /^\/api\/stitched$/,
      handle: (_req, res, url) => {
        const stitch = findings.get().stitches.find((s) => spanRefKey(s.from) === url.searchParams.get('from') && spanRefKey(s.to) === url.searchParams.get('to'));
        if (!stitch) throw new HttpError(404, 'no such stitch; ask /api/findings for the current ones (?from=TRACE:SPAN&to=TRACE:SPAN)');
        sendJson(res, 200, skeleton(openTraces.get(`${spanRefKey(stitch.from)}>${spanRefKey(stitch.to)}`, () => loadStitched(stitch))));
      },
    },
    {
      method: 'GET',
      path: /^\/api\/logs$/,
      handle: (_req, res, url) => {
        const page = reader.searchLogs(parseLogQuery(url.searchParams));
        const tables = new TelemetryTables();
        const items = page.items.map((l) => encodeLog(l, tables));
        const body: WireLogPage = { ...tables.tables(), items, nextCursor: page.nextCursor };
        sendJson(res, 200, body);
      },
    },
    { method: 'GET', path: /^\/api\/findings$/, handle: (_req, res) => sendJson(res, 200, findings.get()) },
    { method: 'GET', path: /^\/api\/events$/, handle: (_req, res) => hub.attach(res) },
    { method: 'POST', path: /^\/api\/import$/, handle: async (req, res, url) => sendJson(res, 200, await importUpload(req, url)) },
    {
      method: 'POST',
      path: /^\/api\/test-trace$/,
      handle: async (req, res) => {
        await drain(req);
        const batch = buildTestTrace();
        await options.ingest(batch);
        sendJson(res, 200, { traceId: batch.spans[0].traceId });
      },
    },
    {
      method: 'POST',
      path: /^\/api\/sql$/,
      handle: async (req, res) => {
        const body = await readJson(req);
        const { sql, maxRows } = (typeof body === 'object' && body !== null ? body : {}) as { sql?: unknown; maxRows?: unknown };
        if (typeof sql !== 'string' || sql.trim() === '') throw new InputError('the body must be {"sql": "SELECT …"}', { field: 'sql' });
        const result = reader.querySql(sql, typeof maxRows === 'number' ? maxRows : undefined);
        const wire: WireSqlResult = { ...result, rows: result.rows.map((row) => row.map(jsonCell)) };
        sendJson(res, 200, wire);
      },
    },
  ];

  let port = options.port;
  const hosts = () => loopbackHosts(options.host, port);
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof InputError) sendJson(res, 400, { error: err.message });
      else if (err instanceof HttpError) sendJson(res, err.status, { error: err.message });
      else sendJson(res, 500, { error: `internal error: ${(err as Error).message}` });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    const ownHosts = hosts();
    if (!ownHosts.has((req.headers.host ?? '').toLowerCase())) {
      return refuse(req, res, 403, `Host ${JSON.stringify(req.headers.host ?? '')} is not this server; use ${[...ownHosts][0]}`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!allowedOriginSet(ownHosts, options.allowedOrigins ?? []).has(origin.toLowerCase())) {
        return refuse(req, res, 403, `requests from ${origin} are not allowed`);
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');
    if (req.method === 'OPTIONS' && origin !== undefined) {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }

    // The token in the URL is for the first page load only: trade it for a cookie and drop it from the address bar.
    const queryToken = url.searchParams.get('token');
    if (queryToken !== null && !isApi && (req.method === 'GET' || req.method === 'HEAD')) {
      if (!tokenMatches(queryToken, options.token)) return refuse(req, res, 401, 'that token is not this run’s');
      url.searchParams.delete('token');
      res.writeHead(303, { 'Set-Cookie': tokenCookie(options.token), Location: `${url.pathname}${url.search}`, 'Cache-Control': 'no-store' });
      res.end();
      return;
    }
    if (!tokenMatches(presentedToken(req), options.token)) {
      return refuse(req, res, 401, 'this needs the token printed by `hopscope serve`');
    }

    if (!isApi) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(req, res, 405, `${req.method} is not allowed here`);
      serveRenderer(res, options.rendererDir, url.pathname, req.method === 'HEAD');
      return;
    }
    let pathMatched = false;
    for (const route of routes) {
      const m = route.path.exec(url.pathname);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== req.method) continue;
      await route.handle(req, res, url, m);
      return;
    }
    await drain(req);
    if (pathMatched) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`);
    throw new HttpError(404, `no API endpoint ${url.pathname}`);
  }

  port = await listenHttp(server, options.host, options.port, 'UI', '--ui');
  const origin = `http://${hostPort(options.host, port)}`;
  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/?token=${encodeURIComponent(options.token)}`,
    origin,
    port,
    importPath: async (file) => {
      const size = await stat(file).then((st) => st.size, () => 0);
      return importLocal(file, path.basename(file), importProgress(path.basename(file), randomBytes(6).toString('hex'), size), size);
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const off of unsubscribe) off?.();
        hub.close();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/** Findings are costly to compute; keep them until the analysis says they changed. */
class FindingsCache {
  private snapshot: { findings: WireFindings; counts: Map<string, number> } | undefined;

  constructor(private readonly source: AnalysisSource | undefined) {}

  get(): WireFindings {
    return this.current().findings;
  }

  /** Occurrences per trace id, for the badges and the has-finding filter. */
  countsByTrace(): Map<string, number> {
    return this.current().counts;
  }

  invalidate(): void {
    this.snapshot = undefined;
  }

  private current(): { findings: WireFindings; counts: Map<string, number> } {
    if (this.snapshot && this.source?.onChange) return this.snapshot;
    const findings = this.source?.findings() ?? { findings: [], stitches: [] };
    const counts = new Map<string, number>();
    for (const f of findings.findings) for (const o of f.occurrences) counts.set(o.traceId, (counts.get(o.traceId) ?? 0) + 1);
    return (this.snapshot = { findings, counts });
  }
}

function spanRefKey(ref: SpanRef): string {
  return `${ref.traceId}:${ref.spanId}`;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

/** Refusals: JSON for the API, a short page a person can act on otherwise. */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  if ((req.url ?? '').startsWith('/api')) {
    sendJson(res, status, { error: message });
  } else {
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'" });
    res.end(refusalPage(status, message));
  }
  req.resume();
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function refusalPage(status: number, message: string): string {
  return `<!doctype html><meta charset="utf-8"><title>Hopscope</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:15vh auto;max-width:34rem;padding:0 1rem;color:#1f2328}code{background:#f0f1f3;padding:.1em .35em;border-radius:4px}</style>
<h1 style="font-size:1.25rem">Hopscope · ${status}</h1>
<p>${escapeHtml(message)}.</p>
<p>Open the address that <code>hopscope serve</code> printed on the line starting with <code>UI:</code>; it carries a one-time token for this run.</p>`;
}

async function drain(req: IncomingMessage): Promise<void> {
  req.resume();
  if (!req.readableEnded) await new Promise((resolve) => req.once('end', resolve).once('close', resolve));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) throw new HttpError(413, `the body is over ${MAX_JSON_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw new InputError(`the body is not JSON: ${(err as Error).message}`);
  }
}
