import { describe, expect, it } from 'vitest';
import { rpcHops } from '../../fixtures/rpc-hops';
import { sampling } from '../../fixtures/sampling';
import { analyzeScenario, decodeScenario } from '../../fixtures/score';
import type { LogRecord, Span } from '../model';
import { CLAIM_CONFIDENCE } from './detector';
import type { CrossTraceResult } from './cross-trace';
import { LiveCrossTrace, analyzeWindow } from './live';

interface Timed {
  at: bigint;
  span?: Span;
  log?: LogRecord;
}

/** Spans and logs in the order exporters send them: as they end. */
function arrivals(spans: Span[], logs: LogRecord[]): Timed[] {
  const items: Timed[] = [...spans.map((s) => ({ at: s.endNs, span: s })), ...logs.map((l) => ({ at: l.timeNs, log: l }))];
  return items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** Feeds everything, evaluating each tumbling window of `step` once data `settle` past its end has arrived. */
function replay(items: Timed[], live: LiveCrossTrace, step: bigint, settle: bigint): CrossTraceResult[] {
  const results: CrossTraceResult[] = [];
  let from = items[0].at - step;
  for (const item of items) {
    live.add({ spans: item.span ? [item.span] : [], logs: item.log ? [item.log] : [] });
    while (item.at >= from + step + settle) {
      results.push(live.evaluate({ fromNs: from, toNs: from + step }));
      from += step;
    }
  }
  for (const end = items[items.length - 1].at; from <= end; from += step) results.push(live.evaluate({ fromNs: from, toNs: from + step }));
  return results;
}

const key = (s: { from: { spanId: string }; to: { spanId: string } }) => `${s.from.spanId}>${s.to.spanId}`;

describe('LiveCrossTrace', () => {
  it('window after window, finds each stitch and occurrence once, as whole-set analysis does', () => {
    const scenario = rpcHops({ concurrency: 8, requests: 200, correlated: true, context: 'lost' });
    const { traces, logs } = decodeScenario(scenario);
    const results = replay(arrivals(traces.flat(), logs), new LiveCrossTrace({ lookbackNs: 30e9 }), 20_000_000n, 50_000_000n);
    const stitches = results.flatMap((r) => r.stitches).filter((s) => s.confidence >= CLAIM_CONFIDENCE);
    expect(stitches.map(key).sort()).toEqual(scenario.truth.stitches!.map(key).sort());
    const observations = results.flatMap((r) => r.observations);
    const whole = analyzeScenario(scenario).findings.filter((f) => f.kind === 'rpc-hop' || f.kind === 'dual-id');
    expect(whole.length).toBe(2);
    for (const f of whole) expect(observations.filter((o) => o.kind === f.kind && o.subkind === f.subkind)).toHaveLength(f.count);
    // the work is spread over the windows, not found at the end
    expect(results.filter((r) => r.stitches.length > 0).length).toBeGreaterThan(5);
  });

  it('evaluating a window again as data arrives grows its result, which replaces the earlier one', () => {
    const scenario = rpcHops({ concurrency: 4, requests: 100, correlated: false, context: 'lost' });
    const items = arrivals(decodeScenario(scenario).traces.flat(), []);
    const live = new LiveCrossTrace();
    const range = { fromNs: items[0].at - 1_000_000_000n, toNs: items[items.length - 1].at + 1n };
    const half = Math.floor(items.length / 2);
    live.add({ spans: items.slice(0, half).map((x) => x.span!), logs: [] });
    const early = live.evaluate(range).stitches.length;
    live.add({ spans: items.slice(half).map((x) => x.span!), logs: [] });
    const late = live.evaluate(range).stitches.filter((s) => s.confidence >= CLAIM_CONFIDENCE);
    expect(early).toBeGreaterThan(0);
    expect(early).toBeLessThan(100);
    const whole = analyzeScenario(scenario).stitches.filter((s) => s.confidence >= CLAIM_CONFIDENCE);
    expect(late.map(key).sort()).toEqual(whole.map(key).sort());
  });

  it('forgets what ended before the lookback of the window asked for', () => {
    const { traces } = decodeScenario(rpcHops({ concurrency: 2, requests: 50, correlated: false, context: 'lost' }));
    const spans = traces.flat();
    const first = spans.reduce((t, s) => (s.startNs < t ? s.startNs : t), spans[0].startNs);
    const last = spans.reduce((t, s) => (s.endNs > t ? s.endNs : t), 0n);
    const all = { fromNs: first, toNs: last + 1n };
    const live = new LiveCrossTrace({ lookbackNs: 10e9 });
    live.add({ spans, logs: [] });
    expect(live.evaluate(all).stitches).toHaveLength(50);
    // a window starting 11 s after the last span: everything is out of its lookback, and stays forgotten
    expect(live.evaluate({ fromNs: last + 11_000_000_000n, toNs: last + 12_000_000_000n }).stitches).toEqual([]);
    expect(live.evaluate(all).stitches).toEqual([]);
  });

  it('windows judged together find in each what judging them one by one finds', () => {
    const scenario = rpcHops({ concurrency: 8, requests: 200, correlated: true, context: 'lost' });
    const { traces, logs } = decodeScenario(scenario);
    const spans = traces.flat();
    const first = spans.reduce((t, s) => (s.startNs < t ? s.startNs : t), spans[0].startNs);
    const last = spans.reduce((t, s) => (s.endNs > t ? s.endNs : t), 0n);
    const step = (last - first) / 12n + 1n;
    const ranges = Array.from({ length: 12 }, (_, i) => ({ fromNs: first + BigInt(i) * step, toNs: first + BigInt(i + 1) * step }));
    const fed = () => {
      const live = new LiveCrossTrace({ lookbackNs: 30e9 });
      live.add({ spans, logs });
      return live;
    };
    const one = fed();
    const separately = ranges.map((r) => one.evaluate(r));
    const together = fed().evaluateAll(ranges);
    const what = (r: CrossTraceResult) => ({
      observations: r.observations.map((o) => `${o.kind}/${o.subkind} ${o.at.traceId}:${o.at.spanId}`).sort(),
      stitches: r.stitches.map(key).sort(),
    });
    expect(together.map(what)).toEqual(separately.map(what));
    // every window has its own, and all of it is there
    expect(together.filter((r) => r.stitches.length > 0).length).toBeGreaterThan(6);
    expect(together.flatMap((r) => r.stitches).filter((s) => s.confidence >= CLAIM_CONFIDENCE).map(key).sort()).toEqual(scenario.truth.stitches!.map(key).sort());
  });

  it('reports service-level sampling rates in every window, over the data held', () => {
    const scenario = sampling('declared-mismatch', 300);
    const { traces, logs } = decodeScenario(scenario);
    const results = replay(arrivals(traces.flat(), logs), new LiveCrossTrace({ ...scenario.options, lookbackNs: 3600e9 }), 2_000_000_000n, 100_000_000n);
    const rates = results.map((r) => r.observations.filter((o) => o.kind === 'sampling-skew').map((o) => [o.subkind, o.service, o.operation]));
    expect(rates[rates.length - 1]).toEqual([['rate-mismatch', 'gateway', 'traces in log records']]);
    expect(rates.filter((r) => r.length > 0).length).toBeGreaterThan(1);
  });
});

describe('analyzeWindow', () => {
  it('keeps what is about the window, judged with the data around it', () => {
    const scenario = rpcHops({ concurrency: 4, requests: 60, correlated: false, context: 'lost' });
    const { traces } = decodeScenario(scenario);
    const spans = traces.flat();
    const middle = spans.map((s) => s.startNs).sort((a, b) => (a < b ? -1 : 1))[Math.floor(spans.length / 2)];
    const before = analyzeWindow(traces, [], { fromNs: 0n, toNs: middle });
    const after = analyzeWindow(traces, [], { fromNs: middle, toNs: middle * 2n });
    expect(before.stitches.length).toBeGreaterThan(0);
    expect(after.stitches.length).toBeGreaterThan(0);
    expect([...before.stitches, ...after.stitches].map(key).sort()).toEqual(analyzeScenario(scenario).stitches.map(key).sort());
  });
});
