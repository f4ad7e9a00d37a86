// Model → row values, done when a batch is handed to `write()` so a bad span rejects only its own
// request and the commit path only binds parameters.
import { InputError } from '../errors';
import { serviceName, type LogRecord, type Resource, type Scope, type Span, type SpanEvent, type SpanLink } from '../model';
import { encodeAttributes, encodeValue } from '../otlp/attribute-json';

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

/**
 * Rows ready to bind, flat: SPAN_WIDTH values per span in the order of SPAN_COLUMNS, LOG_WIDTH per log record
 * in the order of the logs INSERT. Flat arrays of primitives cost a third of row objects to hand to the
 * writer thread. Where the table holds keys, the values are what the writer turns into keys: the trace id
 * (32 hex, or '' for a log record without one) and indexes into `resources` and `scopes`.
 */
export interface EncodedBatch {
  spans: unknown[];
  logs: unknown[];
  resources: ResourceRow[];
  scopes: ScopeRow[];
  /** The address the exporter connected from, when it is not loopback (the receivers set it). */
  peer?: string;
}

/** Positions in EncodedBatch.spans. */
export const SpanAt = {
  traceId: 0,
  spanId: 1,
  parentSpanId: 2,
  name: 5,
  startNs: 7,
  endNs: 8,
  statusCode: 9,
  resource: 17,
  scope: 18,
} as const;
export const SPAN_WIDTH = 19;

/** Positions in EncodedBatch.logs; the last holds the resource index again, for the service. */
export const LogAt = { traceId: 0, resource: 11, scope: 12, service: 13 } as const;
export const LOG_WIDTH = 14;

/** Spans + log records in a batch. */
export function batchItems(batch: EncodedBatch): number {
  return batch.spans.length / SPAN_WIDTH + batch.logs.length / LOG_WIDTH;
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const INT64_MAX = (1n << 63n) - 1n;

/** Attributes already in their stored JSON (decode*ProtoForStore): item i's is used instead of encoding its own. */
export interface EncodedAttributes {
  spans?: readonly string[];
  logs?: readonly string[];
}

/** Throws InputError naming the first span or log record the store cannot keep. */
export function encodeBatch(batch: { spans: Span[]; logs: LogRecord[] }, encoded: EncodedAttributes = {}): EncodedBatch {
  const { spans: spanAttributes, logs: logAttributes } = encoded;
  const resources: ResourceRow[] = [];
  const scopes: ScopeRow[] = [];
  const resourceIndex = new Map<Resource, number>();
  const scopeIndex = new Map<Scope, number>();
  const resourceAt = (r: Resource) => {
    let i = resourceIndex.get(r);
    if (i === undefined) resourceIndex.set(r, (i = resources.push(encodeResource(r)) - 1));
    return i;
  };
  const scopeAt = (s: Scope) => {
    let i = scopeIndex.get(s);
    if (i === undefined) scopeIndex.set(s, (i = scopes.push(encodeScope(s)) - 1));
    return i;
  };

  // Filled by appending, never preallocated: an array made with a length stays "holey" even once full, and
  // structured clone copies holey arrays element by element as sparse ones, 2.4× slower to the writer thread.
  const spans: unknown[] = [];
  let o = 0;
  for (let i = 0; i < batch.spans.length; i++) {
    const s = batch.spans[i];
    if (!TRACE_ID.test(s.traceId)) throw invalidSpan(s, i, `traceId ${JSON.stringify(s.traceId)} (need 32 lowercase hex digits)`);
    if (!SPAN_ID.test(s.spanId)) throw invalidSpan(s, i, `spanId ${JSON.stringify(s.spanId)} (need 16 lowercase hex digits)`);
    if (s.parentSpanId !== '' && !SPAN_ID.test(s.parentSpanId)) throw invalidSpan(s, i, `parentSpanId ${JSON.stringify(s.parentSpanId)}`);
    if (!isTimestamp(s.startNs)) throw invalidSpan(s, i, `startNs ${s.startNs}`);
    if (!isTimestamp(s.endNs)) throw invalidSpan(s, i, `endNs ${s.endNs}`);
    spans[o++] = s.traceId;
    spans[o++] = s.spanId;
    spans[o++] = s.parentSpanId;
    spans[o++] = s.traceState;
    spans[o++] = s.flags;
    spans[o++] = s.name;
    spans[o++] = s.kind;
    spans[o++] = s.startNs;
    spans[o++] = s.endNs;
    spans[o++] = s.status.code;
    spans[o++] = s.status.message;
    spans[o++] = spanAttributes === undefined ? encodeAttributes(s.attributes) : spanAttributes[i];
    spans[o++] = s.droppedAttributesCount;
    spans[o++] = s.events.length === 0 ? '[]' : encodeEvents(s.events);
    spans[o++] = s.droppedEventsCount;
    spans[o++] = s.links.length === 0 ? '[]' : encodeLinks(s.links);
    spans[o++] = s.droppedLinksCount;
    spans[o++] = resourceAt(s.resource);
    spans[o++] = scopeAt(s.scope);
  }

  const logs: unknown[] = [];
  o = 0;
  for (let i = 0; i < batch.logs.length; i++) {
    const l = batch.logs[i];
    if (l.traceId !== '' && !TRACE_ID.test(l.traceId)) throw invalidLog(i, `traceId ${JSON.stringify(l.traceId)} (need 32 lowercase hex digits or '')`);
    if (l.spanId !== '' && !SPAN_ID.test(l.spanId)) throw invalidLog(i, `spanId ${JSON.stringify(l.spanId)} (need 16 lowercase hex digits or '')`);
    if (!isTimestamp(l.timeNs)) throw invalidLog(i, `timeNs ${l.timeNs}`);
    if (!isTimestamp(l.observedNs)) throw invalidLog(i, `observedNs ${l.observedNs}`);
    const resource = resourceAt(l.resource);
    logs[o++] = l.traceId;
    logs[o++] = l.spanId;
    logs[o++] = l.timeNs;
    logs[o++] = l.observedNs;
    logs[o++] = l.severityNumber;
    logs[o++] = l.severityText;
    logs[o++] = encodeValue(l.body);
    logs[o++] = logAttributes === undefined ? encodeAttributes(l.attributes) : logAttributes[i];
    logs[o++] = l.droppedAttributesCount;
    logs[o++] = l.flags;
    logs[o++] = l.eventName;
    logs[o++] = resource;
    logs[o++] = scopeAt(l.scope);
    logs[o++] = resource;
  }
  return { spans, logs, resources, scopes };
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
