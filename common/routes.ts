// The UI API, declared once: each endpoint's method, path template and the types of its path
// parameters, query, body and answer. The server registers one handler per entry and the client
// builds its calls from the same entries, so a path is written here and nowhere else.
import {
  isObjectUid,
  isSpanId,
  isTraceId,
  type WireClusterObject,
  type WireClusterConnect,
  type WireClusterObjectQuery,
  type WireClusterStatus,
  type WireClusterWorkloads,
  type WireEventMap,
  type WireFindings,
  type WireImportQuery,
  type WireImportResult,
  type WireInfo,
  type WireLogPage,
  type WireLogQuery,
  type WireOperations,
  type WireRetention,
  type WireRetentionLimits,
  type WirePage,
  type WireServices,
  type WireSpanDetail,
  type WireSpanSearch,
  type WireSpanSearchQuery,
  type WireSqlCancel,
  type WireSqlCancelled,
  type WireSqlQuery,
  type WireSqlResult,
  type WireStats,
  type WireStitchQuery,
  type WireTestTrace,
  type WireTrace,
  type WireTraceQuery,
  type WireTraceSummary,
} from './wire';

export type Method = 'GET' | 'POST';

/** How a request body travels: none, one JSON document, or a file's bytes streamed as they are. */
export type BodyKind = 'none' | 'json' | 'file';

/** What each path parameter name accepts: a path whose segment does not fit names no endpoint. */
const PATH_PARAMS = { traceId: isTraceId, spanId: isSpanId, uid: isObjectUid };

type PathParamName = keyof typeof PATH_PARAMS;

/** The names of the `:name` segments of a path template. */
type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}` ? Name | ParamNames<Rest> : P extends `${string}:${infer Name}` ? Name : never;

export type PathParams<P extends string> = { [K in ParamNames<P>]: string };

/** A query parameter's value; an array repeats the parameter, undefined and '' leave it out. */
export type QueryValue = string | number | boolean | string[] | undefined;

export interface Route<P extends string = string, Q = unknown, B = unknown, R = unknown> {
  readonly method: Method;
  /** A template such as `/api/traces/:traceId`. */
  readonly path: P;
  readonly body: BodyKind;
  /** `json`: one document with status 200; `events`: a text/event-stream that stays open. */
  readonly reply: 'json' | 'events';
  /** The declared query, body and answer, for the compiler only: never set. */
  readonly types?: { query: Q; body: B; result: R };
}

export type QueryOf<R extends Route> = NonNullable<R['types']>['query'];
export type BodyOf<R extends Route> = NonNullable<R['types']>['body'];
export type ResultOf<R extends Route> = NonNullable<R['types']>['result'];

/** What a call of a route supplies: path parameters, query and body, each only where the route has them. */
export type RouteInput<R extends Route> = ([ParamNames<R['path']>] extends [never] ? unknown : { params: PathParams<R['path']> }) &
  ([QueryOf<R>] extends [undefined] ? unknown : { query: QueryOf<R> }) &
  ([BodyOf<R>] extends [undefined] ? unknown : { body: BodyOf<R> });

/** A route being declared: `get(path).query<Q>().returns<R>()`. */
class Declaration<P extends string, Q, B> {
  constructor(
    private readonly method: Method,
    private readonly path: P,
    private readonly body: BodyKind = 'none',
  ) {}

  query<Q2 extends { [K in keyof Q2]: QueryValue }>(): Declaration<P, Q2, B> {
    return new Declaration(this.method, this.path, this.body);
  }

  json<B2>(): Declaration<P, Q, B2> {
    return new Declaration(this.method, this.path, 'json');
  }

  file(): Declaration<P, Q, Blob> {
    return new Declaration(this.method, this.path, 'file');
  }

  returns<R>(): Route<P, Q, B, R> & { reply: 'json' } {
    return { method: this.method, path: this.path, body: this.body, reply: 'json' };
  }

  /** Server-sent events, named and typed by `E`'s keys and values. */
  events<E>(): Route<P, Q, B, E> & { reply: 'events' } {
    return { method: this.method, path: this.path, body: this.body, reply: 'events' };
  }
}

/** A template may only name parameters whose format PATH_PARAMS knows. */
type KnownParams<P extends string> = [ParamNames<P>] extends [PathParamName] ? unknown : { unknownPathParam: Exclude<ParamNames<P>, PathParamName> };

function get<P extends string>(path: P & KnownParams<P>): Declaration<P, undefined, undefined> {
  return new Declaration('GET', path);
}

function post<P extends string>(path: P & KnownParams<P>): Declaration<P, undefined, undefined> {
  return new Declaration('POST', path);
}

export const routes = {
  info: get('/api/info').returns<WireInfo>(),
  stats: get('/api/stats').returns<WireStats>(),
  services: get('/api/services').returns<WireServices>(),
  operations: get('/api/operations').query<{ service: string }>().returns<WireOperations>(),
  searchTraces: get('/api/traces').query<WireTraceQuery>().returns<WirePage<WireTraceSummary>>(),
  trace: get('/api/traces/:traceId').returns<WireTrace>(),
  spanDetail: get('/api/traces/:traceId/spans/:spanId').returns<WireSpanDetail>(),
  searchSpans: get('/api/span-search').query<WireSpanSearchQuery>().returns<WireSpanSearch>(),
  stitched: get('/api/stitched').query<WireStitchQuery>().returns<WireTrace>(),
  searchLogs: get('/api/logs').query<WireLogQuery>().returns<WireLogPage>(),
  findings: get('/api/findings').returns<WireFindings>(),
  clusterObject: get('/api/cluster/objects/:uid').query<WireClusterObjectQuery>().returns<WireClusterObject>(),
  clusterStatus: get('/api/cluster').returns<WireClusterStatus>(),
  connectCluster: post('/api/cluster/connect').json<WireClusterConnect>().returns<WireClusterStatus>(),
  disconnectCluster: post('/api/cluster/disconnect').returns<WireClusterStatus>(),
  clusterWorkloads: get('/api/cluster/workloads').returns<WireClusterWorkloads>(),
  events: get('/api/events').events<WireEventMap>(),
  importFile: post('/api/import').query<WireImportQuery>().file().returns<WireImportResult>(),
  sendTestTrace: post('/api/test-trace').returns<WireTestTrace>(),
  setRetention: post('/api/retention').json<WireRetentionLimits>().returns<WireRetention>(),
  querySql: post('/api/sql').json<WireSqlQuery>().returns<WireSqlResult>(),
  cancelSql: post('/api/sql/cancel').json<WireSqlCancel>().returns<WireSqlCancelled>(),
};

export type Routes = typeof routes;
export type RouteName = keyof Routes;

/** The route's path with its parameters filled in, each percent-encoded. */
export function buildPath<P extends string>(route: Route<P>, params: PathParams<P>): string {
  const values: Record<string, string> = params;
  return route.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(values[name]));
}

/** Path and query string of a call; the body travels separately. */
export function buildUrl<R extends Route>(route: R, input: RouteInput<R>): string {
  const { params = {}, query = {} } = input as { params?: Record<string, string>; query?: Record<string, QueryValue> };
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === '') continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(key, String(v));
  }
  const text = search.toString();
  return `${buildPath(route, params)}${text ? `?${text}` : ''}`;
}

/** The path parameters, decoded, when `pathname` is the route's path and every parameter fits its format. */
export function matchPath<P extends string>(route: Route<P>, pathname: string): PathParams<P> | undefined {
  const template = route.path.split('/');
  const segments = pathname.split('/');
  if (segments.length !== template.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of template.entries()) {
    if (!part.startsWith(':')) {
      if (segments[i] !== part) return undefined;
      continue;
    }
    const name = part.slice(1) as PathParamName;
    const value = decodeSegment(segments[i]);
    if (value === undefined || !PATH_PARAMS[name](value)) return undefined;
    params[name] = value;
  }
  return params as PathParams<P>;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
