// The real OpenTelemetry JS SDK and its serializers are the oracle: what the SDK held, serialized as
// protobuf and as JSON, must decode to the same model, and to what we know the SDK held.
import { describe, expect, it } from 'vitest';
import { SpanKind as ApiSpanKind, SpanStatusCode, TraceFlags, context, createTraceState, trace, type Attributes as ApiAttributes } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { Attributes, LogRecord, Span } from '../model';
import { decodeLogsJson, decodeLogsProto, decodeTracesJson, decodeTracesProto, encodeLogsJson, encodeTracesJson } from './index';

const T0 = 1_700_000_000_123_456_789n;
const hr = (ns: bigint): [number, number] => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];

const resourceAttributes: ApiAttributes = {
  'service.name': 'checkout',
  'service.instance.id': 'pod-7f9c',
  'host.cpu.count': 8,
  'deployment.ratio': 0.75,
  'feature.enabled': true,
  'k8s.labels': ['app=checkout', 'tier=backend'],
};
const expectedResourceAttributes: Attributes = {
  'service.name': 'checkout',
  'service.instance.id': 'pod-7f9c',
  'host.cpu.count': 8n,
  'deployment.ratio': 0.75,
  'feature.enabled': true,
  'k8s.labels': ['app=checkout', 'tier=backend'],
};

/** Every attribute type the SDK accepts, with the edge values it can carry. */
const spanAttributes: ApiAttributes = {
  'str.ascii': 'GET /orders/{id}',
  'str.empty': '',
  'str.unicode': 'grüße, 世界 🚀',
  'bool.true': true,
  'bool.false': false,
  'int.zero': 0,
  'int.minus_one': -1,
  'int.max_safe': Number.MAX_SAFE_INTEGER,
  'int.min_safe': Number.MIN_SAFE_INTEGER,
  'int.2^53': 2 ** 53,
  'int.2^62': 2 ** 62,
  'double.pi': 3.14159,
  'double.negative': -0.5,
  'double.tiny': 5e-324,
  'array.str': ['a', '', 'ü'],
  'array.int': [1, -2, 3],
  'array.double': [1.5, -2.25],
  'array.bool': [true, false],
  'array.empty': [],
};
const expectedSpanAttributes: Attributes = {
  'str.ascii': 'GET /orders/{id}',
  'str.empty': '',
  'str.unicode': 'grüße, 世界 🚀',
  'bool.true': true,
  'bool.false': false,
  'int.zero': 0n,
  'int.minus_one': -1n,
  'int.max_safe': 9007199254740991n,
  'int.min_safe': -9007199254740991n,
  'int.2^53': 9007199254740992n,
  'int.2^62': 4611686018427387904n,
  'double.pi': 3.14159,
  'double.negative': -0.5,
  'double.tiny': 5e-324,
  'array.str': ['a', '', 'ü'],
  'array.int': [1n, -2n, 3n],
  'array.double': [1.5, -2.25],
  'array.bool': [true, false],
  'array.empty': [],
};

const REMOTE_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const REMOTE_SPAN_ID = '00f067aa0ba902b7';
const LINKED_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const LINKED_SPAN_ID = 'b7ad6b7169203331';

function recordSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes(resourceAttributes),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const http = provider.getTracer('otelhttp', '0.53.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });
  const db = provider.getTracer('otelsql');

  // A server span continuing a remote W3C context (traceparent + tracestate from an upstream service).
  const remote = trace.setSpanContext(context.active(), {
    traceId: REMOTE_TRACE_ID,
    spanId: REMOTE_SPAN_ID,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: createTraceState('ot=th:8;rv:0000000000000a,vendor=x'),
  });
  const server = http.startSpan('GET /orders/{id}', { kind: ApiSpanKind.SERVER, startTime: hr(T0), attributes: spanAttributes }, remote);
  server.addEvent('request.received', { 'http.request.body.size': 512, 'note': 'ünïcode' }, hr(T0 + 1_000n));
  server.addEvent('empty event', hr(T0 + 2_000n));
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream timed out: 下游' });

  const local = trace.setSpan(context.active(), server);
  const query = db.startSpan(
    'SELECT orders',
    {
      kind: ApiSpanKind.CLIENT,
      startTime: hr(T0 + 10_000n),
      attributes: { 'db.system': 'postgresql' },
      links: [
        {
          context: { traceId: LINKED_TRACE_ID, spanId: LINKED_SPAN_ID, traceFlags: TraceFlags.NONE, isRemote: true, traceState: createTraceState('k=v') },
          attributes: { 'link.kind': 'batch', 'link.index': 3, 'link.weight': 0.5 },
        },
        { context: { traceId: REMOTE_TRACE_ID, spanId: REMOTE_SPAN_ID, traceFlags: TraceFlags.SAMPLED } },
      ],
    },
    local,
  );
  query.setStatus({ code: SpanStatusCode.OK });
  query.end(hr(T0 + 20_000n));
  for (const kind of [ApiSpanKind.INTERNAL, ApiSpanKind.PRODUCER, ApiSpanKind.CONSUMER]) {
    http.startSpan(`kind ${kind}`, { kind, startTime: hr(T0 + 30_000n), root: true }).end(hr(T0 + 40_000n));
  }
  server.end(hr(T0 + 1_000_000n));
  return exporter.getFinishedSpans();
}

function recordLogs() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(resourceAttributes),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('zap', '1.27.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0', attributes: { 'logger.kind': 'structured', 'logger.level': 3 } });
  const inSpan = trace.setSpanContext(context.active(), {
    traceId: REMOTE_TRACE_ID,
    spanId: REMOTE_SPAN_ID,
    traceFlags: TraceFlags.SAMPLED,
  });
  const bodies = [
    'order 42 shipped — ✓',
    '',
    7,
    -1,
    2.5,
    true,
    new Uint8Array([0, 1, 2, 254, 255]),
    ['a', 1, 1.5, false, ['nested']],
    [],
    { user: 'ada', attempts: 3, ratio: 0.5, tags: ['x'], nested: { deep: true }, empty: {} },
    undefined,
  ];
  bodies.forEach((body, i) => {
    logger.emit({
      timestamp: hr(T0 + BigInt(i)),
      observedTimestamp: hr(T0 + 1_000n + BigInt(i)),
      severityNumber: i % 2 === 0 ? SeverityNumber.INFO : SeverityNumber.ERROR2,
      severityText: i % 2 === 0 ? 'INFO' : 'ERROR',
      body,
      attributes: { 'log.index': i, 'log.file': 'main.go', 'log.sampled': i % 3 === 0 },
      context: i % 2 === 0 ? inSpan : context.active(),
      ...(i === 0 ? { eventName: 'order.shipped' } : {}),
    });
  });
  return exporter.getFinishedLogRecords();
}

function byName(spans: Span[], name: string): Span {
  const span = spans.find((s) => s.name === name);
  if (span === undefined) throw new Error(`no span named ${name}`);
  return span;
}

describe('traces serialized by the OpenTelemetry JS SDK', () => {
  const recorded = recordSpans();
  const proto = decodeTracesProto(ProtobufTraceSerializer.serializeRequest(recorded)!);
  const json = decodeTracesJson(JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(recorded)!)));

  it('decode to the same model from protobuf and from JSON', () => {
    expect(proto.rejected).toBe(0);
    expect(json.rejected).toBe(0);
    expect(recorded).toHaveLength(5);
    expect(proto.spans).toHaveLength(5);
    expect(json.spans).toEqual(proto.spans);
  });

  it('keep every field of a server span that continues a remote context', () => {
    const server = byName(proto.spans, 'GET /orders/{id}');
    const sdk = recorded.find((s) => s.name === 'GET /orders/{id}')!;
    expect(server).toMatchObject({
      traceId: REMOTE_TRACE_ID,
      spanId: sdk.spanContext().spanId,
      parentSpanId: REMOTE_SPAN_ID,
      traceState: 'ot=th:8;rv:0000000000000a,vendor=x',
      // sampled, plus CONTEXT_HAS_IS_REMOTE and CONTEXT_IS_REMOTE: the parent came over the wire
      flags: 0x301,
      kind: 2,
      startNs: T0,
      endNs: T0 + 1_000_000n,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
      status: { code: 2, message: 'upstream timed out: 下游' },
    });
    expect(server.attributes).toEqual(expectedSpanAttributes);
    expect(server.events).toEqual([
      { timeNs: T0 + 1_000n, name: 'request.received', attributes: { 'http.request.body.size': 512n, note: 'ünïcode' }, droppedAttributesCount: 0 },
      { timeNs: T0 + 2_000n, name: 'empty event', attributes: {}, droppedAttributesCount: 0 },
    ]);
    expect(server.resource).toEqual({ attributes: expectedResourceAttributes, droppedAttributesCount: 0, schemaUrl: '' });
    expect(server.scope).toEqual({
      name: 'otelhttp',
      version: '0.53.0',
      attributes: {},
      droppedAttributesCount: 0,
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    });
  });

  it('keep links with their trace state, attributes and flags', () => {
    const server = byName(proto.spans, 'GET /orders/{id}');
    const query = byName(proto.spans, 'SELECT orders');
    expect(query).toMatchObject({ traceId: REMOTE_TRACE_ID, parentSpanId: server.spanId, flags: 0x101, kind: 3, status: { code: 1, message: '' } });
    expect(query.links).toEqual([
      {
        traceId: LINKED_TRACE_ID,
        spanId: LINKED_SPAN_ID,
        traceState: 'k=v',
        attributes: { 'link.kind': 'batch', 'link.index': 3n, 'link.weight': 0.5 },
        droppedAttributesCount: 0,
        flags: 0x300,
      },
      { traceId: REMOTE_TRACE_ID, spanId: REMOTE_SPAN_ID, traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 0x101 },
    ]);
    expect(query.scope.name).toBe('otelsql');
    expect(query.scope.version).toBe('');
  });

  it('map every SDK span kind and make new roots roots', () => {
    expect(byName(proto.spans, 'kind 0')).toMatchObject({ kind: 1, parentSpanId: '', startNs: T0 + 30_000n, endNs: T0 + 40_000n });
    expect(byName(proto.spans, 'kind 3')).toMatchObject({ kind: 4 });
    expect(byName(proto.spans, 'kind 4')).toMatchObject({ kind: 5 });
  });

  it('share one Resource among the spans of a ResourceSpans and one Scope per ScopeSpans', () => {
    const server = byName(proto.spans, 'GET /orders/{id}');
    const producer = byName(proto.spans, 'kind 3');
    const query = byName(proto.spans, 'SELECT orders');
    expect(producer.resource).toBe(server.resource);
    expect(query.resource).toBe(server.resource);
    expect(producer.scope).toBe(server.scope);
    expect(query.scope).not.toBe(server.scope);
  });

  it('survive our JSON encoder: encode, stringify, parse and decode give the same model', () => {
    const again = decodeTracesJson(JSON.parse(JSON.stringify(encodeTracesJson(proto.spans))));
    expect(again.rejected).toBe(0);
    expect(again.spans).toEqual(proto.spans);
  });
});

describe('logs serialized by the OpenTelemetry JS SDK', () => {
  const recorded = recordLogs();
  const proto = decodeLogsProto(ProtobufLogsSerializer.serializeRequest(recorded)!);
  const json = decodeLogsJson(JSON.parse(new TextDecoder().decode(JsonLogsSerializer.serializeRequest(recorded)!)));
  const logs: LogRecord[] = proto.logs;

  it('decode to the same model from protobuf and from JSON', () => {
    expect(proto.rejected).toBe(0);
    expect(json.rejected).toBe(0);
    expect(recorded).toHaveLength(11);
    expect(logs).toHaveLength(11);
    expect(json.logs).toEqual(logs);
  });

  it('keep bodies of every kind', () => {
    expect(logs.map((l) => l.body)).toEqual([
      'order 42 shipped — ✓',
      '',
      7n,
      -1n,
      2.5,
      true,
      new Uint8Array([0, 1, 2, 254, 255]),
      ['a', 1n, 1.5, false, ['nested']],
      [],
      { kvlist: { user: 'ada', attempts: 3n, ratio: 0.5, tags: ['x'], nested: { kvlist: { deep: true } }, empty: { kvlist: {} } } },
      null,
    ]);
  });

  it('keep times, severity, attributes, event name and trace context where there was one', () => {
    expect(logs[0]).toMatchObject({
      timeNs: T0,
      observedNs: T0 + 1_000n,
      severityNumber: 9,
      severityText: 'INFO',
      attributes: { 'log.index': 0n, 'log.file': 'main.go', 'log.sampled': true },
      droppedAttributesCount: 0,
      flags: 1,
      traceId: REMOTE_TRACE_ID,
      spanId: REMOTE_SPAN_ID,
      eventName: 'order.shipped',
    });
    expect(logs[1]).toMatchObject({ timeNs: T0 + 1n, severityNumber: 18, severityText: 'ERROR', flags: 0, traceId: '', spanId: '', eventName: '' });
    expect(logs[0].scope).toEqual({
      name: 'zap',
      version: '1.27.0',
      attributes: { 'logger.kind': 'structured', 'logger.level': 3n },
      droppedAttributesCount: 0,
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    });
    expect(logs[0].resource.attributes).toEqual(expectedResourceAttributes);
    expect(logs[5].resource).toBe(logs[0].resource);
  });

  it('survive our JSON encoder: encode, stringify, parse and decode give the same model', () => {
    const again = decodeLogsJson(JSON.parse(JSON.stringify(encodeLogsJson(logs))));
    expect(again.logs).toEqual(logs);
  });
});
