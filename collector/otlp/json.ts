// OTLP/JSON (already JSON.parse'd) → model, per the OTLP/JSON mapping and what real files contain:
// lowerCamelCase or snake_case keys, hex (any case) or base64 ids, int64 as string or number,
// enums as integers or names. JSON null reads as absent. Missing timestamps read as 0n.
import { InputError } from '../errors';
import {
  emptyResource,
  emptyScope,
  setAttribute,
  type AnyValue,
  type Attributes,
  type LogRecord,
  type Resource,
  type Scope,
  type Span,
  type SpanEvent,
  type SpanKind,
  type SpanLink,
  type StatusCode,
  type TelemetryBatch,
} from '../model';
import { FieldFault, toInputError, within } from './fault';
import { checkLogIds, checkSpanIds, Rejects, type IdFieldNames } from './ids';
import type { DecodedLogs, DecodedSpans } from './proto';
import { MAX_DEPTH } from './proto-reader';

type JsonObject = Record<string, unknown>;

export type DecodedBatch = TelemetryBatch & { rejected: number; rejectReason?: string };

const JSON_ID_NAMES: IdFieldNames = { traceId: 'traceId', spanId: 'spanId', parentSpanId: 'parentSpanId' };

const SPAN_KINDS: Record<string, SpanKind> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, StatusCode> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };
const SEVERITY_NUMBERS: Record<string, number> = Object.fromEntries(
  ['UNSPECIFIED', 'TRACE', 'TRACE2', 'TRACE3', 'TRACE4', 'DEBUG', 'DEBUG2', 'DEBUG3', 'DEBUG4', 'INFO', 'INFO2', 'INFO3', 'INFO4']
    .concat(['WARN', 'WARN2', 'WARN3', 'WARN4', 'ERROR', 'ERROR2', 'ERROR3', 'ERROR4', 'FATAL', 'FATAL2', 'FATAL3', 'FATAL4'])
    .map((name, i) => [`SEVERITY_NUMBER_${name}`, i]),
);

/** An ExportTraceServiceRequest. Spans with missing or all-zero ids are counted in `rejected`, not returned. */
export function decodeTracesJson(doc: unknown): DecodedSpans {
  const spans: Span[] = [];
  const rejects = new Rejects();
  try {
    eachEntry(document(doc), 'resourceSpans', 'resource_spans', (rs, i) => readResourceSpans(rs, i, spans, rejects));
  } catch (e) {
    throw toInputError(e);
  }
  const result: DecodedSpans = { spans, rejected: rejects.rejected };
  if (rejects.rejectReason !== undefined) result.rejectReason = rejects.rejectReason;
  return result;
}

/** An ExportLogsServiceRequest. Records with ids of the wrong length are counted in `rejected`. */
export function decodeLogsJson(doc: unknown): DecodedLogs {
  const logs: LogRecord[] = [];
  const rejects = new Rejects();
  try {
    eachEntry(document(doc), 'resourceLogs', 'resource_logs', (rl, i) => readResourceLogs(rl, i, logs, rejects));
  } catch (e) {
    throw toInputError(e);
  }
  const result: DecodedLogs = { logs, rejected: rejects.rejected };
  if (rejects.rejectReason !== undefined) result.rejectReason = rejects.rejectReason;
  return result;
}

/** Data points in an ExportMetricsServiceRequest (metrics are counted, not stored). */
export function countMetricPointsJson(doc: unknown): number {
  let points = 0;
  try {
    eachEntry(document(doc), 'resourceMetrics', 'resource_metrics', (rm) => {
      eachEntry(rm, 'scopeMetrics', 'scope_metrics', (sm) => {
        eachEntry(sm, 'metrics', 'metrics', (metric) => {
          points += countDataPoints(metric);
        });
      });
    });
  } catch (e) {
    throw toInputError(e);
  }
  return points;
}

/** Any object with resourceSpans / resourceLogs / resourceMetrics, such as one line of the collector's file exporter. */
export function decodeOtlpJson(doc: unknown): DecodedBatch {
  const o = isObject(doc) ? doc : undefined;
  const has = (camel: string, snake: string) => o !== undefined && (o[camel] != null || o[snake] != null);
  const hasSpans = has('resourceSpans', 'resource_spans');
  const hasLogs = has('resourceLogs', 'resource_logs');
  const hasMetrics = has('resourceMetrics', 'resource_metrics');
  if (!hasSpans && !hasLogs && !hasMetrics) {
    throw new InputError(`not OTLP JSON: expected an object with resourceSpans, resourceLogs or resourceMetrics, found ${describe(doc)}`);
  }
  const traces = hasSpans ? decodeTracesJson(doc) : { spans: [], rejected: 0, rejectReason: undefined };
  const logs = hasLogs ? decodeLogsJson(doc) : { logs: [], rejected: 0, rejectReason: undefined };
  const batch: DecodedBatch = {
    spans: traces.spans,
    logs: logs.logs,
    metricPoints: hasMetrics ? countMetricPointsJson(doc) : 0,
    rejected: traces.rejected + logs.rejected,
  };
  const reason = traces.rejectReason ?? logs.rejectReason;
  if (reason !== undefined) batch.rejectReason = reason;
  return batch;
}

function readResourceSpans(rs: JsonObject, rsIndex: number, spans: Span[], rejects: Rejects): void {
  const resource = readResource(rs);
  eachEntry(rs, 'scopeSpans', 'scope_spans', (ss, ssIndex) => {
    const scope = readScope(ss);
    eachEntry(ss, 'spans', 'spans', (s, i) => {
      const span = readSpan(s, resource, scope);
      const problem = checkSpanIds(span, JSON_ID_NAMES);
      if (problem === undefined) spans.push(span);
      else rejects.add(`resourceSpans[${rsIndex}].scopeSpans[${ssIndex}].spans[${i}]`, problem);
    });
  });
}

function readResourceLogs(rl: JsonObject, rlIndex: number, logs: LogRecord[], rejects: Rejects): void {
  const resource = readResource(rl);
  eachEntry(rl, 'scopeLogs', 'scope_logs', (sl, slIndex) => {
    const scope = readScope(sl);
    eachEntry(sl, 'logRecords', 'log_records', (l, i) => {
      const log = readLogRecord(l, resource, scope);
      const problem = checkLogIds(log, JSON_ID_NAMES);
      if (problem === undefined) logs.push(log);
      else rejects.add(`resourceLogs[${rlIndex}].scopeLogs[${slIndex}].logRecords[${i}]`, problem);
    });
  });
}

/** ResourceSpans/ResourceLogs → its resource, with the schema_url that sits beside it. */
function readResource(parent: JsonObject): Resource {
  const resource = emptyResource();
  resource.schemaUrl = string(parent, 'schemaUrl', 'schema_url');
  const r = field(parent, 'resource', 'resource');
  if (r === undefined) return resource;
  try {
    const o = object(r);
    resource.attributes = attributes(o);
    resource.droppedAttributesCount = uint32(o, 'droppedAttributesCount', 'dropped_attributes_count');
  } catch (e) {
    throw within(e, 'resource');
  }
  return resource;
}

/** ScopeSpans/ScopeLogs → its scope, with the schema_url that sits beside it. */
function readScope(parent: JsonObject): Scope {
  const scope = emptyScope();
  scope.schemaUrl = string(parent, 'schemaUrl', 'schema_url');
  const s = field(parent, 'scope', 'scope');
  if (s === undefined) return scope;
  try {
    const o = object(s);
    scope.name = string(o, 'name', 'name');
    scope.version = string(o, 'version', 'version');
    scope.attributes = attributes(o);
    scope.droppedAttributesCount = uint32(o, 'droppedAttributesCount', 'dropped_attributes_count');
  } catch (e) {
    throw within(e, 'scope');
  }
  return scope;
}

function readSpan(s: JsonObject, resource: Resource, scope: Scope): Span {
  return {
    traceId: id(s, 'traceId', 'trace_id', 16),
    spanId: id(s, 'spanId', 'span_id', 8),
    parentSpanId: id(s, 'parentSpanId', 'parent_span_id', 8),
    traceState: string(s, 'traceState', 'trace_state'),
    flags: uint32(s, 'flags', 'flags'),
    name: string(s, 'name', 'name'),
    kind: enumValue(s, 'kind', 'kind', SPAN_KINDS, 'span kind') as SpanKind,
    startNs: uint64(s, 'startTimeUnixNano', 'start_time_unix_nano'),
    endNs: uint64(s, 'endTimeUnixNano', 'end_time_unix_nano'),
    attributes: attributes(s),
    droppedAttributesCount: uint32(s, 'droppedAttributesCount', 'dropped_attributes_count'),
    events: entries(s, 'events', 'events', readEvent),
    droppedEventsCount: uint32(s, 'droppedEventsCount', 'dropped_events_count'),
    links: entries(s, 'links', 'links', readLink),
    droppedLinksCount: uint32(s, 'droppedLinksCount', 'dropped_links_count'),
    status: readStatus(s),
    resource,
    scope,
  };
}

function readStatus(s: JsonObject): Span['status'] {
  const status = field(s, 'status', 'status');
  if (status === undefined) return { code: 0, message: '' };
  try {
    const o = object(status);
    return { code: enumValue(o, 'code', 'code', STATUS_CODES, 'status code') as StatusCode, message: string(o, 'message', 'message') };
  } catch (e) {
    throw within(e, 'status');
  }
}

function readEvent(e: JsonObject): SpanEvent {
  return {
    timeNs: uint64(e, 'timeUnixNano', 'time_unix_nano'),
    name: string(e, 'name', 'name'),
    attributes: attributes(e),
    droppedAttributesCount: uint32(e, 'droppedAttributesCount', 'dropped_attributes_count'),
  };
}

function readLink(l: JsonObject): SpanLink {
  return {
    traceId: id(l, 'traceId', 'trace_id', 16),
    spanId: id(l, 'spanId', 'span_id', 8),
    traceState: string(l, 'traceState', 'trace_state'),
    attributes: attributes(l),
    droppedAttributesCount: uint32(l, 'droppedAttributesCount', 'dropped_attributes_count'),
    flags: uint32(l, 'flags', 'flags'),
  };
}

function readLogRecord(l: JsonObject, resource: Resource, scope: Scope): LogRecord {
  const body = field(l, 'body', 'body');
  let bodyValue: AnyValue;
  try {
    bodyValue = anyValue(body, 0);
  } catch (e) {
    throw within(e, 'body');
  }
  return {
    timeNs: uint64(l, 'timeUnixNano', 'time_unix_nano'),
    observedNs: uint64(l, 'observedTimeUnixNano', 'observed_time_unix_nano'),
    severityNumber: enumValue(l, 'severityNumber', 'severity_number', SEVERITY_NUMBERS, 'severity number'),
    severityText: string(l, 'severityText', 'severity_text'),
    body: bodyValue,
    attributes: attributes(l),
    droppedAttributesCount: uint32(l, 'droppedAttributesCount', 'dropped_attributes_count'),
    flags: uint32(l, 'flags', 'flags'),
    traceId: id(l, 'traceId', 'trace_id', 16),
    spanId: id(l, 'spanId', 'span_id', 8),
    eventName: string(l, 'eventName', 'event_name'),
    resource,
    scope,
  };
}

const DATA_KINDS: [string, string][] = [
  ['gauge', 'gauge'],
  ['sum', 'sum'],
  ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram'],
  ['summary', 'summary'],
];

function countDataPoints(metric: JsonObject): number {
  let points = 0;
  for (const [camel, snake] of DATA_KINDS) {
    const data = field(metric, camel, snake);
    if (data === undefined) continue;
    try {
      eachEntry(object(data), 'dataPoints', 'data_points', () => points++);
    } catch (e) {
      throw within(e, camel);
    }
  }
  return points;
}

/** A field by its lowerCamelCase or snake_case name; null (the JSON spelling of "default") reads as absent. */
function field(o: JsonObject, camel: string, snake: string): unknown {
  const v = Object.hasOwn(o, camel) ? o[camel] : Object.hasOwn(o, snake) ? o[snake] : undefined;
  return v === null ? undefined : v;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function object(v: unknown): JsonObject {
  if (!isObject(v)) throw new FieldFault(`expected an object, found ${describe(v)}`);
  return v;
}

function document(doc: unknown): JsonObject {
  if (!isObject(doc)) throw new FieldFault(`expected an OTLP JSON object, found ${describe(doc)}`);
  return doc;
}

/** Calls `read` for each object in a repeated message field, naming the entry when it fails. */
function eachEntry(o: JsonObject, camel: string, snake: string, read: (entry: JsonObject, index: number) => void): void {
  const list = field(o, camel, snake);
  if (list === undefined) return;
  if (!Array.isArray(list)) throw within(new FieldFault(`expected an array, found ${describe(list)}`), camel);
  for (let i = 0; i < list.length; i++) {
    try {
      read(object(list[i]), i);
    } catch (e) {
      throw within(e, camel, i);
    }
  }
}

function entries<T>(o: JsonObject, camel: string, snake: string, read: (entry: JsonObject) => T): T[] {
  const out: T[] = [];
  eachEntry(o, camel, snake, (entry) => out.push(read(entry)));
  return out;
}

function attributes(o: JsonObject): Attributes {
  const attrs: Attributes = {};
  eachEntry(o, 'attributes', 'attributes', (kv) => readKeyValue(kv, attrs, 0));
  return attrs;
}

function readKeyValue(kv: JsonObject, attrs: Attributes, depth: number): void {
  const key = string(kv, 'key', 'key');
  const value = field(kv, 'value', 'value');
  try {
    setAttribute(attrs, key, anyValue(value, depth + 1));
  } catch (e) {
    throw within(e, 'value');
  }
}

/**
 * An AnyValue object. An empty or absent one is the empty value (null). Leniently, a value that is
 * not an AnyValue at all — an object with none of its keys, such as `{"anyValue": "x"}`, or a bare
 * JSON value — keeps its key and is read as its JSON text (a bare string as itself), so nothing a
 * sender meant to say is lost.
 */
function anyValue(v: unknown, depth: number): AnyValue {
  if (v === undefined) return null;
  if (depth > MAX_DEPTH) throw new FieldFault(`values nested deeper than ${MAX_DEPTH} levels`);
  if (!isObject(v)) return typeof v === 'string' ? v : JSON.stringify(v);
  for (const [camel, snake] of ANY_VALUE_KINDS) {
    const x = field(v, camel, snake);
    if (x === undefined) continue;
    try {
      return anyValueOfKind(camel, x, depth);
    } catch (e) {
      throw within(e, camel);
    }
  }
  return Object.keys(v).length === 0 ? null : JSON.stringify(v);
}

const ANY_VALUE_KINDS = [
  ['stringValue', 'string_value'],
  ['boolValue', 'bool_value'],
  ['intValue', 'int_value'],
  ['doubleValue', 'double_value'],
  ['arrayValue', 'array_value'],
  ['kvlistValue', 'kvlist_value'],
  ['bytesValue', 'bytes_value'],
] as const;

function anyValueOfKind(kind: (typeof ANY_VALUE_KINDS)[number][0], x: unknown, depth: number): AnyValue {
  switch (kind) {
    case 'stringValue':
      if (typeof x !== 'string') throw new FieldFault(`expected a string, found ${describe(x)}`);
      return x;
    case 'boolValue':
      if (typeof x !== 'boolean') throw new FieldFault(`expected true or false, found ${describe(x)}`);
      return x;
    case 'intValue':
      return integer(x, INT64_MIN, INT64_MAX);
    case 'doubleValue':
      return double(x);
    case 'arrayValue': {
      const values = field(object(x), 'values', 'values');
      if (values === undefined) return [];
      if (!Array.isArray(values)) throw within(new FieldFault(`expected an array, found ${describe(values)}`), 'values');
      return values.map((item: unknown, i) => {
        try {
          return anyValue(item === null ? undefined : item, depth + 1);
        } catch (e) {
          throw within(e, 'values', i);
        }
      });
    }
    case 'kvlistValue': {
      const kvlist: Attributes = {};
      eachEntry(object(x), 'values', 'values', (kv) => readKeyValue(kv, kvlist, depth));
      return { kvlist };
    }
    case 'bytesValue':
      return bytes(x);
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const DECIMAL = /^-?\d+$/;

/** A JSON integer (a number, or a decimal string as int64/fixed64 are written) within [min, max]. */
function integer(v: unknown, min: bigint, max: bigint): bigint {
  let n: bigint;
  if (typeof v === 'string' && DECIMAL.test(v)) n = BigInt(v);
  else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else throw new FieldFault(`expected an integer, found ${describe(v)}`);
  if (n < min || n > max) throw new FieldFault(`${v} is out of range [${min}, ${max}]`);
  return n;
}

/** A timestamp (fixed64 nanoseconds); absent is 0n. */
function uint64(o: JsonObject, camel: string, snake: string): bigint {
  const v = field(o, camel, snake);
  if (v === undefined) return 0n;
  try {
    return integer(v, 0n, UINT64_MAX);
  } catch (e) {
    throw within(e, camel);
  }
}

function uint32(o: JsonObject, camel: string, snake: string): number {
  const v = field(o, camel, snake);
  if (v === undefined) return 0;
  try {
    return Number(integer(v, 0n, 0xffffffffn));
  } catch (e) {
    throw within(e, camel);
  }
}

function string(o: JsonObject, camel: string, snake: string): string {
  const v = field(o, camel, snake);
  if (v === undefined) return '';
  if (typeof v !== 'string') throw within(new FieldFault(`expected a string, found ${describe(v)}`), camel);
  return v;
}

/** An enum by number or by its proto name. */
function enumValue(o: JsonObject, camel: string, snake: string, names: Record<string, number>, what: string): number {
  const v = field(o, camel, snake);
  if (v === undefined) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && Object.hasOwn(names, v)) return names[v];
  const problem = typeof v === 'string' ? `unknown ${what} ${quote(v)}` : `expected a ${what} (number or name), found ${describe(v)}`;
  throw within(new FieldFault(problem), camel);
}

/** A double: a JSON number, or "NaN" / "Infinity" / "-Infinity" / a numeric string as proto3 JSON allows. */
function double(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    const n = v.trim() === '' ? NaN : Number(v);
    if (Number.isFinite(n)) return n;
  }
  throw new FieldFault(`expected a number, found ${describe(v)}`);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

function base64(s: string): Uint8Array | undefined {
  if (!BASE64.test(s) && !BASE64URL.test(s)) return undefined;
  return new Uint8Array(Buffer.from(s, 'base64'));
}

function bytes(v: unknown): Uint8Array {
  const decoded = typeof v === 'string' ? base64(v) : undefined;
  if (decoded === undefined) throw new FieldFault(`expected base64, found ${describe(v)}`);
  return decoded;
}

const HEX = /^[0-9a-fA-F]*$/;

/** An id as lowercase hex: hex digits of either case or base64 of the right length; '' when absent. */
function id(o: JsonObject, camel: string, snake: string, size: 16 | 8): string {
  const v = field(o, camel, snake);
  if (v === undefined || v === '') return '';
  if (typeof v === 'string') {
    if (v.length === size * 2 && HEX.test(v)) return v.toLowerCase();
    const decoded = base64(v);
    if (decoded !== undefined && decoded.length === size) return Buffer.from(decoded).toString('hex');
  }
  const problem =
    typeof v === 'string' ? `${quote(v)} is neither ${size * 2} hex digits nor base64 of ${size} bytes` : `expected a hex or base64 id, found ${describe(v)}`;
  throw within(new FieldFault(problem), camel);
}

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${quote(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
