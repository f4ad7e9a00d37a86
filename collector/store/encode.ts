// Model → row values, done when a batch is handed to `write()` so a bad span rejects only its own
// request and the commit path only binds parameters.
import { InputError } from '../errors';
import { serviceName, type LogRecord, type Resource, type Scope, type Span, type SpanEvent, type SpanLink } from '../model';
import { encodeAttributes, encodeValue } from './attributes';

export interface ResourceRow {
  /** Content identity: equal rows are stored once. */
  key: string;
  service: string;
  attributes: string;
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface ScopeRow {
  key: string;
  name: string;
  version: string;
  attributes: string;
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface SpanRow {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  statusCode: number;
  statusMessage: string;
  attributes: string;
  droppedAttributesCount: number;
  events: string;
  droppedEventsCount: number;
  links: string;
  droppedLinksCount: number;
  resource: ResourceRow;
  scope: ScopeRow;
}

export interface LogRow {
  traceId: string;
  spanId: string;
  timeNs: bigint;
  observedNs: bigint;
  severityNumber: number;
  severityText: string;
  body: string;
  attributes: string;
  droppedAttributesCount: number;
  flags: number;
  eventName: string;
  resource: ResourceRow;
  scope: ScopeRow;
}

export interface EncodedBatch {
  spans: SpanRow[];
  logs: LogRow[];
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const INT64_MAX = (1n << 63n) - 1n;

/** Throws InputError naming the first span or log record the store cannot keep. */
export function encodeBatch(batch: { spans: Span[]; logs: LogRecord[] }): EncodedBatch {
  const resources = new Map<Resource, ResourceRow>();
  const scopes = new Map<Scope, ScopeRow>();
  const resourceRow = (r: Resource) => {
    let row = resources.get(r);
    if (!row) resources.set(r, (row = encodeResource(r)));
    return row;
  };
  const scopeRow = (s: Scope) => {
    let row = scopes.get(s);
    if (!row) scopes.set(s, (row = encodeScope(s)));
    return row;
  };

  const spans = batch.spans.map((s, i): SpanRow => {
    if (!TRACE_ID.test(s.traceId)) throw invalidSpan(s, i, `traceId ${JSON.stringify(s.traceId)} (need 32 lowercase hex digits)`);
    if (!SPAN_ID.test(s.spanId)) throw invalidSpan(s, i, `spanId ${JSON.stringify(s.spanId)} (need 16 lowercase hex digits)`);
    if (s.parentSpanId !== '' && !SPAN_ID.test(s.parentSpanId)) throw invalidSpan(s, i, `parentSpanId ${JSON.stringify(s.parentSpanId)}`);
    if (!isTimestamp(s.startNs)) throw invalidSpan(s, i, `startNs ${s.startNs}`);
    if (!isTimestamp(s.endNs)) throw invalidSpan(s, i, `endNs ${s.endNs}`);
    return {
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      traceState: s.traceState,
      flags: s.flags,
      name: s.name,
      kind: s.kind,
      startNs: s.startNs,
      endNs: s.endNs,
      statusCode: s.status.code,
      statusMessage: s.status.message,
      attributes: encodeAttributes(s.attributes),
      droppedAttributesCount: s.droppedAttributesCount,
      events: s.events.length === 0 ? '[]' : encodeEvents(s.events),
      droppedEventsCount: s.droppedEventsCount,
      links: s.links.length === 0 ? '[]' : encodeLinks(s.links),
      droppedLinksCount: s.droppedLinksCount,
      resource: resourceRow(s.resource),
      scope: scopeRow(s.scope),
    };
  });

  const logs = batch.logs.map((l, i): LogRow => {
    if (l.traceId !== '' && !TRACE_ID.test(l.traceId)) throw invalidLog(i, `traceId ${JSON.stringify(l.traceId)} (need 32 lowercase hex digits or '')`);
    if (l.spanId !== '' && !SPAN_ID.test(l.spanId)) throw invalidLog(i, `spanId ${JSON.stringify(l.spanId)} (need 16 lowercase hex digits or '')`);
    if (!isTimestamp(l.timeNs)) throw invalidLog(i, `timeNs ${l.timeNs}`);
    if (!isTimestamp(l.observedNs)) throw invalidLog(i, `observedNs ${l.observedNs}`);
    return {
      traceId: l.traceId,
      spanId: l.spanId,
      timeNs: l.timeNs,
      observedNs: l.observedNs,
      severityNumber: l.severityNumber,
      severityText: l.severityText,
      body: encodeValue(l.body),
      attributes: encodeAttributes(l.attributes),
      droppedAttributesCount: l.droppedAttributesCount,
      flags: l.flags,
      eventName: l.eventName,
      resource: resourceRow(l.resource),
      scope: scopeRow(l.scope),
    };
  });
  return { spans, logs };
}

// Made only on failure: a closure per span costs more than the checks themselves.
function invalidSpan(s: Span, i: number, what: string): InputError {
  const name = what.slice(0, what.indexOf(' '));
  return new InputError(`span ${i} (${JSON.stringify(s.name)}): invalid ${what}`, { field: `spans[${i}].${name}` });
}

function invalidLog(i: number, what: string): InputError {
  const name = what.slice(0, what.indexOf(' '));
  return new InputError(`log record ${i}: invalid ${what}`, { field: `logs[${i}].${name}` });
}

function isTimestamp(ns: bigint): boolean {
  return typeof ns === 'bigint' && ns >= 0n && ns <= INT64_MAX;
}

function encodeResource(r: Resource): ResourceRow {
  const attributes = encodeAttributes(r.attributes);
  return {
    key: `${attributes}\0${r.droppedAttributesCount}\0${r.schemaUrl}`,
    service: serviceName(r),
    attributes,
    droppedAttributesCount: r.droppedAttributesCount,
    schemaUrl: r.schemaUrl,
  };
}

function encodeScope(s: Scope): ScopeRow {
  const attributes = encodeAttributes(s.attributes);
  return {
    key: `${s.name}\0${s.version}\0${attributes}\0${s.droppedAttributesCount}\0${s.schemaUrl}`,
    name: s.name,
    version: s.version,
    attributes,
    droppedAttributesCount: s.droppedAttributesCount,
    schemaUrl: s.schemaUrl,
  };
}

function encodeEvents(events: SpanEvent[]): string {
  return `[${events
    .map((e) => `{"timeNs":"${e.timeNs}","name":${JSON.stringify(e.name)},"attributes":${encodeAttributes(e.attributes)},"droppedAttributesCount":${e.droppedAttributesCount}}`)
    .join(',')}]`;
}

function encodeLinks(links: SpanLink[]): string {
  return `[${links
    .map(
      (l) =>
        `{"traceId":${JSON.stringify(l.traceId)},"spanId":${JSON.stringify(l.spanId)},"traceState":${JSON.stringify(l.traceState)},` +
        `"flags":${l.flags},"attributes":${encodeAttributes(l.attributes)},"droppedAttributesCount":${l.droppedAttributesCount}}`,
    )
    .join(',')}]`;
}
