import { describe, expect, it } from 'vitest';
import { randomHex, seededRandom } from '../../fixtures/ids';
import { GoTraceIdRatio, SpecProbability } from '../../fixtures/samplers';
import type { Sampler } from '@opentelemetry/sdk-trace';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { wilson } from './detector';
import { estimateFromTraceIds, probabilityFromTraceState } from './sampling';

describe('probabilityFromTraceState', () => {
  it('reads the spec threshold `ot=th:` right-padded to 14 hex digits: p = (2^56 − T) / 2^56', () => {
    expect(probabilityFromTraceState('ot=th:0')).toBe(1);
    expect(probabilityFromTraceState('ot=th:8')).toBe(0.5);
    expect(probabilityFromTraceState('ot=th:c')).toBe(0.25);
    expect(probabilityFromTraceState('vendor=x,ot=rv:1234;th:fd70a3d70a3d71')).toBeCloseTo(0.01, 12);
  });

  it('reads the older `ot=p:` as 2^−p, and nothing else', () => {
    expect(probabilityFromTraceState('ot=p:2')).toBe(0.25);
    expect(probabilityFromTraceState('ot=p:0')).toBe(1);
    expect(probabilityFromTraceState('')).toBeUndefined();
    expect(probabilityFromTraceState('rojo=00f067aa0ba902b7')).toBeUndefined();
    expect(probabilityFromTraceState('ot=th:xyz')).toBeUndefined();
  });

  it('agrees with the fixture sampler that writes it', () => {
    for (const p of [1, 0.5, 0.25, 0.1, 0.01]) {
      const sampler = new SpecProbability(p);
      const kept = sampler.shouldSample(ROOT_CONTEXT, 'f'.repeat(32), 'x', SpanKind.INTERNAL, {}, []);
      expect(kept.decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
      expect(probabilityFromTraceState(kept.traceState!.serialize())).toBeCloseTo(p, 12);
    }
  });
});

describe('wilson', () => {
  it('gives the score interval, clipped to [0, 1]', () => {
    const [lo, hi] = wilson(50, 100, 1.96);
    expect(lo).toBeCloseTo(0.4038, 4);
    expect(hi).toBeCloseTo(0.5962, 4);
    expect(wilson(0, 10)[0]).toBe(0);
    expect(wilson(10, 10)[1]).toBeCloseTo(1, 12);
  });
});

describe('estimateFromTraceIds', () => {
  const kept = (sampler: Sampler, n: number) => {
    const random = seededRandom(99);
    const ids: string[] = [];
    while (ids.length < n) {
      const id = randomHex(random, 32);
      if (sampler.shouldSample(ROOT_CONTEXT, id, 'x', SpanKind.INTERNAL, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED) ids.push(id);
    }
    return ids;
  };

  it("tells Go's TraceIDRatioBased by its kept ids and estimates its ratio", () => {
    const estimate = estimateFromTraceIds(kept(new GoTraceIdRatio(0.2), 400))!;
    expect(estimate.sampler).toBe('go-trace-id-ratio');
    expect(estimate.probability).toBeCloseTo(0.2, 2);
  });

  it('tells a spec sampler (randomness in the low 56 bits) and estimates its probability', () => {
    const estimate = estimateFromTraceIds(kept(new SpecProbability(0.3), 400))!;
    expect(estimate.sampler).toBe('w3c-randomness');
    expect(estimate.probability).toBeCloseTo(0.3, 2);
  });

  it('sees an always-on sampler in ids that concentrate nowhere, and says nothing from too few', () => {
    const random = seededRandom(5);
    expect(estimateFromTraceIds(Array.from({ length: 400 }, () => randomHex(random, 32)))).toEqual({ sampler: 'always-on', probability: 1 });
    expect(estimateFromTraceIds(kept(new GoTraceIdRatio(0.2), 10))).toBeUndefined();
  });
});
