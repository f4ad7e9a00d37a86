import { describe, expect, it } from 'vitest';
import { SpanKind } from '../model';
import { RowFlag } from '../../common/telemetry';
import { assembleTrace } from './assemble';
import { ids, span } from './test-spans';

describe('assembleTrace', () => {
  it('lays the tree out in depth-first order with children sorted by start, whatever the input order', () => {
    const trace = assembleTrace([
      span({ id: 'c2', parent: 'b', start: 30, end: 40 }),
      span({ id: 'b2', parent: 'a', start: 50, end: 90 }),
      span({ id: 'a', start: 0, end: 100 }),
      span({ id: 'c1', parent: 'b', start: 15, end: 20 }),
      span({ id: 'b', parent: 'a', start: 10, end: 45 }),
    ]);
    expect(ids(trace.spans)).toEqual(['a', 'b', 'c1', 'c2', 'b2']);
    expect([...trace.depth]).toEqual([0, 1, 2, 2, 1]);
    expect([...trace.parent]).toEqual([-1, 0, 1, 1, 0]);
    expect([...trace.subtreeEnd]).toEqual([5, 4, 3, 4, 5]);
    const childrenOf = (r: number) => ids(trace.spans, trace.childRows.subarray(trace.childStart[r], trace.childStart[r + 1]));
    expect(childrenOf(0)).toEqual(['b', 'b2']);
    expect(childrenOf(1)).toEqual(['c1', 'c2']);
    expect(trace.tops).toEqual([{ kind: 'root', firstRow: 0, endRow: 5, parentSpanId: '', rows: [0] }]);
    expect(trace.start[0]).toBe(0);
    expect(trace.end[4]).toBe(90e6);
    expect(trace.rowOfSpanId('000000000000000b')).toBe(1);
  });

  it('groups orphans under a placeholder for their missing parent, in start order with the roots', () => {
    const trace = assembleTrace([
      span({ id: 'r', start: 0, end: 10 }),
      span({ id: 'o2', parent: 'gone', start: 30, end: 35 }),
      span({ id: 'o1', parent: 'gone', start: 20, end: 25 }),
      span({ id: 'o1c', parent: 'o1', start: 21, end: 22 }),
      span({ id: 'x', parent: 'lost', start: 5, end: 6 }),
    ]);
    expect(ids(trace.spans)).toEqual(['r', 'x', 'o1', 'o1c', 'o2']);
    expect(trace.tops.map((t) => [t.kind, t.parentSpanId, t.firstRow, t.endRow, t.rows])).toEqual([
      ['root', '', 0, 1, [0]],
      ['missing-parent', 'lost'.padStart(16, '0'), 1, 2, [1]],
      ['missing-parent', 'gone'.padStart(16, '0'), 2, 5, [2, 4]],
    ]);
    expect([...trace.depth]).toEqual([0, 1, 1, 2, 1]);
    expect([...trace.flags].map((f) => f & RowFlag.ORPHAN)).toEqual([0, 1, 1, 0, 1]);
  });

  it('keeps every span of a duplicated id, attaching children to the earliest', () => {
    const trace = assembleTrace([
      span({ id: 'r', start: 0, end: 100 }),
      span({ id: 'd', parent: 'r', start: 10, end: 20 }),
      span({ id: 'd', parent: 'r', start: 30, end: 40 }),
      span({ id: 'k', parent: 'd', start: 12, end: 14 }),
    ]);
    expect(trace.spans).toHaveLength(4);
    expect(ids(trace.spans)).toEqual(['r', 'd', 'k', 'd']);
    expect(trace.spans[3].startNs - trace.spans[1].startNs).toBe(20_000_000n);
    expect(trace.duplicates).toEqual([{ spanId: '000000000000000d', rows: [1, 3] }]);
    expect(trace.flags[3] & RowFlag.DUPLICATE_ID).toBeTruthy();
    expect(trace.flags[1] & RowFlag.DUPLICATE_ID).toBe(0);
  });

  it('makes the server half of a shared client/server span id the child of the client half', () => {
    const trace = assembleTrace([
      span({ id: 'root', kind: SpanKind.SERVER, start: 0, end: 100 }),
      span({ id: 's', parent: 'root', kind: SpanKind.CLIENT, start: 10, end: 90 }),
      // the server's clock is behind: it appears to start first, and must still end up below the client
      span({ id: 's', parent: 'root', kind: SpanKind.SERVER, start: 5, end: 80 }),
      span({ id: 'work', parent: 's', start: 20, end: 30 }),
    ]);
    expect(ids(trace.spans)).toEqual(['root', 's', 's', 'work']);
    expect(trace.spans.map((s) => s.kind)).toEqual([SpanKind.SERVER, SpanKind.CLIENT, SpanKind.SERVER, SpanKind.INTERNAL]);
    expect([...trace.parent]).toEqual([-1, 0, 1, 2]);
    expect(trace.duplicates).toEqual([]);
    expect(trace.flags[1] & RowFlag.SHARED_ID && trace.flags[2] & RowFlag.SHARED_ID).toBeTruthy();
  });

  it('keeps spans on a parent cycle, flags them, and cuts the cycle above its earliest member', () => {
    const trace = assembleTrace([
      span({ id: 'r', start: 0, end: 100 }),
      span({ id: 'b', parent: 'a', start: 20, end: 30 }),
      span({ id: 'a', parent: 'c', start: 10, end: 40 }),
      span({ id: 'c', parent: 'b', start: 25, end: 28 }),
      span({ id: 'hang', parent: 'c', start: 26, end: 27 }),
    ]);
    expect(trace.spans).toHaveLength(5);
    expect(ids(trace.spans)).toEqual(['r', 'a', 'b', 'c', 'hang']);
    expect(trace.cycles.map((c) => ids(trace.spans, c))).toEqual([['a', 'b', 'c']]);
    expect(trace.tops.map((t) => t.kind)).toEqual(['root', 'cycle']);
    expect([...trace.parent]).toEqual([-1, -1, 1, 2, 3]);
    expect([...trace.flags].map((f) => (f & RowFlag.ON_CYCLE ? 1 : 0))).toEqual([0, 1, 1, 1, 0]);
    expect([...trace.subtreeEnd]).toEqual([1, 5, 5, 5, 5]);
  });

  it('treats a span that is its own parent as a top of its own, with its children below it', () => {
    const trace = assembleTrace([span({ id: 'me', parent: 'me', start: 0, end: 10 }), span({ id: 'kid', parent: 'me', start: 1, end: 2 })]);
    expect(trace.tops.map((t) => t.kind)).toEqual(['self-parent']);
    expect([...trace.parent]).toEqual([-1, 0]);
    expect(trace.flags[0] & RowFlag.SELF_PARENT).toBeTruthy();
    expect(trace.cycles).toEqual([]);
  });

  it('computes self time as the duration not covered by children, clipped to the span', () => {
    const trace = assembleTrace([
      span({ id: 'p', start: 0, end: 100 }),
      span({ id: 'a', parent: 'p', start: 10, end: 30 }),
      span({ id: 'b', parent: 'p', start: 20, end: 50 }),
      span({ id: 'c', parent: 'p', start: 90, end: 130 }),
    ]);
    // covered: 10..50 and 90..100
    expect(trace.selfTime[0]).toBe(50e6);
    expect(trace.selfTime[1]).toBe(20e6);
  });

  it('follows last-finishing children for the critical path, as jaeger-ui does', () => {
    const trace = assembleTrace([
      span({ id: 'a', start: 0, end: 100 }),
      span({ id: 'b', parent: 'a', start: 10, end: 40 }),
      span({ id: 'c', parent: 'a', start: 50, end: 90 }),
      span({ id: 'overlapped', parent: 'a', start: 45, end: 60 }),
      span({ id: 'cc', parent: 'c', start: 60, end: 120 }),
      span({ id: 'async', parent: 'a', kind: SpanKind.PRODUCER, start: 92, end: 99 }),
    ]);
    const path = trace.criticalPath.map((s) => [ids(trace.spans, [s.row])[0], s.start / 1e6, s.end / 1e6]);
    expect(path).toEqual([
      ['a', 0, 10],
      ['b', 10, 40],
      ['a', 40, 50],
      ['c', 50, 60],
      ['cc', 60, 90],
      ['a', 90, 100],
    ]);
    const row = (id: string) => trace.rowOfSpanId(id.padStart(16, '0'));
    expect(trace.criticalTime[row('a')]).toBe(30e6);
    expect(trace.criticalTime[row('overlapped')]).toBe(0);
    expect(trace.criticalTime[row('async')]).toBe(0);
  });

  it('handles a chain far deeper than the call stack', () => {
    const depth = 50_000;
    const spans = [span({ id: '1', start: 0, end: depth * 2 })];
    for (let i = 2; i <= depth; i++) spans.push(span({ id: i.toString(16), parent: (i - 1).toString(16), start: i, end: depth * 2 - i }));
    const trace = assembleTrace(spans.reverse());
    expect(trace.depth[depth - 1]).toBe(depth - 1);
    expect(trace.subtreeEnd[0]).toBe(depth);
    const critical = trace.criticalTime.reduce((sum, t) => sum + t, 0);
    expect(critical).toBe(depth * 2 * 1e6);
  });

  it('assembles an empty trace', () => {
    const trace = assembleTrace([]);
    expect(trace.spans).toEqual([]);
    expect(trace.tops).toEqual([]);
  });
});
