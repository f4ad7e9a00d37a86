import type { RetentionLimits } from '../../common/retention';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { InputError } from '../errors';
import type { TelemetryBatch } from '../model';
import { hostPort, listenHttp } from '../net';
import type { RetentionReport, Store } from '../store/types';
import type { WireImportResult, WireInfo } from '../../common/wire';
import { allowedOriginSet, loopbackHosts, presentedToken, tokenCookie, tokenMatches } from './auth';
import { ClusterLinks } from './cluster';
import { FindingsCache, type AnalysisSource, type ApiContext, type ClusterControl, type ImportFile, type ReceiverStatsSource } from './context';
import { dispatch, type Handlers } from './dispatch';
import { EventHub } from './events';
import { clusterHandlers } from './handlers/cluster';
import { findingHandlers } from './handlers/findings';
import { ANALYSIS_BACKLOG_SHOWN } from '../../common/wire';
import { importHandlers, importPath } from './handlers/imports';
import { infoHandlers, storeStats, wireRetention } from './handlers/info';
import { logHandlers } from './handlers/logs';
import { sqlHandlers } from './handlers/sql';
import { testTraceHandlers } from './handlers/testTrace';
import { traceHandlers, traceSummaries } from './handlers/traces';
import { HttpError, sendJson } from './http';
import { serveRenderer } from './static';
import { OpenTraces } from './traceView';
import { DEFAULT_MAX_IMPORT_BYTES } from './upload';
import { WorkloadsReader } from './workloads';

export type { AnalysisSource, ClusterControl, ImportProgressSnapshot, ReceiverStatsSource } from './context';

export interface ApiServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The per-run secret every request must carry. */
  token: string;
  store: Store;
  /** Where "send a test trace" delivers its batch (the same path receivers use). */
  ingest: (batch: TelemetryBatch) => Promise<void>;
  importFile?: ImportFile;
  analysis?: AnalysisSource;
  /** The live cluster connection the Cluster view shows and changes; without it, only recorded history is shown. */
  cluster?: ClusterControl;
  /** The built renderer (dist/renderer); without it the API still works and pages say how to build it. */
  rendererDir?: string;
  /** Other origins allowed to call the API with the token (the Electron renderer's, for one). */
  allowedOrigins?: string[];
  /** Largest upload `POST /api/import` takes (default 2 GiB). */
  maxImportBytes?: number;
  /** The OTLP endpoints to show in the empty state (`http://localhost:4318`, `localhost:4317`). */
  receivers?: WireInfo['receivers'];
  /** The receivers' refusals, for the status bar; pushed as `stats` events when they change. */
  receiverStats?: ReceiverStatsSource;
  /** Changes the store's retention limits at run time and keeps them for the next start (the UI's storage settings). */
  setRetention?: (limits: RetentionLimits) => Promise<RetentionReport>;
  /**
   * How long a request may take to arrive, headers and body, before it is answered 408 and closed (default 120 s, as
   * the OTLP/HTTP port; uploads of the largest files on loopback take seconds). Event streams are not affected.
   */
  requestTimeoutMs?: number;
  /** How long the request headers may take (default 20 s, at most requestTimeoutMs). */
  headersTimeoutMs?: number;
}

export const DEFAULT_API_REQUEST_TIMEOUT_MS = 120_000;
const DEFAULT_API_HEADERS_TIMEOUT_MS = 20_000;

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

const handlers: Handlers = {
  ...infoHandlers,
  ...traceHandlers,
  ...logHandlers,
  ...findingHandlers,
  ...clusterHandlers,
  ...importHandlers,
  ...testTraceHandlers,
  ...sqlHandlers,
  events: (ctx, _request, res) => ctx.hub.attach(res),
};

/** How often stats ask the writer what retention removed, and live analysis how far behind it is. */
const RETENTION_REFRESH_MS = 2000;

/** The UI's HTTP + server-sent-events API on loopback, behind the per-run token. */
export async function startApiServer(options: ApiServerOptions): Promise<RunningApiServer> {
  const cluster = new ClusterLinks(options.store.reader);
  const findings = new FindingsCache(options.analysis, cluster);
  const ctx: ApiContext = {
    reader: options.store.reader,
    cluster,
    clusterControl: options.cluster,
    workloads: new WorkloadsReader(options.store.reader, findings, options.cluster),
    findings,
    openTraces: new OpenTraces(),
    hub: new EventHub({ summaries: (ids) => traceSummaries(ctx, ids), stats: () => storeStats(ctx) }),
    ingest: options.ingest,
    importFile: options.importFile,
    maxImportBytes: options.maxImportBytes ?? DEFAULT_MAX_IMPORT_BYTES,
    receivers: options.receivers ?? {},
    receiverStats: options.receiverStats,
    setRetention: options.setRetention,
  };
  // The writer (maybe in its thread) answers asynchronously; stats carry its last answer, and go out again
  // when retention removed more (it runs on its own timer too, not only after commits).
  let retentionAsked = 0;
  const refreshRetention = () => {
    if (Date.now() - retentionAsked < RETENTION_REFRESH_MS) return;
    retentionAsked = Date.now();
    options.store
      .retention()
      .then((r) => {
        // Pushed when it changes what the UI shows: the first answer (the storage button waits for it, and a page that
        // connected before it came would not get it otherwise), and each time retention removed more.
        const changed = !ctx.retention || ctx.retention.removedTraces !== r.removed.traces || ctx.retention.removedLogs !== r.removed.logs;
        ctx.retention = wireRetention(r);
        if (changed) ctx.hub.broadcast('stats', storeStats(ctx));
      })
      .catch((err: unknown) => console.error('hopscope: reading what retention removed failed', err));
  };
  // The analysis backlog, shown while it is large, and the traces set aside as too large; a count over an index, so
  // on a timer rather than per event.
  const refreshBacklog = () => {
    try {
      const p = options.analysis?.progress?.();
      const shown = p && p.due >= ANALYSIS_BACKLOG_SHOWN ? { due: p.due, perSecond: Math.round(p.perSecond * 10) / 10 } : undefined;
      const setAside = p?.setAside || undefined;
      if (shown?.due === ctx.analysisBacklog?.due && shown?.perSecond === ctx.analysisBacklog?.perSecond && setAside === ctx.analysisSetAside) return;
      ctx.analysisBacklog = shown;
      ctx.analysisSetAside = setAside;
      ctx.hub.broadcast('stats', storeStats(ctx));
    } catch (err) {
      console.error('hopscope: reading the analysis backlog failed', err);
    }
  };
  refreshRetention();
  refreshBacklog();
  const retentionTimer = setInterval(() => {
    refreshRetention();
    refreshBacklog();
  }, RETENTION_REFRESH_MS).unref();
  const unsubscribe = [
    options.store.onCommit((info) => {
      ctx.openTraces.invalidate(info.traceIds);
      ctx.hub.onCommit(info);
      refreshRetention();
    }),
    options.analysis?.onChange?.(() => {
      ctx.findings.invalidate();
      ctx.hub.broadcast('findings', { count: ctx.findings.get().findings.length });
    }),
    options.receiverStats?.onChange(() => ctx.hub.broadcast('stats', storeStats(ctx))),
  ];

  let port = options.port;
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_API_REQUEST_TIMEOUT_MS;
  const server = createServer(
    {
      // A request whose body trickles in is answered 408 and closed, as on the OTLP/HTTP port (Node's default waits 300 s).
      requestTimeout,
      headersTimeout: Math.min(options.headersTimeoutMs ?? DEFAULT_API_HEADERS_TIMEOUT_MS, requestTimeout),
      // Node checks these timeouts this often (30 s by default): often enough for a short timeout too.
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, requestTimeout / 4)),
    },
    (req, res) => {
      answer(req, res).catch((err: unknown) => answerError(res, err));
    },
  );

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    const url = admit(req, res, options, loopbackHosts(options.host, port));
    if (!url) return;
    if (!isApiPath(url.pathname)) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(req, res, 405, `${req.method} is not allowed here`);
      serveRenderer(res, options.rendererDir, url.pathname, req.method === 'HEAD');
      return;
    }
    await dispatch(handlers, ctx, req, res, url);
  }

  port = await listenHttp(server, options.host, options.port, 'UI', '--ui');
  const origin = `http://${hostPort(options.host, port)}`;
  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/?token=${encodeURIComponent(options.token)}`,
    origin,
    port,
    importPath: (file) => importPath(ctx, file),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const off of unsubscribe) off?.();
        clearInterval(retentionTimer);
        ctx.hub.close();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

function isApiPath(pathname: string): boolean {
  return pathname === '/api' || pathname.startsWith('/api/');
}

/**
 * Lets through requests from this machine's own pages that carry the token, and returns their URL;
 * answers the rest itself (a refusal, a CORS preflight, the token-for-cookie exchange) and returns undefined.
 */
function admit(req: IncomingMessage, res: ServerResponse, options: ApiServerOptions, ownHosts: Set<string>): URL | undefined {
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
  if (req.method === 'OPTIONS' && origin !== undefined) {
    res.writeHead(204, {
      'Access-Control-Allow-Methods': 'GET, POST',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type',
      'Access-Control-Max-Age': '600',
    });
    res.end();
    return undefined;
  }

  // The token in the URL is for the first page load only: trade it for a cookie and drop it from the address bar.
  const queryToken = url.searchParams.get('token');
  if (queryToken !== null && !isApiPath(url.pathname) && (req.method === 'GET' || req.method === 'HEAD')) {
    if (!tokenMatches(queryToken, options.token)) return refuse(req, res, 401, 'that token is not this run’s');
    url.searchParams.delete('token');
    res.writeHead(303, { 'Set-Cookie': tokenCookie(options.token), Location: `${url.pathname}${url.search}`, 'Cache-Control': 'no-store' });
    res.end();
    return undefined;
  }
  if (!tokenMatches(presentedToken(req), options.token)) {
    return refuse(req, res, 401, 'this needs the token printed by `hopscope serve`');
  }
  return url;
}

function answerError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof InputError) sendJson(res, 400, { error: err.message });
  else if (err instanceof HttpError) sendJson(res, err.status, { error: err.message });
  else sendJson(res, 500, { error: `internal error: ${(err as Error).message}` });
}

/** Refusals: JSON for the API, a short page a person can act on otherwise. */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string): undefined {
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
