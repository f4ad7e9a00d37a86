// Jaeger JSON → model.
//
// Accepted shapes: what Jaeger UI downloads and jaeger-query's /api/traces return
// ({"data": [trace, …]}), one trace object ({traceID, spans, processes}), jaeger-ui's stored
// trace ({"data": trace, …}), and an array of spans that each carry their `process` (the
// anonymizer's output, and Jaeger's Elasticsearch span documents, whose `tag` maps store dots in
// keys as '@').
//
// Mapping: the first CHILD_OF reference into the span's own trace is the parent (else a legacy
// `parentSpanID` field); every other reference — FOLLOWS_FROM, further CHILD_OFs, references into
// other traces — becomes a link with `opentracing.ref_type`. Typed tags → attributes (int64 as
// bigint, float64 as number, binary from base64); process serviceName + tags → resource; logs →
// events named by their `event` field; the `span.kind`, `otel.status_code`/`error`,
// `otel.scope.*`/`otel.library.*` and `w3c.tracestate` tags become kind, status, scope and trace
// state. Flags keep only Jaeger's sampled bit (its debug bit has no W3C meaning). Ids: see ids.ts;
// an id that is not hex at all (hand-written fixtures such as jaeger-ui's "trace-123"/"span-1", which
// Jaeger UI shows as they are) becomes the first 16/8 bytes of its SHA-256, so every reference to it
// maps alike, and the span (or link) keeps the original in `jaeger.original_trace_id` /
// `jaeger.original_span_id`. Client and server halves sharing one span id are split as Jaeger does
// (shared-spans.ts).
import { InputError } from '../errors';
import {
  SpanKind,
  SpanFlags,
  emptyResource,
  newSpan,
  setAttribute,
  type AnyValue,
  type Attributes,
  type Resource,
  type Span,
  type SpanEvent,
  type SpanLink,
  type TelemetryBatch,
} from '../model';
import { ScopeTable, takeStatus } from './conventions';
import { hashedId, isNonHexId, microsToNs, normalizeParentId, normalizeSpanId, normalizeTraceId } from './ids';
import {
  describe,
  expectArray,
  expectObject,
  expectString,
  isObject,
  optionalArray,
  optionalString,
  type JsonObject,
} from './json-shape';
import { splitSharedSpans } from './shared-spans';

const ORIGINAL_TRACE_ID = 'jaeger.original_trace_id';
const ORIGINAL_SPAN_ID = 'jaeger.original_span_id';

const KINDS: Record<string, SpanKind> = {
  client: SpanKind.CLIENT,
  server: SpanKind.SERVER,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
};

export function jaegerToModel(doc: unknown): TelemetryBatch {
  const mapping = new JaegerMapping();
  if (Array.isArray(doc)) {
    doc.forEach((span, i) => mapping.span(span, undefined, `[${i}]`));
  } else {
    const root = expectObject(doc, 'document');
    if ('data' in root) {
      const data = root.data;
      if (Array.isArray(data)) data.forEach((trace, i) => mapping.trace(trace, `data[${i}]`));
      else if (isObject(data)) mapping.trace(data, 'data');
      else if (optionalArray(root.errors, 'errors').length > 0) throw new InputError(`Jaeger reported errors instead of traces: ${JSON.stringify(root.errors)}`, { field: 'errors' });
      else if (data !== null) throw new InputError(`data: expected an array of traces, got ${describe(data)}`, { field: 'data' });
    } else {
      mapping.trace(root, 'document');
    }
  }
  splitSharedSpans(mapping.spans);
  return { spans: mapping.spans, logs: [], metricPoints: 0 };
}

class JaegerMapping {
  readonly spans: Span[] = [];
  private readonly resources = new Map<string, Resource>();
  private readonly scopes = new ScopeTable();

  trace(value: unknown, field: string): void {
    const trace = expectObject(value, field);
    const processes = trace.processes === undefined || trace.processes === null ? {} : expectObject(trace.processes, `${field}.processes`);
    expectArray(trace.spans, `${field}.spans`).forEach((span, i) => this.span(span, processes, `${field}.spans[${i}]`));
  }

  span(value: unknown, processes: JsonObject | undefined, field: string): void {
    const span = expectObject(value, field);
    const traceId = traceIdOf(span.traceID, `${field}.traceID`);
    const attributes: Attributes = {};
    for (const [i, tag] of optionalArray(span.tags, `${field}.tags`).entries()) addTag(attributes, tag, `${field}.tags[${i}]`);
    if (span.tag !== undefined) addTagMap(attributes, span.tag, `${field}.tag`);
    keepOriginalIds(attributes, span.traceID, span.spanID);

    const { parentSpanId, links } = references(span, traceId, field);
    const kindTag = attributes['span.kind'];
    const kind = typeof kindTag === 'string' ? KINDS[kindTag.toLowerCase()] : undefined;
    if (kind !== undefined) delete attributes['span.kind'];
    const traceState = attributes['w3c.tracestate'];
    delete attributes['w3c.tracestate'];
    const status = takeStatus(attributes, 'jaeger');
    const scope = this.scopes.take(attributes);
    const startNs = microsToNs(span.startTime, `${field}.startTime`);
    const flags = typeof span.flags === 'number' ? span.flags & SpanFlags.SAMPLED : 0;

    this.spans.push(
      newSpan({
        traceId,
        spanId: spanIdOf(span.spanID, `${field}.spanID`),
        parentSpanId,
        traceState: typeof traceState === 'string' ? traceState : '',
        flags,
        name: optionalString(span.operationName, `${field}.operationName`) ?? '',
        kind,
        startNs,
        endNs: startNs + (span.duration === undefined || span.duration === null ? 0n : microsToNs(span.duration, `${field}.duration`)),
        attributes,
        events: optionalArray(span.logs, `${field}.logs`).map((log, i) => event(log, `${field}.logs[${i}]`)),
        links,
        status,
        resource: this.resource(span, processes, field),
        scope,
      }),
    );
  }

  private resource(span: JsonObject, processes: JsonObject | undefined, field: string): Resource {
    let process: unknown = span.process;
    let processField = `${field}.process`;
    if (process === undefined && processes !== undefined && span.processID !== undefined) {
      const id = expectString(span.processID, `${field}.processID`);
      if (!Object.hasOwn(processes, id)) throw new InputError(`${field}.processID: process ${JSON.stringify(id)} is not in the trace's processes`, { field: `${field}.processID` });
      process = processes[id];
      processField = `processes.${id}`;
    }
    if (process === undefined || process === null) return this.intern(emptyResource());
    const p = expectObject(process, processField);
    const attributes: Attributes = {};
    for (const [i, tag] of optionalArray(p.tags, `${processField}.tags`).entries()) addTag(attributes, tag, `${processField}.tags[${i}]`);
    if (p.tag !== undefined) addTagMap(attributes, p.tag, `${processField}.tag`);
    const service = optionalString(p.serviceName, `${processField}.serviceName`);
    if (service) setAttribute(attributes, 'service.name', service);
    return this.intern({ ...emptyResource(), attributes });
  }

  /** One Resource object per distinct process, however many traces or inline copies name it. */
  private intern(resource: Resource): Resource {
    const key = JSON.stringify(resource.attributes, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    const known = this.resources.get(key);
    if (known) return known;
    this.resources.set(key, resource);
    return resource;
  }
}

function references(span: JsonObject, traceId: string, field: string): { parentSpanId: string; links: SpanLink[] } {
  let parentSpanId = '';
  const links: SpanLink[] = [];
  for (const [i, value] of optionalArray(span.references, `${field}.references`).entries()) {
    const refField = `${field}.references[${i}]`;
    const ref = expectObject(value, refField);
    const refType = expectString(ref.refType, `${refField}.refType`).toLowerCase();
    if (refType !== 'child_of' && refType !== 'follows_from') throw new InputError(`${refField}.refType: expected CHILD_OF or FOLLOWS_FROM, got ${JSON.stringify(ref.refType)}`, { field: `${refField}.refType` });
    const refTraceId = traceIdOf(ref.traceID, `${refField}.traceID`);
    const refSpanId = spanIdOf(ref.spanID, `${refField}.spanID`);
    if (!parentSpanId && refType === 'child_of' && refTraceId === traceId) {
      parentSpanId = refSpanId;
      continue;
    }
    const attributes: Attributes = {};
    setAttribute(attributes, 'opentracing.ref_type', refType);
    keepOriginalIds(attributes, ref.traceID, ref.spanID);
    links.push({ traceId: refTraceId, spanId: refSpanId, traceState: '', attributes, droppedAttributesCount: 0, flags: 0 });
  }
  if (!parentSpanId && span.parentSpanID !== undefined) {
    parentSpanId = isNonHexId(span.parentSpanID) ? hashedId(span.parentSpanID, 16) : normalizeParentId(span.parentSpanID, `${field}.parentSpanID`);
  }
  return { parentSpanId, links };
}

function traceIdOf(raw: unknown, field: string): string {
  return isNonHexId(raw) ? hashedId(raw, 32) : normalizeTraceId(raw, field);
}

function spanIdOf(raw: unknown, field: string): string {
  return isNonHexId(raw) ? hashedId(raw, 16) : normalizeSpanId(raw, field);
}

function keepOriginalIds(attributes: Attributes, traceId: unknown, spanId: unknown): void {
  if (isNonHexId(traceId)) setAttribute(attributes, ORIGINAL_TRACE_ID, traceId);
  if (isNonHexId(spanId)) setAttribute(attributes, ORIGINAL_SPAN_ID, spanId);
}

function event(value: unknown, field: string): SpanEvent {
  const log = expectObject(value, field);
  const attributes: Attributes = {};
  for (const [i, f] of optionalArray(log.fields, `${field}.fields`).entries()) addTag(attributes, f, `${field}.fields[${i}]`);
  const name = attributes.event;
  if (typeof name === 'string') delete attributes.event;
  return { timeNs: microsToNs(log.timestamp, `${field}.timestamp`), name: typeof name === 'string' ? name : '', attributes, droppedAttributesCount: 0 };
}

function addTag(attributes: Attributes, value: unknown, field: string): void {
  const tag = expectObject(value, field);
  setAttribute(attributes, expectString(tag.key, `${field}.key`), tagValue(tag.type, tag.value, `${field}.value`));
}

/** Elasticsearch's tags-as-fields map, where '@' stands for '.' in keys. */
function addTagMap(attributes: Attributes, value: unknown, field: string): void {
  for (const [key, v] of Object.entries(expectObject(value, field))) setAttribute(attributes, key.replaceAll('@', '.'), tagValue(undefined, v, `${field}.${key}`));
}

function tagValue(type: unknown, value: unknown, field: string): AnyValue {
  const kind = typeof type === 'string' ? type.toLowerCase() : inferType(value);
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      break;
    case 'int64':
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
      break;
    case 'float64':
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
      break;
    case 'binary':
      if (typeof value === 'string') return new Uint8Array(Buffer.from(value, 'base64'));
      break;
    default:
      throw new InputError(`${field}: unknown tag type ${JSON.stringify(type)} (expected string, bool, int64, float64 or binary)`, { field });
  }
  throw new InputError(`${field}: ${describe(value)} is not a valid ${kind} value`, { field });
}

function inferType(value: unknown): string {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  return 'string';
}
