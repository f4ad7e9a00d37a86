// One trace's spans → a tree in flat, index-based arrays in tree order (jaeger-ui's transform-trace-data
// idea), built once and shared by the detectors and the UI. Pure: no DOM, no store, no Node APIs.
import { RowFlag } from '../../common/telemetry';
import type { CriticalSection, TraceTop } from '../../common/wire';
import type { Span } from '../model';
import { SpanKind } from '../model';

export type { CriticalSection, TraceTop };

export interface AssembledTrace {
  traceId: string;
  /** Spans in tree order: row i is spans[i]. Children follow their parent, sorted by start. */
  spans: Span[];
  /** Earliest start and latest end of the trace. */
  startNs: bigint;
  endNs: bigint;
  /** Start and end of each row in ns after `startNs` (exact below 104 days; an end before the start counts as the start). */
  start: Float64Array;
  end: Float64Array;
  /** Row of the parent in the tree, or -1 for a top row (root, orphan, self-parent, cut cycle). */
  parent: Int32Array;
  /** 0 for roots; orphans are at 1, below their missing-parent placeholder. */
  depth: Int32Array;
  /** The subtree of row i is rows i..subtreeEnd[i]-1, so collapsing a row hides a contiguous range. */
  subtreeEnd: Int32Array;
  /** Children of row i are childRows[childStart[i]..childStart[i+1]-1], sorted by start. */
  childStart: Int32Array;
  childRows: Int32Array;
  /** RowFlag bits. */
  flags: Uint8Array;
  /** Duration minus the time covered by children (clipped to the row), in ns. */
  selfTime: Float64Array;
  /** Time each row contributes to the critical path, in ns. */
  criticalTime: Float64Array;
  /** Per top row, the chain of last-finishing children, in time order. */
  criticalPath: CriticalSection[];
  tops: TraceTop[];
  /** The row that owns a span id (for a shared id, the server half), or -1 when no span has it. */
  rowOfSpanId(spanId: string): number;
  /** Ids held by more than one span (shared client/server ids excluded): all rows with that id, owner first. */
  duplicates: { spanId: string; rows: number[] }[];
  /** Rows on each parent cycle, starting at the row the cycle was cut at. */
  cycles: number[][];
}

/** Builds the tree of one trace. Spans may come in any order; all must share a trace id. */
export function assembleTrace(input: readonly Span[]): AssembledTrace {
  const n = input.length;
  let startNs = n > 0 ? input[0].startNs : 0n;
  let endNs = n > 0 ? input[0].endNs : 0n;
  for (const s of input) {
    if (s.startNs < startNs) startNs = s.startNs;
    if (s.endNs > endNs) endNs = s.endNs;
  }
  if (endNs < startNs) endNs = startNs;

  // Span objects are read in the order they came, which is the order they sit in memory; everything
  // after works on typed arrays in "sorted space", k = rank by (start, longer first, input order).
  const rawStart = new Float64Array(n);
  const rawEnd = new Float64Array(n);
  const ownerById = new Map<string, number>(); // span id → input index of its owner
  const duplicated = new Set<string>();
  for (let i = 0; i < n; i++) {
    const s = input[i];
    rawStart[i] = Number(s.startNs - startNs);
    rawEnd[i] = Math.max(rawStart[i], Number(s.endNs - startNs));
    const size = ownerById.size;
    ownerById.set(s.spanId, i);
    if (ownerById.size === size) duplicated.add(s.spanId);
  }
  const order: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => rawStart[a] - rawStart[b] || rawEnd[b] - rawEnd[a] || a - b);
  const rank = new Int32Array(n);
  for (let k = 0; k < n; k++) rank[order[k]] = k;
  const sorted: Span[] = new Array<Span>(n);
  for (let k = 0; k < n; k++) sorted[k] = input[order[k]];

  const flagsK = new Uint8Array(n);
  const parentOverride = new Map<number, number>();
  const duplicateGroups: number[][] = [];
  if (duplicated.size > 0) {
    const sharers = new Map<string, number[]>();
    for (let k = 0; k < n; k++) {
      const id = sorted[k].spanId;
      if (!duplicated.has(id)) continue;
      const ks = sharers.get(id);
      if (ks) ks.push(k);
      else sharers.set(id, [k]);
    }
    for (const [id, ks] of sharers) {
      const shared = sharedPair(sorted, ks);
      if (shared) {
        ownerById.set(id, order[shared.server]);
        parentOverride.set(shared.server, shared.client);
        flagsK[shared.server] |= RowFlag.SHARED_ID;
        flagsK[shared.client] |= RowFlag.SHARED_ID;
      } else {
        ownerById.set(id, order[ks[0]]);
        for (let j = 1; j < ks.length; j++) flagsK[ks[j]] |= RowFlag.DUPLICATE_ID;
        duplicateGroups.push(ks);
      }
    }
  }

  // Parent of each k in sorted space; -1 when it has none in the tree.
  const par = new Int32Array(n).fill(-1);
  const orphansByParent = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const s = input[i];
    const k = rank[i];
    const override = parentOverride.size > 0 ? parentOverride.get(k) : undefined;
    if (override !== undefined) {
      par[k] = override;
    } else if (s.parentSpanId === '') {
      continue;
    } else if (s.parentSpanId === s.spanId) {
      flagsK[k] |= RowFlag.SELF_PARENT;
    } else {
      const owner = ownerById.get(s.parentSpanId);
      if (owner !== undefined) {
        par[k] = rank[owner];
      } else {
        flagsK[k] |= RowFlag.ORPHAN;
        const group = orphansByParent.get(s.parentSpanId);
        if (group) group.push(k);
        else orphansByParent.set(s.parentSpanId, [k]);
      }
    }
  }
  for (const group of orphansByParent.values()) group.sort((a, b) => a - b);

  const cyclesK = findCycles(par);
  for (const cycle of cyclesK) for (const k of cycle) flagsK[k] |= RowFlag.ON_CYCLE;

  // Children in sorted space come out sorted by start because k is the start rank.
  const { offsets: kidStart, rows: kids } = groupByParent(par, allRows(n));

  interface PendingTop { kind: TraceTop['kind']; parentSpanId: string; ks: number[] }
  const pending: PendingTop[] = [];
  for (let k = 0; k < n; k++) {
    if (par[k] >= 0 || flagsK[k] & RowFlag.ORPHAN) continue;
    pending.push({ kind: flagsK[k] & RowFlag.SELF_PARENT ? 'self-parent' : 'root', parentSpanId: '', ks: [k] });
  }
  for (const [parentSpanId, ks] of orphansByParent) pending.push({ kind: 'missing-parent', parentSpanId, ks });
  for (const cycle of cyclesK) pending.push({ kind: 'cycle', parentSpanId: '', ks: [cycle[0]] });
  pending.sort((a, b) => a.ks[0] - b.ks[0]);

  // Depth-first, iteratively (a trace may be 100k levels deep), in start order.
  const rowOfK = new Int32Array(n).fill(-1);
  const spans: Span[] = new Array<Span>(n);
  const parent = new Int32Array(n);
  const depth = new Int32Array(n);
  const flags = new Uint8Array(n);
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  const tops: TraceTop[] = [];
  // Every span is pushed once, plus once more for the cut edge of each cycle.
  const stack = new Int32Array(n + cyclesK.length);
  let height = 0;
  let row = 0;
  for (const top of pending) {
    const firstRow = row;
    const topRows: number[] = [];
    const baseDepth = top.kind === 'missing-parent' ? 1 : 0;
    for (let j = top.ks.length - 1; j >= 0; j--) stack[height++] = top.ks[j];
    while (height > 0) {
      const k = stack[--height];
      if (rowOfK[k] >= 0) continue; // the edge that closes a cycle
      const r = row++;
      rowOfK[k] = r;
      const isTop = par[k] < 0 || k === top.ks[0];
      const p = isTop ? -1 : rowOfK[par[k]];
      if (isTop) topRows.push(r);
      spans[r] = sorted[k];
      parent[r] = p;
      depth[r] = p < 0 ? baseDepth : depth[p] + 1;
      flags[r] = flagsK[k];
      start[r] = rawStart[order[k]];
      end[r] = rawEnd[order[k]];
      for (let c = kidStart[k + 1] - 1; c >= kidStart[k]; c--) stack[height++] = kids[c];
    }
    tops.push({ kind: top.kind, firstRow, endRow: row, parentSpanId: top.parentSpanId, rows: topRows });
  }

  const subtreeEnd = new Int32Array(n);
  for (let r = 0; r < n; r++) subtreeEnd[r] = r + 1;
  for (let r = n - 1; r >= 0; r--) if (parent[r] >= 0 && subtreeEnd[r] > subtreeEnd[parent[r]]) subtreeEnd[parent[r]] = subtreeEnd[r];

  const { offsets: childStart, rows: childRows } = groupByParent(parent, allRows(n));

  const trace: AssembledTrace = {
    traceId: n > 0 ? input[0].traceId : '',
    spans,
    startNs,
    endNs,
    start,
    end,
    parent,
    depth,
    subtreeEnd,
    childStart,
    childRows,
    flags,
    selfTime: selfTimes(start, end, childStart, childRows),
    criticalTime: new Float64Array(n),
    criticalPath: [],
    tops,
    rowOfSpanId: (spanId) => {
      const i = ownerById.get(spanId);
      return i === undefined ? -1 : rowOfK[rank[i]];
    },
    duplicates: duplicateGroups.map((ks) => ({ spanId: sorted[ks[0]].spanId, rows: ks.map((k) => rowOfK[k]) })),
    cycles: cyclesK.map((ks) => ks.map((k) => rowOfK[k])),
  };
  computeCriticalPath(trace);
  return trace;
}

/** 0..n-1: every row (or k) in order, for `groupByParent`. */
function allRows(n: number): Int32Array {
  const rows = new Int32Array(n);
  for (let r = 0; r < n; r++) rows[r] = r;
  return rows;
}

/** Buckets `rows`, keeping their order, by parent: children of p are rows[offsets[p]..offsets[p+1]-1]. */
function groupByParent(parent: Int32Array, rows: Int32Array): { offsets: Int32Array; rows: Int32Array } {
  const n = parent.length;
  const offsets = new Int32Array(n + 1);
  for (const r of rows) if (parent[r] >= 0) offsets[parent[r] + 1]++;
  for (let r = 0; r < n; r++) offsets[r + 1] += offsets[r];
  const grouped = new Int32Array(offsets[n]);
  const fill = offsets.slice(0, n);
  for (const r of rows) if (parent[r] >= 0) grouped[fill[parent[r]]++] = r;
  return { offsets, rows: grouped };
}

/**
 * Zipkin (B3) lets a server reuse its client's span id. Two spans with one id, one CLIENT and one SERVER
 * with the same parent, are that pattern, not a defect: the server half becomes the client's child.
 */
function sharedPair(sorted: Span[], ks: number[]): { client: number; server: number } | undefined {
  if (ks.length !== 2) return undefined;
  const [a, b] = ks;
  if (sorted[a].parentSpanId !== sorted[b].parentSpanId) return undefined;
  if (sorted[a].kind === SpanKind.CLIENT && sorted[b].kind === SpanKind.SERVER) return { client: a, server: b };
  if (sorted[a].kind === SpanKind.SERVER && sorted[b].kind === SpanKind.CLIENT) return { client: b, server: a };
  return undefined;
}

/**
 * Cycles of the parent function, each starting at its earliest member (smallest k) and listed in
 * parent-to-child order from there. Every node has one parent, so walking up finds each cycle once.
 */
function findCycles(par: Int32Array): number[][] {
  const n = par.length;
  const walk = new Int32Array(n).fill(-1);
  const cycles: number[][] = [];
  for (let k0 = 0; k0 < n; k0++) {
    let k = k0;
    while (k >= 0 && walk[k] < 0) {
      walk[k] = k0;
      k = par[k];
    }
    if (k < 0 || walk[k] !== k0) continue;
    const members: number[] = [];
    let m = k;
    do {
      members.push(m);
      m = par[m];
    } while (m !== k);
    // members run child → parent; turn them parent → child, starting at the earliest.
    members.reverse();
    let first = 0;
    for (let j = 1; j < members.length; j++) if (members[j] < members[first]) first = j;
    cycles.push([...members.slice(first), ...members.slice(0, first)]);
  }
  return cycles;
}

function selfTimes(start: Float64Array, end: Float64Array, childStart: Int32Array, childRows: Int32Array): Float64Array {
  const n = start.length;
  const self = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let covered = 0;
    let runStart = 0;
    let runEnd = -Infinity;
    for (let c = childStart[r]; c < childStart[r + 1]; c++) {
      const child = childRows[c];
      const s = Math.max(start[child], start[r]);
      const e = Math.min(end[child], end[r]);
      if (e <= s) continue;
      if (s > runEnd) {
        if (runEnd > runStart) covered += runEnd - runStart;
        runStart = s;
        runEnd = e;
      } else if (e > runEnd) {
        runEnd = e;
      }
    }
    if (runEnd > runStart) covered += runEnd - runStart;
    self[r] = end[r] - start[r] - covered;
  }
  return self;
}

/**
 * jaeger-ui's critical path: from each top row, follow the last-finishing child; when a row has no
 * child left that finished before the point reached, the rest of it back to its start is critical and
 * the walk returns to the parent. Children are first clipped to their parent and those outside it
 * dropped, and PRODUCER/CONSUMER children do not block their parent (as in jaeger-ui).
 */
function computeCriticalPath(trace: AssembledTrace): void {
  const { spans, parent, start, end, criticalTime } = trace;
  const n = spans.length;
  // Clipped times; NaN marks a row left out together with its subtree. Tree order puts parents first.
  const cs = new Float64Array(n);
  const ce = new Float64Array(n);
  const kept: number[] = [];
  for (let r = 0; r < n; r++) {
    const p = parent[r];
    if (p < 0) {
      cs[r] = start[r];
      ce[r] = end[r];
      continue;
    }
    const kind = spans[r].kind;
    const blocking = kind !== SpanKind.PRODUCER && kind !== SpanKind.CONSUMER;
    const s = Math.max(start[r], cs[p]);
    const e = Math.min(end[r], ce[p]);
    if (Number.isNaN(cs[p]) || !blocking || start[r] >= ce[p] || end[r] <= cs[p]) {
      cs[r] = NaN;
      ce[r] = NaN;
      continue;
    }
    cs[r] = s;
    ce[r] = e;
    kept.push(r);
  }
  // Children of each row by end, latest first (ties: earliest row), consumed through a cursor: each
  // later pick must end before the previous pick started, so a child is passed over at most once.
  kept.sort((a, b) => ce[b] - ce[a] || a - b);
  const { offsets, rows: byEnd } = groupByParent(parent, Int32Array.from(kept));
  const cursor = offsets.slice(0, n);

  for (let top = 0; top < n; top++) {
    if (parent[top] >= 0) continue;
    const sections: CriticalSection[] = [];
    let cur = top;
    let bound = Infinity;
    while (true) {
      const sectionEnd = Math.min(bound, ce[cur]);
      let c = cursor[cur];
      while (c < offsets[cur + 1] && ce[byEnd[c]] >= bound) c++;
      cursor[cur] = c;
      if (c < offsets[cur + 1]) {
        const child = byEnd[c];
        if (ce[child] !== sectionEnd) sections.push({ row: cur, start: ce[child], end: sectionEnd });
        cur = child;
        bound = Infinity;
        continue;
      }
      if (cs[cur] !== sectionEnd) sections.push({ row: cur, start: cs[cur], end: sectionEnd });
      if (cur === top) break;
      bound = cs[cur];
      cur = parent[cur];
    }
    for (let j = sections.length - 1; j >= 0; j--) {
      const section = sections[j];
      criticalTime[section.row] += section.end - section.start;
      trace.criticalPath.push(section);
    }
  }
}
