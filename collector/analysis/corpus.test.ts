// The detectors on real files: documented defects are found, clean traces stay quiet.
import { describe, expect, it } from 'vitest';
import { corpusPath } from '../../test/corpus';
import { importFile } from '../importers';
import type { LogRecord, Span } from '../model';
import { analyzeAll, analyzeTraces, spansByTrace } from './analyze';
import type { Finding } from '../../common/findings';

async function importSpans(file: string): Promise<Span[]> {
  const spans: Span[] = [];
  await importFile(corpusPath(file), async (batch) => {
    spans.push(...batch.spans);
  });
  return spans;
}

async function analyzeFile(file: string): Promise<{ spans: Span[]; findings: Finding[] }> {
  const spans = await importSpans(file);
  return { spans, findings: analyzeTraces(spansByTrace(spans)) };
}

const occurrences = (findings: Finding[], subkind: string) => findings.filter((f) => f.subkind === subkind).reduce((n, f) => n + f.count, 0);

describe('corpus', () => {
  // SOURCES.md counts the orphans of each file.
  const documentedOrphans: [string, number][] = [
    ['opentelemetry-proto/trace.json', 1],
    ['tempo-tempopb/trace.json', 1],
    ['otlp2parquet/trace.json', 1],
    ['otlp2parquet/trace.pb', 1],
    ['otlp2parquet/traces.jsonl', 13],
    ['otlp2parquet/traces.pb', 13],
    ['otel-tui/test_data.json', 1],
    ['jaeger/anonymizer/trace_success.json', 1],
    ['jaeger-ui/utils-fixtures/otlp2jaeger-in-error.json', 1],
    ['jaeger/zipkin-fixtures-history/zipkin_03.json', 1],
    ['zipkin/lens-testdata/messaging2.json', 6],
  ];
  for (const [file, orphans] of documentedOrphans) {
    it(`${file}: reports its ${orphans} orphan(s) as missing parents, and nothing else`, async () => {
      const { spans, findings } = await analyzeFile(file);
      expect(findings.every((f) => f.subkind === 'missing-parent' && f.severity === 'warning')).toBe(true);
      expect(occurrences(findings, 'missing-parent')).toBe(orphans);
      const ids = new Set(spans.map((s) => s.traceId + s.spanId));
      for (const at of findings.flatMap((f) => f.occurrences)) {
        const span = spans.find((s) => s.traceId === at.traceId && s.spanId === at.spanId)!;
        expect(span.parentSpanId).not.toBe('');
        expect(ids.has(span.traceId + span.parentSpanId)).toBe(false);
      }
    });
  }

  it('jaeger otlp2jaeger-in.json: two orphans that also share one span id', async () => {
    const { findings } = await analyzeFile('jaeger/jaegerquery-fixture/otlp2jaeger-in.json');
    expect(occurrences(findings, 'missing-parent')).toBe(2);
    expect(occurrences(findings, 'duplicate-span-id')).toBe(1);
    expect(findings).toHaveLength(2);
  });

  it('jaeger memory fixture: of four orphans, the one whose parent is in the other trace is a cross-trace parent', async () => {
    const { spans, findings } = await analyzeFile('jaeger/memory-fixtures/otel_traces_01.json');
    expect(occurrences(findings, 'missing-parent')).toBe(3);
    const [cross] = findings.filter((f) => f.subkind === 'cross-trace-parent');
    expect(cross.count).toBe(1);
    const parentTrace = spans.find((s) => s.spanId === cross.evidence.parentSpanId)!.traceId;
    expect(cross.evidence.parentTraceIds).toEqual([parentTrace]);
  });

  it('jaeger example_trace.json: five spans without parents in one trace are one finding of four extra roots', async () => {
    const { findings } = await analyzeFile('jaeger/integration-fixtures/example_trace.json');
    expect(findings.map((f) => [f.kind, f.count])).toEqual([['multiple-roots', 4]]);
  });

  it('zipkin skew.json: serviceb runs 65.922 ms behind servicea (half-latency)', async () => {
    const { findings } = await analyzeFile('zipkin/lens-testdata/skew.json');
    expect(findings).toHaveLength(1);
    const [skew] = findings;
    expect(skew).toMatchObject({ kind: 'clock-skew', subkind: 'client-server', service: 'serviceb', operation: 'post', count: 1 });
    // client 4074202 µs + 94539, server 4008761 µs + 93577: latency (94539 - 93577) / 2 = 481 µs
    expect(skew.evidence).toMatchObject({ skewMs: -65.922, parentHost: '127.0.0.0', childHost: '192.0.0.0', model: 'half-latency' });
  });

  it('zipkin ascend.json: a server that ran entirely after its 14 ms client on another host is clock skew', async () => {
    const { findings } = await analyzeFile('zipkin/lens-testdata/ascend.json');
    expect(findings.map((f) => [f.kind, f.service])).toEqual([['clock-skew', 'auth-service']]);
  });

  it('otel-tui recording: 140 of 141 traces are clean, the last has the documented orphan', async () => {
    const { spans, findings } = await analyzeFile('otel-tui/test_data.json');
    expect(spansByTrace(spans)).toHaveLength(141);
    expect(findings.map((f) => [f.subkind, f.service, f.count])).toEqual([['missing-parent', 'flagd', 1]]);
  });

  const clean = [
    'jaeger-analytics-java/ui-trace.json',
    'jaeger-spark-dependencies/spans.json',
    'jaeger-ui/TraceFlamegraph/testTrace.json',
    'jaeger-ui/TraceStatistics/spanAmongEachOtherGroupedAndSpans.json',
    'jaeger-ui/TraceStatistics/traceWithOverlappingChildrenLongerThanParent.json',
    'jaeger-ui/TraceTimelineViewer/genaiTestTrace.json',
    'jaeger-ui/utils-fixtures/oltp2jaeger-multi-out.json',
    'jaeger-ui/utils-fixtures/otlp2jaeger-multi-in-combined.json',
    'jaeger/apiv3-snapshots/GetTrace.json',
    'jaeger/integration-fixtures/link_attributes_trace.json',
    'jaeger/integration-fixtures/log_tags_trace.json',
    'jaeger/integration-fixtures/process_tags_trace.json',
    'jaeger/integration-fixtures/scope_attributes_trace.json',
    'jaeger/zipkin-fixtures-history/zipkin_v1_merged_spans.json',
    'opentelemetry-go-instrumentation/e2e-nethttp/traces-orig.json',
    'otel-desktop-viewer/span.json',
    'zipkin/lens-next/malformed.json',
    'zipkin/lens-next/netflix.json',
    'zipkin/lens-testdata/envoy.json',
    'zipkin/lens-testdata/messaging-kafka.json',
    'zipkin/lens-testdata/messaging.json',
    'zipkin/lens-testdata/simple-db-p6.json',
    'zipkin/lens-testdata/yelp.json',
    'zipkin/lens-testdata/smartthings-mobile-web-install.json',
    'zipkin/lens-testdata/smartthings-oauth-authorization.json',
    'zipkin/v1-history/messaging-kafka.json',
  ];
  for (const file of clean) {
    it(`${file}: clean, nothing at warning or above`, async () => {
      const { spans, findings } = await analyzeFile(file);
      expect(spans.length).toBeGreaterThan(0);
      expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
    });
  }

  // Real recordings have roots, CLIENT spans to uninstrumented services, PRODUCER/CONSUMER pairs, links
  // and logs with and without trace context: none of it is a lost hop.
  const everything = [...documentedOrphans.map(([file]) => file), ...clean, 'otel-tui/test_data.json', 'jaeger/memory-fixtures/otel_traces_01.json', 'otlp2parquet/logs.jsonl', 'opentelemetry-proto/logs.json'];
  it('the cross-trace detectors claim no stitch and raise no warning on any of them', async () => {
    for (const file of everything) {
      const spans: Span[] = [];
      const logs: LogRecord[] = [];
      await importFile(corpusPath(file), async (batch) => {
        spans.push(...batch.spans);
        logs.push(...batch.logs);
      });
      const result = analyzeAll(spansByTrace(spans), logs);
      const perTrace = new Set(analyzeTraces(spansByTrace(spans)).map((f) => f.fingerprint));
      expect({ file, added: result.findings.filter((f) => f.severity !== 'info' && !perTrace.has(f.fingerprint)) }).toEqual({ file, added: [] });
      expect({ file, claims: result.stitches.filter((s) => s.confidence >= 0.5) }).toEqual({ file, claims: [] });
    }
  });
});
