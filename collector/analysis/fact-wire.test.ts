import { describe, expect, it } from 'vitest';
import { messageQueue, workerPool } from '../../fixtures/async-hops';
import { requestIds } from '../../fixtures/dual-ids';
import { decodeScenario } from '../../fixtures/score';
import { corpusPath } from '../../test/corpus';
import { importFile } from '../importers';
import { SpanKind, type LogRecord, type Span } from '../model';
import { FactBuilder, type LogFact, type SpanFact } from './facts';
import { FactPacker, Strings, unpackFacts } from './fact-wire';
import { resolveOptions } from './options';

const options = resolveOptions({});

/** Facts as the analysis worker builds them, spans and records interleaved as traces bring them. */
function build(spans: readonly Span[], logs: readonly LogRecord[], epochNs: bigint): { spans: SpanFact[]; logs: LogFact[]; packer: FactPacker } {
  const builder = new FactBuilder(epochNs, options);
  const packer = new FactPacker(epochNs);
  const facts = { spans: [] as SpanFact[], logs: [] as LogFact[], packer };
  for (let i = 0; i < Math.max(spans.length, logs.length); i++) {
    if (i < spans.length) {
      facts.spans.push(builder.span(spans[i]));
      packer.span(facts.spans.at(-1)!);
    }
    if (i < logs.length) {
      facts.logs.push(builder.log(logs[i], i));
      packer.log(facts.logs.at(-1)!);
    }
  }
  return facts;
}

async function importAll(file: string): Promise<{ spans: Span[]; logs: LogRecord[] }> {
  const all = { spans: [] as Span[], logs: [] as LogRecord[] };
  await importFile(corpusPath(file), async (batch) => {
    all.spans.push(...batch.spans);
    all.logs.push(...batch.logs);
  });
  return all;
}

describe('facts packed for the window worker', () => {
  const files = ['otel-tui/test_data.json', 'otlp2parquet/traces.jsonl', 'zipkin/lens-testdata/yelp.json', 'opentelemetry-proto/logs.json', 'otlp2parquet/logs.jsonl'];
  for (const file of files) {
    it(`${file}: every span and record arrives as it was built`, async () => {
      const { spans, logs } = await importAll(file);
      expect(spans.length + logs.length).toBeGreaterThan(0);
      const epochNs = spans[0]?.startNs ?? logs[0].timeNs;
      const built = build(spans, logs, epochNs);
      const unpacked = unpackFacts(built.packer.pack(), epochNs, new Strings());
      expect(unpacked.spans).toEqual(built.spans);
      expect(unpacked.logs).toEqual(built.logs);
    });
  }

  it('generated scenarios with queues, worker pools and request ids: every attribute the detectors read arrives', () => {
    for (const scenario of [messageQueue({ concurrency: 4, requests: 30, correlated: true, context: 'link', seed: 3 }), workerPool({ concurrency: 4, requests: 30, correlated: true, context: 'child', seed: 4 }), requestIds('split')]) {
      const { traces, logs } = decodeScenario(scenario);
      const spans = [...traces.values()].flat();
      const built = build(spans, logs, spans[0].startNs);
      const unpacked = unpackFacts(built.packer.pack(), spans[0].startNs, new Strings());
      expect(unpacked.spans).toEqual(built.spans);
      expect(unpacked.logs).toEqual(built.logs);
    }
  });

  const full: SpanFact = {
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    parentSpanId: 'c'.repeat(16),
    service: 'orders',
    instance: 'orders@1',
    clock: 'host-1',
    hostNames: ['host-1', 'orders-5d9c'],
    name: 'publish orders',
    kind: SpanKind.PRODUCER,
    duplicate: true,
    start: -5_000_000_123,
    end: 9_007_199_254_740_000,
    flags: 0x301,
    traceState: 'k=v',
    error: true,
    links: ['d'.repeat(48), 'e'.repeat(48)],
    correlation: [
      ['x-request-id', 'r-1'],
      ['order.id', '42'],
    ],
    requestIds: ['r-1', 'r-2'],
    messaging: { system: 'kafka', destination: 'orders', operation: 'publish', group: 'g', partition: '3' },
    rpc: { service: 'Orders', method: 'Publish' },
    http: { method: 'POST', route: '/orders', path: '/orders/42' },
    address: 'kafka',
    peerService: 'kafka',
    db: true,
  };
  const log: LogFact = {
    index: 7,
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    flags: 1,
    service: 'orders',
    instance: 'orders@1',
    logger: 'main',
    time: 12,
    // beyond 64 bits: sent exactly all the same
    timeNs: 2n ** 70n + 12345n,
    body: 'published',
    requestIds: ['r-1'],
  };

  it('every field set, flags on, times beyond 32 bits: sent exactly', () => {
    const packer = new FactPacker(0n);
    packer.span(full);
    packer.log(log);
    packer.log({ ...log, timeNs: -(2n ** 40n) - 1n, requestIds: [] });
    const { spans, logs } = unpackFacts(packer.pack(), 0n, new Strings());
    expect(spans).toEqual([full]);
    expect(logs).toEqual([log, { ...log, timeNs: -(2n ** 40n) - 1n, requestIds: [] }]);
  });

  it('moves the times to the receiving epoch, keeping the absolute time of records', () => {
    const packer = new FactPacker(1_000n);
    packer.span(full);
    packer.log(log);
    const { spans, logs } = unpackFacts(packer.pack(), 400n, new Strings());
    expect([spans[0].start, spans[0].end]).toEqual([full.start + 600, full.end + 600]);
    expect([logs[0].time, logs[0].timeNs]).toEqual([log.time + 600, log.timeNs]);
  });

  it('starts over after each pack; host-name lists repeated across batches are one list', () => {
    const packer = new FactPacker(0n);
    const strings = new Strings();
    packer.span(full);
    const first = unpackFacts(packer.pack(), 0n, strings);
    packer.span({ ...full, spanId: 'f'.repeat(16) });
    const second = packer.pack();
    expect(second.strings).not.toContain(full.spanId);
    const { spans } = unpackFacts(second, 0n, strings);
    expect(spans.map((s) => s.spanId)).toEqual(['f'.repeat(16)]);
    expect(spans[0].hostNames).toBe(first.spans[0].hostNames);
    expect(unpackFacts(packer.pack(), 0n, strings)).toEqual({ spans: [], logs: [] });
  });
});
