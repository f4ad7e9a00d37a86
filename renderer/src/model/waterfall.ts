// The waterfall's rows, derived once from the assembled tree the API sends (collector/analysis
// assembleTrace). A missing parent becomes a placeholder row above its orphans, as Honeycomb shows
// it, instead of promoting them to roots. Pure: no DOM, so it is tested without a browser.
import { spanKey, type SpanRef, type WireTrace } from '../../../common/wire';
import type { HopEnd } from './findings';

export interface Waterfall {
  trace: WireTrace;
  /** Display rows: every span plus one placeholder per missing parent. */
  size: number;
  /** Display row → span row (index into the trace's rows), or -1 for a missing-parent placeholder. */
  spanRow: Int32Array;
  /** Span row → display row. */
  displayOf: Int32Array;
  depth: Int32Array;
  /** Display row → its parent's display row, or -1. */
  parent: Int32Array;
  /** Rows i+1 … end[i]-1 are the subtree of display row i. */
  end: Int32Array;
  /** Placeholder display row → the span id that never arrived. */
  missingParent: Map<number, string>;
  /** Placeholder display row → [earliest start, latest end] of the orphans under it, in ns after the trace start. */
  placeholderSpan: Map<number, [number, number]>;
  /** Span row → service name. */
  service: string[];
  /** Span row → span name. */
  name: string[];
  /** Trace length in ns (the assembled end minus start). */
  durationNs: number;
  /** Span row → sections [start, end) on the critical path, in ns after the trace start. */
  critical: Map<number, [number, number][]>;
  /** `traceId:spanId` → span row. */
  spanRowByRef: Map<string, number>;
  /** The consumer span's row in a stitched view, or -1. */
  stitchedRow: number;
  /** Display rows that have children. */
  hasChildren(row: number): boolean;
}

export function buildWaterfall(trace: WireTrace): Waterfall {
  const { tree, rows } = trace;
  const n = rows.spanId.length;
  const placeholders = tree.tops.filter((t) => t.kind === 'missing-parent').length;
  const size = n + placeholders;
  const spanRow = new Int32Array(size);
  const displayOf = new Int32Array(n);
  const depth = new Int32Array(size);
  const parent = new Int32Array(size);
  const end = new Int32Array(size);
  const missingParent = new Map<number, string>();
  const placeholderSpan = new Map<number, [number, number]>();

  let d = 0;
  for (const top of tree.tops) {
    let groupParent = -1;
    if (top.kind === 'missing-parent') {
      groupParent = d;
      spanRow[d] = -1;
      depth[d] = 0;
      parent[d] = -1;
      end[d] = d + 1 + (top.endRow - top.firstRow);
      missingParent.set(d, top.parentSpanId);
      let lo = Infinity;
      let hi = -Infinity;
      for (let r = top.firstRow; r < top.endRow; r++) {
        lo = Math.min(lo, tree.start[r]);
        hi = Math.max(hi, tree.end[r]);
      }
      placeholderSpan.set(d, [lo, hi]);
      d++;
    }
    for (let r = top.firstRow; r < top.endRow; r++, d++) {
      spanRow[d] = r;
      displayOf[r] = d;
      depth[d] = tree.depth[r];
      parent[d] = tree.parent[r] >= 0 ? displayOf[tree.parent[r]] : groupParent;
      end[d] = d + (tree.subtreeEnd[r] - r);
    }
  }

  const services = trace.resources.map((r) => r.service);
  const service = rows.resource.map((i) => services[i] ?? 'unknown_service');
  const name = rows.name.map((i) => trace.names[i] ?? '');
  const spanRowByRef = new Map<string, number>();
  for (let r = 0; r < n; r++) {
    const key = spanKey({ traceId: trace.traceIds[rows.trace[r]], spanId: rows.spanId[r] });
    if (!spanRowByRef.has(key)) spanRowByRef.set(key, r);
  }
  const critical = new Map<number, [number, number][]>();
  for (const section of tree.criticalPath) {
    const list = critical.get(section.row);
    if (list) list.push([section.start, section.end]);
    else critical.set(section.row, [[section.start, section.end]]);
  }

  const stitchedRow = trace.stitch ? (spanRowByRef.get(spanKey(trace.stitch.to)) ?? -1) : -1;

  return {
    trace,
    size,
    spanRow,
    displayOf,
    depth,
    parent,
    end,
    missingParent,
    placeholderSpan,
    service,
    name,
    durationNs: Math.max(0, Number(BigInt(tree.endNs) - BigInt(tree.startNs))),
    critical,
    spanRowByRef,
    stitchedRow,
    hasChildren: (row) => end[row] > row + 1,
  };
}

/** The display rows left visible when the rows in `collapsed` hide their subtrees; ascending. */
export function visibleRows(w: Waterfall, collapsed: ReadonlySet<number>): Int32Array {
  const out = new Int32Array(w.size);
  let count = 0;
  for (let i = 0; i < w.size; ) {
    out[count++] = i;
    i = collapsed.has(i) ? w.end[i] : i + 1;
  }
  return out.subarray(0, count);
}

/** Index of `row` in `visible` (ascending), or -1 when it is hidden. */
export function positionOf(visible: Int32Array, row: number): number {
  let lo = 0;
  let hi = visible.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (visible[mid] === row) return mid;
    if (visible[mid] < row) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** `collapsed` without the ancestors of `row`, so that it shows; the same set when nothing hides it. */
export function revealRow(w: Waterfall, collapsed: ReadonlySet<number>, row: number): ReadonlySet<number> {
  let next: Set<number> | undefined;
  for (let p = w.parent[row]; p >= 0; p = w.parent[p]) {
    if (collapsed.has(p)) (next ??= new Set(collapsed)).delete(p);
  }
  return next ?? collapsed;
}

/** Every row with children collapsed at `depth` and below, so the tree shows `depth` levels. */
export function collapseBelow(w: Waterfall, depth: number): ReadonlySet<number> {
  const out = new Set<number>();
  for (let i = 0; i < w.size; i++) if (w.depth[i] >= depth && w.hasChildren(i)) out.add(i);
  return out;
}

/** The display rows of the spans a search matched, ascending; placeholders match their missing parent's id. */
export function matchingRows(w: Waterfall, matches: SpanRef[], text: string): Int32Array {
  const out: number[] = [];
  for (const m of matches) {
    const r = w.spanRowByRef.get(spanKey(m));
    if (r !== undefined) out.push(w.displayOf[r]);
  }
  const needle = text.trim().toLowerCase();
  if (needle) for (const [row, missing] of w.missingParent) if (missing.includes(needle)) out.push(row);
  return Int32Array.from(out).sort();
}

/**
 * Where in the ascending `matches` to go from display row `selected`: the first match after it (before it, going
 * up; the selection itself too when `inclusive`), wrapping around at the end.
 */
export function matchFrom(matches: ArrayLike<number>, selected: number, direction: 1 | -1, inclusive: boolean): number {
  const n = matches.length;
  if (direction > 0) {
    for (let i = 0; i < n; i++) if (matches[i] > selected || (inclusive && matches[i] === selected)) return i;
    return 0;
  }
  for (let i = n - 1; i >= 0; i--) if (matches[i] < selected || (inclusive && matches[i] === selected)) return i;
  return n - 1;
}

/**
 * Span row → the lost hops at that span whose other end is not in this view: the work continues in (or came
 * from) a trace not shown. In a stitched view the hop it joins has both ends here and is left out.
 */
export function hopEndsOutside(w: Waterfall): Map<number, HopEnd[]> {
  const byRow = new Map<number, HopEnd[]>();
  const add = (at: SpanRef, end: HopEnd) => {
    const r = w.spanRowByRef.get(spanKey(at));
    if (r === undefined || w.spanRowByRef.has(spanKey(end.other))) return;
    byRow.set(r, [...(byRow.get(r) ?? []), end]);
  };
  for (const hop of w.trace.hops ?? []) {
    add(hop.from, { hop, side: 'producer', other: hop.to });
    add(hop.to, { hop, side: 'consumer', other: hop.from });
  }
  return byRow;
}
