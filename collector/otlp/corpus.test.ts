// Real OTLP files from other projects (see corpus/SOURCES.md for where each comes from and its counts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusPath } from '../../test/corpus';
import { InputError } from '../errors';
import type { LogRecord, Span } from '../model';
import {
  decodeLogsJson,
  decodeLogsProto,
  decodeOtlpJson,
  decodeTracesJson,
  decodeTracesProto,
  encodeLogsJson,
  encodeTracesJson,
  type DecodedBatch,
} from './index';

const readJson = (file: string): unknown => JSON.parse(readFileSync(corpusPath(file), 'utf8'));
const readLines = (file: string): unknown[] =>
  readFileSync(corpusPath(file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));

function decodeFile(file: string): DecodedBatch {
  const batches = file.endsWith('.jsonl') || file === 'otel-tui/test_data.json' ? readLines(file).map(decodeOtlpJson) : [decodeOtlpJson(readJson(file))];
  return {
    spans: batches.flatMap((b) => b.spans),
    logs: batches.flatMap((b) => b.logs),
    metricPoints: batches.reduce((n, b) => n + b.metricPoints, 0),
    rejected: batches.reduce((n, b) => n + b.rejected, 0),
  };
}

/** file → [spans, log records, log records with a trace id, links] as SOURCES.md lists them */
const OTLP_JSON_FILES: Record<string, [number, number, number, number]> = {
  'opentelemetry-proto/trace.json': [1, 0, 0, 0],
  'opentelemetry-proto/logs.json': [0, 1, 1, 0],
  'opentelemetry-proto/events.json': [0, 1, 0, 0],
  'otlp2parquet/trace.json': [2, 0, 0, 0],
  'otlp2parquet/log.json': [0, 1, 1, 0],
  'otlp2parquet/traces.jsonl': [19, 0, 0, 0],
  'otlp2parquet/logs.jsonl': [0, 81, 31, 0],
  'otel-tui/test_data.json': [547, 23, 13, 53],
  'jaeger/integration-fixtures/example_trace.json': [5, 0, 0, 0],
  'jaeger/integration-fixtures/link_attributes_trace.json': [1, 0, 0, 3],
  'jaeger/integration-fixtures/log_tags_trace.json': [1, 0, 0, 0],
  'jaeger/integration-fixtures/process_tags_trace.json': [1, 0, 0, 0],
  'jaeger/integration-fixtures/scope_attributes_trace.json': [1, 0, 0, 0],
  'jaeger/memory-fixtures/otel_traces_01.json': [4, 0, 0, 8],
  'jaeger/jaegerquery-fixture/otlp2jaeger-in.json': [2, 0, 0, 0],
  'jaeger-ui/utils-fixtures/otlp2jaeger-multi-in-combined.json': [4, 0, 0, 0],
  'jaeger-ui/utils-fixtures/otlp2jaeger-in-error.json': [1, 0, 0, 0],
  'otel-desktop-viewer/span.json': [1, 0, 0, 0],
  'opentelemetry-go-instrumentation/e2e-nethttp/traces-orig.json': [2, 0, 0, 0],
};

describe('OTLP JSON corpus files', () => {
  for (const [file, [spans, logs, logsWithTrace, links]] of Object.entries(OTLP_JSON_FILES)) {
    it(`${file} decodes with the counts SOURCES.md lists and survives our encoder`, () => {
      const batch = decodeFile(file);
      expect(batch.rejected).toBe(0);
      expect(batch.spans).toHaveLength(spans);
      expect(batch.logs).toHaveLength(logs);
      expect(batch.logs.filter((l) => l.traceId !== '')).toHaveLength(logsWithTrace);
      expect(batch.spans.reduce((n, s) => n + s.links.length, 0)).toBe(links);
      for (const s of batch.spans) {
        expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
        expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
        expect(s.parentSpanId).toMatch(/^([0-9a-f]{16})?$/);
      }
      expectRoundTrip(batch.spans, batch.logs);
    });
  }

  it('reads uppercase hex ids as lowercase', () => {
    const [span] = decodeFile('opentelemetry-proto/trace.json').spans;
    expect(span).toMatchObject({ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', parentSpanId: 'eee19b7ec3c1b173', kind: 2 });
    const [log] = decodeFile('opentelemetry-proto/logs.json').logs;
    expect(log).toMatchObject({ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', severityNumber: 10 });
    expect(log.attributes).toEqual({
      'string.attribute': 'some string',
      'boolean.attribute': true,
      'int.attribute': 10n,
      'double.attribute': 637.704,
      'array.attribute': ['many', 'values'],
      'map.attribute': { kvlist: { 'some.map.key': 'some value' } },
    });
  });

  it('reads an event record with its name and kvlist body', () => {
    const [event] = decodeFile('opentelemetry-proto/events.json').logs;
    expect(event.eventName).toBe('browser.page_view');
    expect(event.body).toEqual({
      kvlist: {
        type: 0n,
        url: 'https://www.guidgenerator.com/online-guid-generator.aspx',
        referrer: 'https://wwww.google.com',
        title: 'Free Online GUID Generator',
      },
    });
  });

  it('reads base64 ids and enum names (otlp2parquet)', () => {
    const { spans } = decodeFile('otlp2parquet/trace.json');
    expect(spans[0]).toMatchObject({
      traceId: Buffer.from('nXmxo38xgBzRGmcG+0DWvQ==', 'base64').toString('hex'),
      spanId: Buffer.from('3lYkOenBuCM=', 'base64').toString('hex'),
      kind: 3,
    });
    expect(spans[1].kind).toBe(2);
    expect(spans[0].resource.schemaUrl).toBe('https://opentelemetry.io/schemas/1.6.1');
    const [log] = decodeFile('otlp2parquet/log.json').logs;
    expect(log).toMatchObject({ severityNumber: 9, flags: 1, traceId: spans[0].traceId, spanId: spans[1].spanId, observedNs: 0n });
  });

  it('reads links, trace state, flags and bytes (jaeger memory fixture)', () => {
    const { spans } = decodeFile('jaeger/memory-fixtures/otel_traces_01.json');
    expect(spans[0]).toMatchObject({ traceState: 'state.2', flags: 1, status: { code: 2, message: '' } });
    expect(spans[0].attributes.blob).toEqual(new Uint8Array([0, 0, 0x30, 0x39]));
    expect(spans[0].attributes['peer.ipv4']).toBe(23456n);
    expect(spans[0].links[0]).toMatchObject({ traceId: '00000000000000010000000000000000', spanId: '0000000000000004', attributes: { 'opentracing.ref_type': 'follows_from' } });
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(2);
    expect(new Set(spans.map((s) => s.kind))).toEqual(new Set([2, 3, 4, 5]));
  });

  it('keeps a non-AnyValue attribute as its JSON text and defaults missing timestamps to 0 (otel-desktop-viewer)', () => {
    const [span] = decodeFile('otel-desktop-viewer/span.json').spans;
    expect(span.resource.attributes['service.name']).toBe('{"anyValue":"test-with-curl"}');
    expect(span).toMatchObject({ name: 'spanitron', startNs: 0n, endNs: 0n, kind: 2, status: { code: 1, message: '' } });
  });

  it('decodes the Jaeger api_v3 result body (an ExportTraceServiceRequest inside "result")', () => {
    const doc = readJson('jaeger/apiv3-snapshots/GetTrace.json') as { result: unknown };
    const { spans } = decodeTracesJson(doc.result);
    expect(spans).toHaveLength(1);
    expect(spans[0].status.code).toBe(2);
  });
});

describe('OTLP protobuf corpus files', () => {
  it('otlp2parquet/trace.pb and traces.pb hold the spans of their JSON twins', () => {
    const one = decodeTracesProto(readFileSync(corpusPath('otlp2parquet/trace.pb')));
    expect(one.spans).toHaveLength(2);
    expect(one.spans).toEqual(decodeFile('otlp2parquet/trace.json').spans);
    const many = decodeTracesProto(readFileSync(corpusPath('otlp2parquet/traces.pb')));
    expect(many.rejected).toBe(0);
    expect(many.spans).toHaveLength(19);
    expect(many.spans).toEqual(decodeFile('otlp2parquet/traces.jsonl').spans);
    const kinds = many.spans.map((s) => s.kind);
    expect([kinds.filter((k) => k === 1).length, kinds.filter((k) => k === 2).length, kinds.filter((k) => k === 3).length]).toEqual([10, 3, 6]);
    const ids = new Set(many.spans.map((s) => s.spanId));
    expect(many.spans.filter((s) => s.parentSpanId !== '' && !ids.has(s.parentSpanId))).toHaveLength(13);
  });

  it('otlp2parquet/logs.pb holds the 81 records of logs.jsonl, 31 with trace ids', () => {
    const { logs, rejected } = decodeLogsProto(readFileSync(corpusPath('otlp2parquet/logs.pb')));
    expect(rejected).toBe(0);
    expect(logs).toHaveLength(81);
    expect(logs.filter((l) => l.traceId !== '')).toHaveLength(31);
    expect(logs).toEqual(decodeFile('otlp2parquet/logs.jsonl').logs);
    expectRoundTrip([], logs);
  });
});

describe('otlp2parquet/invalid', () => {
  const errorOf = (file: string): InputError => {
    try {
      decodeOtlpJson(readJson(file));
    } catch (e) {
      if (e instanceof InputError) return e;
      throw e;
    }
    throw new Error(`${file} decoded without an error`);
  };

  it('names the span and field of bad base64 ids', () => {
    expect(errorOf('otlp2parquet/invalid/trace_invalid_base64.json').message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].traceId: "!!!INVALID_BASE64!!!" is neither 32 hex digits nor base64 of 16 bytes',
    );
  });

  it('names an unknown span kind', () => {
    expect(errorOf('otlp2parquet/invalid/trace_invalid_kind.json').message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].kind: unknown span kind "SPAN_KIND_INVALID_TYPE"',
    );
  });

  it('names ids that are neither hex nor base64', () => {
    expect(errorOf('otlp2parquet/invalid/trace_mixed_encoding.json').message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].traceId: "zzz" is neither 32 hex digits nor base64 of 16 bytes',
    );
  });
});

function expectRoundTrip(spans: Span[], logs: LogRecord[]): void {
  const traces = decodeTracesJson(JSON.parse(JSON.stringify(encodeTracesJson(spans))));
  expect(traces.spans).toEqual(spans);
  expect(decodeLogsJson(JSON.parse(JSON.stringify(encodeLogsJson(logs)))).logs).toEqual(logs);
}
