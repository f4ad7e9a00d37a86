import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpanKind, StatusCode, type Resource, type Scope, type Span } from '../model';
import { openStore, type Store } from './index';
import { attributes, log, resource, span, spanId, T0, tempDir, traceId } from './testing';

let tmp: ReturnType<typeof tempDir>;
let store: Store;

describe.each(['inline', 'thread'])('%s writer', (mode) => {
  beforeEach(() => {
    tmp = tempDir();
    store = openStore({ path: tmp.file('store.db'), writerThread: mode === 'thread' });
  });

  afterEach(async () => {
    await store.close();
    tmp.remove();
  });

  const richResource: Resource = {
    attributes: attributes({ 'service.name': 'checkout', 'host.name': 'node-1', 'process.pid': 4242n, 'k8s.pod.uid': 'ü-🚀' }),
    droppedAttributesCount: 2,
    schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
  };
  const richScope: Scope = {
    name: 'go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp',
    version: '0.53.0',
    attributes: attributes({ 'scope.flag': true }),
    droppedAttributesCount: 1,
    schemaUrl: 'https://scope.schema',
  };

  function richSpan(n: number): Span {
    return {
      traceId: traceId(1),
      spanId: spanId(n),
      parentSpanId: n === 1 ? '' : spanId(1),
      traceState: 'ot=th:8;rv:0123456789abcd,vendor=x',
      flags: 0x301,
      name: `GET /orders/{id} ${n}`,
      kind: SpanKind.SERVER,
      startNs: T0 + BigInt(n),
      endNs: T0 + 9_223_372_036n,
      attributes: attributes({
        str: 'ключ 🔑 "q"',
        bool: true,
        int: -42n,
        int64Max: 9223372036854775807n,
        int64Min: -9223372036854775808n,
        double: 0.1,
        integralDouble: 200,
        nan: NaN,
        inf: -Infinity,
        bytes: new Uint8Array([0, 255, 7]),
        array: ['a', [1n, 2.5], { kvlist: attributes({ x: null }) }],
        kv: { kvlist: attributes({ nested: { kvlist: attributes({ deep: 3n }) } }) },
        ['__proto__']: 'own key',
      }),
      droppedAttributesCount: 3,
      events: [
        { timeNs: T0 + 500n, name: 'exception', attributes: attributes({ 'exception.message': 'boom', 'exception.escaped': false }), droppedAttributesCount: 1 },
        { timeNs: 9_223_372_036_854_775_807n, name: 'last', attributes: {}, droppedAttributesCount: 0 },
      ],
      droppedEventsCount: 4,
      links: [{ traceId: traceId(99), spanId: spanId(99), traceState: 'a=b', attributes: attributes({ 'link.kind': 'follows' }), droppedAttributesCount: 5, flags: 0x101 }],
      droppedLinksCount: 6,
      status: { code: StatusCode.ERROR, message: 'deadline exceeded' },
      resource: richResource,
      scope: richScope,
    };
  }

  describe('write then read', () => {
    it('gives back spans equal to what was written, resources and scopes shared', async () => {
      const written = [richSpan(2), richSpan(1)];
      await store.write({ spans: written, logs: [] });
      const read = store.reader.getTrace(traceId(1));
      expect(read).toEqual([written[1], written[0]]);
      expect(read[0].resource).toBe(read[1].resource);
      expect(read[0].scope).toBe(read[1].scope);
      expect(Object.getOwnPropertyDescriptor(read[0].attributes, '__proto__')?.value).toBe('own key');
      expect(typeof read[0].attributes.integralDouble).toBe('number');
      expect(store.reader.getTrace(traceId(1).toUpperCase())).toHaveLength(2);
      expect(store.reader.getTrace(traceId(2))).toEqual([]);
    });

    it('outlines a trace without attributes, events or links, and reads each span in full by its key', async () => {
      const written = [richSpan(2), richSpan(1), { ...richSpan(3), spanId: spanId(1), events: [], links: [] }];
      await store.write({ spans: written, logs: [] });
      const outline = store.reader.getTraceOutline(traceId(1).toUpperCase());
      const full = store.reader.getTrace(traceId(1));
      expect(outline.map(({ key: _k, eventCount: _e, linkCount: _l, ...rest }) => rest)).toEqual(
        full.map((s) => ({ ...s, attributes: {}, events: [], links: [] })),
      );
      expect(outline.map((s) => [s.eventCount, s.linkCount])).toEqual(full.map((s) => [s.events.length, s.links.length]));
      expect(outline[0].resource).toBe(outline[1].resource);
      expect(outline.map((s) => store.reader.getSpan(traceId(1), s.key))).toEqual(full);
      expect(store.reader.getSpan(traceId(2), outline[0].key)).toBeUndefined();
      expect(store.reader.getTraceOutline(traceId(2))).toEqual([]);
    });

    it('gives back logs equal to what was written', async () => {
      const written = [
        log({
          timeNs: T0 + 5n,
          observedNs: T0 + 6n,
          severityNumber: 17,
          severityText: 'ERROR',
          body: { kvlist: attributes({ msg: 'payment failed', code: 502n, ratio: 1.0, raw: new Uint8Array([1]) }) },
          attributes: attributes({ 'log.file': 'pay.go', ['__proto__']: 'x' }),
          droppedAttributesCount: 1,
          flags: 1,
          traceId: traceId(1),
          spanId: spanId(1),
          eventName: 'payment.failed',
          resource: richResource,
          scope: richScope,
        }),
        log({ timeNs: 0n, observedNs: T0 + 7n, body: null }),
        log({ timeNs: T0 + 8n, body: ['x', 2n] }),
      ];
      await store.write({ spans: [], logs: written });
      const page = store.reader.searchLogs({});
      expect(page.items.map(({ id: _id, ...rest }) => rest)).toEqual([written[2], written[1], written[0]]);
      expect(new Set(page.items.map((l) => l.id)).size).toBe(3);
      expect(store.reader.logsForTrace(traceId(1)).map((l) => l.body)).toEqual([written[0].body]);
    });

    it('refuses a batch with a span the store cannot keep, naming it, and keeps the others', async () => {
      const good = store.write({ spans: [span({ traceId: traceId(1), spanId: spanId(1) })], logs: [] });
      const bad = store.write({ spans: [span({ traceId: traceId(2), spanId: spanId(1) }), span({ traceId: '', spanId: spanId(2), name: 'nameless' })], logs: [] });
      await expect(bad).rejects.toThrow(/span 1 \("nameless"\): invalid traceId ""/);
      await good;
      expect(store.reader.getTrace(traceId(1))).toHaveLength(1);
      expect(store.reader.getTrace(traceId(2))).toHaveLength(0);
      await expect(store.write({ spans: [], logs: [log({ spanId: 'XYZ' })] })).rejects.toThrow(/log record 0: invalid spanId "XYZ"/);
    });
  });

  describe('trace summaries', () => {
    const A = resource('frontend');
    const B = resource('checkout');
    const C = resource('payment');
    const t = traceId(7);
    const root = span({ traceId: t, spanId: spanId(1), name: 'GET /cart', resource: A, startNs: T0, endNs: T0 + 900n });
    const child = span({ traceId: t, spanId: spanId(2), parentSpanId: spanId(1), name: 'checkout', resource: B, startNs: T0 + 10n, endNs: T0 + 800n, status: { code: StatusCode.ERROR, message: 'x' } });
    const grandchild = span({ traceId: t, spanId: spanId(3), parentSpanId: spanId(2), name: 'charge', resource: C, startNs: T0 + 20n, endNs: T0 + 5000n });
    const expected = {
      traceId: t,
      rootService: 'frontend',
      rootOperation: 'GET /cart',
      startNs: T0,
      durationNs: 5000n,
      spanCount: 3,
      errorCount: 1,
      services: ['checkout', 'frontend', 'payment'],
    };

    it.each([
      ['one batch', [[root, child, grandchild]]],
      ['children first, root last, each its own commit', [[grandchild], [child], [root]]],
      ['root in the middle', [[child], [root], [grandchild]]],
      ['children together, root later', [[grandchild, child], [root]]],
    ])('are right whatever the arrival order: %s', async (_name, batches) => {
      for (const spans of batches) await store.write({ spans, logs: [] });
      expect(store.reader.getTraceSummary(t)).toEqual(expected);
      // The trace moved earlier when its root arrived: searches by start and by service see the new start.
      expect(store.reader.searchTraces({ service: 'payment', toNs: T0 + 5n }).items.map((s) => s.traceId)).toEqual([t]);
      expect(store.reader.searchTraces({ fromNs: T0, toNs: T0 }).items.map((s) => s.traceId)).toEqual([t]);
    });

    it('count a batch sent twice twice but keep root, times and services', async () => {
      await store.write({ spans: [grandchild, child], logs: [] });
      await store.write({ spans: [root], logs: [] });
      await store.write({ spans: [grandchild, child], logs: [] });
      expect(store.reader.getTraceSummary(t)).toEqual({ ...expected, spanCount: 5, errorCount: 2 });
      expect(store.reader.getTrace(t)).toHaveLength(5);
    });

    it('use the earliest span as root when no span is parentless', async () => {
      await store.write({ spans: [grandchild], logs: [] });
      await store.write({ spans: [child], logs: [] });
      const s = store.reader.getTraceSummary(t)!;
      expect([s.rootService, s.rootOperation, s.startNs, s.durationNs]).toEqual(['checkout', 'checkout', T0 + 10n, 4990n]);
      // Only parentless roots are offered as operations.
      expect(store.reader.operations('checkout')).toEqual([]);
    });
  });

  describe('searchTraces', () => {
    // Trace n starts at T0 + n ms; its root is in service svc{n % 3}, named op{n % 2}; every third has an error.
    async function writeTraces(count: number) {
      const spans: Span[] = [];
      for (let n = 1; n <= count; n++) {
        const start = T0 + BigInt(n) * 1_000_000n;
        spans.push(
          span({
            traceId: traceId(n),
            spanId: spanId(n * 10),
            name: `op${n % 2}`,
            resource: resource(`svc${n % 3}`),
            startNs: start,
            endNs: start + BigInt(n) * 1000n,
            attributes: attributes({ 'http.response.status_code': BigInt(200 + n), 'app.tenant': `t${n % 4}` }),
            status: { code: n % 3 === 0 ? StatusCode.ERROR : StatusCode.UNSET, message: '' },
          }),
          span({ traceId: traceId(n), spanId: spanId(n * 10 + 1), parentSpanId: spanId(n * 10), name: 'db', resource: resource('db', { 'db.host': `h${n}` }), startNs: start + 1n, endNs: start + 2n }),
        );
      }
      await store.write({ spans, logs: [] });
    }
    const ids = (items: { traceId: string }[]) => items.map((s) => parseInt(s.traceId, 16));

    it('pages newest first with a cursor, each trace once', async () => {
      await writeTraces(7);
      const seen: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = store.reader.searchTraces({ limit: 3, cursor });
        seen.push(...ids(page.items));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
      expect(pages).toBe(3);
      expect(() => store.reader.searchTraces({ cursor: 'garbage' })).toThrow(/invalid cursor/);
    });

    it('filters by service, root operation, duration, status, time and attributes', async () => {
      await writeTraces(12);
      const search = (q: Parameters<Store['reader']['searchTraces']>[0]) => ids(store.reader.searchTraces(q).items);
      expect(search({ service: 'svc1' })).toEqual([10, 7, 4, 1]);
      expect(search({ service: 'db' })).toHaveLength(12);
      expect(search({ service: 'nope' })).toEqual([]);
      expect(search({ operation: 'op0' })).toEqual([12, 10, 8, 6, 4, 2]);
      expect(search({ service: 'svc1', operation: 'op0' })).toEqual([10, 4]);
      expect(search({ service: 'db', operation: 'op0' })).toEqual([]);
      expect(search({ minDurationNs: 10_000n })).toEqual([12, 11, 10]);
      expect(search({ maxDurationNs: 2000n })).toEqual([2, 1]);
      expect(search({ minDurationNs: 3000n, maxDurationNs: 4000n })).toEqual([4, 3]);
      expect(search({ status: 'error' })).toEqual([12, 9, 6, 3]);
      expect(search({ status: 'ok', service: 'svc0' })).toEqual([]);
      expect(search({ fromNs: T0 + 3_000_000n, toNs: T0 + 5_000_000n })).toEqual([5, 4, 3]);
      expect(search({ attributes: [{ key: 'http.response.status_code', value: '205' }] })).toEqual([5]);
      expect(search({ attributes: [{ key: 'db.host', value: 'h8' }] })).toEqual([8]);
      expect(search({ attributes: [{ key: 'app.tenant', value: 't1' }, { key: 'service.name', value: 'svc2' }] })).toEqual([5]);
      expect(search({ attributes: [{ key: 'app.tenant', value: 'nope' }] })).toEqual([]);
      expect(search({ service: 'svc0', status: 'error', minDurationNs: 7000n, limit: 1 })).toEqual([12]);
    });

    it('lists services and the root operations of each', async () => {
      await writeTraces(4);
      expect(store.reader.services()).toEqual(['db', 'svc0', 'svc1', 'svc2']);
      expect(store.reader.operations('svc1')).toEqual(['op0', 'op1']);
      expect(store.reader.operations('db')).toEqual([]);
      expect(store.reader.stats()).toMatchObject({ spans: 8, logs: 0, traces: 4, services: 4 });
      expect(store.reader.stats().dbBytes).toBeGreaterThan(0);
    });
  });

  describe('searchLogs', () => {
    beforeEach(async () => {
      await store.write({
        spans: [span({ traceId: traceId(1), spanId: spanId(1) })],
        logs: [
          log({ timeNs: T0 + 1n, severityNumber: 9, body: 'Order PLACED', resource: resource('orders'), traceId: traceId(1), spanId: spanId(1) }),
          log({ timeNs: T0 + 2n, severityNumber: 17, body: 'Zahlung fehlgeschlagen: ÜBERZIEHUNG', resource: resource('payment'), traceId: traceId(1), spanId: spanId(2) }),
          log({ timeNs: T0 + 3n, severityNumber: 13, body: { kvlist: attributes({ msg: 'retrying order' }) }, resource: resource('orders') }),
          log({ timeNs: T0 + 4n, severityNumber: 5, body: 'debug', resource: resource('orders'), traceId: traceId(2), spanId: spanId(9) }),
        ],
      });
    });
    const bodies = (q: Parameters<Store['reader']['searchLogs']>[0]) => store.reader.searchLogs(q).items.map((l) => l.timeNs - T0);

    it('filters by service, severity, text, trace, span and time, newest first', () => {
      expect(bodies({})).toEqual([4n, 3n, 2n, 1n]);
      expect(bodies({ service: 'orders' })).toEqual([4n, 3n, 1n]);
      expect(bodies({ service: 'nobody' })).toEqual([]);
      expect(bodies({ minSeverity: 13 })).toEqual([3n, 2n]);
      expect(bodies({ text: 'order' })).toEqual([3n, 1n]);
      expect(bodies({ text: 'überziehung' })).toEqual([2n]);
      expect(bodies({ traceId: traceId(1) })).toEqual([2n, 1n]);
      expect(bodies({ traceId: traceId(1), spanId: spanId(2) })).toEqual([2n]);
      expect(bodies({ traceId: traceId(3) })).toEqual([]);
      expect(bodies({ fromNs: T0 + 2n, toNs: T0 + 3n })).toEqual([3n, 2n]);
    });

    it('pages with a cursor', () => {
      const first = store.reader.searchLogs({ limit: 3 });
      expect(first.items).toHaveLength(3);
      const second = store.reader.searchLogs({ limit: 3, cursor: first.nextCursor });
      expect(second.items.map((l) => l.timeNs - T0)).toEqual([1n]);
      expect(second.nextCursor).toBeUndefined();
    });

    it('finds the logs of a trace, oldest first, including those of a trace with no spans', () => {
      expect(store.reader.logsForTrace(traceId(1)).map((l) => l.spanId)).toEqual([spanId(1), spanId(2)]);
      expect(store.reader.logsForTrace(traceId(2)).map((l) => l.body)).toEqual(['debug']);
      expect(store.reader.searchTraces({}).items.map((s) => s.traceId)).toEqual([traceId(1)]);
      expect(store.reader.stats()).toMatchObject({ spans: 1, logs: 4, traces: 1 });
    });

    it('links logs that came first to the spans of their trace that come later', async () => {
      const commits: string[][] = [];
      store.onCommit((info) => commits.push(info.newTraceIds));
      await store.write({ spans: [span({ traceId: traceId(2), spanId: spanId(9), name: 'late' })], logs: [] });
      expect(commits).toEqual([[traceId(2)]]);
      expect(store.reader.getTraceSummary(traceId(2))).toMatchObject({ rootOperation: 'late', spanCount: 1 });
      expect(store.reader.logsForTrace(traceId(2)).map((l) => l.spanId)).toEqual([spanId(9)]);
      expect(store.reader.stats()).toMatchObject({ spans: 2, logs: 4, traces: 2 });
    });
  });
});
