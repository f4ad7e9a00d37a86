// What the cross-trace detectors read from a span or a log record, extracted once: identity, timing on
// a shared epoch, where it ran, and the few attributes that tie signals together (destinations, ids).
import type { AnyValue, Attributes, LogRecord, Resource, Span } from '../model';
import { SpanFlags, SpanKind, StatusCode, serviceName } from '../model';
import { hostOf } from './clock-skew';
import type { ResolvedOptions } from './options';

export interface SpanFact {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  service: string;
  /** One running process: service.instance.id, else host + pid, else the service alone. */
  instance: string;
  /** Whose clock the timestamps are on (the host), for ordering across hosts. */
  clock: string;
  /** Names the process answers to: host, pod, deployment and Kubernetes service names, lowercased. */
  hostNames: readonly string[];
  name: string;
  kind: SpanKind;
  /** Another span of its trace came first with the same id (a duplicate or a shared client/server id). */
  duplicate: boolean;
  /** ns after the set's epoch (exact for 104 days either side of it). */
  start: number;
  end: number;
  flags: number;
  traceState: string;
  error: boolean;
  /** Span ids (trace id + span id) this span links to. */
  links: string[];
  /** [key, value] of the correlation keys it carries. */
  correlation: [string, string][];
  requestIds: string[];
  messaging?: Messaging;
  rpc?: { service: string; method: string };
  http?: { method: string; route: string; path: string };
  /** Where a CLIENT/PRODUCER span sends to (server.address and the like), or, for a SERVER span, the host it was called by. */
  address: string;
  peerService: string;
  db: boolean;
}

export interface Messaging {
  system: string;
  destination: string;
  operation: string;
  group: string;
  partition: string;
}

export interface LogFact {
  /** Position in the input, to name the record in evidence. */
  index: number;
  traceId: string;
  spanId: string;
  flags: number;
  service: string;
  instance: string;
  /** The logger: instrumentation scope name, else a `logger` attribute. */
  logger: string;
  time: number;
  timeNs: bigint;
  body: string;
  requestIds: string[];
}

/** trace id + span id: the one key of a span across traces. */
export function spanKey(traceId: string, spanId: string): string {
  return traceId + spanId;
}

interface Placement {
  service: string;
  instance: string;
  clock: string;
  hostNames: readonly string[];
}

/** Builds facts on one epoch; resource lookups are cached per resource object (batches share them). */
export class FactBuilder {
  private readonly placements = new WeakMap<Resource, Placement>();
  private readonly roles = new Map<string, 'correlation' | 'request-id' | 'value'>();
  private readonly order = new Map<string, number>();
  private readonly values = new Map<string, string>();

  constructor(
    readonly epochNs: bigint,
    private readonly options: ResolvedOptions,
  ) {
    for (const key of VALUE_KEYS) this.roles.set(key, 'value');
    options.correlationKeys.forEach((key, i) => {
      this.roles.set(key, 'correlation');
      this.order.set(key, i);
    });
    for (const key of options.requestIdKeys) this.roles.set(key, 'request-id');
  }

  span(span: Span): SpanFact {
    const a = this.read(span.attributes);
    const where = this.placement(span.resource);
    const start = Number(span.startNs - this.epochNs);
    return {
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      service: where.service,
      instance: where.instance,
      clock: where.clock,
      hostNames: where.hostNames,
      name: span.name,
      kind: span.kind,
      duplicate: false,
      start,
      end: Math.max(start, Number(span.endNs - this.epochNs)),
      flags: span.flags,
      traceState: span.traceState,
      error: span.status.code === StatusCode.ERROR,
      links: span.links.length === 0 ? NONE : span.links.map((l) => spanKey(l.traceId, l.spanId)),
      correlation: a.correlation ?? NO_PAIRS,
      requestIds: a.requestIds ?? NONE,
      messaging: messagingOf(a.values),
      rpc: rpcOf(a.values),
      http: httpOf(a.values),
      address: addressOf(a.values),
      peerService: a.values.get('peer.service') ?? '',
      db: a.values.has('db.system') || a.values.has('db.system.name'),
    };
  }

  /**
   * One pass over the attributes, keeping the values of the keys this module knows (most attributes are
   * of no interest here, so looking each known key up would cost more).
   */
  private read(attributes: Attributes): { values: Map<string, string>; correlation?: [string, string][]; requestIds?: string[] } {
    // one map for every span: its values are used up before the next span is read
    const values = this.values;
    values.clear();
    let correlation: [string, string][] | undefined;
    let requestIds: string[] | undefined;
    for (const key in attributes) {
      const role = this.roles.get(key);
      if (role === undefined) continue;
      const value = text(attributes[key]);
      if (value === '') continue;
      if (role === 'correlation') (correlation ??= []).push([key, value]);
      else if (role === 'request-id') {
        if (!requestIds?.includes(value)) (requestIds ??= []).push(value);
      } else values.set(key, value);
    }
    // in the configured order, as the options list them
    correlation?.sort((x, y) => this.order.get(x[0])! - this.order.get(y[0])!);
    return { values, correlation, requestIds };
  }

  log(log: LogRecord, index: number): LogFact {
    const where = this.placement(log.resource);
    const timeNs = log.timeNs !== 0n ? log.timeNs : log.observedNs;
    return {
      index,
      traceId: log.traceId,
      spanId: log.spanId,
      flags: log.flags,
      service: where.service,
      instance: where.instance,
      logger: log.scope.name || text(log.attributes['logger']) || text(log.attributes['logger.name']),
      time: Number(timeNs - this.epochNs),
      timeNs,
      body: typeof log.body === 'string' ? log.body : '',
      requestIds: this.read(log.attributes).requestIds ?? NONE,
    };
  }

  private placement(resource: Resource): Placement {
    let p = this.placements.get(resource);
    if (!p) {
      p = placementOf(resource);
      this.placements.set(resource, p);
    }
    return p;
  }

}

function placementOf(resource: Resource): Placement {
  const service = serviceName(resource);
  const a = resource.attributes;
  const host = hostOf(resource);
  const process = text(a['service.instance.id']) || [host?.key ?? '', text(a['process.pid']), text(a['container.id']), text(a['k8s.pod.uid'])].join('|');
  const hostNames = ['host.name', 'k8s.pod.name', 'k8s.deployment.name', 'k8s.service.name', 'k8s.statefulset.name']
    .map((key) => text(a[key]).toLowerCase())
    .filter((name) => name !== '');
  return { service, instance: `${service}@${process}`, clock: host?.key ?? `${service}@${process}`, hostNames };
}

/** A scalar attribute as text ('' when absent or not scalar); for a string array, its first element. */
export function text(v: AnyValue | undefined): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.length > 0) return text(v[0]);
  return '';
}

// Most spans carry no links, ids or correlation keys: one shared empty array each, never written to.
const NONE: string[] = [];
const NO_PAIRS: [string, string][] = [];

/** The span attributes the detectors read besides correlation keys and request ids (semconv, old and new names). */
const VALUE_KEYS = [
  'messaging.system',
  'messaging.destination.name',
  'messaging.destination',
  'messaging.operation.type',
  'messaging.operation',
  'messaging.operation.name',
  'messaging.consumer.group.name',
  'messaging.kafka.consumer.group',
  'messaging.destination.partition.id',
  'messaging.kafka.destination.partition',
  'rpc.service',
  'rpc.method',
  'http.request.method',
  'http.method',
  'http.route',
  'url.path',
  'url.full',
  'http.url',
  'http.target',
  'server.address',
  'net.peer.name',
  'http.host',
  'peer.service',
  'db.system',
  'db.system.name',
];

type Values = ReadonlyMap<string, string>;

function first(v: Values, ...keys: string[]): string {
  for (const key of keys) {
    const value = v.get(key);
    if (value !== undefined) return value;
  }
  return '';
}

function messagingOf(v: Values): Messaging | undefined {
  const system = first(v, 'messaging.system');
  const destination = first(v, 'messaging.destination.name', 'messaging.destination');
  if (system === '' && destination === '') return undefined;
  return {
    system,
    destination,
    operation: first(v, 'messaging.operation.type', 'messaging.operation', 'messaging.operation.name'),
    group: first(v, 'messaging.consumer.group.name', 'messaging.kafka.consumer.group'),
    partition: first(v, 'messaging.destination.partition.id', 'messaging.kafka.destination.partition'),
  };
}

function rpcOf(v: Values): SpanFact['rpc'] {
  const service = first(v, 'rpc.service');
  const method = first(v, 'rpc.method');
  return service === '' && method === '' ? undefined : { service, method };
}

function httpOf(v: Values): SpanFact['http'] {
  const method = first(v, 'http.request.method', 'http.method');
  const route = first(v, 'http.route');
  const path = first(v, 'url.path') || urlPath(first(v, 'url.full', 'http.url')) || urlPath(first(v, 'http.target'));
  return method === '' && route === '' && path === '' ? undefined : { method: method.toUpperCase(), route, path };
}

function addressOf(v: Values): string {
  const address = first(v, 'server.address', 'net.peer.name', 'http.host') || urlHost(first(v, 'url.full', 'http.url'));
  return address === '' ? '' : hostPart(address);
}

function urlPath(url: string): string {
  if (url === '') return '';
  const noQuery = url.replace(/[?#].*$/, '');
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(noQuery);
  return m ? (m[1] ?? '/') : noQuery.startsWith('/') ? noQuery : '';
}

function urlHost(url: string): string {
  if (url === '') return '';
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/:?#]+)/i.exec(url);
  return m ? m[1] : '';
}

/**
 * A host name as services are named: lowercased, without port, and a Kubernetes service DNS name reduced
 * to the service (`orders.shop.svc.cluster.local:80` → `orders`); other names stay whole.
 */
export function hostPart(address: string): string {
  const lower = address.toLowerCase();
  const bracketed = /^\[([^\]]*)\]/.exec(lower);
  const host = bracketed ? bracketed[1] : (lower.match(/:/g) ?? []).length > 1 ? lower : lower.replace(/:\d*$/, '');
  const k8s = /^([^.]+)\.[^.]+\.svc(\.cluster\.local)?$/.exec(host);
  return k8s ? k8s[1] : host;
}

/** Whether the span is a root of its trace: no parent at all. */
export function isRoot(fact: SpanFact): boolean {
  return fact.parentSpanId === '';
}

/** Whether the sampled bit is set (a span imported without flags was exported, so it was). */
export function sampledFlag(flags: number): boolean {
  return flags === 0 || (flags & SpanFlags.SAMPLED) !== 0;
}
