// Hand-built protobuf for what no SDK sends: every AnyValue kind, int64 extremes, unknown fields of
// every wire type, remote-context flags, absent and invalid ids, and broken or hostile bytes.
import { describe, expect, it } from 'vitest';
import { SpanKind as ApiSpanKind, context, trace, TraceFlags } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InputError } from '../errors';
import { encodeAttributes } from './attribute-json';
import type { Attributes, LogRecord, Span } from '../model';
import { countMetricPointsProto, decodeLogsProto, decodeLogsProtoForStore, decodeTracesProto, decodeTracesProtoForStore } from './index';
import { encodeFields, hexBytes, type WireField } from './protobuf-builder';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';
const PARENT_ID = 'eee19b7ec3c1b173';
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const UINT64_MAX = 18446744073709551615n;

/** A KeyValue in field `field` of its message (attributes are field 9 of a span, 3 of an event, …). */
const kv = (field: number, key: string, value: WireField[]): WireField => [field, 'message', [[1, 'string', key], [2, 'message', value]]];
const str = (s: string): WireField[] => [[1, 'string', s]];
const int = (n: bigint): WireField[] => [[3, 'int64', n]];

/** One of each unknown-field wire type: varint, fixed64, length-delimited, group (with content), fixed32. */
const unknownFields: WireField[] = [
  [90, 'varint', UINT64_MAX],
  [91, 'fixed64', 1n],
  [92, 'string', 'ignored'],
  [93, 'group', [[1, 'varint', 5], [2, 'group', [[3, 'string', 'inner']]]]],
  [94, 'fixed32', 7],
];

function span(fields: WireField[]): WireField {
  return [2, 'message', fields];
}

function traceRequest(spans: WireField[], extraResource: WireField[] = []): Uint8Array {
  return encodeFields([[1, 'message', [[1, 'message', [kv(1, 'service.name', str('svc'))]], [2, 'message', [[1, 'message', [[1, 'string', 'lib']]], ...spans]], ...extraResource]]]);
}

const validIds: WireField[] = [
  [1, 'bytes', hexBytes(TRACE_ID)],
  [2, 'bytes', hexBytes(SPAN_ID)],
];

function decodeError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('decodeTracesProto on hand-built requests', () => {
  it('decodes every field, every AnyValue kind and int64 extremes, skipping unknown fields of every wire type', () => {
    const buf = encodeFields([
      [
        1,
        'message',
        [
          ...unknownFields,
          [
            2,
            'message',
            [
              [
                1,
                'message',
                [
                  [1, 'string', 'io.opentelemetry.contrib.kafka'],
                  [2, 'string', '1.2.3'],
                  kv(3, 'scope.attr', [[2, 'varint', 1]]),
                  [4, 'varint', 2],
                  ...unknownFields,
                ],
              ],
              span([
                ...validIds,
                [3, 'string', 'ot=th:8,vendor=x'],
                [4, 'bytes', hexBytes(PARENT_ID)],
                [5, 'string', 'process order'],
                [6, 'varint', 5],
                [7, 'fixed64', 1_700_000_000_000_000_001n],
                [8, 'fixed64', UINT64_MAX],
                kv(9, 'max', int(INT64_MAX)),
                kv(9, 'min', int(INT64_MIN)),
                kv(9, 'minus.one', int(-1n)),
                kv(9, 'beyond.2^53', int(9007199254740993n)),
                kv(9, 'double.integral', [[4, 'double', 3]]),
                kv(9, 'double.nan', [[4, 'double', NaN]]),
                kv(9, 'bool.false', [[2, 'varint', 0]]),
                kv(9, 'bytes', [[7, 'bytes', new Uint8Array([0, 255, 16])]]),
                kv(9, 'empty.bytes', [[7, 'bytes', new Uint8Array(0)]]),
                kv(9, 'array', [[5, 'message', [[1, 'message', str('a')], [1, 'message', int(2n)], [1, 'message', []], [1, 'message', [[5, 'message', []]]]]]]),
                kv(9, 'kvlist', [[6, 'message', [kv(1, 'inner', str('x')), kv(1, 'nested', [[6, 'message', [kv(1, 'deep', [[2, 'varint', 1]])]]])]]]),
                kv(9, 'empty.value', []),
                [9, 'message', [[1, 'string', 'no.value']]],
                kv(9, '__proto__', str('not a prototype')),
                kv(9, 'last.kind.wins', [[1, 'string', 'first'], [3, 'int64', 7n]]),
                [10, 'varint', 4],
                [11, 'message', [[1, 'fixed64', 5n], [2, 'string', 'event'], kv(3, 'e', str('v')), [4, 'varint', 1], ...unknownFields]],
                [12, 'varint', 6],
                [
                  13,
                  'message',
                  [
                    [1, 'bytes', hexBytes('0af7651916cd43dd8448eb211c80319c')],
                    [2, 'bytes', hexBytes('b7ad6b7169203331')],
                    [3, 'string', 'k=v'],
                    kv(4, 'l', int(1n)),
                    [5, 'varint', 9],
                    [6, 'fixed32', 0x300],
                    ...unknownFields,
                  ],
                ],
                [14, 'varint', 8],
                [15, 'message', [[1, 'varint', 2], [2, 'string', 'boom'], [3, 'varint', 2], ...unknownFields]],
                [16, 'fixed32', 0x301],
                ...unknownFields,
              ]),
              [3, 'string', 'https://opentelemetry.io/schemas/1.21.0'],
            ],
          ],
          // The resource after its spans: they must still share it.
          [1, 'message', [kv(1, 'service.name', str('orders')), [2, 'varint', 3], ...unknownFields]],
          [3, 'string', 'https://opentelemetry.io/schemas/1.26.0'],
        ],
      ],
      ...unknownFields,
    ]);
    const { spans, rejected } = decodeTracesProto(buf);
    expect(rejected).toBe(0);
    expect(spans).toHaveLength(1);
    const s = spans[0];
    expect(s).toMatchObject({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      parentSpanId: PARENT_ID,
      traceState: 'ot=th:8,vendor=x',
      flags: 0x301,
      name: 'process order',
      kind: 5,
      startNs: 1_700_000_000_000_000_001n,
      endNs: UINT64_MAX,
      droppedAttributesCount: 4,
      droppedEventsCount: 6,
      droppedLinksCount: 8,
      status: { code: 2, message: 'boom' },
    });
    expect(s.attributes).toEqual({
      max: INT64_MAX,
      min: INT64_MIN,
      'minus.one': -1n,
      'beyond.2^53': 9007199254740993n,
      'double.integral': 3,
      'double.nan': NaN,
      'bool.false': false,
      bytes: new Uint8Array([0, 255, 16]),
      'empty.bytes': new Uint8Array(0),
      array: ['a', 2n, null, []],
      kvlist: { kvlist: { inner: 'x', nested: { kvlist: { deep: true } } } },
      'empty.value': null,
      'no.value': null,
      ['__proto__']: 'not a prototype',
      'last.kind.wins': 7n,
    });
    expect(typeof s.attributes['double.integral']).toBe('number');
    expect(Object.getPrototypeOf(s.attributes)).toBe(Object.prototype);
    expect(s.events).toEqual([{ timeNs: 5n, name: 'event', attributes: { e: 'v' }, droppedAttributesCount: 1 }]);
    expect(s.links).toEqual([
      {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceState: 'k=v',
        attributes: { l: 1n },
        droppedAttributesCount: 9,
        flags: 0x300,
      },
    ]);
    expect(s.resource).toEqual({
      attributes: { 'service.name': 'orders' },
      droppedAttributesCount: 3,
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    });
    expect(s.scope).toEqual({
      name: 'io.opentelemetry.contrib.kafka',
      version: '1.2.3',
      attributes: { 'scope.attr': true },
      droppedAttributesCount: 2,
      schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
    });
  });

  it('decodes invalid UTF-8 leniently, with replacement characters', () => {
    const bad = new Uint8Array([0x61, 0xff, 0x62, 0xc3]);
    const { spans } = decodeTracesProto(traceRequest([span([...validIds, [5, 'bytes', bad], [9, 'message', [[1, 'string', 'k'], [2, 'message', [[1, 'bytes', bad]]]]]])]));
    expect(spans[0].name).toBe('a\ufffdb\ufffd');
    expect(spans[0].attributes.k).toBe('a\ufffdb\ufffd');
  });

  it('tells apart short strings that differ only where the string cache does not look', () => {
    // Same length, same first, middle and last four bytes; they differ at index 4 only.
    const keys = ['0', '1', '2', 'ü'].map((x) => `abcd${x}fghijklmnop`);
    const attrs = (order: string[]) => order.map((k, i) => kv(9, k, str(`${k}=${i}`)));
    const first = decodeTracesProto(traceRequest([span([...validIds, ...attrs(keys)])])).spans[0].attributes;
    const second = decodeTracesProto(traceRequest([span([...validIds, ...attrs([...keys].reverse())])])).spans[0].attributes;
    expect(first).toEqual(Object.fromEntries(keys.map((k, i) => [k, `${k}=${i}`])));
    expect(second).toEqual(Object.fromEntries([...keys].reverse().map((k, i) => [k, `${k}=${i}`])));
  });

  it('reads an absent or all-zero parent id as a root and shares resource and scope', () => {
    const { spans } = decodeTracesProto(
      traceRequest([
        span([...validIds, [4, 'bytes', new Uint8Array(0)]]),
        span([[1, 'bytes', hexBytes(TRACE_ID)], [2, 'bytes', hexBytes('0000000000000001')], [4, 'bytes', new Uint8Array(8)]]),
      ]),
    );
    expect(spans.map((s) => s.parentSpanId)).toEqual(['', '']);
    expect(spans[1].resource).toBe(spans[0].resource);
    expect(spans[1].scope).toBe(spans[0].scope);
  });

  it('rejects spans with missing, short or all-zero ids, keeps the others and names the first culprit', () => {
    const result = decodeTracesProto(
      traceRequest([
        span(validIds),
        span([[1, 'bytes', new Uint8Array(16)], [2, 'bytes', hexBytes(SPAN_ID)]]),
        span([[1, 'bytes', hexBytes(TRACE_ID)], [2, 'bytes', hexBytes('eee19b7ec3c1b1')]]),
        span([[2, 'bytes', hexBytes(SPAN_ID)]]),
        span([[1, 'bytes', hexBytes(TRACE_ID)], [2, 'bytes', new Uint8Array(8)]]),
        span([...validIds, [4, 'bytes', hexBytes('0102')]]),
      ]),
    );
    expect(result.spans).toHaveLength(1);
    expect(result.rejected).toBe(5);
    expect(result.rejectReason).toBe('resource_spans[0].scope_spans[0].spans[1]: trace_id is all zeros');
    const each = [
      [[1, 'bytes', hexBytes(TRACE_ID)], [2, 'bytes', hexBytes('eee19b7ec3c1b1')]],
      [[2, 'bytes', hexBytes(SPAN_ID)]],
      [[1, 'bytes', hexBytes(TRACE_ID)], [2, 'bytes', new Uint8Array(8)]],
      [...validIds, [4, 'bytes', hexBytes('0102')]],
    ] as WireField[][];
    expect(each.map((fields) => decodeTracesProto(traceRequest([span(fields)])).rejectReason)).toEqual([
      'resource_spans[0].scope_spans[0].spans[0]: span_id is 7 bytes, expected 8',
      'resource_spans[0].scope_spans[0].spans[0]: trace_id is missing',
      'resource_spans[0].scope_spans[0].spans[0]: span_id is all zeros',
      'resource_spans[0].scope_spans[0].spans[0]: parent_span_id is 2 bytes, expected 8 or none',
    ]);
  });

  it('decodes an empty request to nothing', () => {
    expect(decodeTracesProto(new Uint8Array(0))).toEqual({ spans: [], rejected: 0 });
  });
});

describe('decodeLogsProto on hand-built requests', () => {
  const logRequest = (records: WireField[][]) =>
    encodeFields([[1, 'message', [[2, 'message', records.map((r): WireField => [2, 'message', r])]]]]);

  it('reads 0-length and all-zero trace context as none and rejects ids of the wrong length', () => {
    const result = decodeLogsProto(
      logRequest([
        [[9, 'bytes', new Uint8Array(0)], [10, 'bytes', new Uint8Array(0)], [5, 'message', str('no context')]],
        [[9, 'bytes', new Uint8Array(16)], [10, 'bytes', new Uint8Array(8)]],
        [[9, 'bytes', hexBytes(TRACE_ID)], [10, 'bytes', hexBytes(SPAN_ID)], [8, 'fixed32', 1], [12, 'string', 'checkout.done'], ...unknownFields],
        [[9, 'bytes', hexBytes(TRACE_ID).subarray(1)]],
        [[10, 'bytes', hexBytes(TRACE_ID)]],
      ]),
    );
    expect(result.logs.map((l) => [l.traceId, l.spanId])).toEqual([
      ['', ''],
      ['', ''],
      [TRACE_ID, SPAN_ID],
    ]);
    expect(result.logs[0].body).toBe('no context');
    expect(result.logs[1].body).toBeNull();
    expect(result.logs[2]).toMatchObject({ flags: 1, eventName: 'checkout.done' });
    expect(result.rejected).toBe(2);
    expect(result.rejectReason).toBe('resource_logs[0].scope_logs[0].log_records[3]: trace_id is 15 bytes, expected 16 or none');
  });

  it('reads every LogRecord field', () => {
    const { logs } = decodeLogsProto(
      logRequest([
        [
          [1, 'fixed64', 11n],
          [11, 'fixed64', 12n],
          [2, 'varint', 17],
          [3, 'string', 'ERROR'],
          [5, 'message', [[6, 'message', [kv(1, 'a', int(INT64_MIN))]]]],
          kv(6, 'attr', [[4, 'double', 0.5]]),
          [7, 'varint', 2],
        ],
      ]),
    );
    expect(logs[0]).toMatchObject({
      timeNs: 11n,
      observedNs: 12n,
      severityNumber: 17,
      severityText: 'ERROR',
      body: { kvlist: { a: INT64_MIN } },
      attributes: { attr: 0.5 },
      droppedAttributesCount: 2,
    });
  });
});

describe('malformed protobuf', () => {
  it('names the field path and byte offset when a length runs past the end of its message', () => {
    const spans = Array.from({ length: 8 }, (_, i): WireField => {
      if (i < 7) return span(validIds);
      // attributes[2] claims an 80-byte key but holds two bytes
      return span([...validIds, kv(9, 'a', str('1')), kv(9, 'b', str('2')), [9, 'bytes', new Uint8Array([0x0a, 80, 0x61, 0x62])]]);
    });
    const buf = encodeFields([[1, 'message', [[2, 'message', [span(validIds)]], [2, 'message', spans]]]]);
    const err = decodeError(() => decodeTracesProto(buf));
    expect(err.message).toMatch(
      /^resource_spans\[0\]\.scope_spans\[1\]\.spans\[7\]\.attributes\[2\]\.key: length 80 at byte \d+ runs past the end of its message at byte \d+$/,
    );
    expect(err.where.field).toBe('resource_spans[0].scope_spans[1].spans[7].attributes[2].key');
    expect(err.where.offset).toBe(buf.length - 3);
  });

  it('rejects a known field with the wrong wire type', () => {
    const err = decodeError(() => decodeTracesProto(traceRequest([span([...validIds, [5, 'varint', 1]])])));
    expect(err.message).toMatch(/^resource_spans\[0\]\.scope_spans\[0\]\.spans\[0\]\.name: wire type varint where length-delimited was expected at byte \d+$/);
    const flags = decodeError(() => decodeTracesProto(traceRequest([span([...validIds, [16, 'varint', 1]])])));
    expect(flags.message).toMatch(/spans\[0\]\.flags: wire type varint where fixed32 was expected/);
  });

  it('rejects varints longer than 10 bytes, field number 0, wire types 6 and 7 and unbalanced groups', () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([0x10, ...new Array<number>(10).fill(0xff), 0x01]), /^field 2: varint at byte 1 is longer than 10 bytes$/],
      [new Uint8Array([0x00, 0x01]), /^field number 0 at byte 0$/],
      [new Uint8Array([0x0e]), /^invalid wire type 6 at byte 0$/],
      [new Uint8Array([0x0f]), /^invalid wire type 7 at byte 0$/],
      [new Uint8Array([0x14]), /^field 2: end of group 2 without a start at byte 0$/],
      [new Uint8Array([0x13, 0x08, 0x01]), /^field 2: group 2 is not closed before the end of its message at byte 3$/],
      [new Uint8Array([0x13, 0x1c]), /^field 2: group 2 closed by end of group 3 at byte 1$/],
      [new Uint8Array([0x0a]), /^resource_spans\[0\]: varint at byte 1 runs past the end of its message at byte 1$/],
      [new Uint8Array([0x0a, 0x01, 0x1a]), /^resource_spans\[0\]\.schema_url: varint at byte 3 runs past the end of its message at byte 3$/],
      [new Uint8Array([0x0a, 0x02, 0x1a]), /^resource_spans\[0\]: length 2 at byte 1 runs past the end of its message at byte 3$/],
      // 2^32 + 1 must not wrap around to a length of 1
      [new Uint8Array([0x0a, 0x81, 0x80, 0x80, 0x80, 0x10, 0x00]), /^resource_spans\[0\]: length 4294967297 at byte 1 runs past the end of its message at byte 7$/],
      [new Uint8Array([0x11, 1, 2, 3]), /^field 2: 8-byte value at byte 1 runs past the end of its message at byte 4$/],
    ];
    for (const [buf, pattern] of cases) expect(decodeError(() => decodeTracesProto(buf)).message).toMatch(pattern);
  });

  it('refuses values nested beyond 100 levels instead of overflowing the stack', () => {
    let value: WireField[] = str('bottom');
    for (let i = 0; i < 150; i++) value = [[5, 'message', [[1, 'message', value]]]];
    const err = decodeError(() => decodeTracesProto(traceRequest([span([...validIds, kv(9, 'deep', value)])])));
    expect(err.message).toMatch(/attributes\[0\]\.value(\.array_value\.values\[0\])+: values nested deeper than 100 levels/);
    let group: WireField[] = [];
    for (let i = 0; i < 150; i++) group = [[5, 'group', group]];
    expect(decodeError(() => decodeTracesProto(encodeFields(group))).message).toMatch(/groups nested deeper than 100 levels/);
  });
});

/** A payload the SDK wrote, with the shapes real traffic has (attributes, events, links, statuses). */
function realTracePayload(): Uint8Array {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'host.name': 'h' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('otelhttp', '0.53.0');
  const root = tracer.startSpan('GET /cart', { kind: ApiSpanKind.SERVER, startTime: [1_700_000_000, 5], attributes: { 'http.status_code': 200, 'url.path': '/cart', ratio: 0.5 } });
  const ctx = trace.setSpan(context.active(), root);
  for (let i = 0; i < 3; i++) {
    const child = tracer.startSpan(`child ${i}`, {
      startTime: [1_700_000_000, 10 + i],
      attributes: { 'db.statement': 'SELECT 1', 'db.rows': i, tags: ['x', 'ü'] },
      links: [{ context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED }, attributes: { n: i } }],
    }, ctx);
    child.addEvent('retry', { attempt: i }, [1_700_000_000, 20 + i]);
    child.end([1_700_000_001, 0]);
  }
  root.end([1_700_000_002, 0]);
  const spans = exporter.getFinishedSpans();
  // Two resources' worth, so a cut can land between complete ResourceSpans.
  const other = new InMemorySpanExporter();
  const provider2 = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'cart' }), spanProcessors: [new SimpleSpanProcessor({ exporter: other })] });
  provider2.getTracer('t').startSpan('lone', { startTime: [1_700_000_000, 0] }).end([1_700_000_000, 1]);
  return ProtobufTraceSerializer.serializeRequest([...spans, ...other.getFinishedSpans()])!;
}

function realLogPayload(): Uint8Array {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'checkout' }), processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('zap');
  const ctx = trace.setSpanContext(context.active(), { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
  logger.emit({ timestamp: [1_700_000_000, 1], body: { msg: 'hello', n: 1, list: [1.5, 'x'] }, attributes: { k: 'v' }, context: ctx });
  logger.emit({ timestamp: [1_700_000_000, 2], body: 'plain', severityText: 'WARN', severityNumber: 13 });
  return ProtobufLogsSerializer.serializeRequest(exporter.getFinishedLogRecords())!;
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('truncated and corrupted payloads', () => {
  const traces = realTracePayload();
  const logs = realLogPayload();
  const fullSpans = decodeTracesProto(traces).spans;
  const fullLogs = decodeLogsProto(logs).logs;

  it('give an InputError or a prefix of the whole at every cut of a trace payload', () => {
    expect(fullSpans).toHaveLength(5);
    let errors = 0;
    for (let cut = 0; cut < traces.length; cut++) {
      try {
        const { spans } = decodeTracesProto(traces.subarray(0, cut));
        expect(spans).toEqual(fullSpans.slice(0, spans.length));
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        errors++;
      }
    }
    // Only cuts at a ResourceSpans boundary (the start, and between the two resources) decode.
    expect(errors).toBe(traces.length - 2);
  });

  it('give an InputError or a prefix of the whole at every cut of a log payload', () => {
    expect(fullLogs).toHaveLength(2);
    for (let cut = 0; cut < logs.length; cut++) {
      try {
        const result = decodeLogsProto(logs.subarray(0, cut));
        expect(result.logs).toEqual(fullLogs.slice(0, result.logs.length));
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
      }
    }
  });

  it('give an InputError or a result for random byte flips, never another exception', () => {
    const next = random(20240601);
    let outcomes = { errors: 0, decoded: 0 };
    for (let i = 0; i < 3000; i++) {
      const source = i % 2 === 0 ? traces : logs;
      const buf = source.slice();
      const flips = 1 + Math.floor(next() * 3);
      for (let f = 0; f < flips; f++) buf[Math.floor(next() * buf.length)] = Math.floor(next() * 256);
      try {
        if (source === traces) decodeTracesProto(buf);
        else decodeLogsProto(buf);
        outcomes = { ...outcomes, decoded: outcomes.decoded + 1 };
      } catch (e) {
        if (!(e instanceof InputError)) throw new Error(`flip case ${i} threw ${String(e)}`, { cause: e });
        outcomes = { ...outcomes, errors: outcomes.errors + 1 };
      }
    }
    expect(outcomes.errors).toBeGreaterThan(0);
    expect(outcomes.decoded).toBeGreaterThan(0);
  });
});

const decoders = {
  traces: { exact: decodeTracesProto, forStore: decodeTracesProtoForStore },
  logs: { exact: decodeLogsProto, forStore: decodeLogsProtoForStore },
};

const itemsOf = (decoded: { spans: Span[] } | { logs: LogRecord[] }): { attributes: Attributes }[] => ('spans' in decoded ? decoded.spans : decoded.logs);

/**
 * decode*ProtoForStore must give what the model decoder + encodeAttributes give, or the same error.
 * Returns which of the two happened.
 */
function expectForStoreAsModel(buf: Uint8Array, signal: keyof typeof decoders = 'traces'): 'decoded' | 'error' {
  const { exact: decodeExact, forStore: decodeForStore } = decoders[signal];
  let exact: ReturnType<typeof decodeExact>;
  try {
    exact = decodeExact(buf);
  } catch (e) {
    expect(decodeError(() => decodeForStore(buf))).toEqual(e);
    return 'error';
  }
  const forStore = decodeForStore(buf);
  expect(forStore.attributesJson).toEqual(itemsOf(exact).map((item) => encodeAttributes(item.attributes)));
  expect(itemsOf(forStore)).toEqual(itemsOf(exact).map((item) => ({ ...item, attributes: {} })));
  expect([forStore.rejected, forStore.rejectReason]).toEqual([exact.rejected, exact.rejectReason]);
  return 'decoded';
}

const raw = (bytes: number[]): WireField[] => [[1, 'bytes', new Uint8Array(bytes)]];

/** Attribute lists of every shape: the plain one the fast path takes, and each that must go through the model. */
const attributeCases: Record<string, WireField[]> = {
  'plain strings': [kv(9, 'http.route', str('/orders/{id}')), kv(9, 'empty', str('')), kv(9, '', str('empty key'))],
  'every kind of value': [
    kv(9, 'b', [[2, 'varint', 1]]),
    kv(9, 'f', [[2, 'varint', 0]]),
    kv(9, 'i', int(42n)),
    kv(9, 'max', int(INT64_MAX)),
    kv(9, 'min', int(INT64_MIN)),
    kv(9, 'safe', int(9007199254740991n)),
    kv(9, 'unsafe', int(9007199254740992n)),
    ...[1.5, 3, -0, Number.NaN, Infinity, -Infinity, 5e-324].map((d, i) => kv(9, `d${i}`, [[4, 'double', d]])),
    kv(9, 'bytes', [[7, 'bytes', new Uint8Array([0, 1, 254, 255])]]),
    kv(9, 'array', [[5, 'message', [[1, 'message', str('a"b')], [1, 'message', int(-1n)], [1, 'message', []], [1, 'message', [[5, 'message', []]]]]]]),
    kv(9, 'kvlist', [[6, 'message', [kv(1, 'x', str('1')), kv(1, 'x', str('2')), kv(1, '7', [[2, 'varint', 1]])]]]),
    kv(9, 'none', []),
    [9, 'message', [[1, 'string', 'no value field']]],
  ],
  'strings JSON must escape, and non-ASCII': [
    kv(9, 'controls', raw(Array.from({ length: 32 }, (_, c) => c))),
    kv(9, 'quote"back\\slash', str('say "hi" \\ \u007f')),
    kv(9, 'é 世界 🚀', str('grüße 🚀')),
    kv(9, 'lone surrogate text', str('\ud800x')),
  ],
  'invalid UTF-8 in keys and values': [
    [9, 'message', [[1, 'bytes', new Uint8Array([0x6b, 0xff])], [2, 'message', raw([0x61, 0xc3])]]],
    kv(9, 'truncated 3-byte', raw([0xe2, 0x82])),
    kv(9, 'encoded surrogate', raw([0xed, 0xa0, 0x80, 0x41])),
    kv(9, 'overlong', raw([0xc0, 0xaf, 0xe0, 0x80, 0xaf])),
    kv(9, 'lone continuation', raw([0x80, 0x22, 0xbf, 0x0a])),
  ],
  'a key sent twice keeps its last value at its first place': [kv(9, 'k', str('first')), kv(9, 'other', str('o')), kv(9, 'k', str('last'))],
  'keys that are array indexes come first, as in any object': [kv(9, 'z', str('z')), kv(9, '10', str('ten')), kv(9, '2', str('two')), kv(9, '01', str('not an index'))],
  '__proto__ is a plain key': [kv(9, '__proto__', str('p')), kv(9, 'constructor', str('c'))],
  'a key of 128 bytes and more': [kv(9, 'k'.repeat(128), str('long key')), kv(9, 'short', str('s'))],
  'fields in another order, twice, or unknown': [
    [9, 'message', [[2, 'message', str('value first')], [1, 'string', 'reversed']]],
    [9, 'message', [[1, 'string', 'key twice'], [1, 'string', 'second key'], [2, 'message', str('v')]]],
    [9, 'message', [[1, 'string', 'value twice'], [2, 'message', str('one')], [2, 'message', str('two')]]],
    [9, 'message', [[1, 'string', 'unknown field'], [2, 'message', str('v')], [3, 'varint', 7]]],
    kv(9, 'string then int', [[1, 'string', 's'], [3, 'int64', 5n]]),
    kv(9, 'int then string', [[3, 'int64', 5n], [1, 'string', 's']]),
    kv(9, 'string and unknown', [[1, 'string', 's'], [20, 'fixed32', 1]]),
  ],
  'a value long enough to grow the scratch buffer past what it keeps': [kv(9, 'big', raw(Array.from({ length: 300_000 }, (_, i) => (i % 3 === 0 ? 1 : 0x61)))), kv(9, 'after', str('a'))],
};

describe('decode*ProtoForStore: attributes straight into their stored JSON', () => {
  it.each(Object.entries(attributeCases))('equals the model decoder + encodeAttributes: %s', (_, attributes) => {
    const alone = traceRequest([span([...validIds, ...attributes]), span([...validIds, kv(9, 'next', str('span'))])]);
    expect(expectForStoreAsModel(alone)).toBe('decoded');
    // Log records keep attributes in field 6.
    const logAttributes = attributes.map(([field, kind, value]) => [field === 9 ? 6 : field, kind, value] as WireField);
    const logs = encodeFields([[1, 'message', [[2, 'message', [[2, 'message', [[5, 'message', str('body')], ...logAttributes]], [2, 'message', [kv(6, 'next', str('record'))]]]]]]]);
    expect(expectForStoreAsModel(logs, 'logs')).toBe('decoded');
  });

  it('equals it with every case in one span, between events and links, and for what the SDK sends', () => {
    const event: WireField = [11, 'message', [[2, 'string', 'e'], kv(3, 'event.attr', str('v'))]];
    const link: WireField = [13, 'message', [[1, 'bytes', hexBytes(TRACE_ID)], kv(4, 'link.attr', int(1n))]];
    const all = Object.values(attributeCases).flat();
    expect(expectForStoreAsModel(traceRequest([span([...validIds, ...all.slice(0, 5), event, ...all.slice(5), link, ...unknownFields])]))).toBe('decoded');
    expect(expectForStoreAsModel(realTracePayload())).toBe('decoded');
    expect(expectForStoreAsModel(realLogPayload(), 'logs')).toBe('decoded');
    const stored = decodeTracesProtoForStore(realTracePayload()).attributesJson;
    expect(JSON.parse(stored[0])).toEqual({ 'db.statement': 'SELECT 1', 'db.rows': 0, tags: ['x', 'ü'] });
  });

  it('equals it on random attribute lists', () => {
    const next = random(7);
    const pick = <T,>(xs: T[]) => xs[Math.floor(next() * xs.length)];
    const keys = ['a', 'b', 'http.method', '0', '15', 'x"y', '__proto__', 'ключ', ''];
    const values: (() => WireField[])[] = [
      () => str(pick(['', 'GET', 'ü', '"\\\n', 'x'.repeat(200)])),
      () => raw(Array.from({ length: Math.floor(next() * 8) }, () => Math.floor(next() * 256))),
      () => int(BigInt(Math.floor((next() - 0.5) * 2 ** 60))),
      () => [[4, 'double', pick([0.1, 2, -0, Number.NaN])]],
      () => [[2, 'varint', Math.floor(next() * 2)]],
      () => [[5, 'message', [[1, 'message', str('in array')]]]],
      () => [[6, 'message', [kv(1, pick(keys), str('nested'))]]],
      () => [],
    ];
    for (let i = 0; i < 300; i++) {
      const attributes = Array.from({ length: Math.floor(next() * 6) }, () => kv(9, pick(keys), pick(values)()));
      expect(expectForStoreAsModel(traceRequest([span([...validIds, ...attributes])]))).toBe('decoded');
    }
  });

  it.each([
    ['traces', realTracePayload()],
    ['logs', realLogPayload()],
  ] as const)('gives the same error, or the same result, at every cut and for random byte flips of %s', (signal, payload) => {
    const outcomes = { decoded: 0, error: 0 };
    for (let cut = 0; cut < payload.length; cut++) outcomes[expectForStoreAsModel(payload.subarray(0, cut), signal)]++;
    const next = random(99);
    for (let i = 0; i < 1500; i++) {
      const buf = payload.slice();
      for (let f = 1 + Math.floor(next() * 3); f > 0; f--) buf[Math.floor(next() * buf.length)] = Math.floor(next() * 256);
      outcomes[expectForStoreAsModel(buf, signal)]++;
    }
    expect(outcomes.error).toBeGreaterThan(100);
    expect(outcomes.decoded).toBeGreaterThan(100);
  });
});

describe('countMetricPointsProto', () => {
  it('counts the data points of every metric type, skipping unknown fields', () => {
    const point: WireField[] = [[3, 'fixed64', 1n], [4, 'double', 1.5], ...unknownFields];
    const points = (n: number): WireField[] => Array.from({ length: n }, (): WireField => [1, 'message', point]);
    const buf = encodeFields([
      [
        1,
        'message',
        [
          [1, 'message', [kv(1, 'service.name', str('svc'))]],
          [
            2,
            'message',
            [
              [1, 'message', [[1, 'string', 'meter']]],
              [2, 'message', [[1, 'string', 'g'], [5, 'message', points(2)]]],
              [2, 'message', [[1, 'string', 's'], [7, 'message', [...points(3), [2, 'varint', 2], [3, 'varint', 1]]]]],
              [2, 'message', [[1, 'string', 'h'], [9, 'message', points(1)]]],
              [2, 'message', [[1, 'string', 'e'], [10, 'message', points(4)]]],
              [2, 'message', [[1, 'string', 'q'], [11, 'message', points(5)], kv(12, 'meta', str('x'))]],
              ...unknownFields,
            ],
          ],
          [3, 'string', 'https://opentelemetry.io/schemas/1.26.0'],
        ],
      ],
    ]);
    expect(countMetricPointsProto(buf)).toBe(15);
  });

  it('counts what the SDK exports', async () => {
    const reader = new (class extends MetricReader {
      protected async onForceFlush(): Promise<void> {}
      protected async onShutdown(): Promise<void> {}
    })({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
    const provider = new MeterProvider({ readers: [reader] });
    const meter = provider.getMeter('m');
    const counter = meter.createCounter('requests');
    counter.add(1, { route: '/a' });
    counter.add(1, { route: '/b' });
    meter.createHistogram('latency').record(12, { route: '/a' });
    const { resourceMetrics } = await reader.collect();
    expect(countMetricPointsProto(ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!)).toBe(3);
  });

  it('fails on a corrupt data point with its path', () => {
    const buf = encodeFields([[1, 'message', [[2, 'message', [[2, 'message', [[7, 'message', [[1, 'message', [[1, 'fixed64', 1n]]], [1, 'bytes', new Uint8Array([0x0a, 9])]]]]]]]]]]);
    expect(decodeError(() => countMetricPointsProto(buf)).message).toMatch(
      /^resource_metrics\[0\]\.scope_metrics\[0\]\.metrics\[0\]\.sum\.data_points\[1\]: length 9 at byte \d+ runs past the end of its message/,
    );
  });
});
