// Every search answers the same whichever way it is planned: over rows the index does not cover yet (scanned),
// from the index (few candidates), and walking newest first (many candidates).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnyValue } from '../model';
import { openConnection, type Db } from './connection';
import { openStore } from './index';
import { logSearch, searchTraces, traceSearch } from './reads';
import { deleteTraces } from './retention';
import { formatAttributeFilter, parseAttributeFilter, parseTextQuery, registerSearchFunctions, textMatchQuery, type AttributeFilter } from './search';
import { searchBacklog } from './search-index';
import { attributes, log, resource, span, spanId, T0, tempDir, traceId } from './testing';
import type { LogQuery, Store, TraceQuery } from './types';

let tmp: ReturnType<typeof tempDir>;
let store: Store;
let db: Db;
let file: string;

beforeEach(() => {
  tmp = tempDir();
  file = tmp.file('search.db');
  store = openStore({ path: file });
  db = openConnection(file, 'reader');
  registerSearchFunctions(db);
});
afterEach(async () => {
  db.close();
  await store.close();
  tmp.remove();
});

const LONG_VALUE = `order-${'x'.repeat(60)}-end`;
const LONG_KEY = `app.${'k'.repeat(70)}`;

// Trace n: a span with `span` attributes in service `svc`, and a log with `logAttrs`.
const TRACES: { n: number; span: Record<string, AnyValue>; svc?: Record<string, AnyValue>; logAttrs?: Record<string, AnyValue> }[] = [
  { n: 1, span: { 'app.request_id': 'req-1', 'http.route': '/api/orders/{id}', 'http.response.status_code': 200n } },
  { n: 2, span: { 'app.request_id': 'req-2', 'http.route': '/api/orders/{id}', 'http.response.status_code': 503n, 'app.cache_hit': true } },
  { n: 3, span: { 'app.request_id': 'req-10', 'http.route': '/api/cart', 'app.ratio': 0.25 }, svc: { 'k8s.pod.name': 'cart-7d9f-abcde' } },
  { n: 4, span: { 'app.order': LONG_VALUE, 'app.big': 9_007_199_254_740_993n, 'app.star': 'a*' } },
  { n: 5, span: { [LONG_KEY]: 'v', 'app.city': 'Zürich 🚀', 'app.tags': ['a', 'b'] }, logAttrs: { 'log.only': 'from-a-log' } },
  { n: 6, span: { 'app.order': `${LONG_VALUE.slice(0, 50)}-other`, 'app.empty': '' }, logAttrs: { 'app.request_id': 'req-6' } },
];

async function writeAll(): Promise<void> {
  for (const t of TRACES) {
    const start = T0 + BigInt(t.n) * 1_000_000n;
    await store.write({
      spans: [span({ traceId: traceId(t.n), spanId: spanId(t.n), startNs: start, endNs: start + 10n, attributes: attributes(t.span), resource: resource(`svc${t.n}`, t.svc ?? {}) })],
      logs: t.logAttrs ? [log({ traceId: traceId(t.n), spanId: spanId(t.n), timeNs: start, attributes: attributes(t.logAttrs), resource: resource(`svc${t.n}`) })] : [],
    });
  }
}

/** The traces (by n, newest first) a search finds in each of the three plans; they must agree. */
function everyPlan(q: TraceQuery): number[] {
  const index = searchTraces(db, q).items.map((t) => parseInt(t.traceId, 16));
  const built = traceSearch(db, q, { candidateCap: -1 })!;
  const walk = (db.prepare(built.sql).all(...built.params) as { trace_id: string }[]).slice(0, built.limit).map((r) => parseInt(r.trace_id, 16));
  expect(walk, 'walking newest first').toEqual(index);
  return index;
}

const CASES: [string, number[]][] = [
  ['app.request_id=req-1', [1]],
  ['app.request_id=req-10', [3]],
  ['app.request_id=req', []],
  ['app.request_id=req-1*', [3, 1]],
  ['app.request_id', [6, 3, 2, 1]], // trace 6 has it on a log
  ['http.response.status_code=503', [2]],
  ['http.response.status_code=5*', [2]],
  ['app.cache_hit=true', [2]],
  ['app.ratio=0.25', [3]], // a double: no term of its own, found by checking
  ['app.big=9007199254740993', [4]],
  ['k8s.pod.name=cart-7d9f-abcde', [3]], // a resource attribute
  ['k8s.pod.name=cart-*', [3]],
  [`app.order=${LONG_VALUE}`, [4]], // longer than a term holds, shares its first 48 characters with trace 6's
  [`app.order=${LONG_VALUE.slice(0, 50)}*`, [6, 4]],
  [`app.order=${LONG_VALUE.slice(0, 55)}*`, [4]],
  [`${LONG_KEY}=v`, [5]],
  [LONG_KEY, [5]],
  ['app.city=Zürich 🚀', [5]],
  ['app.city=zürich 🚀', []],
  ['app.city=Zür*', [5]],
  ['app.tags=["a","b"]', [5]],
  ['log.only=from-a-log', [5]],
  ['app.star=a\\*', [4]],
  ['app.star=a', []],
  ['app.empty=', [6]],
  ['app.empty', [6]],
  ['nobody', []],
];

describe('attribute search', () => {
  it('reads key, key=value, key=prefix* and an escaped star, and writes them back', () => {
    expect(parseAttributeFilter('k')).toEqual({ key: 'k' });
    expect(parseAttributeFilter('k=v=w')).toEqual({ key: 'k', value: 'v=w' });
    expect(parseAttributeFilter('k=ab*')).toEqual({ key: 'k', value: 'ab', prefix: true });
    expect(parseAttributeFilter('k=*')).toEqual({ key: 'k' });
    expect(parseAttributeFilter('k=a\\*')).toEqual({ key: 'k', value: 'a*' });
    expect(() => parseAttributeFilter('=v')).toThrow('attr "=v" has no key');
    for (const [text] of CASES) expect(formatAttributeFilter(parseAttributeFilter(text))).toBe(text.endsWith('=*') ? text.slice(0, -2) : text);
  });

  it('finds the same traces before the index covers them, from the index, and walking newest first', async () => {
    await writeAll();
    const run = () => CASES.map(([text]) => everyPlan({ attributes: [parseAttributeFilter(text)] }));
    const expected = CASES.map(([, ns]) => ns);
    expect(searchBacklog(db)).toBeGreaterThan(0);
    expect(run(), 'nothing indexed yet').toEqual(expected);
    await store.catchUpSearch();
    expect(searchBacklog(db)).toBe(0);
    expect(run(), 'all indexed').toEqual(expected);
    // combined with each other and with the other filters
    const both: AttributeFilter[] = [parseAttributeFilter('http.route=/api/orders/{id}'), parseAttributeFilter('app.request_id=req-2')];
    expect(everyPlan({ attributes: both })).toEqual([2]);
    expect(everyPlan({ service: 'svc3', attributes: [parseAttributeFilter('app.request_id')] })).toEqual([3]);
    expect(everyPlan({ service: 'svc1', attributes: [parseAttributeFilter('app.request_id=req-2')] })).toEqual([]);
    expect(everyPlan({ fromNs: T0 + 2_000_000n, attributes: [parseAttributeFilter('app.request_id')] })).toEqual([6, 3, 2]);
  });

  it('covers what arrives after the index caught up, and forgets what retention deletes', async () => {
    await writeAll();
    await store.catchUpSearch();
    await store.write({ spans: [span({ traceId: traceId(7), spanId: spanId(7), startNs: T0 + 7_000_000n, attributes: attributes({ 'app.request_id': 'req-1' }) })], logs: [] });
    expect(everyPlan({ attributes: [parseAttributeFilter('app.request_id=req-1')] })).toEqual([7, 1]);
    await store.catchUpSearch();
    expect(everyPlan({ attributes: [parseAttributeFilter('app.request_id=req-1')] })).toEqual([7, 1]);

    const writer = openConnection(file, 'writer');
    const docs = () => (writer.prepare(`SELECT count(*) AS n FROM attr_terms WHERE attr_terms MATCH ?`).get(`"${Buffer.from('app.request_id').toString('hex')}"`) as { n: number }).n;
    expect(docs()).toBe(5);
    // trace 1 goes, and with it its documents
    const key = (writer.prepare(`SELECT trace_key FROM trace_ids WHERE trace_id = ?`).get(traceId(1)) as { trace_key: number }).trace_key;
    writer.transaction(() => deleteTraces(writer, [BigInt(key)]))();
    expect(docs()).toBe(4);
    writer.close();
    expect(everyPlan({ attributes: [parseAttributeFilter('app.request_id=req-1')] })).toEqual([7]);
  });
});

describe('log text search', () => {
  const BODIES: [number, AnyValue][] = [
    [1, 'payment failed for order-8812 at /api/orders/8812'],
    [2, 'Order 8813 shipped'],
    [3, 'Réservation échouée: user@example.com'],
    [4, { kvlist: attributes({ msg: 'retrying order-8812' }) }],
    [5, 'failed payment, retry 3 of 5'],
  ];
  const QUERIES: [string, number[]][] = [
    ['order-8812', [4, 1]],
    ['orders', [1]], // a part of a path
    ['8812', [4, 1]],
    ['order', [4, 2, 1]], // a word that starts with it: order-8812 and Order
    ['ORDER-88', [4, 1]],
    ['"payment failed"', [1]],
    ['"failed payment"', [5]],
    ['payment failed', [5, 1]],
    ['"order"', [4, 2, 1]], // the word order, also as a part of order-8812
    ['orders/8812', []], // an id or path from its start only
    ['reservation ECHOUEE', [3]],
    ['user@example.com', [3]],
    ['example', [3]],
    ['/api/orders/8812', [1]],
    ['nothing-like-this', []],
  ];

  async function writeLogs(): Promise<void> {
    await store.write({ spans: [], logs: BODIES.map(([n, body]) => log({ timeNs: T0 + BigInt(n), body, resource: resource('svc') })) });
  }

  function everyPlanLogs(q: LogQuery): number[] {
    const found = (cap: { candidateCap?: number }) => {
      const built = logSearch(db, q, cap);
      if (!built) return [];
      return (db.prepare(built.sql).safeIntegers(true).all(...built.params) as { at_ns: bigint }[]).map((r) => Number(r.at_ns - T0));
    };
    const index = found({});
    expect(found({ candidateCap: -1 }), 'walking newest first').toEqual(index);
    return index;
  }

  it('matches words and their beginnings, ids and paths whole or in parts, and "phrases", the same in every plan', async () => {
    await writeLogs();
    const run = () => QUERIES.map(([text]) => everyPlanLogs({ text }));
    const expected = QUERIES.map(([, ns]) => ns);
    expect(run(), 'nothing indexed yet').toEqual(expected);
    await store.catchUpSearch();
    expect(run(), 'all indexed').toEqual(expected);
  });

  it('makes an FTS5 query only of words, so punctuation alone finds nothing rather than failing', () => {
    expect(textMatchQuery(parseTextQuery('!!! ???'))).toBeUndefined();
    expect(textMatchQuery(parseTextQuery('a "b c" d* e-f'))).toBe('(body : "a"* OR parts : "a"*) AND body : "b c" AND (body : "d"* OR parts : "d"*) AND body : "e-f"*');
    expect(textMatchQuery(parseTextQuery('say "x'))).toBe('(body : "say"* OR parts : "say"*) AND (body : "x" OR parts : "x")');
  });
});
