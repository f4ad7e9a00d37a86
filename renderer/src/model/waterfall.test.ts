import { describe, expect, it } from 'vitest';
import type { WireResource, WireTrace, WireTraceHop } from '../../../common/wire';
import { buildWaterfall, collapseBelow, hopEndsOutside, matchFrom, matchingRows, positionOf, revealRow, visibleRows } from './waterfall';

const resource = (service: string, host: string): WireResource => ({ service, attributes: { 'service.name': service, 'host.name': host }, droppedAttributesCount: 0, schemaUrl: '' });
const TRACE = 'a'.repeat(32);

/** Per-row columns for spans given as [spanId, name, resource, kind]. */
function rows(spans: [string, string, number, number][]): Pick<WireTrace, 'names' | 'rows'> {
  const names = [...new Set(spans.map((s) => s[1]))];
  const index = new Map(names.map((n, i) => [n, i]));
  return {
    names,
    rows: {
      trace: spans.map(() => 0),
      spanId: spans.map((s) => s[0]),
      name: spans.map((s) => index.get(s[1])!),
      resource: spans.map((s) => s[2]),
      kind: spans.map((s) => s[3]),
      status: spans.map(() => 0),
      eventCount: spans.map(() => 0),
      linkCount: spans.map(() => 0),
    },
  };
}

/**
 * Tree order as the assembly sends it: A ▸ B ▸ C, then two orphans D (▸ E) and F whose parent
 * `ff…` never arrived. C, a server on another host, starts before its client B.
 */
function sample(): WireTrace {
  return {
    traceId: TRACE,
    traceIds: [TRACE],
    resources: [resource('api', 'h1'), resource('db', 'h2')],
    scopes: [],
    ...rows([
      ['01', 'GET /orders', 0, 2],
      ['02', 'load', 0, 3],
      ['03', 'SELECT orders', 1, 2],
      ['04', 'consume', 1, 5],
      ['05', 'write', 1, 1],
      ['06', 'ack', 0, 1],
    ]),
    tree: {
      startNs: '1000',
      endNs: '101000',
      parent: [-1, 0, 1, -1, 3, -1],
      depth: [0, 1, 2, 1, 2, 1],
      subtreeEnd: [3, 3, 3, 5, 5, 6],
      flags: [0, 0, 0, 1, 0, 1],
      start: [0, 10_000, 8_000, 60_000, 61_000, 90_000],
      end: [100_000, 50_000, 20_000, 80_000, 70_000, 95_000],
      criticalPath: [
        { row: 0, start: 50_000, end: 100_000 },
        { row: 1, start: 20_000, end: 50_000 },
        { row: 2, start: 10_000, end: 20_000 },
      ],
      tops: [
        { kind: 'root', firstRow: 0, endRow: 3, parentSpanId: '', rows: [0] },
        { kind: 'missing-parent', firstRow: 3, endRow: 6, parentSpanId: 'ff', rows: [3, 5] },
      ],
    },
    logs: [],
    findings: [],
  };
}

describe('buildWaterfall', () => {
  it('puts one placeholder row above the orphans of a missing parent instead of promoting them', () => {
    const w = buildWaterfall(sample());
    expect(w.size).toBe(7);
    expect(Array.from(w.spanRow)).toEqual([0, 1, 2, -1, 3, 4, 5]);
    expect(w.missingParent.get(3)).toBe('ff');
    expect(Array.from(w.depth)).toEqual([0, 1, 2, 0, 1, 2, 1]);
    expect(Array.from(w.parent)).toEqual([-1, 0, 1, -1, 3, 4, 3]);
    expect(Array.from(w.end)).toEqual([3, 3, 3, 7, 6, 6, 7]);
    expect(w.placeholderSpan.get(3)).toEqual([60_000, 95_000]);
    expect(w.durationNs).toBe(100_000);
  });

  it('groups the critical path by row', () => {
    const w = buildWaterfall(sample());
    expect(w.critical.get(1)).toEqual([[20_000, 50_000]]);
    expect(w.critical.has(3)).toBe(false);
  });
});

describe('visibleRows', () => {
  it('hides exactly the subtree of each collapsed row', () => {
    const w = buildWaterfall(sample());
    expect(Array.from(visibleRows(w, new Set()))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(visibleRows(w, new Set([1])))).toEqual([0, 1, 3, 4, 5, 6]);
    expect(Array.from(visibleRows(w, new Set([3])))).toEqual([0, 1, 2, 3]);
    expect(Array.from(visibleRows(w, new Set([0, 4])))).toEqual([0, 3, 4, 6]);
  });

  it('collapses below a depth and reveals a row by expanding its ancestors only', () => {
    const w = buildWaterfall(sample());
    const top = collapseBelow(w, 1);
    expect([...top].sort()).toEqual([1, 4]);
    expect(Array.from(visibleRows(w, top))).toEqual([0, 1, 3, 4, 6]);
    const revealed = revealRow(w, new Set([0, 3, 4]), 2);
    expect([...revealed].sort()).toEqual([3, 4]);
    const unchanged = new Set([3]);
    expect(revealRow(w, unchanged, 1)).toBe(unchanged);
  });

  it('finds a row among the visible ones by binary search', () => {
    const visible = Int32Array.from([0, 3, 4, 6]);
    expect(positionOf(visible, 4)).toBe(2);
    expect(positionOf(visible, 5)).toBe(-1);
  });

  it('collapses and reveals rows in a 100,000-deep chain', () => {
    const n = 100_000;
    const base = sample();
    const all = Array.from({ length: n }, (_, i) => i);
    const trace: WireTrace = {
      ...base,
      ...rows(all.map((i) => [i.toString(16).padStart(16, '0'), `op${i}`, 0, 1])),
      tree: {
        ...base.tree,
        parent: all.map((i) => i - 1),
        depth: all,
        subtreeEnd: all.map(() => n),
        flags: all.map(() => 0),
        start: all,
        end: all.map(() => n),
        criticalPath: [],
        tops: [{ kind: 'root', firstRow: 0, endRow: n, parentSpanId: '', rows: [0] }],
      },
    };
    const w = buildWaterfall(trace);
    expect(visibleRows(w, new Set()).length).toBe(n);
    expect(Array.from(visibleRows(w, new Set([50_000])))).toHaveLength(50_001);
    expect([...revealRow(w, new Set([10, 500, 90_000]), 99_999)]).toEqual([]);
  });
});

describe('matchingRows', () => {
  it('maps the spans a search found to display rows, and matches missing parents by id', () => {
    const w = buildWaterfall(sample());
    expect(Array.from(matchingRows(w, [{ traceId: TRACE, spanId: '06' }, { traceId: TRACE, spanId: '02' }], 'x'))).toEqual([1, 6]);
    expect(Array.from(matchingRows(w, [{ traceId: 'b'.repeat(32), spanId: '02' }], 'x'))).toEqual([]);
    expect(Array.from(matchingRows(w, [], 'FF'))).toEqual([3]);
  });
});

describe('matchFrom', () => {
  const matches = Int32Array.from([2, 5, 9]);

  it('goes to the first match after the selection, or before it going up, wrapping around', () => {
    expect(matchFrom(matches, 5, 1, false)).toBe(2);
    expect(matchFrom(matches, 5, -1, false)).toBe(0);
    expect(matchFrom(matches, 9, 1, false)).toBe(0);
    expect(matchFrom(matches, 2, -1, false)).toBe(2);
    expect(matchFrom(matches, -1, 1, false)).toBe(0);
  });

  it('stays on a selected match when inclusive: the match being shown is the current one', () => {
    expect(matchFrom(matches, 5, 1, true)).toBe(1);
    expect(matchFrom(matches, 6, 1, true)).toBe(2);
    expect(matchFrom(Int32Array.from([0]), 0, 1, true)).toBe(0);
  });
});

describe('hopEndsOutside', () => {
  const OTHER = 'b'.repeat(32);
  const finding = { fingerprint: 'f1', kind: 'async-hop', subkind: 'in-process', severity: 'warning', title: 'lost', service: 'worker', operation: 'process order' } as const;
  const hop = (from: [string, string], to: [string, string]): WireTraceHop => ({
    kind: 'async-hop',
    confidence: 0.9,
    from: { traceId: from[0], spanId: from[1] },
    to: { traceId: to[0], spanId: to[1] },
    signals: [],
    finding,
  });

  it('marks a producer whose consumer is in another trace, and a consumer whose producer is', () => {
    const out = hop([TRACE, '02'], [OTHER, '77']);
    const into = hop([OTHER, '88'], [TRACE, '04']);
    const w = buildWaterfall({ ...sample(), hops: [out, into] });
    const ends = hopEndsOutside(w);
    expect([...ends.keys()].sort()).toEqual([1, 3]);
    expect(ends.get(1)).toEqual([{ hop: out, side: 'producer', other: out.to }]);
    expect(ends.get(3)).toEqual([{ hop: into, side: 'consumer', other: into.from }]);
  });

  it('leaves out a hop whose two ends are both shown (the stitched view joins it)', () => {
    const w = buildWaterfall({ ...sample(), hops: [hop([TRACE, '02'], [TRACE, '04'])] });
    expect(hopEndsOutside(w).size).toBe(0);
    expect(hopEndsOutside(buildWaterfall(sample())).size).toBe(0);
  });
});
