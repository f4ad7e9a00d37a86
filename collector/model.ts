// The one in-memory model every receiver and importer produces and every consumer reads.
// Attribute values keep their OTLP types: int64 is always `bigint`, double is always `number`,
// so a double 3.0 from a Go service is still a double when it is exported again.

export type AnyValue =
  | string
  | boolean
  | bigint
  | number
  | Uint8Array
  | AnyValue[]
  | KeyValueList
  | null;

/** An OTLP kvlist value. Wrapped so that it cannot be confused with any other value kind. */
export interface KeyValueList {
  readonly kvlist: Attributes;
}

/** Attribute key → value. Built with `setAttribute` so hostile keys such as `__proto__` are plain keys. */
export type Attributes = Record<string, AnyValue>;

export function setAttribute(attrs: Attributes, key: string, value: AnyValue): void {
  if (key === '__proto__') {
    Object.defineProperty(attrs, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    attrs[key] = value;
  }
}

export function isKeyValueList(v: AnyValue): v is KeyValueList {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export interface Resource {
  attributes: Attributes;
  droppedAttributesCount: number;
  /** ResourceSpans.schema_url / ResourceLogs.schema_url */
  schemaUrl: string;
  /**
   * Not OTLP data: the addresses exporters of this resource connected from, most recently seen first (the
   * receivers record them, loopback excepted; the store gives them back), for the `connection` link rule.
   */
  peers?: string[];
}

export interface Scope {
  name: string;
  version: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  /** ScopeSpans.schema_url / ScopeLogs.schema_url */
  schemaUrl: string;
}

import { SpanKind, StatusCode } from '../common/telemetry';

export { SpanFlags, SpanKind, StatusCode } from '../common/telemetry';

export interface SpanEvent {
  timeNs: bigint;
  name: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
}

export interface SpanStatus {
  code: StatusCode;
  message: string;
}

export interface Span {
  /** 32 lowercase hex digits; '' only when the sender sent none (rejected by the store). */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  /** 16 lowercase hex digits, or '' for a root. */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: SpanKind;
  startNs: bigint;
  endNs: bigint;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  status: SpanStatus;
  /** Shared by reference among the spans of one ResourceSpans. */
  resource: Resource;
  /** Shared by reference among the spans of one ScopeSpans. */
  scope: Scope;
}

export interface LogRecord {
  timeNs: bigint;
  observedNs: bigint;
  severityNumber: number;
  severityText: string;
  body: AnyValue;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
  /** 32 lowercase hex digits, or '' when the record has no trace context. */
  traceId: string;
  /** 16 lowercase hex digits, or ''. */
  spanId: string;
  eventName: string;
  resource: Resource;
  scope: Scope;
}

/** What one request, one file or one line of a file decodes to. */
export interface TelemetryBatch {
  spans: Span[];
  logs: LogRecord[];
  /** Metric data points seen (acknowledged and counted, not stored). */
  metricPoints: number;
}

export function emptyBatch(): TelemetryBatch {
  return { spans: [], logs: [], metricPoints: 0 };
}

export function emptyResource(): Resource {
  return { attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
}

export function emptyScope(): Scope {
  return { name: '', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
}

/** What a span must be given; every other field has its OTLP default (newSpan). */
export type SpanInit = Pick<Span, 'traceId' | 'spanId' | 'name' | 'startNs' | 'endNs' | 'resource' | 'scope'> & Partial<Span>;

/**
 * A span with the fields it is not given at their OTLP defaults: a root with no trace state or flags, kind
 * unspecified, no attributes, events or links, nothing dropped, status unset. The fields are in the order the
 * protobuf decoder writes them, so spans from every source share one shape.
 */
export function newSpan(init: SpanInit): Span {
  return {
    traceId: init.traceId,
    spanId: init.spanId,
    parentSpanId: init.parentSpanId ?? '',
    traceState: init.traceState ?? '',
    flags: init.flags ?? 0,
    name: init.name,
    kind: init.kind ?? SpanKind.UNSPECIFIED,
    startNs: init.startNs,
    endNs: init.endNs,
    attributes: init.attributes ?? {},
    droppedAttributesCount: init.droppedAttributesCount ?? 0,
    events: init.events ?? [],
    droppedEventsCount: init.droppedEventsCount ?? 0,
    links: init.links ?? [],
    droppedLinksCount: init.droppedLinksCount ?? 0,
    status: init.status ?? { code: StatusCode.UNSET, message: '' },
    resource: init.resource,
    scope: init.scope,
  };
}

/** What a log record must be given; every other field has its OTLP default (newLogRecord). */
export type LogRecordInit = Pick<LogRecord, 'timeNs' | 'resource' | 'scope'> & Partial<LogRecord>;

/**
 * A log record with the fields it is not given at their OTLP defaults: observed when it happened, no severity,
 * body, attributes or trace context, nothing dropped. Fields in the order the protobuf decoder writes them.
 */
export function newLogRecord(init: LogRecordInit): LogRecord {
  return {
    timeNs: init.timeNs,
    observedNs: init.observedNs ?? init.timeNs,
    severityNumber: init.severityNumber ?? 0,
    severityText: init.severityText ?? '',
    body: init.body ?? null,
    attributes: init.attributes ?? {},
    droppedAttributesCount: init.droppedAttributesCount ?? 0,
    flags: init.flags ?? 0,
    traceId: init.traceId ?? '',
    spanId: init.spanId ?? '',
    eventName: init.eventName ?? '',
    resource: init.resource,
    scope: init.scope,
  };
}

/** `service.name` of a resource, or the OpenTelemetry default for a resource without one. */
export function serviceName(resource: Resource): string {
  const v = resource.attributes['service.name'];
  return typeof v === 'string' && v !== '' ? v : 'unknown_service';
}
