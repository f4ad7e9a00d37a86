import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SpanFlags, SpanKind, StatusCode, serviceName } from '../model';
import { jaegerToModel } from '.';

const TRACE = '00000000000000000000000000000abc';

function span(fields: Record<string, unknown>) {
  return { traceID: 'abc', spanID: '1', operationName: 'op', references: [], startTime: 1_000, duration: 5, tags: [], logs: [], processID: 'p1', ...fields };
}

function trace(...spans: Record<string, unknown>[]) {
  return { data: [{ traceID: 'abc', spans, processes: { p1: { serviceName: 'checkout', tags: [{ key: 'hostname', type: 'string', value: 'pod-1' }] } } }] };
}

describe('jaegerToModel', () => {
  it('takes the first CHILD_OF into the same trace as parent and links every other reference', () => {
    const { spans } = jaegerToModel(
      trace(
        span({
          spanID: '9',
          references: [
            { refType: 'FOLLOWS_FROM', traceID: 'abc', spanID: 'a' },
            { refType: 'CHILD_OF', traceID: 'def', spanID: 'b' },
            { refType: 'CHILD_OF', traceID: 'ABC', spanID: 'c' },
            { refType: 'CHILD_OF', traceID: 'abc', spanID: 'd' },
          ],
        }),
        span({ spanID: '8', references: [{ refType: 'FOLLOWS_FROM', traceID: 'abc', spanID: '9' }] }),
      ),
    );
    expect(spans[0].parentSpanId).toBe('000000000000000c');
    expect(spans[0].links.map((l) => [l.traceId.slice(-3), l.spanId.slice(-1), l.attributes['opentracing.ref_type']])).toEqual([
      ['abc', 'a', 'follows_from'],
      ['def', 'b', 'child_of'],
      ['abc', 'd', 'child_of'],
    ]);
    expect(spans[1].parentSpanId).toBe('');
    expect(spans[1].links).toHaveLength(1);
  });

  it('normalises ids: lowercase, 64-bit and short ids left-padded', () => {
    const { spans } = jaegerToModel(trace(span({ traceID: 'ABCDEF0123456789', spanID: 'EC2B4E0BCEA566D', references: [{ refType: 'CHILD_OF', traceID: 'abcdef0123456789', spanID: '7' }] })));
    expect(spans[0]).toMatchObject({ traceId: '0000000000000000abcdef0123456789', spanId: '0ec2b4e0bcea566d', parentSpanId: '0000000000000007' });
  });

  it('names the field of an id it cannot read', () => {
    expect(() => jaegerToModel(trace(span({ spanID: '' })))).toThrow(/^data\[0\]\.spans\[0\]\.spanID: span id "" is not hexadecimal$/);
    expect(() => jaegerToModel(trace(span({ traceID: '1'.repeat(33) })))).toThrow(/data\[0\]\.spans\[0\]\.traceID: .* has 33 hex digits, more than 32/);
    expect(() => jaegerToModel(trace(span({ spanID: '0000' })))).toThrow(/spanID: span id is all zeros/);
    expect(() => jaegerToModel(trace(span({ spanID: 12 })))).toThrow(/spanID: span id must be a hex string, got number 12/);
  });

  it('hashes ids that are not hex to stable hex ids and keeps the originals in attributes', () => {
    const { spans } = jaegerToModel(
      trace(
        span({ traceID: 'trace-123', spanID: 'span-1' }),
        span({
          traceID: 'trace-123',
          spanID: 'span-2',
          references: [
            { refType: 'CHILD_OF', traceID: 'trace-123', spanID: 'span-1' },
            { refType: 'FOLLOWS_FROM', traceID: 'trace-9', spanID: 'span-9' },
          ],
        }),
      ),
    );
    const traceId = createHash('sha256').update('trace-123').digest('hex').slice(0, 32);
    const rootId = createHash('sha256').update('span-1').digest('hex').slice(0, 16);
    expect(spans[0]).toMatchObject({ traceId, spanId: rootId, parentSpanId: '' });
    expect(spans[0].attributes).toMatchObject({ 'jaeger.original_trace_id': 'trace-123', 'jaeger.original_span_id': 'span-1' });
    expect(spans[1]).toMatchObject({ traceId, parentSpanId: rootId });
    expect(spans[1].spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spans[1].links).toHaveLength(1);
    expect(spans[1].links[0].traceId).toBe(createHash('sha256').update('trace-9').digest('hex').slice(0, 32));
    expect(spans[1].links[0].attributes).toMatchObject({ 'jaeger.original_trace_id': 'trace-9', 'jaeger.original_span_id': 'span-9' });
    // Hex ids are read as before and get no attribute.
    expect(jaegerToModel(trace(span({}))).spans[0].attributes).not.toHaveProperty('jaeger.original_trace_id');
  });

  it('maps typed tags, and the tags that carry kind, status, scope and trace state', () => {
    const tags = [
      { key: 'span.kind', type: 'string', value: 'consumer' },
      { key: 'otel.status_code', type: 'string', value: 'ERROR' },
      { key: 'otel.status_description', type: 'string', value: 'queue closed' },
      { key: 'otel.scope.name', type: 'string', value: 'github.com/segmentio/kafka-go' },
      { key: 'otel.scope.version', type: 'string', value: '0.4.47' },
      { key: 'w3c.tracestate', type: 'string', value: 'ot=th:8' },
      { key: 'retries', type: 'int64', value: 3 },
      { key: 'big', type: 'int64', value: '9223372036854775807' },
      { key: 'ratio', type: 'float64', value: 0.25 },
      { key: 'cached', type: 'bool', value: 'false' },
      { key: 'payload', type: 'binary', value: 'AAEC' },
      { key: '__proto__', type: 'string', value: 'plain' },
    ];
    const [s] = jaegerToModel(trace(span({ tags }))).spans;
    expect(s.kind).toBe(SpanKind.CONSUMER);
    expect(s.status).toEqual({ code: StatusCode.ERROR, message: 'queue closed' });
    expect([s.scope.name, s.scope.version]).toEqual(['github.com/segmentio/kafka-go', '0.4.47']);
    expect(s.traceState).toBe('ot=th:8');
    expect(s.attributes).toEqual({ retries: 3n, big: 9223372036854775807n, ratio: 0.25, cached: false, payload: new Uint8Array([0, 1, 2]), ['__proto__']: 'plain' });
    expect(Object.hasOwn(s.attributes, '__proto__')).toBe(true);
  });

  it('reads a true error tag as an error status and keeps a false one as an attribute', () => {
    const { spans } = jaegerToModel(trace(span({ tags: [{ key: 'error', type: 'bool', value: true }] }), span({ spanID: '2', tags: [{ key: 'error', type: 'bool', value: false }] })));
    expect(spans[0].status.code).toBe(StatusCode.ERROR);
    expect(spans[0].attributes).toEqual({});
    expect(spans[1].status.code).toBe(StatusCode.UNSET);
    expect(spans[1].attributes).toEqual({ error: false });
  });

  it('refuses a tag whose value does not fit its type', () => {
    expect(() => jaegerToModel(trace(span({ tags: [{ key: 'n', type: 'int64', value: 'many' }] })))).toThrow(/spans\[0\]\.tags\[0\]\.value: the string "many" is not a valid int64 value/);
    expect(() => jaegerToModel(trace(span({ tags: [{ key: 'n', type: 'decimal', value: 1 }] })))).toThrow(/unknown tag type "decimal"/);
  });

  it('turns logs into events named by their event field, microseconds into nanoseconds', () => {
    const logs = [{ timestamp: 1_500, fields: [{ key: 'event', type: 'string', value: 'retry' }, { key: 'attempt', type: 'int64', value: 2 }] }, { timestamp: 1_600, fields: [{ key: 'message', type: 'string', value: 'hi' }] }];
    const [s] = jaegerToModel(trace(span({ logs }))).spans;
    expect([s.startNs, s.endNs]).toEqual([1_000_000n, 1_005_000n]);
    expect(s.events).toEqual([
      { timeNs: 1_500_000n, name: 'retry', attributes: { attempt: 2n }, droppedAttributesCount: 0 },
      { timeNs: 1_600_000n, name: '', attributes: { message: 'hi' }, droppedAttributesCount: 0 },
    ]);
  });

  it('makes one resource per process, shared by its spans', () => {
    const { spans } = jaegerToModel(trace(span({}), span({ spanID: '2' })));
    expect(spans[0].resource).toBe(spans[1].resource);
    expect(spans[0].resource.attributes).toEqual({ hostname: 'pod-1', 'service.name': 'checkout' });
    expect(() => jaegerToModel(trace(span({ processID: 'p9' })))).toThrow(/spans\[0\]\.processID: process "p9" is not in the trace's processes/);
  });

  it("keeps only Jaeger's sampled flag bit", () => {
    const { spans } = jaegerToModel(trace(span({ flags: 3 }), span({ spanID: '2', flags: 2 }), span({ spanID: '3' })));
    expect(spans.map((s) => s.flags)).toEqual([SpanFlags.SAMPLED, 0, 0]);
  });

  it('reads Elasticsearch span documents: inline process and @-keyed tag maps', () => {
    const doc = [
      {
        traceID: 'abc',
        spanID: '1',
        operationName: 'GET',
        startTime: 10,
        startTimeMillis: 0,
        duration: 1,
        tags: [],
        tag: { 'http@status_code': 200, 'span@kind': 'server', 'http@url': 'http://crm.prod.svc.cluster.local' },
        process: { serviceName: 'crm', tags: [], tag: { hostname: 'crm-74b7569f9-pllnz', ip: 1684275205 } },
      },
    ];
    const [s] = jaegerToModel(doc).spans;
    expect(s.kind).toBe(SpanKind.SERVER);
    expect(s.attributes).toEqual({ 'http.status_code': 200n, 'http.url': 'http://crm.prod.svc.cluster.local' });
    expect(s.resource.attributes).toEqual({ hostname: 'crm-74b7569f9-pllnz', ip: 1684275205n, 'service.name': 'crm' });
  });

  it('splits a client and a server that share one span id, the same way every time', () => {
    const doc = trace(
      span({ spanID: '5', tags: [{ key: 'span.kind', type: 'string', value: 'client' }] }),
      span({ spanID: '5', tags: [{ key: 'span.kind', type: 'string', value: 'server' }] }),
      span({ spanID: '6', references: [{ refType: 'CHILD_OF', traceID: 'abc', spanID: '5' }] }),
    );
    const [client, server, child] = jaegerToModel(doc).spans;
    expect(client.spanId).toBe('0000000000000005');
    expect(server.spanId).not.toBe(client.spanId);
    expect(server.parentSpanId).toBe(client.spanId);
    expect(child.parentSpanId).toBe(server.spanId);
    expect(jaegerToModel(doc).spans[1].spanId).toBe(server.spanId);
  });

  it('reports the errors Jaeger answered with instead of traces', () => {
    expect(() => jaegerToModel({ data: null, errors: [{ code: 404, msg: 'trace not found' }] })).toThrow(/Jaeger reported errors instead of traces: .*trace not found/);
  });

  it('gives a trace without process its unknown service', () => {
    const [s] = jaegerToModel({ traceID: TRACE, spans: [span({ processID: undefined })] }).spans;
    expect(serviceName(s.resource)).toBe('unknown_service');
  });
});
