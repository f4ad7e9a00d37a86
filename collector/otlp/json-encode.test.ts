import { describe, expect, it } from 'vitest';
import { emptyResource, emptyScope, newLogRecord, newSpan, setAttribute, type Attributes, type LogRecord, type Resource, type Scope, type Span } from '../model';
import { decodeLogsJson, decodeTracesJson, encodeLogsJson, encodeTracesJson } from './index';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';

function makeSpan(resource: Resource, scope: Scope, n: number, attributes: Attributes = {}): Span {
  return newSpan({ traceId: TRACE_ID, spanId: n.toString(16).padStart(16, '0'), name: `span ${n}`, kind: 1, startNs: 1n, endNs: 2n, attributes, resource, scope });
}

const roundTripSpans = (spans: Span[]) => decodeTracesJson(JSON.parse(JSON.stringify(encodeTracesJson(spans)))).spans;

describe('encodeTracesJson', () => {
  it('writes a standard request: hex ids, int64 as strings, bytes as base64, defaults left out', () => {
    const resource: Resource = { attributes: { 'service.name': 'svc' }, droppedAttributesCount: 0, schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' };
    const scope: Scope = { name: 'lib', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
    const span = makeSpan(resource, scope, 1, { n: -5n, b: new Uint8Array([1, 2, 255]), d: 3, list: [1n, 'x', null], map: { kvlist: { ok: true } }, none: null });
    span.status = { code: 2, message: 'boom' };
    span.links = [{ traceId: TRACE_ID, spanId: '0000000000000002', traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 0x100 }];
    expect(encodeTracesJson([span])).toEqual({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeSpans: [
            {
              scope: { name: 'lib' },
              spans: [
                {
                  traceId: TRACE_ID,
                  spanId: '0000000000000001',
                  name: 'span 1',
                  kind: 1,
                  startTimeUnixNano: '1',
                  endTimeUnixNano: '2',
                  attributes: [
                    { key: 'n', value: { intValue: '-5' } },
                    { key: 'b', value: { bytesValue: 'AQL/' } },
                    { key: 'd', value: { doubleValue: 3 } },
                    { key: 'list', value: { arrayValue: { values: [{ intValue: '1' }, { stringValue: 'x' }, {}] } } },
                    { key: 'map', value: { kvlistValue: { values: [{ key: 'ok', value: { boolValue: true } }] } } },
                    { key: 'none', value: {} },
                  ],
                  links: [{ traceId: TRACE_ID, spanId: '0000000000000002', attributes: [], flags: 256 }],
                  status: { code: 2, message: 'boom' },
                },
              ],
            },
          ],
          schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        },
      ],
    });
  });

  it('keeps integral, special and negative-zero doubles doubles through JSON text', () => {
    const attributes: Attributes = { three: 3, big: 1e21, nan: NaN, inf: Infinity, ninf: -Infinity, nzero: -0, int: 3n };
    const text = JSON.stringify(encodeTracesJson([makeSpan(emptyResource(), emptyScope(), 1, attributes)]));
    expect(text).toContain('{"key":"three","value":{"doubleValue":3}}');
    const [span] = roundTripSpans([makeSpan(emptyResource(), emptyScope(), 1, attributes)]);
    expect(span.attributes).toEqual(attributes);
    expect(typeof span.attributes.three).toBe('number');
    expect(Object.is(span.attributes.nzero, -0)).toBe(true);
  });

  it('groups spans by resource and scope identity, in first-seen order', () => {
    const r1 = emptyResource();
    const r2 = emptyResource();
    const s1 = emptyScope();
    const s2 = { ...emptyScope(), name: 'other' };
    const spans = [makeSpan(r1, s1, 1), makeSpan(r2, s1, 2), makeSpan(r1, s2, 3), makeSpan(r1, s1, 4)];
    const doc = encodeTracesJson(spans) as { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] };
    expect(doc.resourceSpans.map((rs) => rs.scopeSpans.map((ss) => ss.spans.map((s) => s.name)))).toEqual([[['span 1', 'span 4'], ['span 3']], [['span 2']]]);
    const decoded = roundTripSpans(spans);
    expect(decoded.map((s) => s.name)).toEqual(['span 1', 'span 4', 'span 3', 'span 2']);
    expect(decoded[1].scope).toBe(decoded[0].scope);
  });

  it('round-trips a __proto__ attribute key as a plain key', () => {
    const attributes: Attributes = {};
    setAttribute(attributes, '__proto__', 'x');
    const [span] = roundTripSpans([makeSpan(emptyResource(), emptyScope(), 1, attributes)]);
    expect(Object.keys(span.attributes)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(span.attributes)).toBe(Object.prototype);
  });
});

describe('encodeLogsJson', () => {
  it('writes records with and without trace context and round-trips them', () => {
    const resource = emptyResource();
    const scope = emptyScope();
    const base = newLogRecord({ timeNs: 1n, observedNs: 2n, resource, scope });
    const logs: LogRecord[] = [
      base,
      { ...base, severityNumber: 17, severityText: 'ERROR', body: { kvlist: { n: 1n, d: 1 } }, traceId: TRACE_ID, spanId: '0000000000000001', flags: 1, eventName: 'e', droppedAttributesCount: 2 },
    ];
    const doc = encodeLogsJson(logs) as { resourceLogs: { scopeLogs: { logRecords: object[] }[] }[] };
    expect(doc.resourceLogs[0].scopeLogs[0].logRecords[0]).toEqual({ timeUnixNano: '1', observedTimeUnixNano: '2', attributes: [] });
    expect(decodeLogsJson(JSON.parse(JSON.stringify(doc))).logs).toEqual(logs);
  });
});
