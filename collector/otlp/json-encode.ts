// Model → standard OTLP/JSON requests (for `hopscope export`): hex ids, int64 as decimal strings,
// bytes as base64, enums as integers; fields at their default value are left out.
import type { AnyValue, Attributes, LogRecord, Resource, Scope, Span } from '../model';

type JsonObject = Record<string, unknown>;

/** An ExportTraceServiceRequest; spans are grouped by the identity of their Resource and Scope objects. */
export function encodeTracesJson(spans: Span[]): object {
  return {
    resourceSpans: groupByResourceAndScope(spans).map(([resource, scopes]) => ({
      resource: encodeResource(resource),
      scopeSpans: scopes.map(([scope, group]) => withSchemaUrl({ scope: encodeScope(scope), spans: group.map(encodeSpan) }, scope.schemaUrl)),
      ...schemaUrlField(resource.schemaUrl),
    })),
  };
}

/** An ExportLogsServiceRequest; records are grouped by the identity of their Resource and Scope objects. */
export function encodeLogsJson(logs: LogRecord[]): object {
  return {
    resourceLogs: groupByResourceAndScope(logs).map(([resource, scopes]) => ({
      resource: encodeResource(resource),
      scopeLogs: scopes.map(([scope, group]) =>
        withSchemaUrl({ scope: encodeScope(scope), logRecords: group.map(encodeLogRecord) }, scope.schemaUrl),
      ),
      ...schemaUrlField(resource.schemaUrl),
    })),
  };
}

function groupByResourceAndScope<T extends { resource: Resource; scope: Scope }>(items: T[]): [Resource, [Scope, T[]][]][] {
  const byResource = new Map<Resource, Map<Scope, T[]>>();
  for (const item of items) {
    let byScope = byResource.get(item.resource);
    if (byScope === undefined) byResource.set(item.resource, (byScope = new Map()));
    let group = byScope.get(item.scope);
    if (group === undefined) byScope.set(item.scope, (group = []));
    group.push(item);
  }
  return [...byResource].map(([resource, byScope]) => [resource, [...byScope]]);
}

function schemaUrlField(schemaUrl: string): JsonObject {
  return schemaUrl === '' ? {} : { schemaUrl };
}

function withSchemaUrl(o: JsonObject, schemaUrl: string): JsonObject {
  return { ...o, ...schemaUrlField(schemaUrl) };
}

function encodeResource(resource: Resource): JsonObject {
  const out: JsonObject = { attributes: encodeAttributes(resource.attributes) };
  if (resource.droppedAttributesCount !== 0) out.droppedAttributesCount = resource.droppedAttributesCount;
  return out;
}

function encodeScope(scope: Scope): JsonObject {
  const out: JsonObject = { name: scope.name };
  if (scope.version !== '') out.version = scope.version;
  if (Object.keys(scope.attributes).length > 0) out.attributes = encodeAttributes(scope.attributes);
  if (scope.droppedAttributesCount !== 0) out.droppedAttributesCount = scope.droppedAttributesCount;
  return out;
}

function encodeSpan(span: Span): JsonObject {
  const out: JsonObject = { traceId: span.traceId, spanId: span.spanId };
  if (span.parentSpanId !== '') out.parentSpanId = span.parentSpanId;
  if (span.traceState !== '') out.traceState = span.traceState;
  if (span.flags !== 0) out.flags = span.flags;
  out.name = span.name;
  out.kind = span.kind;
  out.startTimeUnixNano = span.startNs.toString();
  out.endTimeUnixNano = span.endNs.toString();
  out.attributes = encodeAttributes(span.attributes);
  if (span.droppedAttributesCount !== 0) out.droppedAttributesCount = span.droppedAttributesCount;
  if (span.events.length > 0) {
    out.events = span.events.map((event) => {
      const e: JsonObject = { timeUnixNano: event.timeNs.toString(), name: event.name, attributes: encodeAttributes(event.attributes) };
      if (event.droppedAttributesCount !== 0) e.droppedAttributesCount = event.droppedAttributesCount;
      return e;
    });
  }
  if (span.droppedEventsCount !== 0) out.droppedEventsCount = span.droppedEventsCount;
  if (span.links.length > 0) {
    out.links = span.links.map((link) => {
      const l: JsonObject = { traceId: link.traceId, spanId: link.spanId };
      if (link.traceState !== '') l.traceState = link.traceState;
      l.attributes = encodeAttributes(link.attributes);
      if (link.droppedAttributesCount !== 0) l.droppedAttributesCount = link.droppedAttributesCount;
      if (link.flags !== 0) l.flags = link.flags;
      return l;
    });
  }
  if (span.droppedLinksCount !== 0) out.droppedLinksCount = span.droppedLinksCount;
  out.status = span.status.message === '' ? { code: span.status.code } : { code: span.status.code, message: span.status.message };
  return out;
}

function encodeLogRecord(log: LogRecord): JsonObject {
  const out: JsonObject = { timeUnixNano: log.timeNs.toString(), observedTimeUnixNano: log.observedNs.toString() };
  if (log.severityNumber !== 0) out.severityNumber = log.severityNumber;
  if (log.severityText !== '') out.severityText = log.severityText;
  if (log.eventName !== '') out.eventName = log.eventName;
  if (log.body !== null) out.body = encodeAnyValue(log.body);
  out.attributes = encodeAttributes(log.attributes);
  if (log.droppedAttributesCount !== 0) out.droppedAttributesCount = log.droppedAttributesCount;
  if (log.flags !== 0) out.flags = log.flags;
  if (log.traceId !== '') out.traceId = log.traceId;
  if (log.spanId !== '') out.spanId = log.spanId;
  return out;
}

function encodeAttributes(attrs: Attributes): JsonObject[] {
  return Object.keys(attrs).map((key) => ({ key, value: encodeAnyValue(attrs[key]) }));
}

function encodeAnyValue(v: AnyValue): JsonObject {
  if (v === null) return {};
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'boolean':
      return { boolValue: v };
    case 'bigint':
      return { intValue: v.toString() };
    case 'number':
      // Always under doubleValue, so 3.0 stays a double; JSON has no NaN, Infinity or -0, proto3 JSON spells them as strings.
      return { doubleValue: Number.isFinite(v) && !Object.is(v, -0) ? v : Object.is(v, -0) ? '-0' : String(v) };
  }
  if (v instanceof Uint8Array) return { bytesValue: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(encodeAnyValue) } };
  return { kvlistValue: { values: encodeAttributes(v.kvlist) } };
}
