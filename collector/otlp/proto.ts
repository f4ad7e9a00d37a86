// Hand-written decoder for the OTLP protobuf requests (opentelemetry-proto v1), straight into the model; for the
// store, attributes go straight into their stored JSON (decode*ProtoForStore).
import {
  emptyResource,
  emptyScope,
  type Attributes,
  type LogRecord,
  type Resource,
  type Scope,
  type Span,
  type SpanEvent,
  type SpanKind,
  type SpanLink,
  type StatusCode,
} from '../model';
import { inField, toInputError, type FieldNames } from './fault';
import { checkLogIds, checkSpanIds, Rejects, type IdFieldNames } from './ids';
import { ProtoReader, WireType } from './proto-reader';
import { keyValuesJson, readAnyValue, readKeyValue } from './proto-values';
import { encodeAttributes } from './attribute-json';

const { VARINT, I64, LEN, I32 } = WireType;

export interface DecodedSpans {
  spans: Span[];
  rejected: number;
  rejectReason?: string;
}

export interface DecodedLogs {
  logs: LogRecord[];
  rejected: number;
  rejectReason?: string;
}

const PROTO_ID_NAMES: IdFieldNames = { traceId: 'trace_id', spanId: 'span_id', parentSpanId: 'parent_span_id' };

/** ExportTraceServiceRequest → spans. Spans with unusable ids are counted in `rejected`, not returned. */
export function decodeTracesProto(buf: Uint8Array): DecodedSpans {
  const { items, rejects } = decodeItems(buf, 'resource_spans', SPANS);
  return withRejects({ spans: items, rejected: 0 }, rejects);
}

export interface SpansForStore extends DecodedSpans {
  /** Span i's attributes as the store keeps them (store/attributes.ts); `spans[i].attributes` is left empty. */
  attributesJson: string[];
}

/**
 * The ingest path's ExportTraceServiceRequest decoder: as decodeTracesProto, but span attributes go straight
 * from the request's bytes into the JSON text the store keeps, without AnyValue objects in between.
 * Equal to decodeTracesProto + encodeAttributes, errors included (a fault is decoded again through the model,
 * which names it).
 */
export function decodeTracesProtoForStore(buf: Uint8Array): SpansForStore {
  const d = decodeForStore(buf, 'resource_spans', SPANS_FOR_STORE);
  if (d) return withRejects({ spans: d.items, attributesJson: d.attributesJson, rejected: 0 }, d.rejects);
  const exact = decodeTracesProto(buf);
  return { ...exact, attributesJson: exact.spans.map((s) => encodeAttributes(s.attributes)) };
}

/** ExportLogsServiceRequest → log records. Records with ids of the wrong length are counted in `rejected`. */
export function decodeLogsProto(buf: Uint8Array): DecodedLogs {
  const { items, rejects } = decodeItems(buf, 'resource_logs', LOGS);
  return withRejects({ logs: items, rejected: 0 }, rejects);
}

export interface LogsForStore extends DecodedLogs {
  /** Record i's attributes as the store keeps them; `logs[i].attributes` is left empty. */
  attributesJson: string[];
}

/** As decodeTracesProtoForStore, for an ExportLogsServiceRequest: log attributes straight into their stored JSON. */
export function decodeLogsProtoForStore(buf: Uint8Array): LogsForStore {
  const d = decodeForStore(buf, 'resource_logs', LOGS_FOR_STORE);
  if (d) return withRejects({ logs: d.items, attributesJson: d.attributesJson, rejected: 0 }, d.rejects);
  const exact = decodeLogsProto(buf);
  return { ...exact, attributesJson: exact.logs.map((l) => encodeAttributes(l.attributes)) };
}

/** The items of an Export*ServiceRequest whose repeated field 1 is `name`; throws InputError. */
function decodeItems<T>(buf: Uint8Array, name: string, shape: SignalShape<T>): { items: T[]; rejects: Rejects } {
  const r = new ProtoReader(buf);
  const items: T[] = [];
  const rejects = new Rejects();
  try {
    readTopLevel(r, name, (end, index) => readResourceGroup(r, end, index, shape, items, rejects));
  } catch (e) {
    throw toInputError(e);
  }
  return { items, rejects };
}

/** Items and their attributes' JSON, or undefined on any fault (the model decoder then names it). */
function decodeForStore<T>(buf: Uint8Array, name: string, shape: SignalShape<ForStore<T>>): { items: T[]; attributesJson: string[]; rejects: Rejects } | undefined {
  let decoded: ForStore<T>[];
  let rejects: Rejects;
  try {
    ({ items: decoded, rejects } = decodeItems(buf, name, shape));
  } catch {
    return undefined;
  }
  const items = new Array<T>(decoded.length);
  const attributesJson = new Array<string>(decoded.length);
  for (let i = 0; i < decoded.length; i++) {
    items[i] = decoded[i].item;
    attributesJson[i] = decoded[i].attributesJson;
  }
  return { items, attributesJson, rejects };
}

/** Data points in an ExportMetricsServiceRequest; the whole message is walked so a corrupt body is an error. */
export function countMetricPointsProto(buf: Uint8Array): number {
  const r = new ProtoReader(buf);
  let points = 0;
  try {
    readTopLevel(r, 'resource_metrics', (end) => {
      points += countResourceMetrics(r, end);
    });
  } catch (e) {
    throw toInputError(e);
  }
  return points;
}

function withRejects<T extends { rejected: number; rejectReason?: string }>(result: T, rejects: Rejects): T {
  result.rejected = rejects.rejected;
  if (rejects.rejectReason !== undefined) result.rejectReason = rejects.rejectReason;
  return result;
}

/** The Export*ServiceRequest: field 1 repeated, everything else unknown. */
function readTopLevel(r: ProtoReader, name: string, readEntry: (end: number, index: number) => void): void {
  const end = r.buf.length;
  let field = 0;
  let index = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      if (field === 1) {
        r.expect(tag, LEN);
        readEntry(r.lengthEnd(end), index);
        index++;
      } else r.skip(tag, end);
    }
  } catch (e) {
    throw inField(e, { 1: name }, field, field === 1 ? index : -1);
  }
}

/** What differs between ResourceSpans/ScopeSpans and ResourceLogs/ScopeLogs; the nesting is the same. */
interface SignalShape<T> {
  resourceFields: FieldNames;
  scopeFields: FieldNames;
  /** Where item `i` of scope group `si` of resource group `ri` is, for reject messages. */
  path(ri: number, si: number, i: number): string;
  readItem(r: ProtoReader, end: number, resource: Resource, scope: Scope): T;
  /** Why the item's ids make it unusable, or undefined. */
  checkIds(item: T): string | undefined;
}

const SPANS: SignalShape<Span> = {
  resourceFields: { 1: 'resource', 2: 'scope_spans', 3: 'schema_url' },
  scopeFields: { 1: 'scope', 2: 'spans', 3: 'schema_url' },
  path: (ri, si, i) => `resource_spans[${ri}].scope_spans[${si}].spans[${i}]`,
  readItem: (r, end, resource, scope) => readSpan(r, end, resource, scope),
  checkIds: (span) => checkSpanIds(span, PROTO_ID_NAMES),
};

const LOGS: SignalShape<LogRecord> = {
  resourceFields: { 1: 'resource', 2: 'scope_logs', 3: 'schema_url' },
  scopeFields: { 1: 'scope', 2: 'log_records', 3: 'schema_url' },
  path: (ri, si, i) => `resource_logs[${ri}].scope_logs[${si}].log_records[${i}]`,
  readItem: (r, end, resource, scope) => readLogRecord(r, end, resource, scope),
  checkIds: (log) => checkLogIds(log, PROTO_ID_NAMES),
};

interface ForStore<T> {
  item: T;
  attributesJson: string;
}

/** One list reused for every item: readItem is not reentrant. */
const attributeRanges: number[] = [];

/** A shape whose items leave their attributes undecoded, for keyValuesJson to turn into the stored JSON. */
function forStore<T>(
  shape: SignalShape<T>,
  read: (r: ProtoReader, end: number, resource: Resource, scope: Scope, attributeRanges: number[]) => T,
): SignalShape<ForStore<T>> {
  return {
    ...shape,
    readItem: (r, end, resource, scope) => {
      attributeRanges.length = 0;
      const item = read(r, end, resource, scope, attributeRanges);
      return { item, attributesJson: keyValuesJson(r, attributeRanges) };
    },
    checkIds: (decoded) => shape.checkIds(decoded.item),
  };
}

const SPANS_FOR_STORE = forStore(SPANS, readSpan);
const LOGS_FOR_STORE = forStore(LOGS, readLogRecord);

function readResourceGroup<T>(r: ProtoReader, end: number, ri: number, shape: SignalShape<T>, out: T[], rejects: Rejects): void {
  // Filled in place: `resource` may come after the items that share it.
  const resource = emptyResource();
  let field = 0;
  let nScopes = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      switch (field) {
        case 1:
          r.expect(tag, LEN);
          readResource(r, r.lengthEnd(end), resource);
          break;
        case 2:
          r.expect(tag, LEN);
          readScopeGroup(r, r.lengthEnd(end), resource, ri, nScopes, shape, out, rejects);
          nScopes++;
          break;
        case 3:
          r.expect(tag, LEN);
          resource.schemaUrl = r.string(end);
          break;
        default:
          r.skip(tag, end);
      }
    }
  } catch (e) {
    throw inField(e, shape.resourceFields, field, field === 2 ? nScopes : -1);
  }
}

function readScopeGroup<T>(
  r: ProtoReader,
  end: number,
  resource: Resource,
  ri: number,
  si: number,
  shape: SignalShape<T>,
  out: T[],
  rejects: Rejects,
): void {
  const scope = emptyScope();
  let field = 0;
  let nItems = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      switch (field) {
        case 1:
          r.expect(tag, LEN);
          readScope(r, r.lengthEnd(end), scope);
          break;
        case 2: {
          r.expect(tag, LEN);
          const item = shape.readItem(r, r.lengthEnd(end), resource, scope);
          const problem = shape.checkIds(item);
          if (problem === undefined) out.push(item);
          else rejects.add(shape.path(ri, si, nItems), problem);
          nItems++;
          break;
        }
        case 3:
          r.expect(tag, LEN);
          scope.schemaUrl = r.string(end);
          break;
        default:
          r.skip(tag, end);
      }
    }
  } catch (e) {
    throw inField(e, shape.scopeFields, field, field === 2 ? nItems : -1);
  }
}

const SPAN_FIELDS: FieldNames = {
  1: 'trace_id',
  2: 'span_id',
  3: 'trace_state',
  4: 'parent_span_id',
  5: 'name',
  6: 'kind',
  7: 'start_time_unix_nano',
  8: 'end_time_unix_nano',
  9: 'attributes',
  10: 'dropped_attributes_count',
  11: 'events',
  12: 'dropped_events_count',
  13: 'links',
  14: 'dropped_links_count',
  15: 'status',
  16: 'flags',
};

/** A KeyValue into `attributes`, or, given `ranges`, not decoded: where its content starts and ends is added to them. */
function readAttribute(r: ProtoReader, end: number, attributes: Attributes, ranges: number[] | undefined): void {
  if (ranges === undefined) readKeyValue(r, end, attributes, 0);
  else {
    ranges.push(r.pos, end);
    r.pos = end;
  }
}

/** With `attributeRanges`, the attributes are not decoded (see readAttribute). */
function readSpan(r: ProtoReader, end: number, resource: Resource, scope: Scope, attributeRanges?: number[]): Span {
  const span: Span = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    flags: 0,
    name: '',
    kind: 0,
    startNs: 0n,
    endNs: 0n,
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    resource,
    scope,
  };
  let field = 0;
  let nAttributes = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      switch (field) {
        case 1:
          r.expect(tag, LEN);
          span.traceId = r.hex(end);
          break;
        case 2:
          r.expect(tag, LEN);
          span.spanId = r.hex(end);
          break;
        case 3:
          r.expect(tag, LEN);
          span.traceState = r.string(end);
          break;
        case 4:
          r.expect(tag, LEN);
          span.parentSpanId = r.hex(end);
          break;
        case 5:
          r.expect(tag, LEN);
          span.name = r.string(end);
          break;
        case 6:
          r.expect(tag, VARINT);
          span.kind = (r.varint32(end) | 0) as SpanKind;
          break;
        case 7:
          r.expect(tag, I64);
          span.startNs = r.fixed64(end);
          break;
        case 8:
          r.expect(tag, I64);
          span.endNs = r.fixed64(end);
          break;
        case 9:
          r.expect(tag, LEN);
          readAttribute(r, r.lengthEnd(end), span.attributes, attributeRanges);
          nAttributes++;
          break;
        case 10:
          r.expect(tag, VARINT);
          span.droppedAttributesCount = r.varint32(end);
          break;
        case 11:
          r.expect(tag, LEN);
          span.events.push(readEvent(r, r.lengthEnd(end)));
          break;
        case 12:
          r.expect(tag, VARINT);
          span.droppedEventsCount = r.varint32(end);
          break;
        case 13:
          r.expect(tag, LEN);
          span.links.push(readLink(r, r.lengthEnd(end)));
          break;
        case 14:
          r.expect(tag, VARINT);
          span.droppedLinksCount = r.varint32(end);
          break;
        case 15:
          r.expect(tag, LEN);
          readStatus(r, r.lengthEnd(end), span);
          break;
        case 16:
          r.expect(tag, I32);
          span.flags = r.fixed32(end);
          break;
        default:
          r.skip(tag, end);
      }
    }
  } catch (e) {
    const index = field === 9 ? nAttributes : field === 11 ? span.events.length : field === 13 ? span.links.length : -1;
    throw inField(e, SPAN_FIELDS, field, index);
  }
  return span;
}

const STATUS_FIELDS: FieldNames = { 2: 'message', 3: 'code' };

function readStatus(r: ProtoReader, end: number, span: Span): void {
  let field = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      if (field === 2) {
        r.expect(tag, LEN);
        span.status.message = r.string(end);
      } else if (field === 3) {
        r.expect(tag, VARINT);
        span.status.code = (r.varint32(end) | 0) as StatusCode;
      } else r.skip(tag, end);
    }
  } catch (e) {
    throw inField(e, STATUS_FIELDS, field);
  }
}

const EVENT_FIELDS: FieldNames = { 1: 'time_unix_nano', 2: 'name', 3: 'attributes', 4: 'dropped_attributes_count' };

function readEvent(r: ProtoReader, end: number): SpanEvent {
  const event: SpanEvent = { timeNs: 0n, name: '', attributes: {}, droppedAttributesCount: 0 };
  let field = 0;
  let nAttributes = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      switch (field) {
        case 1:
          r.expect(tag, I64);
          event.timeNs = r.fixed64(end);
          break;
        case 2:
          r.expect(tag, LEN);
          event.name = r.string(end);
          break;
        case 3:
          r.expect(tag, LEN);
          readKeyValue(r, r.lengthEnd(end), event.attributes, 0);
          nAttributes++;
          break;
        case 4:
          r.expect(tag, VARINT);
          event.droppedAttributesCount = r.varint32(end);
          break;
        default:
          r.skip(tag, end);
      }
    }
  } catch (e) {
    throw inField(e, EVENT_FIELDS, field, field === 3 ? nAttributes : -1);
  }
  return event;
}

const LINK_FIELDS: FieldNames = {
  1: 'trace_id',
  2: 'span_id',
  3: 'trace_state',
  4: 'attributes',
  5: 'dropped_attributes_count',
  6: 'flags',
};

/** Link ids are kept as sent: a link to a malformed context is evidence, not a reason to drop the span. */
function readLink(r: ProtoReader, end: number): SpanLink {
  const link: SpanLink = { traceId: '', spanId: '', traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 0 };
  let field = 0;
  let nAttributes = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      switch (field) {
        case 1:
          r.expect(tag, LEN);
          link.traceId = r.hex(end);
          break;
        case 2:
          r.expect(tag, LEN);
          link.spanId = r.hex(end);
          break;
        case 3:
          r.expect(tag, LEN);
          link.traceState = r.string(end);
          break;
        case 4:
          r.expect(tag, LEN);
          readKeyValue(r, r.lengthEnd(end), link.attributes, 0);
          nAttributes++;
          break;
        case 5:
          r.expect(tag, VARINT);
          link.droppedAttributesCount = r.varint32(end);
          break;
        case 6:
          r.expect(tag, I32);
          link.flags = r.fixed32(end);
          break;
        default:
          r.skip(tag, end);
      }
    }
  } catch (e) {
    throw inField(e, LINK_FIELDS, field, field === 4 ? nAttributes : -1);
  }
  return link;
}

const RESOURCE_FIELDS: FieldNames = { 1: 'attributes', 2: 'dropped_attributes_count' };

function readResource(r: ProtoReader, end: number, resource: Resource): void {
  let field = 0;
  let nAttributes = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      if (field === 1) {
        r.expect(tag, LEN);
        readKeyValue(r, r.lengthEnd(end), resource.attributes, 0);
        nAttributes++;
      } else if (field === 2) {
        r.expect(tag, VARINT);
        resource.droppedAttributesCount = r.varint32(end);
      } else r.skip(tag, end);
    }
  } catch (e) {
    throw inField(e, RESOURCE_FIELDS, field, field === 1 ? nAttributes : -1);
  }
}

const SCOPE_FIELDS: FieldNames = { 1: 'name', 2: 'version', 3: 'attributes', 4: 'dropped_attributes_count' };

function readScope(r: ProtoReader, end: number, scope: Scope): void {
  let field = 0;
  let nAttributes = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      switch (field) {
        case 1:
          r.expect(tag, LEN);
          scope.name = r.string(end);
          break;
        case 2:
          r.expect(tag, LEN);
          scope.version = r.string(end);
          break;
        case 3:
          r.expect(tag, LEN);
          readKeyValue(r, r.lengthEnd(end), scope.attributes, 0);
          nAttributes++;
          break;
        case 4:
          r.expect(tag, VARINT);
          scope.droppedAttributesCount = r.varint32(end);
          break;
        default:
          r.skip(tag, end);
      }
    }
  } catch (e) {
    throw inField(e, SCOPE_FIELDS, field, field === 3 ? nAttributes : -1);
  }
}


const LOG_RECORD_FIELDS: FieldNames = {
  1: 'time_unix_nano',
  2: 'severity_number',
  3: 'severity_text',
  5: 'body',
  6: 'attributes',
  7: 'dropped_attributes_count',
  8: 'flags',
  9: 'trace_id',
  10: 'span_id',
  11: 'observed_time_unix_nano',
  12: 'event_name',
};

/** With `attributeRanges`, the attributes are not decoded (see readAttribute). */
function readLogRecord(r: ProtoReader, end: number, resource: Resource, scope: Scope, attributeRanges?: number[]): LogRecord {
  const log: LogRecord = {
    timeNs: 0n,
    observedNs: 0n,
    severityNumber: 0,
    severityText: '',
    body: null,
    attributes: {},
    droppedAttributesCount: 0,
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
    resource,
    scope,
  };
  let field = 0;
  let nAttributes = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      switch (field) {
        case 1:
          r.expect(tag, I64);
          log.timeNs = r.fixed64(end);
          break;
        case 2:
          r.expect(tag, VARINT);
          log.severityNumber = r.varint32(end) | 0;
          break;
        case 3:
          r.expect(tag, LEN);
          log.severityText = r.string(end);
          break;
        case 5:
          r.expect(tag, LEN);
          log.body = readAnyValue(r, r.lengthEnd(end), 0);
          break;
        case 6:
          r.expect(tag, LEN);
          readAttribute(r, r.lengthEnd(end), log.attributes, attributeRanges);
          nAttributes++;
          break;
        case 7:
          r.expect(tag, VARINT);
          log.droppedAttributesCount = r.varint32(end);
          break;
        case 8:
          r.expect(tag, I32);
          log.flags = r.fixed32(end);
          break;
        case 9:
          r.expect(tag, LEN);
          log.traceId = r.hex(end);
          break;
        case 10:
          r.expect(tag, LEN);
          log.spanId = r.hex(end);
          break;
        case 11:
          r.expect(tag, I64);
          log.observedNs = r.fixed64(end);
          break;
        case 12:
          r.expect(tag, LEN);
          log.eventName = r.string(end);
          break;
        default:
          r.skip(tag, end);
      }
    }
  } catch (e) {
    throw inField(e, LOG_RECORD_FIELDS, field, field === 6 ? nAttributes : -1);
  }
  return log;
}

const RESOURCE_METRICS_FIELDS: FieldNames = { 1: 'resource', 2: 'scope_metrics', 3: 'schema_url' };
const SCOPE_METRICS_FIELDS: FieldNames = { 1: 'scope', 2: 'metrics', 3: 'schema_url' };
const METRIC_FIELDS: FieldNames = {
  1: 'name',
  2: 'description',
  3: 'unit',
  5: 'gauge',
  7: 'sum',
  9: 'histogram',
  10: 'exponential_histogram',
  11: 'summary',
  12: 'metadata',
};
const DATA_FIELDS: FieldNames = { 1: 'data_points' };

function countResourceMetrics(r: ProtoReader, end: number): number {
  return countNested(r, end, RESOURCE_METRICS_FIELDS, (scopeEnd) =>
    countNested(r, scopeEnd, SCOPE_METRICS_FIELDS, (metricEnd) => countMetric(r, metricEnd)),
  );
}

/** ResourceMetrics and ScopeMetrics alike: 1 resource/scope, 2 repeated children, 3 schema_url. */
function countNested(r: ProtoReader, end: number, names: FieldNames, countChild: (end: number) => number): number {
  let points = 0;
  let field = 0;
  let n = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      if (field === 1) {
        r.expect(tag, LEN);
        walkMessage(r, r.lengthEnd(end));
      } else if (field === 2) {
        r.expect(tag, LEN);
        points += countChild(r.lengthEnd(end));
        n++;
      } else if (field === 3) {
        r.expect(tag, LEN);
        r.pos = r.lengthEnd(end);
      } else r.skip(tag, end);
    }
  } catch (e) {
    throw inField(e, names, field, field === 2 ? n : -1);
  }
  return points;
}

/** Metric: one of gauge/sum/histogram/exponential_histogram/summary, each with repeated data_points (field 1). */
function countMetric(r: ProtoReader, end: number): number {
  let points = 0;
  let field = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      switch (field) {
        case 1:
        case 2:
        case 3:
          r.expect(tag, LEN);
          r.pos = r.lengthEnd(end);
          break;
        case 5:
        case 7:
        case 9:
        case 10:
        case 11:
          r.expect(tag, LEN);
          points += countDataPoints(r, r.lengthEnd(end));
          break;
        case 12:
          r.expect(tag, LEN);
          walkMessage(r, r.lengthEnd(end));
          break;
        default:
          r.skip(tag, end);
      }
    }
  } catch (e) {
    throw inField(e, METRIC_FIELDS, field);
  }
  return points;
}

function countDataPoints(r: ProtoReader, end: number): number {
  let points = 0;
  let field = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      if (field === 1) {
        r.expect(tag, LEN);
        walkMessage(r, r.lengthEnd(end));
        points++;
      } else r.skip(tag, end);
    }
  } catch (e) {
    throw inField(e, DATA_FIELDS, field, field === 1 ? points : -1);
  }
  return points;
}

/** Checks that a message we do not decode is well-formed protobuf (tags, lengths, groups). */
function walkMessage(r: ProtoReader, end: number): void {
  while (r.pos < end) r.skip(r.tag(end), end);
}
