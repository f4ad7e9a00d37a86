import { describe, expect, it } from 'vitest';
import { ListBodyParser } from './list-body';

const bytes = (text: string) => new TextEncoder().encode(text);

/** Feeds the chunks; returns the items in the order they came out, how many came out before the last chunk, and the rest. */
function parse(chunks: Uint8Array[]): { items: unknown[]; beforeLast: number; rest: unknown } {
  const parser = new ListBodyParser();
  const items: unknown[] = [];
  let beforeLast = 0;
  chunks.forEach((chunk, i) => {
    if (i === chunks.length - 1) beforeLast = items.length;
    items.push(...parser.push(chunk));
  });
  return { items, beforeLast, rest: parser.end() };
}

/** The document cut into two chunks at every byte, and into single bytes. */
function everySplit(doc: Uint8Array): Uint8Array[][] {
  const splits = [[doc], Array.from(doc, (_, i) => doc.subarray(i, i + 1))];
  for (let at = 1; at < doc.length; at++) splits.push([doc.subarray(0, at), doc.subarray(at)]);
  return splits;
}

// Everything a JSON string or object can hold that looks like structure, or like the key `items`, where it is not.
const tricky = {
  kind: 'PodList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '42', continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDJ9', items: ['not', 'these'] },
  items: [
    { metadata: { name: 'a', annotations: { note: 'braces } { ] [ and "quotes", a \\ backslash, \\" and an escaped quote' } } },
    { metadata: { name: 'b', labels: { items: 'items' } }, spec: { items: [{ items: [] }], nested: [[1, 2], { x: [] }] } },
    { metadata: { name: 'é—日本語 🚀' }, status: { message: 'multi-byte characters split across chunks', escaped: '\u0000\n\t\u2028' } },
    { metadata: { name: 'd' }, spec: null, status: {} },
  ],
  trailing: { items: [{ not: 'an item' }] },
};

describe('ListBodyParser', () => {
  it('yields each item of the top-level items array, and the rest of the document, however the body is cut', () => {
    const doc = bytes(JSON.stringify(tricky));
    for (const chunks of everySplit(doc)) {
      const { items, rest } = parse(chunks);
      expect(items).toEqual(tricky.items);
      expect(rest).toEqual({ ...tricky, items: [] });
    }
  });

  it('hands out items as their last byte arrives, before the body has ended', () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ metadata: { name: `pod-${i}` } }));
    const doc = bytes(JSON.stringify({ kind: 'PodList', metadata: { resourceVersion: '7' }, items }));
    const chunks = Array.from({ length: Math.ceil(doc.length / 64) }, (_, i) => doc.subarray(i * 64, i * 64 + 64));
    const parsed = parse(chunks);
    expect(parsed.items).toEqual(items);
    expect(parsed.beforeLast).toBeGreaterThanOrEqual(items.length - 1);
    expect(parsed.rest).toEqual({ kind: 'PodList', metadata: { resourceVersion: '7' }, items: [] });
  });

  it('finds metadata after the items, and takes empty, null or missing items as none', () => {
    expect(parse([bytes('{"items":[{"a":1}],"metadata":{"continue":"x"}}')])).toMatchObject({ items: [{ a: 1 }], rest: { metadata: { continue: 'x' } } });
    for (const doc of ['{"items":[],"metadata":{}}', '{"items":null,"metadata":{}}', '{ "metadata" : {} }', '{"kind":"items","metadata":{}}']) {
      expect(parse([bytes(doc)]).items).toEqual([]);
    }
    expect(parse([bytes(' {\n  "items" : [\n {"a" : [1]} ,\n {"b":{}}\n ]\n}\n')]).items).toEqual([{ a: [1] }, { b: {} }]);
  });

  it('throws on a body that ends mid-way or is not JSON', () => {
    const doc = bytes(JSON.stringify(tricky));
    expect(() => parse([doc.subarray(0, doc.length - 1)])).toThrow(SyntaxError);
    expect(() => parse([doc.subarray(0, 200)])).toThrow(SyntaxError);
    expect(() => parse([bytes('<html>Bad Gateway</html>')])).toThrow(SyntaxError);
    expect(() => parse([bytes('{"items":[{"a":}]}')])).toThrow(SyntaxError);
  });
});
