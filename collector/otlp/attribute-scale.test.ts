// Requests with a huge number of attributes: every decode path must cost time linear in the request's size.
// Comparing each key with all the keys before it made a span of 80k attributes take half a minute and one of
// a million take more than nine, with the receivers, the UI API and SIGTERM all waiting on it. 200k attributes
// took minutes on that code; these tests would time out there (no timing is asserted: the suite's timeout is the bound).
import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs/minimal.js';
import { encodeAttributes } from './attribute-json';
import { decodeLogsProto, decodeLogsProtoForStore, decodeTracesProto, decodeTracesProtoForStore } from './index';

const N = 200_000;
const TRACE_ID = Buffer.from('5b8efff798038103d269b633813fc60c', 'hex');
const SPAN_ID = Buffer.from('eee19b7ec3c1b174', 'hex');

type Where = 'span' | 'log' | 'resource' | 'scope' | 'event' | 'link';

/** KeyValue messages in `field`: key(i) → value(i) as a string_value, or an int_value when `ints`. */
function writeAttributes(w: protobuf.Writer, field: number, count: number, key: (i: number) => string, ints = false): void {
  for (let i = 0; i < count; i++) {
    w.uint32((field << 3) | 2).fork();
    w.uint32(10).string(key(i));
    w.uint32(18).fork();
    if (ints) w.uint32(24).int64(i);
    else w.uint32(10).string(`v${i}`);
    w.ldelim();
    w.ldelim();
  }
}

/** One span (or log record) in one scope of one resource, the attributes where `where` says. */
function request(where: Where, count: number, key: (i: number) => string = (i) => `attr.${i}`, ints = false): Uint8Array {
  const w = protobuf.Writer.create();
  const attrs = (field: number) => writeAttributes(w, field, count, key, ints);
  w.uint32(10).fork(); // resource_spans / resource_logs
  w.uint32(10).fork(); // resource
  if (where === 'resource') attrs(1);
  w.ldelim();
  w.uint32(18).fork(); // scope_spans / scope_logs
  w.uint32(10).fork(); // scope
  w.uint32(10).string('lib');
  if (where === 'scope') attrs(3);
  w.ldelim();
  w.uint32(18).fork(); // the span or log record
  if (where === 'log') {
    w.uint32((9 << 3) | 2).bytes(TRACE_ID);
    attrs(6);
  } else {
    w.uint32(10).bytes(TRACE_ID);
    w.uint32(18).bytes(SPAN_ID);
    w.uint32((5 << 3) | 2).string('many attributes');
    if (where === 'span') attrs(9);
    if (where === 'event') {
      w.uint32((11 << 3) | 2).fork();
      attrs(3);
      w.ldelim();
    }
    if (where === 'link') {
      w.uint32((13 << 3) | 2).fork();
      w.uint32(10).bytes(TRACE_ID);
      w.uint32(18).bytes(SPAN_ID);
      attrs(4);
      w.ldelim();
    }
  }
  w.ldelim();
  w.ldelim();
  w.ldelim();
  return w.finish();
}

function expectAttributes(json: string, count: number): void {
  const parsed = JSON.parse(json) as Record<string, string>;
  const keys = Object.keys(parsed);
  expect(keys).toHaveLength(count);
  expect(keys[0]).toBe('attr.0');
  expect(keys[count - 1]).toBe(`attr.${count - 1}`);
  expect(parsed[`attr.${count >> 1}`]).toBe(`v${count >> 1}`);
}

describe(`a request with ${N} distinct attributes`, () => {
  it('decodes a span for the store, as the model decoder would', () => {
    const body = request('span', N);
    const stored = decodeTracesProtoForStore(body);
    expect(stored.spans).toHaveLength(1);
    expectAttributes(stored.attributesJson[0], N);
    expect(stored.attributesJson[0]).toBe(encodeAttributes(decodeTracesProto(body).spans[0].attributes));
  });

  it('decodes a log record for the store, as the model decoder would', () => {
    const body = request('log', N);
    const stored = decodeLogsProtoForStore(body);
    expect(stored.logs).toHaveLength(1);
    expectAttributes(stored.attributesJson[0], N);
    expect(stored.attributesJson[0]).toBe(encodeAttributes(decodeLogsProto(body).logs[0].attributes));
  });

  it.each(['resource', 'scope', 'event', 'link'] as const)('decodes them on a %s', (where) => {
    const span = decodeTracesProtoForStore(request(where, N)).spans[0];
    const attributes = where === 'resource' ? span.resource.attributes : where === 'scope' ? span.scope.attributes : where === 'event' ? span.events[0].attributes : span.links[0].attributes;
    expectAttributes(encodeAttributes(attributes), N);
  });

  it('keeps a key sent twice at its first place with its last value, however long the list', () => {
    // The last key repeats the first: the whole list takes the model's path.
    const body = request('span', N + 1, (i) => `attr.${i === N ? 0 : i}`);
    const json = decodeTracesProtoForStore(body).attributesJson[0];
    const parsed = JSON.parse(json) as Record<string, string>;
    const keys = Object.keys(parsed);
    expect(keys).toHaveLength(N);
    expect(keys[0]).toBe('attr.0');
    expect(parsed['attr.0']).toBe(`v${N}`);
    expect(json).toBe(encodeAttributes(decodeTracesProto(body).spans[0].attributes));
  });

  it('decodes keys that are array indexes, and int values, as the model decoder would', () => {
    const body = request('span', N, (i) => String(N - i), true);
    const json = decodeTracesProtoForStore(body).attributesJson[0];
    expect(Object.keys(JSON.parse(json) as object)).toHaveLength(N);
    expect(json).toBe(encodeAttributes(decodeTracesProto(body).spans[0].attributes));
  });

  it('tells a key sent twice apart from keys that only share a length or a prefix, in long lists and short', () => {
    // Lists of more than 32 keys are checked with a Set; these differ in one byte, or are prefixes of one another.
    const keys = ['a', 'aa', 'aaa', 'ab', 'ba', 'b', '', 'a\u0000', 'ü', 'u', ...Array.from({ length: 40 }, (_, i) => `k${i}`)];
    const distinct = request('span', keys.length, (i) => keys[i]);
    expect(Object.keys(JSON.parse(decodeTracesProtoForStore(distinct).attributesJson[0]) as object)).toHaveLength(keys.length);
    const twice = request('span', keys.length + 1, (i) => keys[i === keys.length ? 3 : i]);
    const parsed = JSON.parse(decodeTracesProtoForStore(twice).attributesJson[0]) as Record<string, string>;
    expect(Object.keys(parsed)).toHaveLength(keys.length);
    expect(parsed.ab).toBe(`v${keys.length}`);
    for (const short of [keys.slice(0, 10), keys.slice(0, 32)]) {
      const once = decodeTracesProtoForStore(request('span', short.length, (i) => short[i])).attributesJson[0];
      expect(Object.keys(JSON.parse(once) as object)).toEqual(short);
      const again = request('span', short.length + 1, (i) => short[i === short.length ? 1 : i]);
      expect(decodeTracesProtoForStore(again).attributesJson[0]).toBe(encodeAttributes(decodeTracesProto(again).spans[0].attributes));
    }
  });
});
