// The official exporters' own response deserializers are the oracle for what we send back.
import { describe, expect, it } from 'vitest';
import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { encodeExportResponse } from './index';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('encodeExportResponse', () => {
  it('is the empty message when nothing was rejected', () => {
    expect(encodeExportResponse('proto', 0, '')).toEqual(new Uint8Array(0));
    expect(ProtobufTraceSerializer.deserializeResponse(encodeExportResponse('proto', 0, ''))).toEqual({});
    expect(text(encodeExportResponse('json', 0, ''))).toBe('{}');
  });

  it('carries partial_success that the SDK exporters read, for every signal', () => {
    const body = encodeExportResponse('proto', 300, 'trace_id is all zeros — span 3');
    expect(ProtobufTraceSerializer.deserializeResponse(body)).toEqual({
      partialSuccess: { rejectedSpans: 300, errorMessage: 'trace_id is all zeros — span 3' },
    });
    expect(ProtobufLogsSerializer.deserializeResponse(body)).toEqual({
      partialSuccess: { rejectedLogRecords: 300, errorMessage: 'trace_id is all zeros — span 3' },
    });
    expect(ProtobufMetricsSerializer.deserializeResponse(encodeExportResponse('proto', 0, 'metrics are counted, not stored'))).toEqual({
      partialSuccess: { errorMessage: 'metrics are counted, not stored' },
    });
  });

  it('writes large counts as full varints', () => {
    expect(ProtobufTraceSerializer.deserializeResponse(encodeExportResponse('proto', 2 ** 40 + 1, ''))).toEqual({
      partialSuccess: { rejectedSpans: 2 ** 40 + 1 },
    });
  });

  it('names the rejected count per signal in JSON, as an int64 string', () => {
    expect(JSON.parse(text(encodeExportResponse('json', 2, 'bad ids')))).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: 'bad ids' } });
    expect(JSON.parse(text(encodeExportResponse('json', 2, '', 'logs')))).toEqual({ partialSuccess: { rejectedLogRecords: '2' } });
    expect(JSON.parse(text(encodeExportResponse('json', 1, '', 'metrics')))).toEqual({ partialSuccess: { rejectedDataPoints: '1' } });
  });
});
