// The yardstick for collector/otlp/proto.ts: protobufjs's generated static decoder (from
// @opentelemetry/otlp-transformer 0.52) followed by a straightforward mapping to the same model.
// Its schema predates Span.flags and Link.flags (fields 16 and 6), which it skips: those stay 0.
import root from 'otlp-transformer-052/build/esm/generated/root.js';
import {
  setAttribute,
  type AnyValue,
  type Attributes,
  type Resource,
  type Scope,
  type Span,
  type SpanKind,
  type StatusCode,
} from '../collector/model';

interface PbLong {
  low: number;
  high: number;
}
type PbInt64 = number | PbLong;

interface PbAnyValue {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: PbInt64 | null;
  doubleValue?: number | null;
  arrayValue?: { values?: PbAnyValue[] | null } | null;
  kvlistValue?: { values?: PbKeyValue[] | null } | null;
  bytesValue?: Uint8Array | null;
}
interface PbKeyValue {
  key: string | null;
  value: PbAnyValue | null;
}
// Generated with null defaults: every absent scalar or message reads as null, absent repeated fields as [].
interface PbSpan {
  traceId: Uint8Array | null;
  spanId: Uint8Array | null;
  traceState: string | null;
  parentSpanId: Uint8Array | null;
  name: string | null;
  kind: number | null;
  startTimeUnixNano: PbInt64 | null;
  endTimeUnixNano: PbInt64 | null;
  attributes: PbKeyValue[];
  droppedAttributesCount: number | null;
  events: { timeUnixNano: PbInt64 | null; name: string | null; attributes: PbKeyValue[]; droppedAttributesCount: number | null }[];
  droppedEventsCount: number | null;
  links: {
    traceId: Uint8Array | null;
    spanId: Uint8Array | null;
    traceState: string | null;
    attributes: PbKeyValue[];
    droppedAttributesCount: number | null;
  }[];
  droppedLinksCount: number | null;
  status: { code: number | null; message: string | null } | null;
}
interface PbRequest {
  resourceSpans: {
    resource: { attributes: PbKeyValue[]; droppedAttributesCount: number | null } | null;
    schemaUrl: string | null;
    scopeSpans: {
      scope: { name: string | null; version: string | null; attributes: PbKeyValue[]; droppedAttributesCount: number | null } | null;
      schemaUrl: string | null;
      spans: PbSpan[];
    }[];
  }[];
}

const generated = root as unknown as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: { decode(buf: Uint8Array): PbRequest } } } } } };
};
const ExportTraceServiceRequest = generated.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/** protobufjs decode alone, without building our model. */
export function decodeRequestProtobufjs(buf: Uint8Array): PbRequest {
  return ExportTraceServiceRequest.decode(buf);
}

/** protobufjs decode followed by mapping to the model. */
export function decodeTracesProtobufjs(buf: Uint8Array): Span[] {
  const request = ExportTraceServiceRequest.decode(buf);
  const spans: Span[] = [];
  for (const rs of request.resourceSpans) {
    const resource: Resource = {
      attributes: toAttributes(rs.resource?.attributes ?? []),
      droppedAttributesCount: rs.resource?.droppedAttributesCount ?? 0,
      schemaUrl: rs.schemaUrl ?? '',
    };
    for (const ss of rs.scopeSpans) {
      const scope: Scope = {
        name: ss.scope?.name ?? '',
        version: ss.scope?.version ?? '',
        attributes: toAttributes(ss.scope?.attributes ?? []),
        droppedAttributesCount: ss.scope?.droppedAttributesCount ?? 0,
        schemaUrl: ss.schemaUrl ?? '',
      };
      for (const s of ss.spans) {
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          traceState: s.traceState ?? '',
          flags: 0,
          name: s.name ?? '',
          kind: (s.kind ?? 0) as SpanKind,
          startNs: toBigInt(s.startTimeUnixNano, false),
          endNs: toBigInt(s.endTimeUnixNano, false),
          attributes: toAttributes(s.attributes),
          droppedAttributesCount: s.droppedAttributesCount ?? 0,
          events: s.events.map((e) => ({
            timeNs: toBigInt(e.timeUnixNano, false),
            name: e.name ?? '',
            attributes: toAttributes(e.attributes),
            droppedAttributesCount: e.droppedAttributesCount ?? 0,
          })),
          droppedEventsCount: s.droppedEventsCount ?? 0,
          links: s.links.map((l) => ({
            traceId: hex(l.traceId),
            spanId: hex(l.spanId),
            traceState: l.traceState ?? '',
            attributes: toAttributes(l.attributes),
            droppedAttributesCount: l.droppedAttributesCount ?? 0,
            flags: 0,
          })),
          droppedLinksCount: s.droppedLinksCount ?? 0,
          status: { code: (s.status?.code ?? 0) as StatusCode, message: s.status?.message ?? '' },
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

function hex(bytes: Uint8Array | null): string {
  return bytes === null ? '' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function toBigInt(v: PbInt64 | null, signed: boolean): bigint {
  if (v === null) return 0n;
  if (typeof v === 'number') return BigInt(v);
  const unsigned = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return signed ? BigInt.asIntN(64, unsigned) : unsigned;
}

function toAttributes(kvs: PbKeyValue[]): Attributes {
  const attrs: Attributes = {};
  for (const kv of kvs) setAttribute(attrs, kv.key ?? '', toAnyValue(kv.value));
  return attrs;
}

function toAnyValue(v: PbAnyValue | null | undefined): AnyValue {
  if (v == null) return null;
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) return toBigInt(v.intValue, true);
  if (v.doubleValue != null) return v.doubleValue;
  if (v.arrayValue != null) return (v.arrayValue.values ?? []).map(toAnyValue);
  if (v.kvlistValue != null) return { kvlist: toAttributes(v.kvlistValue.values ?? []) };
  if (v.bytesValue != null) return v.bytesValue;
  return null;
}
