import { buildUrl, routes, type ResultOf, type Route, type RouteInput } from '../../../common/routes';
import {
  spanKey,
  type SpanRef,
  type WireEventMap,
  type WireClusterObject,
  type WireClusterObjectQuery,
  type WireClusterStatus,
  type WireRetention,
  type WireRetentionLimits,
  type WireClusterWorkloads,
  type WireError,
  type WireEventName,
  type WireFindings,
  type WireImportResult,
  type WireInfo,
  type WireLogPage,
  type WireLogQuery,
  type WirePage,
  type WirePageQuery,
  type WireSpanDetail,
  type WireSqlResult,
  type WireStats,
  type WireTestTrace,
  type WireTrace,
  type WireTraceQuery,
  type WireTraceSummary,
} from '../../../common/wire';
import type { Connection } from './connection';
import { sseParser } from './sse';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Trace search as the UI holds it: the query without paging, `key=value` pairs as `attributes`. */
export interface TraceFilter extends Omit<WireTraceQuery, 'attr' | keyof WirePageQuery> {
  attributes?: string[];
}

/** Log search as the UI holds it: the query without paging. */
export type LogFilter = Omit<WireLogQuery, keyof WirePageQuery>;

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

type EventHandlers = { [E in WireEventName]?: (data: WireEventMap[E]) => void };

const RECONNECT_MS = 2000;

/** The one way the renderer talks to the collector, in a browser and in Electron alike; every call is a route of common/routes. */
export class ApiClient {
  constructor(private readonly connection: Connection) {}

  info(): Promise<WireInfo> {
    return this.call(routes.info, {});
  }

  stats(): Promise<WireStats> {
    return this.call(routes.stats, {});
  }

  async services(): Promise<string[]> {
    return (await this.call(routes.services, {})).services;
  }

  async operations(service: string): Promise<string[]> {
    return (await this.call(routes.operations, { query: { service } })).operations;
  }

  searchTraces(filter: TraceFilter, page: WirePageQuery = {}): Promise<WirePage<WireTraceSummary>> {
    const { attributes, ...rest } = filter;
    return this.call(routes.searchTraces, { query: { ...rest, attr: attributes, ...page } });
  }

  trace(traceId: string, signal?: AbortSignal): Promise<WireTrace> {
    return this.call(routes.trace, { params: { traceId } }, signal);
  }

  spanDetail(traceId: string, spanId: string, signal?: AbortSignal): Promise<WireSpanDetail> {
    return this.call(routes.spanDetail, { params: { traceId, spanId } }, signal);
  }

  async searchSpans(traceIds: string[], q: string, signal?: AbortSignal): Promise<SpanRef[]> {
    return (await this.call(routes.searchSpans, { query: { traceId: traceIds, q } }, signal)).matches;
  }

  stitched(from: SpanRef, to: SpanRef, signal?: AbortSignal): Promise<WireTrace> {
    return this.call(routes.stitched, { query: { from: spanKey(from), to: spanKey(to) } }, signal);
  }

  searchLogs(filter: LogFilter, page: WirePageQuery = {}): Promise<WireLogPage> {
    return this.call(routes.searchLogs, { query: { ...filter, ...page } });
  }

  findings(): Promise<WireFindings> {
    return this.call(routes.findings, {});
  }

  /** A Kubernetes object as it was at a span's start (`atMs`) or a finding's occurrence (`finding`), or as it is now. */
  clusterObject(uid: string, at: WireClusterObjectQuery, signal?: AbortSignal): Promise<WireClusterObject> {
    return this.call(routes.clusterObject, { params: { uid }, query: at }, signal);
  }

  /** What is watched, the kubeconfig's contexts, and the clusters with recorded history. */
  clusterStatus(signal?: AbortSignal): Promise<WireClusterStatus> {
    return this.call(routes.clusterStatus, {}, signal);
  }

  /** Watches a context from now on ([] namespaces: all the user may list); remembered for the next start. */
  connectCluster(context: string, namespaces: string[]): Promise<WireClusterStatus> {
    return this.call(routes.connectCluster, { body: { context, namespaces } });
  }

  /** New retention limits, applied now and kept for the next start. */
  setRetention(limits: WireRetentionLimits): Promise<WireRetention> {
    return this.call(routes.setRetention, { body: limits });
  }

  disconnectCluster(): Promise<WireClusterStatus> {
    return this.call(routes.disconnectCluster, {});
  }

  clusterWorkloads(signal?: AbortSignal): Promise<WireClusterWorkloads> {
    return this.call(routes.clusterWorkloads, {}, signal);
  }

  sendTestTrace(): Promise<WireTestTrace> {
    return this.call(routes.sendTestTrace, {});
  }

  /** Uploads a trace file; progress arrives as `import` events carrying `id`. */
  importFile(file: Blob, name: string, id: string): Promise<WireImportResult> {
    return this.call(routes.importFile, { query: { name, id }, body: file });
  }

  /** Runs read-only SQL against the store; aborting `signal`, or cancelSql with `id`, stops it. */
  querySql(sql: string, maxRows?: number, options: { timeoutMs?: number; id?: string; signal?: AbortSignal } = {}): Promise<WireSqlResult> {
    return this.call(routes.querySql, { body: { sql, maxRows, timeoutMs: options.timeoutMs, id: options.id } }, options.signal);
  }

  /** Stops the query sent with this id; false when none such was running. */
  async cancelSql(id: string): Promise<boolean> {
    return (await this.call(routes.cancelSql, { body: { id } })).cancelled;
  }

  /**
   * Follows the event stream until `signal` aborts, reconnecting after drops. Read with fetch rather
   * than EventSource so that Electron can send the token as a header.
   */
  async followEvents(handlers: EventHandlers, onStatus: (s: LiveStatus) => void, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const res = await fetch(`${this.connection.baseUrl}${buildUrl(routes.events, {})}`, { headers: this.headers(), credentials: this.credentials(), signal });
        if (res.status === 401) {
          onStatus('unauthorized');
          return;
        }
        if (!res.ok || !res.body) throw new ApiError(res.status, res.statusText);
        onStatus('live');
        const feed = sseParser((event, data) => {
          const handler = handlers[event as WireEventName] as ((d: unknown) => void) | undefined;
          handler?.(JSON.parse(data));
        });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        while (true) {
          const { done, value } = await reader.read();
          if (done) break;
          feed(value);
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof SyntaxError) console.error('hopscope: bad event from the server', err);
      }
      onStatus('reconnecting');
      await new Promise((resolve) => window.setTimeout(resolve, RECONNECT_MS));
    }
  }

  private async call<R extends Route>(route: R, input: RouteInput<R>, signal?: AbortSignal): Promise<ResultOf<R>> {
    const headers = new Headers(this.headers());
    let body: BodyInit | undefined;
    if (route.body !== 'none') {
      const { body: value } = input as { body: unknown };
      headers.set('Content-Type', route.body === 'json' ? 'application/json' : 'application/octet-stream');
      body = route.body === 'json' ? JSON.stringify(value) : (value as Blob);
    }
    const res = await fetch(`${this.connection.baseUrl}${buildUrl(route, input)}`, { method: route.method, headers, body, signal, credentials: this.credentials() });
    if (!res.ok) {
      const refusal = (await res.json().catch(() => undefined)) as Partial<WireError> | undefined;
      throw new ApiError(res.status, refusal?.error ?? `${res.status} ${res.statusText}`);
    }
    return (await res.json()) as ResultOf<R>;
  }

  private headers(): Record<string, string> {
    return this.connection.token ? { Authorization: `Bearer ${this.connection.token}` } : {};
  }

  private credentials(): RequestCredentials {
    return this.connection.token ? 'omit' : 'same-origin';
  }
}
