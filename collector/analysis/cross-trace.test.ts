// The cross-trace detectors against small versions of the eval's scenarios, whose ground truth is known
// exactly: the thresholds `npm run eval` checks at full size, asserted here at small size.
import { describe, expect, it } from 'vitest';
import { messageQueue, workerPool } from '../../fixtures/async-hops';
import { requestIds } from '../../fixtures/dual-ids';
import { lostLogContext } from '../../fixtures/log-context';
import { rpcHops } from '../../fixtures/rpc-hops';
import { sampling } from '../../fixtures/sampling';
import type { Scenario } from '../../fixtures/scenarios';
import { scenarios } from '../../fixtures/scenarios';
import type { ScenarioScore } from '../../fixtures/score';
import { analyzeScenario, decodeScenario, precision, recall, scoreScenario } from '../../fixtures/score';
import { analyzeAll } from './analyze';
import { findLostLogContext } from './log-context';
import { resolveOptions } from './options';
import { TraceSet } from './trace-set';
import { CLAIM_CONFIDENCE } from './detector';
import { stitchedView } from './stitched-view';
import type { Stitch } from '../../common/findings';

const SMALL = 300;

function run(scenario: Scenario): ScenarioScore {
  const decoded = decodeScenario(scenario);
  return scoreScenario(scenario, analyzeScenario(scenario, decoded), decoded);
}

function expectStitches(score: ScenarioScore, minPrecision: number, minRecall: number): void {
  expect(score.stitches.truth).toBeGreaterThan(0);
  expect(precision(score.stitches)).toBeGreaterThanOrEqual(minPrecision);
  expect(recall(score.stitches)).toBeGreaterThanOrEqual(minRecall);
}

function expectSilent(score: ScenarioScore): void {
  expect(score.stitches.claimed).toBe(0);
  expect([...score.findings].filter(([, c]) => c.claimed > 0)).toEqual([]);
}

/** Every finding kind the truth has, found exactly, and none it does not have. */
function expectExact(score: ScenarioScore): void {
  expect(score.unexpected).toEqual([]);
  expect(score.findings.size).toBeGreaterThan(0);
  for (const [name, c] of score.findings) expect({ name, ...c }).toEqual({ name, claimed: c.truth, truth: c.truth, correct: c.truth });
}

describe('async-hop: a worker pool fed by a channel', () => {
  for (const concurrency of [1, 8, 32]) {
    it(`with job ids on both sides, at ${concurrency} requests in flight: precision and recall ≥ 0.99`, () => {
      expectStitches(run(workerPool({ concurrency, requests: SMALL, correlated: true, context: 'lost' })), 0.99, 0.99);
    });
    it(`by timing alone, at ${concurrency} requests in flight: precision ≥ 0.95, recall ≥ 0.90`, () => {
      const score = run(workerPool({ concurrency, requests: SMALL, correlated: false, context: 'lost' }));
      expectStitches(score, 0.95, 0.9);
      expect(recall(score.findings.get('async-hop/in-process')!)).toBeGreaterThanOrEqual(0.9);
    });
  }

  it('finds nothing when the worker span is a child of the enqueue span, or links to it', () => {
    expectSilent(run(workerPool({ concurrency: 8, requests: SMALL, correlated: false, context: 'child' })));
    expectSilent(run(workerPool({ concurrency: 8, requests: SMALL, correlated: false, context: 'link' })));
  });

  it('names the producer, the signals and the wait in the evidence, and stitches from producer to consumer', () => {
    const scenario = workerPool({ concurrency: 1, requests: 20, correlated: true, context: 'lost' });
    const result = analyzeScenario(scenario);
    const [finding] = result.findings;
    expect(finding).toMatchObject({ kind: 'async-hop', subkind: 'in-process', severity: 'warning', service: 'thumbnails', operation: 'process thumbnail', count: 20 });
    expect(finding.evidence).toMatchObject({ producer: { service: 'thumbnails', operation: 'enqueue thumbnail' }, signals: ['attribute:job.id', 'name', 'same-instance'] });
    expect(Number(finding.evidence.waitMs)).toBeGreaterThan(0);
    const truth = scenario.truth.stitches![0];
    expect(result.stitches).toContainEqual({ kind: 'async-hop', confidence: 0.99, from: truth.from, to: truth.to, signals: ['attribute:job.id', 'name', 'same-instance'] });
  });
});

describe('async-hop: a message queue between services', () => {
  it('with message ids: precision and recall ≥ 0.99, even at 32 in flight', () => {
    expectStitches(run(messageQueue({ concurrency: 32, requests: SMALL, correlated: true, context: 'lost' })), 0.99, 0.99);
  });

  it('by timing alone, one message at a time: every consumer stitched to its publish', () => {
    expectStitches(run(messageQueue({ concurrency: 1, requests: SMALL, correlated: false, context: 'lost' })), 0.99, 0.99);
  });

  it('by timing alone, under load: keeps precision by claiming less', () => {
    const score = run(messageQueue({ concurrency: 32, requests: SMALL, correlated: false, context: 'lost' }));
    expect(precision(score.stitches)).toBeGreaterThanOrEqual(0.8);
    expect(score.stitches.claimed).toBeLessThan(score.stitches.truth);
  });

  it('finds nothing when consumers link to the producer (messaging semantic conventions) or continue its trace', () => {
    expectSilent(run(messageQueue({ concurrency: 8, requests: SMALL, correlated: true, context: 'link' })));
    expectSilent(run(messageQueue({ concurrency: 8, requests: SMALL, correlated: false, context: 'child' })));
  });
});

describe('rpc-hop: gRPC calls whose server started a new trace', () => {
  for (const concurrency of [1, 8, 32]) {
    it(`by timing alone, at ${concurrency} requests in flight over three instances: precision ≥ 0.95, recall ≥ 0.90`, () => {
      expectStitches(run(rpcHops({ concurrency, requests: SMALL, correlated: false, context: 'lost' })), 0.95, 0.9);
    });
  }

  it('with a request id both sides record: exact, and a request-split for every call', () => {
    const score = run(rpcHops({ concurrency: 32, requests: SMALL, correlated: true, context: 'lost' }));
    expectStitches(score, 1, 1);
    expectExact(score);
  });

  it('finds nothing when the server continues the trace', () => {
    expectSilent(run(rpcHops({ concurrency: 8, requests: SMALL, correlated: false, context: 'child' })));
  });
});

describe('dual-id', () => {
  it('request-split: a proxy drops traceparent; the new trace starts at orders, stitched back by the request id', () => {
    const scenario = requestIds('split', 30);
    const score = run(scenario);
    expectExact(score);
    expectStitches(score, 1, 1);
    const split = analyzeScenario(scenario).findings.find((f) => f.subkind === 'request-split' && f.severity === 'warning')!;
    expect(split.evidence).toMatchObject({ firstTrace: { service: 'gateway', operation: 'POST /checkout' }, newTraceStartsAt: { service: 'orders', operation: 'POST /orders' } });
  });

  it('request-merge: the orders middleware mints its own request id under the same trace', () => {
    const scenario = requestIds('merge', 30);
    expectExact(run(scenario));
    const merge = analyzeScenario(scenario).findings.find((f) => f.subkind === 'request-merge')!;
    expect(merge.evidence).toMatchObject({ above: { service: 'gateway', operation: 'POST /checkout' } });
  });

  it('a client retrying with its request id is only information', () => {
    const result = analyzeScenario(requestIds('clean', 30));
    expect(result.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    const retries = result.findings.filter((f) => f.kind === 'dual-id');
    expect(retries.map((f) => [f.subkind, f.severity, f.service, f.count])).toEqual([['request-split', 'info', 'gateway', 3]]);
  });
});

describe('sampling-skew', () => {
  it('a spec sampler stating its threshold, with logs of every request, is consistent: nothing to report', () => {
    expectSilent(run(sampling('spec-clean', 400)));
  });

  it('TraceIDRatioBased without ParentBased downstream: sampler disagreement on the partial traces', () => {
    const scenario = sampling('go-disagreement', 400);
    expectExact(run(scenario));
    const finding = analyzeScenario(scenario).findings.find((f) => f.subkind === 'sampler-disagreement')!;
    expect(finding.evidence).toMatchObject({ droppedBy: ['gateway'], ownSampler: { sampler: 'go-trace-id-ratio' } });
    expect(Number((finding.evidence.ownSampler as { probability: number }).probability)).toBeCloseTo(0.5, 1);
  });

  it('a declared rate the logs contradict: rate-mismatch with the interval and the counts', () => {
    const scenario = sampling('declared-mismatch', 400);
    expectExact(run(scenario));
    const finding = analyzeScenario(scenario).findings.find((f) => f.subkind === 'rate-mismatch')!;
    const evidence = finding.evidence as { configured: number; observed: number; interval: [number, number]; kept: number; of: number };
    expect(evidence.configured).toBe(0.1);
    expect(evidence.of).toBe(400);
    expect(evidence.interval[0]).toBeGreaterThan(0.1);
    expect(evidence.observed).toBeCloseTo(evidence.kept / evidence.of, 3);
  });

  it('dual ids inflate the share of requests kept to 1 − (1 − p)^2, and the evidence says so', () => {
    const scenario = sampling('dual-id-inflation', 400);
    expectExact(run(scenario));
    const finding = analyzeScenario(scenario).findings.find((f) => f.subkind === 'rate-mismatch')!;
    expect(finding.evidence).toMatchObject({ configured: 0.2, configuredFrom: 'tracestate', tracesPerRequest: 2, expectedWithIndependentRoots: 0.36 });
    expect(String(finding.evidence.hint)).toContain('dual ids');
  });
});

describe('log-context-lost', () => {
  it('finds every record the worker logged without ctx, each under the span that was running', () => {
    const score = run(lostLogContext({ concurrency: 1, requests: 100, lost: true }));
    expect(score.lostLogs).toEqual({ claimed: 100, truth: 100, correct: 100, likelySpanRight: 100 });
    expectExact(score);
  });

  it('with requests overlapping, still finds every record; the likely span is mostly the right one', () => {
    const { lostLogs } = run(lostLogContext({ concurrency: 8, requests: SMALL, lost: true }));
    expect(lostLogs!.correct).toBe(lostLogs!.truth);
    expect(lostLogs!.claimed).toBe(lostLogs!.truth);
    expect(lostLogs!.likelySpanRight / lostLogs!.correct).toBeGreaterThan(0.9);
  });

  it('leaves background loggers and start-up lines alone', () => {
    expectSilent(run(lostLogContext({ concurrency: 8, requests: SMALL, lost: false })));
  });

  it('says when a record’s span is certain (one request active) and when it is a guess, with how many requests were', () => {
    const d = decodeScenario(lostLogContext({ concurrency: 8, requests: SMALL, lost: true }));
    const { observations } = findLostLogContext(TraceSet.of(d.traces, d.logs, resolveOptions()));
    const guessed = observations.filter((o) => o.evidence.guessedSpan !== undefined);
    const certain = observations.filter((o) => o.evidence.span !== undefined);
    expect(guessed.length).toBeGreaterThan(0);
    expect(certain.length).toBeGreaterThan(0);
    expect(guessed.length + certain.length).toBe(observations.length);
    for (const o of guessed) {
      expect(o.evidence.requestsActive as number).toBeGreaterThan(1);
      expect(o.evidence.spanIs).toBe(`a guess: ${o.evidence.requestsActive} requests were active in this instance then; the innermost span that started last is shown`);
    }
    for (const o of certain) expect(o.evidence).toMatchObject({ requestsActive: 1, spanIs: 'certain: the only request active in this instance then' });
  });

  it('reports nothing for records that carry an unsampled trace’s context: they lost nothing', () => {
    const scenario = sampling('go-disagreement', 400);
    const { logs } = decodeScenario(scenario);
    expect(logs.filter((l) => l.traceId !== '' && (l.flags & 1) === 0).length).toBeGreaterThan(0);
    expect(analyzeScenario(scenario).findings.filter((f) => f.kind === 'log-context-lost')).toEqual([]);
  });
});

describe('analyzeAll', () => {
  it('reports exactly the ground truth of the per-trace scenarios, as analyzeTraces did', () => {
    for (const make of scenarios) {
      const scenario = make();
      const score = run(scenario);
      expect(score.unexpected).toEqual([]);
      for (const [name, c] of score.findings) expect({ name, ...c }).toEqual({ name, claimed: c.truth, truth: c.truth, correct: c.truth });
    }
  });

  it('emits the analyze --format json shape: stitches with kind, confidence, from, to and signals', () => {
    const { traces, logs } = decodeScenario(rpcHops({ concurrency: 4, requests: 40, correlated: true, context: 'lost' }));
    const result = analyzeAll(traces, logs);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    for (const s of result.stitches) {
      expect(Object.keys(s).sort()).toEqual(['confidence', 'from', 'kind', 'signals', 'to']);
      expect(s.from.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(s.to.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(s.confidence).toBeGreaterThanOrEqual(0);
      expect(s.confidence).toBeLessThanOrEqual(1);
    }
    expect(result.stitches.filter((s) => s.confidence >= CLAIM_CONFIDENCE)).toHaveLength(40);
  });
});

describe('stitchedView', () => {
  it('follows stitches across trace ids, upstream first, from either end', () => {
    const scenario = rpcHops({ concurrency: 4, requests: 10, correlated: true, context: 'lost' });
    const { stitches } = analyzeScenario(scenario);
    const [truth] = scenario.truth.stitches!;
    const fromClient = stitchedView(truth.from.traceId, stitches);
    expect(fromClient.traceIds).toEqual([truth.from.traceId, truth.to.traceId]);
    expect(fromClient.stitches.map((s) => s.to)).toEqual([truth.to]);
    expect(stitchedView(truth.to.traceId, stitches).traceIds).toEqual([truth.from.traceId, truth.to.traceId]);
  });

  it('chains hops, and ignores stitches below the claim confidence', () => {
    const ref = (t: string) => ({ traceId: t.repeat(32), spanId: t.repeat(16) });
    const stitch = (kind: Stitch['kind'], confidence: number, from: string, to: string): Stitch => ({ kind, confidence, from: ref(from), to: ref(to), signals: ['timing'] });
    const stitches = [stitch('rpc-hop', 0.9, 'b', 'c'), stitch('async-hop', 0.8, 'a', 'b'), stitch('async-hop', 0.3, 'c', 'd')];
    expect(stitchedView('c'.repeat(32), stitches).traceIds).toEqual(['a', 'b', 'c'].map((t) => t.repeat(32)));
    expect(stitchedView('d'.repeat(32), stitches).traceIds).toEqual(['d'.repeat(32)]);
  });
});
