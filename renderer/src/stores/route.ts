import { create } from 'zustand';
import { isTraceId, parseSpanKey, spanKey, type SpanRef } from '../../../common/wire';

// Hash routes work the same over http:// and when Electron loads the page from disk.
export type Route =
  | { view: 'traces' }
  | { view: 'trace'; traceId: string; spanId?: string }
  | { view: 'stitch'; from: SpanRef; to: SpanRef; spanId?: string }
  | { view: 'logs'; traceId?: string; spanId?: string }
  | { view: 'findings'; fingerprint?: string; object?: string }
  | { view: 'cluster' }
  | { view: 'sql' };

export function parseRoute(hash: string): Route {
  const [path, search = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean);
  const opt = (k: string) => params.get(k) || undefined;
  switch (parts[0]) {
    case 'trace':
      if (parts[1] && isTraceId(parts[1])) return { view: 'trace', traceId: parts[1], spanId: opt('span') };
      break;
    case 'stitch': {
      const from = parseSpanKey(opt('from') ?? '');
      const to = parseSpanKey(opt('to') ?? '');
      if (from && to) return { view: 'stitch', from, to, spanId: opt('span') };
      break;
    }
    case 'logs':
      return { view: 'logs', traceId: opt('trace'), spanId: opt('span') };
    case 'findings':
      return { view: 'findings', fingerprint: parts[1], object: opt('object') };
    case 'cluster':
      return { view: 'cluster' };
    case 'sql':
      return { view: 'sql' };
  }
  return { view: 'traces' };
}

export function routeHash(route: Route): string {
  const q = (params: Record<string, string | undefined>) => {
    const s = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined)).toString();
    return s ? `?${s}` : '';
  };
  switch (route.view) {
    case 'traces':
      return '#/traces';
    case 'trace':
      return `#/trace/${route.traceId}${q({ span: route.spanId })}`;
    case 'stitch':
      return `#/stitch${q({ from: spanKey(route.from), to: spanKey(route.to), span: route.spanId })}`;
    case 'logs':
      return `#/logs${q({ trace: route.traceId, span: route.spanId })}`;
    case 'findings':
      return `#/findings${route.fingerprint ? `/${route.fingerprint}` : ''}${q({ object: route.object })}`;
    case 'cluster':
      return '#/cluster';
    case 'sql':
      return '#/sql';
  }
}

interface RouteState {
  route: Route;
}

export const useRoute = create<RouteState>()(() => ({ route: parseRoute(window.location.hash) }));

window.addEventListener('hashchange', () => useRoute.setState({ route: parseRoute(window.location.hash) }));

export function navigate(route: Route, options: { replace?: boolean } = {}): void {
  const hash = routeHash(route);
  if (options.replace) window.history.replaceState(null, '', hash);
  else window.history.pushState(null, '', hash);
  useRoute.setState({ route: parseRoute(hash) });
}

export function traceHref(traceId: string, spanId?: string): string {
  return routeHash({ view: 'trace', traceId, spanId });
}

/** The stitch's two traces shown as one, at `spanId` (the consumer by default). */
export function stitchHref(s: { from: SpanRef; to: SpanRef }, spanId = s.to.spanId): string {
  return routeHash({ view: 'stitch', from: s.from, to: s.to, spanId });
}
