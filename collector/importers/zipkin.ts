// Zipkin v2 JSON → model (zipkin-v1.ts converts v1 into the same intermediate spans first).
//
// Accepted shapes: an array of spans (a trace as Zipkin UI downloads it), an array of traces
// (/api/v2/traces), or one span object.
//
// Mapping: kind → kind (absent → UNSPECIFIED, as the OpenTelemetry collector does); timestamp and
// duration (µs) → start/end (no duration → end = start; no timestamp → the earliest annotation's,
// and with neither the file is refused); annotations → events; tags → string
// attributes, except `error` (→ status ERROR, its value the message), `otel.status_code` /
// `otel.status_description` (→ status) and `otel.scope.*` / `otel.library.*` (→ scope).
// localEndpoint → resource: `service.name` (absent when the endpoint has none) and `host.ip`;
// its port → `network.local.port`. remoteEndpoint → `peer.service`, `network.peer.address` /
// `network.peer.port`, and `server.address` / `server.port` on CLIENT, PRODUCER and CONSUMER spans
// or `client.address` / `client.port` on SERVER spans (tags of the same name win). `debug` →
// attribute `zipkin.debug`; every span gets the W3C sampled flag, since Zipkin only receives
// sampled spans.
//
// Before mapping, as Zipkin's own trace merging does: a 64-bit trace id is widened to the 128-bit
// id that other spans of the same trace carry; pieces of one span reported separately (same id,
// compatible endpoint and kind, one of them a fragment: see isFragment) are merged.
// Client and server halves sharing one id are then split (shared-spans.ts). Ids: see ids.ts.
import { InputError } from '../errors';
import {
  SpanFlags,
  SpanKind,
  emptyResource,
  newSpan,
  setAttribute,
  type Attributes,
  type Resource,
  type Span,
  type TelemetryBatch,
} from '../model';
import { ScopeTable, takeStatus } from './conventions';
import { microsToNs, normalizeParentId, normalizeSpanId, normalizeTraceId } from './ids';
import { expectObject, optionalArray, optionalNumber, optionalString, type JsonObject } from './json-shape';
import { splitSharedSpans } from './shared-spans';

export type ZipkinKind = 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';

export interface ZipkinEndpoint {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

export interface ZipkinAnnotation {
  /** Microseconds since the epoch. */
  timestamp: number;
  value: string;
}

/** A Zipkin v2 span, checked and with normalised ids. */
export interface ZipkinSpan {
  /** Where in the document it came from, for messages. */
  field: string;
  traceId: string;
  id: string;
  parentId: string;
  name: string;
  kind?: ZipkinKind;
  /** Microseconds; absent when the reporter did not know (a fragment, a late server half). */
  timestamp?: number;
  duration?: number;
  localEndpoint?: ZipkinEndpoint;
  remoteEndpoint?: ZipkinEndpoint;
  annotations: ZipkinAnnotation[];
  tags: Map<string, string>;
  shared: boolean;
  debug: boolean;
}

const KINDS: Record<ZipkinKind, SpanKind> = {
  CLIENT: SpanKind.CLIENT,
  SERVER: SpanKind.SERVER,
  PRODUCER: SpanKind.PRODUCER,
  CONSUMER: SpanKind.CONSUMER,
};

export function zipkinV2ToModel(doc: unknown): TelemetryBatch {
  return zipkinSpansToModel(spanObjects(doc).map(([value, field]) => parseV2Span(value, field)));
}

/** The span objects of a Zipkin document with their paths: a span, an array of spans, or an array of traces. */
export function spanObjects(doc: unknown): [JsonObject, string][] {
  if (!Array.isArray(doc)) return [[expectObject(doc, 'document'), 'document']];
  return doc.flatMap((item, i): [JsonObject, string][] =>
    Array.isArray(item) ? item.map((span, j): [JsonObject, string] => [expectObject(span, `[${i}][${j}]`), `[${i}][${j}]`]) : [[expectObject(item, `[${i}]`), `[${i}]`]],
  );
}

function parseV2Span(span: JsonObject, field: string): ZipkinSpan {
  const kind = optionalString(span.kind, `${field}.kind`)?.toUpperCase();
  if (kind !== undefined && !Object.hasOwn(KINDS, kind)) throw new InputError(`${field}.kind: expected CLIENT, SERVER, PRODUCER or CONSUMER, got ${JSON.stringify(span.kind)}`, { field: `${field}.kind` });
  const tags = new Map<string, string>();
  if (span.tags !== undefined && span.tags !== null) {
    for (const [key, value] of Object.entries(expectObject(span.tags, `${field}.tags`))) tags.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return {
    ...parseSpanBase(span, field),
    kind: kind as ZipkinKind | undefined,
    localEndpoint: parseEndpoint(span.localEndpoint, `${field}.localEndpoint`),
    remoteEndpoint: parseEndpoint(span.remoteEndpoint, `${field}.remoteEndpoint`),
    annotations: optionalArray(span.annotations, `${field}.annotations`).map((a, i) => parseAnnotation(a, `${field}.annotations[${i}]`)),
    tags,
    shared: span.shared === true,
  };
}

/** What v1 and v2 spans have alike: ids, name, timestamp and duration (0 reads as unknown), debug. */
export function parseSpanBase(span: JsonObject, field: string): Pick<ZipkinSpan, 'field' | 'traceId' | 'id' | 'parentId' | 'name' | 'timestamp' | 'duration' | 'debug'> {
  return {
    field,
    traceId: normalizeTraceId(span.traceId, `${field}.traceId`),
    id: normalizeSpanId(span.id, `${field}.id`),
    parentId: normalizeParentId(span.parentId, `${field}.parentId`),
    name: optionalString(span.name, `${field}.name`) ?? '',
    timestamp: optionalNumber(span.timestamp, `${field}.timestamp`) || undefined,
    duration: optionalNumber(span.duration, `${field}.duration`) || undefined,
    debug: span.debug === true,
  };
}

export function parseEndpoint(value: unknown, field: string): ZipkinEndpoint | undefined {
  if (value === undefined || value === null) return undefined;
  const e = expectObject(value, field);
  return {
    serviceName: optionalString(e.serviceName, `${field}.serviceName`) || undefined,
    ipv4: optionalString(e.ipv4, `${field}.ipv4`) || undefined,
    ipv6: optionalString(e.ipv6, `${field}.ipv6`) || undefined,
    port: optionalNumber(e.port, `${field}.port`) || undefined,
  };
}

function parseAnnotation(value: unknown, field: string): ZipkinAnnotation {
  const a = expectObject(value, field);
  const timestamp = optionalNumber(a.timestamp, `${field}.timestamp`);
  if (timestamp === undefined) throw new InputError(`${field}.timestamp: an annotation needs a timestamp`, { field: `${field}.timestamp` });
  return { timestamp, value: optionalString(a.value, `${field}.value`) ?? '' };
}

/** Zipkin v2 spans (from either version) → model spans; the steps are described at the top of this file. */
export function zipkinSpansToModel(zipkinSpans: ZipkinSpan[]): TelemetryBatch {
  widenTraceIds(zipkinSpans);
  const resources = new Map<string, Resource>();
  const scopes = new ScopeTable();
  const spans = mergeFragments(zipkinSpans).map((s) => toModelSpan(s, resources, scopes));
  splitSharedSpans(spans);
  return { spans, logs: [], metricPoints: 0 };
}

function widenTraceIds(spans: ZipkinSpan[]): void {
  const wide = new Map<string, Set<string>>();
  for (const s of spans) {
    if (s.traceId.startsWith('0000000000000000')) continue;
    const low = s.traceId.slice(16);
    wide.set(low, (wide.get(low) ?? new Set()).add(s.traceId));
  }
  if (wide.size === 0) return;
  for (const s of spans) {
    const candidates = s.traceId.startsWith('0000000000000000') ? wide.get(s.traceId.slice(16)) : undefined;
    if (candidates?.size === 1) s.traceId = [...candidates][0];
  }
}

function mergeFragments(spans: ZipkinSpan[]): ZipkinSpan[] {
  const byId = new Map<string, ZipkinSpan[]>();
  const merged: ZipkinSpan[] = [];
  for (const span of spans) {
    const key = span.traceId + span.id;
    const same = byId.get(key) ?? [];
    const into = same.find((other) => piecesOfOneSpan(other, span));
    if (!into) {
      same.push(span);
      byId.set(key, same);
      merged.push(span);
    } else if (isFragment(into) && !isFragment(span)) {
      // The complete piece is the base, so its fields win.
      mergeInto(span, into);
      same[same.indexOf(into)] = span;
      merged[merged.indexOf(into)] = span;
    } else {
      mergeInto(into, span);
    }
  }
  return merged;
}

/**
 * A piece that cannot stand alone as a span: no timestamp, or neither kind nor local endpoint
 * (an annotation reported on its own). A span that merely never reported its duration is whole.
 */
function isFragment(span: ZipkinSpan): boolean {
  return span.timestamp === undefined || (!span.kind && !span.localEndpoint);
}

function piecesOfOneSpan(a: ZipkinSpan, b: ZipkinSpan): boolean {
  const kindsAgree = !a.kind || !b.kind || a.kind === b.kind;
  return (isFragment(a) || isFragment(b)) && kindsAgree && endpointsAgree(a.localEndpoint, b.localEndpoint);
}

function endpointsAgree(a: ZipkinEndpoint | undefined, b: ZipkinEndpoint | undefined): boolean {
  if (!a || !b) return true;
  const agree = <T>(x: T | undefined, y: T | undefined) => x === undefined || y === undefined || x === y;
  return agree(a.serviceName, b.serviceName) && agree(a.ipv4, b.ipv4) && agree(a.ipv6, b.ipv6) && agree(a.port, b.port);
}

function mergeInto(base: ZipkinSpan, piece: ZipkinSpan): void {
  base.parentId ||= piece.parentId;
  base.name ||= piece.name;
  base.kind ??= piece.kind;
  base.timestamp ??= piece.timestamp;
  base.duration ??= piece.duration;
  base.localEndpoint = base.localEndpoint || piece.localEndpoint ? { ...piece.localEndpoint, ...base.localEndpoint } : undefined;
  base.remoteEndpoint = base.remoteEndpoint || piece.remoteEndpoint ? { ...piece.remoteEndpoint, ...base.remoteEndpoint } : undefined;
  for (const a of piece.annotations) {
    if (!base.annotations.some((b) => b.timestamp === a.timestamp && b.value === a.value)) base.annotations.push(a);
  }
  for (const [key, value] of piece.tags) if (!base.tags.has(key)) base.tags.set(key, value);
  base.shared ||= piece.shared;
  base.debug ||= piece.debug;
}

function toModelSpan(z: ZipkinSpan, resources: Map<string, Resource>, scopes: ScopeTable): Span {
  const timestamp = z.timestamp ?? (z.annotations.length ? Math.min(...z.annotations.map((a) => a.timestamp)) : undefined);
  if (timestamp === undefined) {
    throw new InputError(`${z.field}: span ${z.id} ${JSON.stringify(z.name)} has no timestamp, and no annotation to take one from`, { field: `${z.field}.timestamp` });
  }
  const attributes: Attributes = {};
  for (const [key, value] of z.tags) setAttribute(attributes, key, value);
  const status = takeStatus(attributes, 'zipkin');
  const scope = scopes.take(attributes);
  const kind = z.kind ? KINDS[z.kind] : SpanKind.UNSPECIFIED;
  const put = (key: string, value: string | bigint | undefined) => {
    if (value !== undefined && value !== '' && !Object.hasOwn(attributes, key)) setAttribute(attributes, key, value);
  };
  const port = (p: number | undefined) => (p === undefined ? undefined : BigInt(Math.trunc(p)));
  put('network.local.port', port(z.localEndpoint?.port));
  const remote = z.remoteEndpoint;
  if (remote) {
    const address = remote.ipv4 ?? remote.ipv6;
    put('peer.service', remote.serviceName);
    put('network.peer.address', address);
    put('network.peer.port', port(remote.port));
    const side = kind === SpanKind.SERVER ? 'client' : kind === SpanKind.UNSPECIFIED ? undefined : 'server';
    if (side) {
      put(`${side}.address`, address);
      put(`${side}.port`, port(remote.port));
    }
  }
  if (z.debug) setAttribute(attributes, 'zipkin.debug', true);
  const startNs = microsToNs(timestamp, `${z.field}.timestamp`);
  return newSpan({
    traceId: z.traceId,
    spanId: z.id,
    parentSpanId: z.parentId,
    flags: SpanFlags.SAMPLED,
    name: z.name,
    kind,
    startNs,
    endNs: startNs + (z.duration === undefined ? 0n : microsToNs(z.duration, `${z.field}.duration`)),
    attributes,
    events: z.annotations.map((a) => ({ timeNs: microsToNs(a.timestamp, `${z.field}.annotations`), name: a.value, attributes: {}, droppedAttributesCount: 0 })),
    status,
    resource: endpointResource(z.localEndpoint, resources),
    scope,
  });
}

/** One Resource per (service, address) local endpoint: a Zipkin endpoint is a service instance. */
function endpointResource(endpoint: ZipkinEndpoint | undefined, resources: Map<string, Resource>): Resource {
  const key = `${endpoint?.serviceName ?? ''}\u0000${endpoint?.ipv4 ?? ''}\u0000${endpoint?.ipv6 ?? ''}`;
  const known = resources.get(key);
  if (known) return known;
  const resource = emptyResource();
  if (endpoint?.serviceName) setAttribute(resource.attributes, 'service.name', endpoint.serviceName);
  const ips = [endpoint?.ipv4, endpoint?.ipv6].filter((ip): ip is string => ip !== undefined);
  if (ips.length) setAttribute(resource.attributes, 'host.ip', ips);
  resources.set(key, resource);
  return resource;
}

