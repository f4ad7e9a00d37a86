import { describe, expect, it } from 'vitest';
import { InputError } from '../errors';
import { countMetricPointsJson, decodeLogsJson, decodeOtlpJson, decodeTracesJson } from './index';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';

function tracesDoc(span: Record<string, unknown>, attributes: unknown[] = []): unknown {
  return { resourceSpans: [{ resource: { attributes }, scopeSpans: [{ scope: { name: 'lib' }, spans: [{ traceId: TRACE_ID, spanId: SPAN_ID, ...span }] }] }] };
}

function attributeDoc(value: unknown): unknown {
  return tracesDoc({ attributes: [{ key: 'k', value }] });
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e.message;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('decodeTracesJson', () => {
  it('accepts snake_case keys, enum names, int64 as numbers and timestamps as numbers', () => {
    const { spans } = decodeTracesJson({
      resource_spans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { string_value: 'svc' } }], dropped_attributes_count: 2 },
          schema_url: 'https://opentelemetry.io/schemas/1.26.0',
          scope_spans: [
            {
              scope: { name: 'lib', version: '1', attributes: [{ key: 's', value: { bool_value: true } }], dropped_attributes_count: 1 },
              schema_url: 'scope-schema',
              spans: [
                {
                  trace_id: TRACE_ID.toUpperCase(),
                  span_id: SPAN_ID,
                  parent_span_id: '',
                  trace_state: 'a=b',
                  flags: 769,
                  name: 'op',
                  kind: 'SPAN_KIND_CONSUMER',
                  start_time_unix_nano: 1544712660000000000,
                  end_time_unix_nano: '1544712661000000000',
                  attributes: [
                    { key: 'i', value: { int_value: -42 } },
                    { key: 'd', value: { double_value: 2 } },
                    { key: 'a', value: { array_value: { values: [{ int_value: '9223372036854775807' }, { bytes_value: 'AQI=' }] } } },
                    { key: 'm', value: { kvlist_value: { values: [{ key: 'x', value: { double_value: 'NaN' } }] } } },
                  ],
                  dropped_attributes_count: 1,
                  events: [{ time_unix_nano: '5', name: 'e', dropped_attributes_count: 3 }],
                  dropped_events_count: 4,
                  links: [{ trace_id: TRACE_ID, span_id: SPAN_ID, trace_state: 'c=d', flags: 256, dropped_attributes_count: 5 }],
                  dropped_links_count: 6,
                  status: { code: 'STATUS_CODE_ERROR', message: 'bad' },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(spans).toEqual([
      {
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        parentSpanId: '',
        traceState: 'a=b',
        flags: 769,
        name: 'op',
        kind: 5,
        startNs: 1544712660000000000n,
        endNs: 1544712661000000000n,
        attributes: { i: -42n, d: 2, a: [9223372036854775807n, new Uint8Array([1, 2])], m: { kvlist: { x: NaN } } },
        droppedAttributesCount: 1,
        events: [{ timeNs: 5n, name: 'e', attributes: {}, droppedAttributesCount: 3 }],
        droppedEventsCount: 4,
        links: [{ traceId: TRACE_ID, spanId: SPAN_ID, traceState: 'c=d', attributes: {}, droppedAttributesCount: 5, flags: 256 }],
        droppedLinksCount: 6,
        status: { code: 2, message: 'bad' },
        resource: { attributes: { 'service.name': 'svc' }, droppedAttributesCount: 2, schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' },
        scope: { name: 'lib', version: '1', attributes: { s: true }, droppedAttributesCount: 1, schemaUrl: 'scope-schema' },
      },
    ]);
  });

  it('reads null as absent, and a document without resourceSpans as empty', () => {
    const { spans } = decodeTracesJson(tracesDoc({ parentSpanId: null, name: null, attributes: null, events: null, status: null, kind: null }));
    expect(spans[0]).toMatchObject({ parentSpanId: '', name: '', attributes: {}, events: [], status: { code: 0, message: '' }, kind: 0 });
    expect(decodeTracesJson({})).toEqual({ spans: [], rejected: 0 });
  });

  it('reads hex of any case and standard or URL-safe base64 ids', () => {
    const raw = Buffer.from(TRACE_ID, 'hex');
    const ids = [TRACE_ID.toUpperCase(), raw.toString('base64'), raw.toString('base64url'), raw.toString('base64').replace(/=+$/, '')];
    for (const traceId of ids) expect(decodeTracesJson(tracesDoc({ traceId })).spans[0].traceId).toBe(TRACE_ID);
  });

  it('rejects spans with missing or all-zero ids and names the first', () => {
    const doc = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId: TRACE_ID, spanId: SPAN_ID },
                { traceId: '', spanId: SPAN_ID },
                { traceId: TRACE_ID, spanId: '0000000000000000' },
                { traceId: TRACE_ID, spanId: SPAN_ID, parentSpanId: '0000000000000000' },
              ],
            },
          ],
        },
      ],
    };
    const result = decodeTracesJson(doc);
    expect(result.rejected).toBe(2);
    expect(result.rejectReason).toBe('resourceSpans[0].scopeSpans[0].spans[1]: traceId is missing');
    expect(result.spans.map((s) => s.parentSpanId)).toEqual(['', '']);
  });

  it('names the JSON path of structural errors', () => {
    const cases: [unknown, string][] = [
      [[], 'expected an OTLP JSON object, found an array'],
      [{ resourceSpans: {} }, 'resourceSpans: expected an array, found an object'],
      [{ resourceSpans: [{ scopeSpans: [{ spans: [null, 5] }] }] }, 'resourceSpans[0].scopeSpans[0].spans[0]: expected an object, found null'],
      [tracesDoc({ kind: 'SPAN_KIND_INVALID_TYPE' }), 'resourceSpans[0].scopeSpans[0].spans[0].kind: unknown span kind "SPAN_KIND_INVALID_TYPE"'],
      [tracesDoc({ kind: 1.5 }), 'resourceSpans[0].scopeSpans[0].spans[0].kind: expected a span kind (number or name), found number 1.5'],
      [tracesDoc({ startTimeUnixNano: 'yesterday' }), 'resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected an integer, found the string "yesterday"'],
      [tracesDoc({ endTimeUnixNano: '-1' }), 'resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano: -1 is out of range [0, 18446744073709551615]'],
      [tracesDoc({ spanId: 'abcd' }), 'resourceSpans[0].scopeSpans[0].spans[0].spanId: "abcd" is neither 16 hex digits nor base64 of 8 bytes'],
      [tracesDoc({ traceId: 7 }), 'resourceSpans[0].scopeSpans[0].spans[0].traceId: expected a hex or base64 id, found number 7'],
      [tracesDoc({ status: { code: 'STATUS_CODE_MAYBE' } }), 'resourceSpans[0].scopeSpans[0].spans[0].status.code: unknown status code "STATUS_CODE_MAYBE"'],
      [tracesDoc({ events: [{ attributes: [{ key: 'k', value: { intValue: '1e3' } }] }] }), 'resourceSpans[0].scopeSpans[0].spans[0].events[0].attributes[0].value.intValue: expected an integer, found the string "1e3"'],
      [attributeDoc({ intValue: '9223372036854775808' }), 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.intValue: 9223372036854775808 is out of range [-9223372036854775808, 9223372036854775807]'],
      [attributeDoc({ stringValue: 5 }), 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.stringValue: expected a string, found number 5'],
      [attributeDoc({ doubleValue: 'fast' }), 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.doubleValue: expected a number, found the string "fast"'],
      [attributeDoc({ bytesValue: '***' }), 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.bytesValue: expected base64, found the string "***"'],
      [attributeDoc({ arrayValue: { values: [{ boolValue: 'yes' }] } }), 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.arrayValue.values[0].boolValue: expected true or false, found the string "yes"'],
      [{ resourceSpans: [{ resource: { attributes: [{ key: 'k', value: { kvlistValue: { values: [{ key: 3 }] } } }] } }] }, 'resourceSpans[0].resource.attributes[0].value.kvlistValue.values[0].key: expected a string, found number 3'],
      [{ resourceSpans: [{ scopeSpans: [{ scope: 'lib' }] }] }, 'resourceSpans[0].scopeSpans[0].scope: expected an object, found the string "lib"'],
    ];
    for (const [doc, message] of cases) expect(errorOf(() => decodeTracesJson(doc))).toBe(message);
  });

  it('reads attribute values that are not AnyValues leniently, as their JSON text', () => {
    const { spans } = decodeTracesJson(
      tracesDoc({
        attributes: [
          { key: 'wrapped', value: { anyValue: 'x' } },
          { key: 'bare.string', value: 'plain' },
          { key: 'bare.number', value: 5 },
          { key: 'bare.array', value: [1, 'a'] },
          { key: 'empty', value: {} },
          { key: 'missing' },
        ],
      }),
    );
    expect(spans[0].attributes).toEqual({
      wrapped: '{"anyValue":"x"}',
      'bare.string': 'plain',
      'bare.number': '5',
      'bare.array': '[1,"a"]',
      empty: null,
      missing: null,
    });
  });

  it('reads the proto3 JSON spellings of special doubles', () => {
    const values = ['NaN', 'Infinity', '-Infinity', '-0', '1.25', 1e300].map((d) => decodeTracesJson(attributeDoc({ doubleValue: d })).spans[0].attributes.k);
    expect(values).toEqual([NaN, Infinity, -Infinity, -0, 1.25, 1e300]);
  });

  it('refuses values nested beyond 100 levels', () => {
    let value: unknown = { stringValue: 'bottom' };
    for (let i = 0; i < 150; i++) value = { arrayValue: { values: [value] } };
    expect(errorOf(() => decodeTracesJson(attributeDoc(value)))).toMatch(/values nested deeper than 100 levels$/);
  });
});

describe('decodeLogsJson', () => {
  const record = (r: Record<string, unknown>) => ({ timeUnixNano: '1', ...r });

  it('reads severity names, bodies of every kind and trace context', () => {
    const { logs, rejected } = decodeLogsJson({
      resource_logs: [
        {
          scope_logs: [
            {
              log_records: [
                record({ severity_number: 'SEVERITY_NUMBER_FATAL4', severity_text: 'FATAL', body: { kvlistValue: { values: [{ key: 'a', value: { intValue: 1 } }] } }, event_name: 'e' }),
                record({ severityNumber: 'SEVERITY_NUMBER_TRACE', body: { arrayValue: {} }, traceId: TRACE_ID, spanId: SPAN_ID, flags: 1 }),
                record({ body: 'bare text', traceId: '', spanId: '', observed_time_unix_nano: 2 }),
                record({ severityNumber: 13, traceId: '00000000000000000000000000000000', spanId: '0000000000000000' }),
              ],
            },
          ],
        },
      ],
    });
    expect(rejected).toBe(0);
    expect(logs.map((l) => [l.severityNumber, l.body, l.traceId, l.spanId, l.flags, l.eventName])).toEqual([
      [24, { kvlist: { a: 1n } }, '', '', 0, 'e'],
      [1, [], TRACE_ID, SPAN_ID, 1, ''],
      [0, 'bare text', '', '', 0, ''],
      [13, null, '', '', 0, ''],
    ]);
    expect(logs[2]).toMatchObject({ timeNs: 1n, observedNs: 2n });
  });

  it('names the path of an unknown severity and of a malformed trace id', () => {
    const doc = (r: Record<string, unknown>) => ({ resourceLogs: [{ scopeLogs: [{ logRecords: [record(r)] }] }] });
    expect(errorOf(() => decodeLogsJson(doc({ severityNumber: 'SEVERITY_NUMBER_LOUD' })))).toBe(
      'resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber: unknown severity number "SEVERITY_NUMBER_LOUD"',
    );
    expect(errorOf(() => decodeLogsJson(doc({ traceId: TRACE_ID.slice(0, 16) })))).toBe(
      `resourceLogs[0].scopeLogs[0].logRecords[0].traceId: "${TRACE_ID.slice(0, 16)}" is neither 32 hex digits nor base64 of 16 bytes`,
    );
  });
});

describe('decodeOtlpJson and countMetricPointsJson', () => {
  const metrics = {
    resourceMetrics: [
      {
        scopeMetrics: [
          {
            metrics: [
              { name: 'g', gauge: { dataPoints: [{ asDouble: 1 }, { asInt: '2' }] } },
              { name: 's', sum: { data_points: [{}], aggregationTemporality: 2 } },
              { name: 'h', histogram: { dataPoints: [{}, {}, {}] } },
              { name: 'e', exponential_histogram: { dataPoints: [{}] } },
              { name: 'q', summary: { dataPoints: [{}] } },
            ],
          },
        ],
      },
    ],
  };

  it('counts data points of every metric type', () => {
    expect(countMetricPointsJson(metrics)).toBe(8);
    expect(errorOf(() => countMetricPointsJson({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ sum: { dataPoints: 3 } }] }] }] }))).toBe(
      'resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints: expected an array, found number 3',
    );
  });

  it('decodes whichever signals a line holds, summing rejections', () => {
    const doc = {
      ...(tracesDoc({}) as object),
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }],
      ...metrics,
    };
    const batch = decodeOtlpJson(doc);
    expect(batch.spans).toHaveLength(1);
    expect(batch.logs).toHaveLength(1);
    expect(batch.metricPoints).toBe(8);
    expect(batch.rejected).toBe(0);
    const rejecting = decodeOtlpJson({ resourceSpans: [{ scopeSpans: [{ spans: [{ spanId: SPAN_ID }] }] }] });
    expect(rejecting).toMatchObject({ spans: [], rejected: 1, rejectReason: 'resourceSpans[0].scopeSpans[0].spans[0]: traceId is missing' });
  });

  it('refuses a document that is not OTLP', () => {
    expect(errorOf(() => decodeOtlpJson({ data: [] }))).toBe('not OTLP JSON: expected an object with resourceSpans, resourceLogs or resourceMetrics, found an object');
    expect(errorOf(() => decodeOtlpJson('text'))).toMatch(/^not OTLP JSON: .* found the string "text"$/);
  });
});
