// Global one-to-one assignment of consumers to producers: every consumer gets at most one producer and
// every producer at most one consumer, with the largest total weight. Two solvers, for two shapes:
// `alignInOrder` when both sides keep their order (a FIFO queue), `assignMaxWeight` when they need not.

/**
 * The heaviest order-preserving matching (consumer j < j' ⇒ producer i < i'): what a FIFO queue does,
 * where the n-th dequeue takes the n-th enqueue, with producers and consumers missing on either side.
 * Both sides are sorted by time. Consumer j may only take producers lo[j]..hi[j] (inclusive); both bounds
 * must be non-decreasing in j. `weight(i, j)` ≤ 0 forbids the pair. Banded dynamic programming: time and
 * memory are the sum of the band widths. Returns, per consumer, its producer or -1.
 */
export function alignInOrder(producers: number, lo: Int32Array, hi: Int32Array, weight: (i: number, j: number) => number): Int32Array {
  const n = lo.length;
  const match = new Int32Array(n).fill(-1);
  if (n === 0 || producers === 0) return match;
  // best[i + 1] = the best total with the consumers so far and producers 0..i
  const best = new Float64Array(producers + 1);
  const decisions: Uint8Array[] = new Array<Uint8Array>(n);
  const rowLo = new Int32Array(n);
  const rowHi = new Int32Array(n);
  let reached = -1;
  for (let j = 0; j < n; j++) {
    const from = Math.max(0, lo[j]);
    const to = Math.min(producers - 1, hi[j]);
    rowLo[j] = from;
    rowHi[j] = to;
    for (let i = reached + 1; i <= to; i++) best[i + 1] = best[reached + 1];
    if (to > reached) reached = to;
    const row = new Uint8Array(Math.max(0, to - from + 1));
    decisions[j] = row;
    let diagonal = best[from];
    let left = best[from];
    for (let i = from; i <= to; i++) {
      const up = best[i + 1];
      const w = weight(i, j);
      let value = w > 0 ? diagonal + w : -Infinity;
      let decision = 2;
      if (up > value) {
        value = up;
        decision = 0;
      }
      if (left > value) {
        value = left;
        decision = 1;
      }
      diagonal = up;
      best[i + 1] = value;
      left = value;
      row[i - from] = decision;
    }
  }
  let i = reached;
  for (let j = n - 1; j >= 0 && i >= 0; ) {
    if (i > rowHi[j]) i = rowHi[j];
    else if (i < rowLo[j]) j--;
    else {
      const decision = decisions[j][i - rowLo[j]];
      if (decision === 0) j--;
      else if (decision === 1) i--;
      else {
        match[j] = i;
        i--;
        j--;
      }
    }
  }
  return match;
}

export interface Edge {
  producer: number;
  weight: number;
}

/**
 * The heaviest matching of a sparse bipartite graph, order or not: successive shortest augmenting paths
 * (Dijkstra with potentials, as in Jonker–Volgenant), each consumer also having a private "unmatched"
 * option of weight 0. Paths stay short when candidates are local, so large sparse graphs are cheap.
 * Returns, per consumer, its producer or -1.
 */
export function assignMaxWeight(producers: number, edges: readonly (readonly Edge[])[]): Int32Array {
  const n = edges.length;
  let top = 0;
  for (const list of edges) for (const e of list) if (e.weight > top) top = e.weight;
  const unmatchedCost = top + 1;
  // columns: real producers 0..producers-1, then consumer j's "unmatched" column at producers + j
  const columns = producers + n;
  const u = new Float64Array(n);
  const v = new Float64Array(columns);
  const owner = new Int32Array(columns).fill(-1);
  const taken = new Int32Array(n).fill(-1);
  const dist = new Float64Array(columns);
  const via = new Int32Array(columns);
  const done = new Uint8Array(columns);
  const touched: number[] = [];
  const heap = new MinHeap();

  const relax = (row: number, base: number) => {
    for (const e of edges[row]) {
      if (e.weight <= 0) continue;
      const c = e.producer;
      if (done[c]) continue;
      heap.push(base + unmatchedCost - e.weight - u[row] - v[c], c, row);
    }
    const own = producers + row;
    if (!done[own]) heap.push(base + unmatchedCost - u[row] - v[own], own, row);
  };

  for (let start = 0; start < n; start++) {
    heap.clear();
    relax(start, 0);
    let target = -1;
    while (heap.size > 0) {
      const { key, column, row } = heap.pop();
      if (done[column]) continue;
      done[column] = 1;
      dist[column] = key;
      via[column] = row;
      touched.push(column);
      const holder = owner[column];
      if (holder < 0) {
        target = column;
        break;
      }
      relax(holder, key);
    }
    const reach = dist[target];
    // Keep reduced costs non-negative and those of matched pairs zero.
    u[start] += reach;
    for (const c of touched) {
      if (c !== target && owner[c] >= 0) u[owner[c]] += reach - dist[c];
      v[c] -= reach - dist[c];
      done[c] = 0;
    }
    touched.length = 0;
    for (let c = target; ; ) {
      const row = via[c];
      const previous = taken[row];
      taken[row] = c;
      owner[c] = row;
      if (row === start) break;
      c = previous;
    }
  }
  return taken.map((c) => (c < producers ? c : -1));
}

class MinHeap {
  private keys: number[] = [];
  private columns: number[] = [];
  private rows: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  clear(): void {
    this.keys.length = 0;
    this.columns.length = 0;
    this.rows.length = 0;
  }

  push(key: number, column: number, row: number): void {
    let i = this.keys.length;
    this.keys.push(key);
    this.columns.push(column);
    this.rows.push(row);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.keys[parent] <= key) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, key, column, row);
  }

  pop(): { key: number; column: number; row: number } {
    const result = { key: this.keys[0], column: this.columns[0], row: this.rows[0] };
    const key = this.keys.pop()!;
    const column = this.columns.pop()!;
    const row = this.rows.pop()!;
    const n = this.keys.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const c = l + 1 < n && this.keys[l + 1] < this.keys[l] ? l + 1 : l;
        if (this.keys[c] >= key) break;
        this.move(c, i);
        i = c;
      }
      this.set(i, key, column, row);
    }
    return result;
  }

  private move(from: number, to: number): void {
    this.keys[to] = this.keys[from];
    this.columns[to] = this.columns[from];
    this.rows[to] = this.rows[from];
  }

  private set(i: number, key: number, column: number, row: number): void {
    this.keys[i] = key;
    this.columns[i] = column;
    this.rows[i] = row;
  }
}
