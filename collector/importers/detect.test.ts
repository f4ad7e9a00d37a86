import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusPath } from '../../test/corpus';
import { detectFormat, HEAD_BYTES } from '.';

const text = (s: string) => new TextEncoder().encode(s);

function frame(message: Uint8Array): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(message.length);
  return Buffer.concat([prefix, message]);
}

describe('detectFormat', () => {
  it('tells JSON formats apart by the fields they use', () => {
    expect(detectFormat(text('{"resourceSpans":[]}'))).toBe('otlp-json');
    expect(detectFormat(text('\ufeff{"resource_logs":[]}'))).toBe('otlp-json');
    expect(detectFormat(text('{"resourceLogs":[]}\n{"resourceSpans":[]}\n'))).toBe('otlp-jsonl');
    expect(detectFormat(text('{"result":{"resourceSpans":[]}}'))).toBe('jaeger-api-v3');
    expect(detectFormat(text('{"batches":[]}'))).toBe('tempo');
    expect(detectFormat(text('{"trace":{"resourceSpans":[]}}'))).toBe('tempo');
    expect(detectFormat(text('{"data":[{"traceID":"1","spans":[]}]}'))).toBe('jaeger-ui');
    expect(detectFormat(text('{"data":[],"total":0,"limit":0,"offset":0,"errors":null}'))).toBe('jaeger-ui');
    expect(detectFormat(text('{"traceID":"1","spans":[],"processes":{}}'))).toBe('jaeger-ui');
    expect(detectFormat(text('[{"traceID":"1","spanID":"2","operationName":"x","process":{}}]'))).toBe('jaeger-ui');
    expect(detectFormat(text('[{"traceId":"1","id":"2","kind":"CLIENT"}]'))).toBe('zipkin-v2');
    expect(detectFormat(text('[[{"traceId":"1","id":"2"}]]'))).toBe('zipkin-v2');
    expect(detectFormat(text('{"traceId":"1","id":"2","tags":{"endpoint":"x"}}'))).toBe('zipkin-v2');
    expect(detectFormat(text('[{"traceId":"1","id":"2","annotations":[{"timestamp":1,"value":"cs","endpoint":{}}]}]'))).toBe('zipkin-v1');
    expect(detectFormat(text('{"traceId":"1","id":"2","binaryAnnotations":[]}'))).toBe('zipkin-v1');
    expect(detectFormat(text('[]'))).toBe('zipkin-v2');
  });

  it('ignores field names inside string values', () => {
    expect(detectFormat(text('[{"traceId":"1","id":"2","name":"{\\"resourceSpans\\": 1}","tags":{"binaryAnnotations":"x"}}]'))).toBe('zipkin-v2');
  });

  it('detects from a head cut in the middle of a document', () => {
    const head = readFileSync(corpusPath('zipkin/lens-testdata/smartthings-mobile-web-install.json')).subarray(0, HEAD_BYTES);
    expect(detectFormat(head)).toBe('zipkin-v2');
    const jaeger = readFileSync(corpusPath('jaeger-ui/TraceTimelineViewer/genaiTestTrace.json')).subarray(0, 777);
    expect(detectFormat(jaeger)).toBe('jaeger-ui');
  });

  it('tells a protobuf request from a length-prefixed stream of them', () => {
    const traces = readFileSync(corpusPath('otlp2parquet/traces.pb'));
    expect(detectFormat(traces)).toBe('otlp-proto');
    expect(detectFormat(frame(traces))).toBe('otlp-proto-stream');
    expect(detectFormat(Buffer.concat([frame(traces), frame(traces)]).subarray(0, traces.length + 6))).toBe('otlp-proto-stream');
    // A 3-byte length puts the ResourceSpans' own first tag (0x0a) at byte 4, where a stream has it too.
    const big = Buffer.concat([Buffer.from([0x0a, 0xa0, 0x9c, 0x01, 0x0a, 0x00]), Buffer.alloc(19_998)]);
    expect(detectFormat(big)).toBe('otlp-proto');
  });

  it('names recognised formats it does not import, and what to use instead', () => {
    expect(() => detectFormat(readFileSync(corpusPath('jaeger/uimodel-json/domain_01.json')))).toThrow(/Jaeger's internal model.*Download JSON/);
    expect(() => detectFormat(readFileSync(corpusPath('jaeger/thrift-converter/thrift_batch_01.json')))).toThrow(/Jaeger Thrift batch/);
  });

  it('lists the understood formats when it understands none', () => {
    expect(() => detectFormat(text('{"hello":"world","n":1}'))).toThrow(/not a trace or log format .*its fields: \.hello, \.n.*Understood formats: OTLP JSON/);
    expect(() => detectFormat(text('time,service\n1,checkout\n'))).toThrow(/neither JSON nor OTLP protobuf.*Understood formats/);
    expect(() => detectFormat(text('\nhello'))).toThrow(/neither JSON nor OTLP protobuf/);
    expect(() => detectFormat(new Uint8Array())).toThrow(/empty/);
    expect(() => detectFormat(text(' \n\t'))).toThrow(/only white space/);
    expect(() => detectFormat(new Uint8Array([0x1f, 0x8b, 8, 0]))).toThrow(/gzip/);
  });
});
