import { describe, expect, it } from 'vitest';
import { SpanFlags, SpanKind, StatusCode, serviceName, type Span } from '../model';
import { zipkinV1ToModel, zipkinV2ToModel } from '.';

const TRACE = '4d1e00c0db9010db86154a4ba6e91385';

function v2(fields: Record<string, unknown>) {
  return { traceId: TRACE, id: '1', name: 'get', timestamp: 1_000, duration: 10, localEndpoint: { serviceName: 'frontend' }, ...fields };
}

const byName = (spans: Span[], name: string) => spans.find((s) => s.name === name)!;

describe('zipkinV2ToModel', () => {
  it('maps kind, times, annotations, tags, endpoints and debug', () => {
    const [s] = zipkinV2ToModel([
      v2({
        kind: 'CLIENT',
        debug: true,
        localEndpoint: { serviceName: 'frontend', ipv4: '10.0.0.1', port: 8080 },
        remoteEndpoint: { serviceName: 'backend', ipv6: '2001:db8::c001', port: 9000 },
        annotations: [{ timestamp: 1_004, value: 'wire.send' }],
        tags: { 'http.path': '/api', 'http.status_code': '200' },
      }),
    ]).spans;
    expect(s).toMatchObject({ traceId: TRACE, spanId: '0000000000000001', parentSpanId: '', kind: SpanKind.CLIENT, startNs: 1_000_000n, endNs: 1_010_000n, flags: SpanFlags.SAMPLED });
    expect(s.events).toEqual([{ timeNs: 1_004_000n, name: 'wire.send', attributes: {}, droppedAttributesCount: 0 }]);
    expect(s.attributes).toEqual({
      'http.path': '/api',
      'http.status_code': '200',
      'network.local.port': 8080n,
      'peer.service': 'backend',
      'network.peer.address': '2001:db8::c001',
      'network.peer.port': 9000n,
      'server.address': '2001:db8::c001',
      'server.port': 9000n,
      'zipkin.debug': true,
    });
    expect(s.resource.attributes).toEqual({ 'service.name': 'frontend', 'host.ip': ['10.0.0.1'] });
  });

  it('names the remote side of a server span its client, and lets tags of the same name win', () => {
    const [s] = zipkinV2ToModel([v2({ kind: 'SERVER', remoteEndpoint: { ipv4: '10.0.0.9', port: 51234 }, tags: { 'client.address': 'gateway' } })]).spans;
    expect(s.attributes).toEqual({ 'network.peer.address': '10.0.0.9', 'network.peer.port': 51234n, 'client.address': 'gateway', 'client.port': 51234n });
  });

  it('reads status from the error and otel.status_* tags', () => {
    const { spans } = zipkinV2ToModel([
      v2({ id: '1', name: 'a', tags: { error: '' } }),
      v2({ id: '2', name: 'b', tags: { error: 'timeout' } }),
      v2({ id: '3', name: 'c', tags: { 'otel.status_code': 'OK' } }),
      v2({ id: '4', name: 'd', tags: { 'otel.status_code': 'ERROR', 'otel.status_description': 'deadline exceeded', error: 'true' } }),
    ]);
    expect(spans.map((s) => s.status)).toEqual([
      { code: StatusCode.ERROR, message: '' },
      { code: StatusCode.ERROR, message: 'timeout' },
      { code: StatusCode.OK, message: '' },
      { code: StatusCode.ERROR, message: 'deadline exceeded' },
    ]);
    expect(spans.every((s) => Object.keys(s.attributes).length === 0)).toBe(true);
  });

  it('normalises ids, and widens a 64-bit trace id the rest of its trace carries as 128-bit', () => {
    const { spans } = zipkinV2ToModel([v2({ traceId: TRACE.toUpperCase(), id: 'A' }), v2({ traceId: TRACE.slice(16), id: 'b', parentId: 'a' }), v2({ traceId: 'c', id: 'c', parentId: '0000000000000000' })]);
    expect(spans.map((s) => [s.traceId, s.spanId, s.parentSpanId])).toEqual([
      [TRACE, '000000000000000a', ''],
      [TRACE, '000000000000000b', '000000000000000a'],
      ['0000000000000000000000000000000c', '000000000000000c', ''],
    ]);
  });

  it('gives the server side of a shared span its own id under the client, and moves its children', () => {
    const doc = [
      v2({ id: 'a', name: 'root', kind: 'SERVER', localEndpoint: { serviceName: 'frontend' } }),
      v2({ id: 'b', parentId: 'a', name: 'call', kind: 'CLIENT', localEndpoint: { serviceName: 'frontend' } }),
      v2({ id: 'b', parentId: 'a', name: 'handle', kind: 'SERVER', shared: true, localEndpoint: { serviceName: 'backend' } }),
      v2({ id: 'c', parentId: 'b', name: 'query', kind: 'CLIENT', localEndpoint: { serviceName: 'backend' } }),
    ];
    const { spans } = zipkinV2ToModel(doc);
    const [call, handle, query] = [byName(spans, 'call'), byName(spans, 'handle'), byName(spans, 'query')];
    expect(call.spanId).toBe('000000000000000b');
    expect(handle.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(handle.spanId).not.toBe(call.spanId);
    expect(handle.parentSpanId).toBe(call.spanId);
    expect(query.parentSpanId).toBe(handle.spanId);
    expect(byName(zipkinV2ToModel(doc).spans, 'handle').spanId).toBe(handle.spanId);
  });

  it('gives each of several servers answering one client its own id, and their children to the server of their instance', () => {
    const { spans } = zipkinV2ToModel([
      v2({ id: 'b', name: 'send', kind: 'CLIENT', localEndpoint: { serviceName: 'bouncer' } }),
      v2({ id: 'b', name: 'receive-1', kind: 'SERVER', shared: true, localEndpoint: { serviceName: 'pusher', ipv4: '10.0.0.1' } }),
      v2({ id: 'b', name: 'receive-2', kind: 'SERVER', shared: true, localEndpoint: { serviceName: 'pusher', ipv4: '10.0.0.2' } }),
      v2({ id: 'c', parentId: 'b', name: 'push-2', localEndpoint: { serviceName: 'pusher', ipv4: '10.0.0.2' } }),
    ]);
    const [r1, r2] = [byName(spans, 'receive-1'), byName(spans, 'receive-2')];
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(4);
    expect([r1.parentSpanId, r2.parentSpanId]).toEqual(['000000000000000b', '000000000000000b']);
    expect(byName(spans, 'push-2').parentSpanId).toBe(r2.spanId);
  });

  it('merges a span reported in pieces, and keeps two whole spans that share an id', () => {
    const { spans } = zipkinV2ToModel([
      v2({ id: 'a', name: 'post', timestamp: undefined, duration: undefined, localEndpoint: { serviceName: 'platform', ipv4: '10.0.0.1' }, tags: { 'oauth.client': 'x' } }),
      v2({ id: 'a', name: 'post', kind: 'SERVER', shared: true, localEndpoint: { serviceName: 'platform', ipv4: '10.0.0.1' }, tags: { 'http.path': '/run' } }),
      v2({ id: 'd', name: 'local', localEndpoint: { serviceName: 'platform' } }),
      v2({ id: 'd', name: 'local', localEndpoint: { serviceName: 'platform' } }),
    ]);
    expect(spans).toHaveLength(3);
    expect(spans[0]).toMatchObject({ kind: SpanKind.SERVER, startNs: 1_000_000n, attributes: { 'oauth.client': 'x', 'http.path': '/run' } });
    expect(spans.filter((s) => s.spanId === '000000000000000d')).toHaveLength(2);
  });

  it('ends a span with no duration where it starts, and leaves a span with no service without service.name', () => {
    const [s] = zipkinV2ToModel([{ traceId: TRACE, id: '1', name: 'kong.balancer', timestamp: 5 }]).spans;
    expect(s.endNs).toBe(s.startNs);
    expect(s.kind).toBe(SpanKind.UNSPECIFIED);
    expect(s.resource.attributes).toEqual({});
    expect(serviceName(s.resource)).toBe('unknown_service');
  });

  it('takes a missing timestamp from the first annotation, or names the span that has neither', () => {
    const [s] = zipkinV2ToModel([v2({ timestamp: undefined, annotations: [{ timestamp: 7, value: 'b' }, { timestamp: 3, value: 'a' }] })]).spans;
    expect(s.startNs).toBe(3_000n);
    expect(() => zipkinV2ToModel([v2({}), v2({ id: '2', name: 'late', timestamp: undefined })])).toThrow(/^\[1\]: span 0000000000000002 "late" has no timestamp, and no annotation to take one from$/);
  });

  it('reads an array of traces and names the field at fault', () => {
    expect(zipkinV2ToModel([[v2({ id: '1' })], [v2({ id: '2' })]]).spans).toHaveLength(2);
    expect(() => zipkinV2ToModel([[v2({}), v2({ kind: 'PEER' })]])).toThrow(/^\[0\]\[1\]\.kind: expected CLIENT, SERVER, PRODUCER or CONSUMER, got "PEER"$/);
    expect(() => zipkinV2ToModel([v2({ id: 'g' })])).toThrow(/^\[0\]\.id: span id "g" is not hexadecimal$/);
  });
});

describe('zipkinV1ToModel', () => {
  const web = { serviceName: 'web', ipv4: '10.0.0.1' };
  const api = { serviceName: 'api', ipv4: '10.0.0.2', port: 9411 };
  const v1 = (fields: Record<string, unknown>) => ({ traceId: '83c138a4ee0f3de9', id: 'd673d7abe80d2f3f', parentId: '83c138a4ee0f3de9', name: 'get', ...fields });

  it('splits a span holding both sides of an RPC, each side timed by its own annotations', () => {
    const { spans } = zipkinV1ToModel([
      v1({
        timestamp: 100,
        duration: 50,
        annotations: [
          { timestamp: 100, value: 'cs', endpoint: web },
          { timestamp: 110, value: 'sr', endpoint: api },
          { timestamp: 120, value: 'cache.miss', endpoint: api },
          { timestamp: 140, value: 'ss', endpoint: api },
          { timestamp: 150, value: 'cr', endpoint: web },
        ],
        binaryAnnotations: [
          { key: 'http.path', value: '/api', endpoint: api },
          { key: 'sa', value: true, endpoint: api },
          { key: 'ca', value: true, endpoint: { ...web, port: 51234 } },
        ],
      }),
    ]);
    const client = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    expect([serviceName(client.resource), client.startNs, client.endNs, client.spanId]).toEqual(['web', 100_000n, 150_000n, 'd673d7abe80d2f3f']);
    expect([serviceName(server.resource), server.startNs, server.endNs, server.parentSpanId]).toEqual(['api', 110_000n, 140_000n, client.spanId]);
    expect(server.events.map((e) => e.name)).toEqual(['cache.miss']);
    expect(server.attributes).toMatchObject({ 'http.path': '/api', 'client.address': '10.0.0.1', 'client.port': 51234n, 'peer.service': 'web' });
    expect(client.attributes).toMatchObject({ 'server.address': '10.0.0.2', 'server.port': 9411n, 'peer.service': 'api' });
  });

  it('forks a loopback RPC (both sides in one service) into two spans', () => {
    const { spans } = zipkinV1ToModel([v1({ annotations: [{ timestamp: 1, value: 'cs', endpoint: web }, { timestamp: 2, value: 'sr', endpoint: web }, { timestamp: 3, value: 'ss', endpoint: web }, { timestamp: 4, value: 'cr', endpoint: web }] })]);
    expect(spans.map((s) => s.kind).sort()).toEqual([SpanKind.SERVER, SpanKind.CLIENT]);
    expect(spans.find((s) => s.kind === SpanKind.SERVER)!.parentSpanId).toBe('d673d7abe80d2f3f');
  });

  it('keeps the start of an RPC seen from one side only, and a lone end as an event', () => {
    const { spans } = zipkinV1ToModel([v1({ annotations: [{ timestamp: 10, value: 'cs', endpoint: web }] }), v1({ id: '2', annotations: [{ timestamp: 20, value: 'ss', endpoint: api }], timestamp: 15 })]);
    expect(spans[0]).toMatchObject({ kind: SpanKind.CLIENT, startNs: 10_000n, endNs: 10_000n });
    expect(spans[1]).toMatchObject({ kind: SpanKind.SERVER, startNs: 15_000n });
    expect(spans[1].events.map((e) => e.name)).toEqual(['ss']);
  });

  it('reads messaging annotations as producer and consumer with the broker as remote', () => {
    const kafka = { serviceName: 'kafka' };
    const { spans } = zipkinV1ToModel([
      v1({ id: '1', name: 'send', annotations: [{ timestamp: 10, value: 'ms', endpoint: web }, { timestamp: 12, value: 'ws', endpoint: web }], binaryAnnotations: [{ key: 'ma', value: true, endpoint: kafka }] }),
      v1({ id: '2', parentId: '1', name: 'poll', annotations: [{ timestamp: 20, value: 'wr', endpoint: api }, { timestamp: 25, value: 'mr', endpoint: api }] }),
      v1({ id: '3', parentId: '2', name: 'on-message', timestamp: 26, duration: 4, binaryAnnotations: [{ key: 'lc', value: '', endpoint: api }] }),
    ]);
    expect(spans.map((s) => [s.kind, s.endNs - s.startNs, serviceName(s.resource)])).toEqual([
      [SpanKind.PRODUCER, 2_000n, 'web'],
      [SpanKind.CONSUMER, 5_000n, 'api'],
      [SpanKind.UNSPECIFIED, 4_000n, 'api'],
    ]);
    expect(spans[0].attributes['peer.service']).toBe('kafka');
    expect(spans[2].attributes).toEqual({ 'network.local.port': 9411n });
  });

  it('reads address annotations without core annotations as the remote side', () => {
    const [s] = zipkinV1ToModel([v1({ timestamp: 1, binaryAnnotations: [{ key: 'ca', value: true, endpoint: web }] })]).spans;
    expect(s.kind).toBe(SpanKind.SERVER);
    expect(s.attributes).toMatchObject({ 'peer.service': 'web', 'client.address': '10.0.0.1' });
  });
});
