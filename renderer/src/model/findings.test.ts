import { describe, expect, it } from 'vitest';
import type { WireTraceHop } from '../../../common/wire';
import { distinctOccurrences, distinctStitches, hopsAt, sameStitch } from './findings';

const T1 = '1'.repeat(32);
const T2 = '2'.repeat(32);

describe('distinctOccurrences', () => {
  it('lists each span once, in the order first seen: two analyses may both have kept it as an example', () => {
    const refs = [
      { traceId: T1, spanId: 'a' },
      { traceId: T1, spanId: 'b' },
      { traceId: T1, spanId: 'a' },
      { traceId: T2, spanId: 'a' },
      { traceId: T1, spanId: 'b' },
    ];
    expect(distinctOccurrences(refs)).toEqual([
      { traceId: T1, spanId: 'a' },
      { traceId: T1, spanId: 'b' },
      { traceId: T2, spanId: 'a' },
    ]);
  });
});

describe('distinctStitches', () => {
  it('keeps one stitch per pair of spans, the most confident', () => {
    const s = (spanId: string, confidence: number) => ({ kind: 'async-hop' as const, confidence, from: { traceId: T1, spanId: 'p' }, to: { traceId: T2, spanId }, signals: [] });
    expect(distinctStitches([s('c1', 0.7), s('c2', 0.8), s('c1', 0.9)])).toEqual([s('c1', 0.9), s('c2', 0.8)]);
  });
});

describe('hopsAt', () => {
  const hop: WireTraceHop = {
    kind: 'async-hop',
    confidence: 0.95,
    from: { traceId: T1, spanId: 'p' },
    to: { traceId: T2, spanId: 'c' },
    signals: ['timing'],
    finding: { fingerprint: 'f', kind: 'async-hop', subkind: 'messaging', severity: 'warning', title: 'lost', service: 'worker', operation: 'process order' },
  };

  it('sees a hop from its producer (continues elsewhere) and from its consumer (came from elsewhere)', () => {
    expect(hopsAt([hop], { traceId: T1, spanId: 'p' })).toEqual([{ hop, side: 'producer', other: hop.to }]);
    expect(hopsAt([hop], { traceId: T2, spanId: 'c' })).toEqual([{ hop, side: 'consumer', other: hop.from }]);
    expect(hopsAt([hop], { traceId: T2, spanId: 'p' })).toEqual([]);
    expect(hopsAt(undefined, { traceId: T1, spanId: 'p' })).toEqual([]);
  });

  it('tells the stitch a view joins', () => {
    expect(sameStitch(hop, { ...hop, confidence: 0.5 })).toBe(true);
    expect(sameStitch(hop, undefined)).toBe(false);
    expect(sameStitch(hop, { ...hop, to: { traceId: T2, spanId: 'd' } })).toBe(false);
  });
});
