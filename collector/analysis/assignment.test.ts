import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../fixtures/ids';
import type { Edge } from './assignment';
import { alignInOrder, assignMaxWeight } from './assignment';

/** The best order-preserving total by the textbook full table. */
function bestInOrder(m: number, n: number, w: (i: number, j: number) => number, lo: Int32Array, hi: Int32Array): number {
  const d = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let j = 1; j <= n; j++) {
    for (let i = 1; i <= m; i++) {
      const allowed = i - 1 >= lo[j - 1] && i - 1 <= hi[j - 1] ? w(i - 1, j - 1) : 0;
      d[j][i] = Math.max(d[j - 1][i], d[j][i - 1], allowed > 0 ? d[j - 1][i - 1] + allowed : -Infinity);
    }
  }
  return d[n][m];
}

/** The best matching of any shape by trying every one. */
function bestMatching(producers: number, edges: Edge[][], j = 0, used = new Set<number>()): number {
  if (j === edges.length) return 0;
  let best = bestMatching(producers, edges, j + 1, used);
  for (const e of edges[j]) {
    if (used.has(e.producer) || e.weight <= 0) continue;
    used.add(e.producer);
    best = Math.max(best, e.weight + bestMatching(producers, edges, j + 1, used));
    used.delete(e.producer);
  }
  return best;
}

describe('alignInOrder', () => {
  it('finds the heaviest order-preserving matching within the bands, against the full table', () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 3000; trial++) {
      const m = 1 + Math.floor(random() * 7);
      const n = 1 + Math.floor(random() * 7);
      const weights = Array.from({ length: m }, () => Array.from({ length: n }, () => (random() < 0.3 ? 0 : Math.round(random() * 10))));
      const lo = new Int32Array(n);
      const hi = new Int32Array(n);
      let a = 0;
      let b = -1;
      for (let j = 0; j < n; j++) {
        if (random() < 0.3) a = Math.min(m, a + 1);
        if (random() < 0.7) b = Math.min(m - 1, b + 1 + Math.floor(random() * 2));
        lo[j] = a;
        hi[j] = b;
      }
      const w = (i: number, j: number) => weights[i][j];
      const match = alignInOrder(m, lo, hi, w);
      let total = 0;
      let last = -1;
      match.forEach((i, j) => {
        if (i < 0) return;
        expect(i).toBeGreaterThan(last);
        expect(i).toBeGreaterThanOrEqual(lo[j]);
        expect(i).toBeLessThanOrEqual(hi[j]);
        expect(weights[i][j]).toBeGreaterThan(0);
        last = i;
        total += weights[i][j];
      });
      expect(total).toBe(bestInOrder(m, n, w, lo, hi));
    }
  });

  it('does not shift a whole queue by one to shorten its waits: a pair is worth more than any tie-break', () => {
    const produced = [0, 10, 20, 30, 40];
    const consumed = [5, 15, 25, 35, 45];
    const n = consumed.length;
    const lo = new Int32Array(n);
    const hi = Int32Array.from(consumed, (c) => produced.filter((p) => p <= c + 12).length - 1);
    const match = alignInOrder(produced.length, lo, hi, (i, j) => 1 - 0.01 * Math.abs(consumed[j] - produced[i]) / 100);
    expect([...match]).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('assignMaxWeight', () => {
  it('finds the heaviest matching of a sparse graph, against trying every matching', () => {
    const random = seededRandom(8);
    for (let trial = 0; trial < 1500; trial++) {
      const producers = 1 + Math.floor(random() * 6);
      const consumers = 1 + Math.floor(random() * 6);
      const edges: Edge[][] = Array.from({ length: consumers }, () => {
        const list: Edge[] = [];
        for (let p = 0; p < producers; p++) if (random() < 0.5) list.push({ producer: p, weight: Math.round(random() * 100) / 10 });
        return list;
      });
      const match = assignMaxWeight(producers, edges);
      const used = new Set<number>();
      let total = 0;
      match.forEach((p, j) => {
        if (p < 0) return;
        expect(used.has(p)).toBe(false);
        used.add(p);
        const edge = edges[j].find((e) => e.producer === p)!;
        expect(edge.weight).toBeGreaterThan(0);
        total += edge.weight;
      });
      expect(total).toBeCloseTo(bestMatching(producers, edges), 9);
    }
  });

  it('gives a contested producer to the consumer that gains the most overall, not to the first to ask', () => {
    // greedy first-match would give producer 0 to consumer 0 and leave consumer 1 with nothing
    const match = assignMaxWeight(2, [
      [{ producer: 0, weight: 5 }, { producer: 1, weight: 4 }],
      [{ producer: 0, weight: 3 }],
    ]);
    expect([...match]).toEqual([1, 0]);
  });
});
