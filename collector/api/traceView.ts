import { RowFlag } from '../../common/telemetry';
import { assembleTrace, type AssembledTrace } from '../analysis/assemble';
import { clockSkewRows } from '../analysis/clock-skew';
import type { ClusterLinks } from './cluster';
import { serviceName, type AnyValue, type Span } from '../model';
import type { SpanOutline, StoredLog, StoreReader } from '../store/types';
import { encodeAnyValue, encodeLog, encodeSpan, TelemetryTables } from './encode';
import type { SpanRef, WireSpanDetail, WireSpanFinding, WireStitch, WireTrace } from '../../common/wire';

/** One or two traces read in outline and assembled for the UI; kept while the user works in them. */
export interface OpenTrace {
  traceIds: string[];
  /** Built from `SpanOutline`s, so its spans are outlines. */
  assembled: AssembledTrace;
  stitch?: WireStitch;
  /** The spans in full, read on the first span search. */
  full?: Span[];
}

/** Assembles outlines; with a stitch, the consumer (`to`) is assembled as a child of its producer (`from`). */
export function openTrace(spans: SpanOutline[], traceIds: string[], stitch?: WireStitch): OpenTrace {
  const input = stitch
    ? spans.map((s) => (s.traceId === stitch.to.traceId && s.spanId === stitch.to.spanId ? { ...s, parentSpanId: stitch.from.spanId } : s))
    : spans;
  return { traceIds, assembled: assembleTrace(input), stitch };
}

function findOutline(open: OpenTrace, traceId: string, spanId: string): SpanOutline | undefined {
  const spans = open.assembled.spans as SpanOutline[];
  const row = open.assembled.rowOfSpanId(spanId);
  // Two traces of a stitched view may share a span id; then the owner found first may be the other one.
  return row >= 0 && spans[row].traceId === traceId ? spans[row] : spans.find((s) => s.traceId === traceId && s.spanId === spanId);
}

/** The waterfall's skeleton: tree and per-row columns, no attributes (those come with `spanDetail`). */
export function traceSkeleton(open: OpenTrace, logs: StoredLog[], findings: WireSpanFinding[]): WireTrace {
  const { assembled: a, traceIds } = open;
  const tables = new TelemetryTables();
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  const traceIndex = new Map(traceIds.map((id, i) => [id, i]));
  const n = a.spans.length;
  const rows: WireTrace['rows'] = {
    trace: new Array<number>(n),
    spanId: new Array<string>(n),
    name: new Array<number>(n),
    resource: new Array<number>(n),
    kind: new Array<number>(n),
    status: new Array<number>(n),
    eventCount: new Array<number>(n),
    linkCount: new Array<number>(n),
  };
  const spans = a.spans as SpanOutline[];
  // The same judgement the clock-skew detector makes, so the waterfall marks exactly the spans it reports.
  const flags = Array.from(a.flags);
  for (const r of clockSkewRows(a)) flags[r] |= RowFlag.CLOCK_SKEW;
  for (let r = 0; r < n; r++) {
    const s = spans[r];
    let ni = nameIndex.get(s.name);
    if (ni === undefined) nameIndex.set(s.name, (ni = names.push(s.name) - 1));
    rows.trace[r] = traceIndex.get(s.traceId) ?? 0;
    rows.spanId[r] = s.spanId;
    rows.name[r] = ni;
    rows.resource[r] = tables.resourceIndex(s.resource);
    rows.kind[r] = s.kind;
    rows.status[r] = s.status.code;
    rows.eventCount[r] = s.eventCount;
    rows.linkCount[r] = s.linkCount;
  }
  return {
    traceId: traceIds[0],
    traceIds,
    names,
    rows,
    tree: {
      startNs: a.startNs.toString(),
      endNs: a.endNs.toString(),
      parent: Array.from(a.parent),
      depth: Array.from(a.depth),
      subtreeEnd: Array.from(a.subtreeEnd),
      flags,
      start: Array.from(a.start),
      end: Array.from(a.end),
      criticalPath: a.criticalPath,
      tops: a.tops,
    },
    logs: logs.map((l) => encodeLog(l, tables)),
    findings,
    stitch: open.stitch,
    ...tables.tables(),
  };
}

/** The span as received (a stitched view's re-parenting is only in the outline), read in full from the store. */
export function spanDetail(open: OpenTrace, traceId: string, spanId: string, reader: StoreReader, cluster: ClusterLinks): WireSpanDetail | undefined {
  const outline = findOutline(open, traceId, spanId);
  const span = outline && reader.getSpan(traceId, outline.key);
  if (!span) return undefined;
  const tables = new TelemetryTables();
  return { span: encodeSpan(span, tables), objects: cluster.forSpan(span), ...tables.tables() };
}

/** Spans whose name, service, id, status message, attribute `key=value` or event name contains `query` (case-insensitive). */
export function searchSpans(open: OpenTrace, query: string, reader: StoreReader): SpanRef[] {
  const needle = query.trim().toLowerCase();
  if (needle === '') return [];
  open.full ??= open.traceIds.flatMap((id) => reader.getTrace(id));
  const has = (text: string) => text.toLowerCase().includes(needle);
  const matches: SpanRef[] = [];
  for (const s of open.full) {
    const hit =
      has(s.name) ||
      has(serviceName(s.resource)) ||
      has(s.spanId) ||
      has(s.status.message) ||
      Object.keys(s.attributes).some((k) => has(`${k}=${textOf(s.attributes[k])}`)) ||
      s.events.some((e) => has(e.name));
    if (hit) matches.push({ traceId: s.traceId, spanId: s.spanId });
  }
  return matches;
}

/** An attribute value as the UI shows it: scalars as themselves, the rest as JSON of the wire form. */
function textOf(v: AnyValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(encodeAnyValue(v));
}

/**
 * The traces the UI has open, newest last. A commit that touches one drops it, so the next read
 * sees the new spans; at most `capacity` stay in memory.
 */
export class OpenTraces {
  private readonly entries = new Map<string, OpenTrace>();

  constructor(private readonly capacity = 4) {}

  get(key: string, load: () => OpenTrace): OpenTrace {
    let entry = this.entries.get(key);
    if (entry) this.entries.delete(key);
    else entry = load();
    this.entries.set(key, entry);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  /** Any open view holding this trace. */
  holding(traceId: string): OpenTrace | undefined {
    for (const entry of this.entries.values()) if (entry.traceIds.includes(traceId)) return entry;
    return undefined;
  }

  invalidate(traceIds: Iterable<string>): void {
    for (const id of traceIds) {
      for (const [key, entry] of this.entries) if (entry.traceIds.includes(id)) this.entries.delete(key);
    }
  }
}
