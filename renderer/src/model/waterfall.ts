// The waterfall's rows, derived once from the assembled tree the API sends (collector/analysis
// assembleTrace). A missing parent becomes a placeholder row above its orphans, as Honeycomb shows
// it, instead of promoting them to roots. Pure: no DOM, so it is tested without a browser.
import type { WireResource, WireRowFlags, WireTrace } from '../../../collector/api/wire';
import { displayValue } from './values';

/** The assembly's row flags; typed against the collector's so a change there fails the type check here. */
export const RowFlag: WireRowFlags = { ORPHAN: 1, DUPLICATE_ID: 2, SELF_PARENT: 4, ON_CYCLE: 8, SHARED_ID: 16 };

const CLIENT = 3;
const SERVER = 2;

export interface Waterfall {
  trace: WireTrace;
  /** Display rows: every span plus one placeholder per missing parent. */
  size: number;
  /** Display row → span row (index into trace.spans), or -1 for a missing-parent placeholder. */
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
  /** Trace length in ns (the assembled end minus start). */
  durationNs: number;
  /** Span row → sections [start, end) on the critical path, in ns after the trace start. */
  critical: Map<number, [number, number][]>;
  /**
   * Span rows on another host than their parent that start before it, or as the server half of a
   * call end after it: the clocks disagree. Async children (consumers) may outlive their parent.
   */
  skewed: Set<number>;
  spanRowById: Map<string, number>;
  /** The consumer span's row in a stitched view, or -1. */
  stitchedRow: number;
  /** Display rows that have children. */
  hasChildren(row: number): boolean;
}

/** The host a resource runs on, as far as the attributes tell: spans on different hosts have different clocks. */
function hostOf(r: WireResource): string {
  for (const key of ['host.name', 'k8s.pod.name', 'service.instance.id']) {
    const v = r.attributes[key];
    if (typeof v === 'string' && v !== '') return v;
  }
  return r.service;
}

export function buildWaterfall(trace: WireTrace): Waterfall {
  const { tree, spans } = trace;
  const n = spans.length;
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

  const service = spans.map((s) => trace.resources[s.resource]?.service ?? 'unknown_service');
  const hosts = trace.resources.map(hostOf);
  const skewed = new Set<number>();
  for (let r = 0; r < n; r++) {
    const p = tree.parent[r];
    if (p < 0 || hosts[spans[r].resource] === hosts[spans[p].resource]) continue;
    const synchronous = spans[r].kind === SERVER && spans[p].kind === CLIENT;
    if (tree.start[r] < tree.start[p] || (synchronous && tree.end[r] > tree.end[p])) skewed.add(r);
  }
  const spanRowById = new Map<string, number>();
  for (let r = 0; r < n; r++) if (!spanRowById.has(spans[r].spanId)) spanRowById.set(spans[r].spanId, r);
  for (const f of trace.findings) {
    const r = spanRowById.get(f.spanId);
    if (f.kind === 'clock-skew' && r !== undefined) skewed.add(r);
  }

  const critical = new Map<number, [number, number][]>();
  for (const section of tree.criticalPath) {
    const list = critical.get(section.row);
    if (list) list.push([section.start, section.end]);
    else critical.set(section.row, [[section.start, section.end]]);
  }

  let stitchedRow = -1;
  if (trace.stitch) {
    const to = trace.stitch.to;
    stitchedRow = spans.findIndex((s) => s.traceId === to.traceId && s.spanId === to.spanId);
  }

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
    durationNs: Math.max(0, Number(BigInt(tree.endNs) - BigInt(tree.startNs))),
    critical,
    skewed,
    spanRowById,
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

const haystacks = new WeakMap<Waterfall, string[]>();

/** What "search in trace" looks at per span row: name, service, ids, attribute keys and values. */
function haystack(w: Waterfall): string[] {
  let h = haystacks.get(w);
  if (!h) {
    h = w.trace.spans.map((s, r) => {
      const parts = [s.name, w.service[r], s.spanId, s.status.message];
      for (const key of Object.keys(s.attributes)) parts.push(`${key}=${displayValue(s.attributes[key])}`);
      for (const e of s.events) parts.push(e.name);
      return parts.join('\n').toLowerCase();
    });
    haystacks.set(w, h);
  }
  return h;
}

/** Display rows whose span matches `text` (case-insensitive substring), ascending. */
export function searchRows(w: Waterfall, text: string): Int32Array {
  const needle = text.trim().toLowerCase();
  if (needle === '') return new Int32Array(0);
  const h = haystack(w);
  const out: number[] = [];
  for (let d = 0; d < w.size; d++) {
    const r = w.spanRow[d];
    if (r >= 0 ? h[r].includes(needle) : w.missingParent.get(d)!.includes(needle)) out.push(d);
  }
  return Int32Array.from(out);
}
