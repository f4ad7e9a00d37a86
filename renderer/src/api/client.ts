import type {
  WireEventMap,
  WireEventName,
  WireFindings,
  WireImportResult,
  WireInfo,
  WireLogPage,
  WirePage,
  WireStats,
  WireTrace,
  WireTraceSummary,
  WireSpanDetail,
  WireSpanSearch,
  SpanRef,
} from '../../../collector/api/wire';
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

/** Trace search as the UI holds it; durations and times are nanoseconds as decimal strings. */
export interface TraceFilter {
  service?: string;
  operation?: string;
  minDurationNs?: string;
  maxDurationNs?: string;
  status?: 'error' | 'ok';
  /** `key=value` pairs. */
  attributes?: string[];
  hasFinding?: boolean;
  fromNs?: string;
  toNs?: string;
}

export interface LogFilter {
  service?: string;
  minSeverity?: number;
  text?: string;
  traceId?: string;
  spanId?: string;
}

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

type EventHandlers = { [E in WireEventName]?: (data: WireEventMap[E]) => void };

const RECONNECT_MS = 2000;

function query(params: Record<string, string | number | boolean | string[] | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === '') continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(key, String(v));
  }
  const s = search.toString();
  return s ? `?${s}` : '';
}

/** The one way the renderer talks to the collector, in a browser and in Electron alike. */
export class ApiClient {
  constructor(private readonly connection: Connection) {}

  info(): Promise<WireInfo> {
    return this.get('/api/info');
  }

  stats(): Promise<WireStats> {
    return this.get('/api/stats');
  }

  async services(): Promise<string[]> {
    return (await this.get<{ services: string[] }>('/api/services')).services;
  }

  async operations(service: string): Promise<string[]> {
    return (await this.get<{ operations: string[] }>(`/api/operations${query({ service })}`)).operations;
  }

  searchTraces(filter: TraceFilter, page: { limit?: number; cursor?: string } = {}): Promise<WirePage<WireTraceSummary>> {
    const { attributes, ...rest } = filter;
    return this.get(`/api/traces${query({ ...rest, attr: attributes, ...page })}`);
  }

  trace(traceId: string, signal?: AbortSignal): Promise<WireTrace> {
    return this.get(`/api/traces/${encodeURIComponent(traceId)}`, signal);
  }

  spanDetail(traceId: string, spanId: string, signal?: AbortSignal): Promise<WireSpanDetail> {
    return this.get(`/api/traces/${encodeURIComponent(traceId)}/spans/${encodeURIComponent(spanId)}`, signal);
  }

  async searchSpans(traceIds: string[], q: string, signal?: AbortSignal): Promise<SpanRef[]> {
    return (await this.get<WireSpanSearch>(`/api/span-search${query({ traceId: traceIds, q })}`, signal)).matches;
  }

  stitched(from: SpanRef, to: SpanRef, signal?: AbortSignal): Promise<WireTrace> {
    return this.get(`/api/stitched${query({ from: `${from.traceId}:${from.spanId}`, to: `${to.traceId}:${to.spanId}` })}`, signal);
  }

  searchLogs(filter: LogFilter, page: { limit?: number; cursor?: string } = {}): Promise<WireLogPage> {
    return this.get(`/api/logs${query({ ...filter, ...page })}`);
  }

  findings(): Promise<WireFindings> {
    return this.get('/api/findings');
  }

  sendTestTrace(): Promise<{ traceId: string }> {
    return this.request('/api/test-trace', { method: 'POST' });
  }

  /** Uploads a trace file; progress arrives as `import` events carrying `id`. */
  importFile(file: Blob, name: string, id: string): Promise<WireImportResult> {
    return this.request(`/api/import${query({ name, id })}`, { method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' } });
  }

  /**
   * Follows `/api/events` until `signal` aborts, reconnecting after drops. Read with fetch rather
   * than EventSource so that Electron can send the token as a header.
   */
  async followEvents(handlers: EventHandlers, onStatus: (s: LiveStatus) => void, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const res = await fetch(`${this.connection.baseUrl}/api/events`, { headers: this.headers(), credentials: this.credentials(), signal });
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

  private get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request(path, { signal });
  }

  private async request<T>(path: string, init: RequestInit): Promise<T> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.headers())) headers.set(k, v);
    const res = await fetch(`${this.connection.baseUrl}${path}`, { ...init, headers, credentials: this.credentials() });
    if (!res.ok) {
      const body = (await res.json().catch(() => undefined)) as { error?: string } | undefined;
      throw new ApiError(res.status, body?.error ?? `${res.status} ${res.statusText}`);
    }
    return (await res.json()) as T;
  }

  private headers(): Record<string, string> {
    return this.connection.token ? { Authorization: `Bearer ${this.connection.token}` } : {};
  }

  private credentials(): RequestCredentials {
    return this.connection.token ? 'omit' : 'same-origin';
  }
}
