// Every file of the shared corpus, imported through importFile: counts from SOURCES.md, and the
// orphans, links, kinds and duplicate ids it documents. Where Hopscope's result differs from a
// SOURCES.md count (which counts JSON objects), `why` says so.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusPath, corpusRoot } from '../../test/corpus';
import { SpanKind, StatusCode, serviceName, type LogRecord, type Span } from '../model';
import { importFile, type FileFormat } from '.';

interface Imported {
  format: FileFormat;
  spans: Span[];
  logs: LogRecord[];
}

interface Supported {
  format: FileFormat;
  spans: number;
  logs?: number;
  traces?: number;
  orphans?: number;
  links?: number;
  /** Spans whose (trace id, span id) another span in the file also has. */
  duplicateIds?: number;
  services?: number;
  kinds?: Partial<Record<keyof typeof SpanKind, number>>;
  why?: string;
  check?: (r: Imported) => void;
}

interface Refused {
  error: RegExp;
  why: string;
}

const key = (s: { traceId: string; spanId: string }) => `${s.traceId}/${s.spanId}`;
const orphans = (spans: Span[]) => {
  const ids = new Set(spans.map(key));
  return spans.filter((s) => s.parentSpanId !== '' && !ids.has(`${s.traceId}/${s.parentSpanId}`));
};
const byId = (spans: Span[], spanId: string) => spans.filter((s) => s.spanId === spanId);
const one = (spans: Span[], spanId: string) => {
  const found = byId(spans, spanId);
  expect(found).toHaveLength(1);
  return found[0];
};
const named = (spans: Span[], name: string) => spans.filter((s) => s.name === name);

const CORPUS: Record<string, Supported | Refused> = {
  'opentelemetry-proto/trace.json': {
    format: 'otlp-json',
    spans: 1,
    orphans: 1,
    why: 'uppercase hex ids come out lowercase',
    check: ({ spans }) => {
      expect(spans[0]).toMatchObject({ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', parentSpanId: 'eee19b7ec3c1b173' });
    },
  },
  'opentelemetry-proto/logs.json': {
    format: 'otlp-json',
    spans: 0,
    logs: 1,
    check: ({ logs }) => {
      expect(logs[0].traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(logs[0].spanId).toMatch(/^[0-9a-f]{16}$/);
    },
  },
  'opentelemetry-proto/events.json': { format: 'otlp-json', spans: 0, logs: 1, check: ({ logs }) => expect(logs[0].eventName).not.toBe('') },
  'otel-tui/test_data.json': {
    format: 'otlp-jsonl',
    spans: 547,
    traces: 141,
    logs: 23,
    links: 53,
    orphans: 1,
    check: ({ spans, logs }) => {
      for (const s of spans) for (const l of s.links) expect(l.traceId).not.toBe(s.traceId);
      const withTrace = logs.filter((l) => l.traceId !== '');
      expect(withTrace).toHaveLength(13);
      const traceIds = new Set(spans.map((s) => s.traceId));
      const spanKeys = new Set(spans.map(key));
      for (const l of withTrace) {
        expect(traceIds.has(l.traceId)).toBe(true);
        if (l.spanId) expect(spanKeys.has(key(l))).toBe(true);
      }
      expect(new Set(spans.map((s) => s.kind))).toEqual(new Set([SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT]));
      expect(spans.reduce((n, s) => n + s.events.length, 0)).toBe(139);
    },
  },
  'otlp2parquet/trace.json': {
    format: 'otlp-json',
    spans: 2,
    orphans: 1,
    why: 'base64 ids and enum-name kinds (protobuf canonical JSON)',
    check: ({ spans }) => {
      expect(one(spans, 'de562439e9c1b823')).toMatchObject({ traceId: '9d79b1a37f31801cd11a6706fb40d6bd', kind: SpanKind.CLIENT });
      expect(one(spans, '57526846903bb13e').kind).toBe(SpanKind.SERVER);
    },
  },
  'otlp2parquet/trace.pb': { format: 'otlp-proto', spans: 2, orphans: 1 },
  'otlp2parquet/traces.jsonl': {
    format: 'otlp-jsonl',
    spans: 19,
    orphans: 13,
    services: 8,
    check: ({ spans }) => expect(spans.some((s) => serviceName(s.resource) === 'kafka')).toBe(true),
  },
  'otlp2parquet/traces.pb': { format: 'otlp-proto', spans: 19, orphans: 13, kinds: { INTERNAL: 10, SERVER: 3, CLIENT: 6 } },
  'otlp2parquet/log.json': { format: 'otlp-json', spans: 0, logs: 1, check: ({ logs }) => expect(logs[0].traceId).toMatch(/^[0-9a-f]{32}$/) },
  'otlp2parquet/logs.jsonl': { format: 'otlp-jsonl', spans: 0, logs: 81, check: ({ logs }) => expect(logs.filter((l) => l.traceId !== '')).toHaveLength(31) },
  'otlp2parquet/logs.pb': { format: 'otlp-proto', spans: 0, logs: 81, check: ({ logs }) => expect(logs.filter((l) => l.traceId !== '')).toHaveLength(31) },
  'otlp2parquet/invalid/trace_invalid_base64.json': {
    error: /trace_invalid_base64\.json: .*traceId: "!!!INVALID_BASE64!!!" is neither 32 hex digits nor base64/,
    why: 'an id that is neither hex nor base64',
  },
  'otlp2parquet/invalid/trace_invalid_kind.json': { error: /trace_invalid_kind\.json: .*kind: unknown span kind "SPAN_KIND_INVALID_TYPE"/, why: 'unknown kind name' },
  'otlp2parquet/invalid/trace_mixed_encoding.json': { error: /trace_mixed_encoding\.json: .*traceId: "zzz"/, why: 'ids "zzz"/"xyz"' },
  'otlp2parquet/invalid/malformed.json': { error: /malformed\.json:21: not valid JSON at column 15/, why: 'a // comment where a comma belongs, on line 21' },
  'jaeger/jaegerquery-fixture/otlp2jaeger-in.json': { format: 'otlp-json', spans: 2, duplicateIds: 2, orphans: 2 },
  'jaeger/jaegerquery-fixture/otlp2jaeger-out.json': {
    format: 'jaeger-ui',
    spans: 2,
    duplicateIds: 2,
    orphans: 2,
    kinds: { SERVER: 2 },
    why: 'two SERVER spans with one id are not a client/server pair: both are kept, for the analysis to report',
  },
  'jaeger/apiv3-snapshots/GetTrace.json': {
    format: 'jaeger-api-v3',
    spans: 1,
    check: ({ spans }) => {
      expect(spans[0].status.code).toBe(StatusCode.ERROR);
      expect(serviceName(spans[0].resource)).toBe('unknown_service');
    },
  },
  'jaeger/integration-fixtures/example_trace.json': {
    format: 'otlp-json',
    spans: 5,
    services: 3,
    orphans: 0,
    check: ({ spans }) => {
      expect(spans.every((s) => s.parentSpanId === '')).toBe(true);
      expect(spans.reduce((n, s) => n + s.events.length, 0)).toBe(10);
    },
  },
  'jaeger/integration-fixtures/link_attributes_trace.json': {
    format: 'otlp-json',
    spans: 1,
    links: 3,
    check: ({ spans }) => {
      expect(spans[0].links.every((l) => Object.keys(l.attributes).length > 0)).toBe(true);
      expect(spans[0].links.some((l) => l.traceId !== spans[0].traceId)).toBe(true);
    },
  },
  'jaeger/integration-fixtures/log_tags_trace.json': {
    format: 'otlp-json',
    spans: 1,
    check: ({ spans }) => expect(spans[0].events.some((e) => Object.keys(e.attributes).length > 0)).toBe(true),
  },
  'jaeger/integration-fixtures/process_tags_trace.json': {
    format: 'otlp-json',
    spans: 1,
    check: ({ spans }) => expect(Object.keys(spans[0].resource.attributes).length).toBeGreaterThan(1),
  },
  'jaeger/integration-fixtures/scope_attributes_trace.json': {
    format: 'otlp-json',
    spans: 1,
    check: ({ spans }) => expect(Object.keys(spans[0].scope.attributes).length).toBeGreaterThan(0),
  },
  'jaeger/memory-fixtures/otel_traces_01.json': {
    format: 'otlp-json',
    spans: 4,
    traces: 2,
    links: 8,
    orphans: 4,
    kinds: { SERVER: 1, CLIENT: 1, PRODUCER: 1, CONSUMER: 1 },
    check: ({ spans }) => {
      expect(one(spans, '0000000000000002').traceState).toBe('state.2');
      expect(spans.every((s) => s.attributes.blob instanceof Uint8Array)).toBe(true);
    },
  },
  'jaeger/uimodel-json/ui_01.json': {
    format: 'jaeger-ui',
    spans: 5,
    duplicateIds: 2,
    orphans: 0,
    links: 2,
    why:
      'SOURCES counts 1 orphan: span 4 names a parent in trace ...ff first; only a CHILD_OF into its own trace is a parent, ' +
      'so it is a child of span 2 with two links (the cross-trace CHILD_OF and the FOLLOWS_FROM)',
    check: ({ spans }) => {
      const ref = one(spans, '0000000000000004');
      expect(ref.traceId).toBe('00000000000000000000000000000001');
      expect(ref.parentSpanId).toBe('0000000000000002');
      expect(ref.links.map((l) => [l.traceId, l.spanId, l.attributes['opentracing.ref_type']])).toEqual([
        ['000000000000000000000000000000ff', '00000000000000ff', 'child_of'],
        ['00000000000000000000000000000001', '0000000000000002', 'follows_from'],
      ]);
      const typed = named(spans, 'some-operation').find((s) => s.spanId === '0000000000000002')!;
      expect(typed.attributes).toMatchObject({ 'peer.ipv4': 23456n, temperature: 72.5, javascript_limit: 9223372036854775222n, blob: new Uint8Array([0, 0, 0x30, 0x39]) });
      expect(typed.status.code).toBe(StatusCode.ERROR);
      expect(typed.attributes).not.toHaveProperty('error');
      expect(byId(spans, '0000000000000002').find((s) => s.name === 'test-general-conversion')!.events.map((e) => e.name)).toEqual(['some-event', '']);
    },
  },
  'jaeger/uimodel-json/domain_01.json': { error: /domain_01\.json: recognised as Jaeger's internal model in protobuf JSON.*not supported/, why: 'Jaeger model proto-JSON: an internal format' },
  'jaeger/thrift-converter/domain_03.json': { error: /domain_03\.json: recognised as Jaeger's internal model in protobuf JSON.*not supported/, why: 'Jaeger model proto-JSON' },
  'jaeger/thrift-converter/thrift_batch_01.json': {
    error: /thrift_batch_01\.json: recognised as a Jaeger Thrift batch written as JSON.*lose precision/,
    why: 'int64 ids as JSON numbers cannot be read exactly',
  },
  'jaeger/anonymizer/trace_success.json': {
    format: 'jaeger-ui',
    spans: 2,
    orphans: 1,
    kinds: { SERVER: 1, CLIENT: 1 },
    check: ({ spans }) => expect(one(spans, '7bd66f09ba90ea3d').status.code).toBe(StatusCode.ERROR),
  },
  'jaeger/zipkin-fixtures-history/zipkin_01.json': {
    format: 'zipkin-v2',
    spans: 1,
    orphans: 1,
    kinds: { CLIENT: 1 },
    check: ({ spans }) => {
      expect(spans[0]).toMatchObject({ traceId: 'bd7a974555f6b982bd71977555f6b981', spanId: '0000000000000002', parentSpanId: '0000000000000001' });
      expect(spans[0].attributes).toMatchObject({ 'zipkin.debug': true, foo: 'bar', 'peer.service': 'bar', 'server.address': '10.43.17.43' });
    },
  },
  'jaeger/zipkin-fixtures-history/zipkin_03.json': {
    format: 'zipkin-v2',
    spans: 1,
    orphans: 1,
    kinds: { PRODUCER: 1 },
    check: ({ spans }) => {
      expect(spans[0].parentSpanId).toBe('0c26551047c72d19');
      expect(spans[0].attributes['peer.service']).toBe('kafka');
    },
  },
  'jaeger/zipkin-fixtures-history/zipkin_v1_merged_spans.json': {
    format: 'zipkin-v2',
    spans: 2,
    why: 'v2 spans without kind: their v1-style annotations stay events',
    check: ({ spans }) => expect(one(spans, 'c943743e25dc2cdf').events.map((e) => e.name)).toEqual(['cs', 'sr', 'cr', 'ss']),
  },
  'jaeger-ui/TraceTimelineViewer/genaiTestTrace.json': { format: 'jaeger-ui', spans: 57, services: 10, orphans: 0 },
  'jaeger-ui/TraceStatistics/testTrace.json': {
    format: 'jaeger-ui',
    spans: 11,
    traces: 1,
    orphans: 0,
    kinds: { PRODUCER: 1, CONSUMER: 1 },
    why: 'a hand-written UI fixture with ids like "trace-123" and "span-1": hashed to hex ids, the originals kept in attributes',
    check: ({ spans }) => {
      expect(spans.every((s) => s.attributes['jaeger.original_trace_id'] === 'trace-123')).toBe(true);
      expect(new Set(spans.map((s) => s.attributes['jaeger.original_span_id'])).size).toBe(11);
      const root = spans.find((s) => s.attributes['jaeger.original_span_id'] === 'span-1')!;
      expect(root.parentSpanId).toBe('');
      expect(spans.filter((s) => s.parentSpanId === root.spanId).map((s) => s.attributes['jaeger.original_span_id']).sort()).toEqual(['span-12', 'span-2', 'span-2_1', 'span-3', 'span-6']);
    },
  },
  'jaeger-ui/TraceStatistics/traceWithOverlappingChildrenLongerThanParent.json': { format: 'jaeger-ui', spans: 4, orphans: 0, kinds: { PRODUCER: 1 } },
  'jaeger-ui/TraceStatistics/spanAmongEachOtherGroupedAndSpans.json': { format: 'jaeger-ui', spans: 17 },
  'jaeger-ui/TraceFlamegraph/testTrace.json': {
    format: 'jaeger-ui',
    spans: 4,
    orphans: 0,
    why: "jaeger-ui's stored trace {data: trace, id, state} is a trace object one level down: supported",
  },
  'jaeger-ui/utils-fixtures/otlp2jaeger-multi-in-combined.json': { format: 'otlp-json', spans: 4 },
  'jaeger-ui/utils-fixtures/oltp2jaeger-multi-out.json': { format: 'jaeger-ui', spans: 4, orphans: 0, why: 'the parent span embedded in references is ignored' },
  'jaeger-ui/utils-fixtures/otlp2jaeger-in-error.json': {
    format: 'otlp-json',
    spans: 1,
    orphans: 1,
    check: ({ spans }) => expect(serviceName(spans[0].resource)).toBe('unknown_service'),
  },
  'jaeger-spark-dependencies/spans.json': {
    format: 'jaeger-ui',
    spans: 19,
    orphans: 0,
    duplicateIds: 0,
    why: 'Elasticsearch documents: `tag` maps read with @ → .; the 4 shared client/server ids are split, as Jaeger does',
    check: ({ spans }) => {
      expect(spans.filter((s) => s.parentSpanId === '')).toHaveLength(1);
      for (const shared of ['6d4eb560b6582434', 'd8af75b0c35d068d', 'e205b58e5060b5f9', '37487449aedd94a0']) {
        const client = one(spans, shared);
        expect(client.kind).toBe(SpanKind.CLIENT);
        const servers = spans.filter((s) => s.parentSpanId === shared && s.kind === SpanKind.SERVER);
        expect(servers).toHaveLength(1);
        expect(servers[0].name).toBe(client.name);
      }
      expect(one(spans, 'fd2cba5a8f200853').attributes['http.method']).toBe('GET');
      expect(one(spans, 'fd2cba5a8f200853').resource.attributes).toMatchObject({ 'service.name': 'prod-crm-database', hostname: 'crm-database-74b7569f9-pllnz' });
    },
  },
  'jaeger-analytics-java/ui-trace.json': {
    format: 'jaeger-ui',
    spans: 2,
    orphans: 0,
    why: '64-bit trace id and a 15-digit span id are left-padded',
    check: ({ spans }) => {
      const child = one(spans, '0ec2b4e0bcea566d');
      expect(child.traceId).toBe('00000000000000002db17286b3e6b148');
      expect(child.parentSpanId).toBe('2db17286b3e6b148');
      expect(one(spans, '2db17286b3e6b148').kind).toBe(SpanKind.SERVER);
    },
  },
  'zipkin/lens-testdata/smartthings-mobile-web-install.json': {
    format: 'zipkin-v2',
    spans: 957,
    services: 16,
    duplicateIds: 0,
    orphans: 0,
    why: '1041 objects: 84 are fragments with no timestamp of a server span reported in pieces, merged into it as Zipkin does',
    check: ({ spans }) => expect(spans.filter((s) => 'kafka.partition' in s.attributes)).toHaveLength(5),
  },
  'zipkin/lens-testdata/smartthings-oauth-authorization.json': { format: 'zipkin-v2', spans: 175, duplicateIds: 0, orphans: 0 },
  'zipkin/lens-testdata/messaging-kafka.json': { format: 'zipkin-v2', spans: 28, kinds: { PRODUCER: 9, CONSUMER: 7 } },
  'zipkin/lens-testdata/messaging.json': { format: 'zipkin-v2', spans: 4, kinds: { PRODUCER: 1, CONSUMER: 1 } },
  'zipkin/lens-testdata/messaging2.json': { format: 'zipkin-v2', spans: 11, orphans: 6, kinds: { PRODUCER: 1, CONSUMER: 1 } },
  'zipkin/lens-testdata/skew.json': {
    format: 'zipkin-v2',
    spans: 4,
    duplicateIds: 0,
    check: ({ spans }) => expect(spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'post')!.parentSpanId).toBe('74280ae0c10d8062'),
  },
  'zipkin/lens-testdata/yelp.json': { format: 'zipkin-v2', spans: 16, duplicateIds: 0, orphans: 0 },
  'zipkin/lens-testdata/ascend.json': { format: 'zipkin-v2', spans: 8, duplicateIds: 0 },
  'zipkin/lens-testdata/envoy.json': {
    format: 'zipkin-v2',
    spans: 1,
    check: ({ spans }) => {
      expect(serviceName(spans[0].resource)).toBe('unknown_service');
      expect(spans[0].resource.attributes['host.ip']).toEqual(['169.254.65.45']);
    },
  },
  'zipkin/lens-testdata/simple-db-p6.json': { format: 'zipkin-v2', spans: 5, kinds: { SERVER: 1, CLIENT: 4 } },
  'zipkin/lens-next/netflix.json': {
    format: 'zipkin-v2',
    spans: 6,
    duplicateIds: 0,
    why: '8 objects: 2 are annotations reported alone (no kind, no endpoint) for a client span, merged into it',
    check: ({ spans }) => expect(spans.flatMap((s) => s.events.map((e) => e.name))).toEqual(expect.arrayContaining(['salp.niws', 'salp.hystrix'])),
  },
  'zipkin/lens-next/malformed.json': {
    format: 'zipkin-v2',
    spans: 7,
    why: 'spans with no duration end where they start; spans with no localEndpoint have no service.name',
    check: ({ spans }) => {
      const noDuration = one(spans, 'd5cb70daead478dc');
      expect(noDuration.endNs).toBe(noDuration.startNs);
      expect(serviceName(noDuration.resource)).toBe('unknown_service');
      expect(one(spans, '3e53779bdde7c111').endNs - one(spans, '3e53779bdde7c111').startNs).toBe(16_000_000n);
    },
  },
  'zipkin/v1-history/messaging-kafka.json': { format: 'zipkin-v1', spans: 28, kinds: { PRODUCER: 9, CONSUMER: 7 }, orphans: 0 },
  'zipkin/v1-history/span-rpc.json': {
    format: 'zipkin-v1',
    spans: 2,
    why: 'one v1 span holding both sides of an RPC (cs/cr at zipkin-web, sr/ss at zipkin-query) is two spans',
    check: ({ spans }) => {
      const client = one(spans, 'd673d7abe80d2f3f');
      const server = spans.find((s) => s !== client)!;
      expect([client.kind, serviceName(client.resource)]).toEqual([SpanKind.CLIENT, 'zipkin-web']);
      expect([server.kind, serviceName(server.resource), server.parentSpanId]).toEqual([SpanKind.SERVER, 'zipkin-query', client.spanId]);
      expect(server.endNs - server.startNs).toBe(4_000_000n);
    },
  },
  'zipkin/v1-history/span-local.json': {
    format: 'zipkin-v1',
    spans: 1,
    check: ({ spans }) => {
      expect(serviceName(spans[0].resource)).toBe('zipkin-server');
      expect(spans[0].attributes.lc).toBe('JDBCSpanStore');
    },
  },
  'zipkin/benchmarks/zipkin2-client.json': {
    format: 'zipkin-v2',
    spans: 1,
    check: ({ spans }) => {
      expect(spans[0].events).toHaveLength(2);
      expect(spans[0].attributes).toMatchObject({ 'server.address': '192.168.99.101', 'server.port': 9000n, 'network.peer.address': '192.168.99.101' });
    },
  },
  'zipkin/benchmarks/zipkin2-chinese.json': {
    format: 'zipkin-v2',
    spans: 1,
    check: ({ spans }) => {
      expect(spans[0].name).toBe('个人信息查询');
      expect(spans[0].status).toEqual({ code: StatusCode.ERROR, message: '此用户没有操作权限' });
      expect(serviceName(spans[0].resource)).toBe('订单维护服务');
    },
  },
  'tempo-tempopb/trace.json': {
    format: 'tempo',
    spans: 1,
    orphans: 1,
    check: ({ spans }) => expect(spans[0].traceId).toBe('5b8efff798038103d269b633813fc60c'),
  },
  'opentelemetry-go-instrumentation/e2e-nethttp/traces-orig.json': { format: 'otlp-json', spans: 2, orphans: 0, kinds: { SERVER: 1, CLIENT: 1 } },
  'otel-desktop-viewer/span.json': { format: 'otlp-json', spans: 1, why: 'robustness: an `anyValue` attribute and no timestamps still import' },
};

function corpusFiles(dir = corpusRoot): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? corpusFiles(full) : [path.relative(corpusRoot, full)];
  });
}

async function load(relative: string): Promise<Imported> {
  const spans: Span[] = [];
  const logs: LogRecord[] = [];
  const result = await importFile(corpusPath(relative), async (batch) => {
    spans.push(...batch.spans);
    logs.push(...batch.logs);
  });
  expect([result.spans, result.logs]).toEqual([spans.length, logs.length]);
  return { format: result.format, spans, logs };
}

describe('corpus', () => {
  it('has a row for every file in the corpus', () => {
    expect(Object.keys(CORPUS).sort()).toEqual(corpusFiles().filter((f) => f !== 'SOURCES.md').sort());
  });

  for (const [file, expected] of Object.entries(CORPUS)) {
    if ('error' in expected) {
      it(`${file} is refused: ${expected.why}`, async () => {
        await expect(importFile(corpusPath(file), async () => {})).rejects.toThrow(expected.error);
      });
      continue;
    }
    it(`${file} imports as ${expected.format}${expected.why ? ` (${expected.why})` : ''}`, async () => {
      const r = await load(file);
      expect(r.format).toBe(expected.format);
      expect(r.spans).toHaveLength(expected.spans);
      expect(r.logs).toHaveLength(expected.logs ?? 0);
      for (const s of r.spans) {
        expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
        expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
        expect(s.parentSpanId).toMatch(/^([0-9a-f]{16})?$/);
        expect(s.endNs >= s.startNs).toBe(true);
      }
      if (expected.traces !== undefined) expect(new Set(r.spans.map((s) => s.traceId)).size).toBe(expected.traces);
      if (expected.orphans !== undefined) expect(orphans(r.spans)).toHaveLength(expected.orphans);
      if (expected.links !== undefined) expect(r.spans.reduce((n, s) => n + s.links.length, 0)).toBe(expected.links);
      if (expected.services !== undefined) expect(new Set(r.spans.map((s) => serviceName(s.resource))).size).toBe(expected.services);
      if (expected.duplicateIds !== undefined) {
        const counts = new Map<string, number>();
        for (const s of r.spans) counts.set(key(s), (counts.get(key(s)) ?? 0) + 1);
        expect(r.spans.filter((s) => counts.get(key(s))! > 1)).toHaveLength(expected.duplicateIds);
      }
      for (const [kind, count] of Object.entries(expected.kinds ?? {})) {
        expect(r.spans.filter((s) => s.kind === SpanKind[kind as keyof typeof SpanKind]), kind).toHaveLength(count);
      }
      expected.check?.(r);
    });
  }
});
