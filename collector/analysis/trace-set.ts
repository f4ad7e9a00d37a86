// The spans and log records of a window (or of a whole set of files) as facts, with the lookups the
// cross-trace detectors share: by trace, by span, children by kind, link targets, and per-instance spans
// in time order. Spans of one trace may arrive in any order; lookups are by id, never by position.
import type { LogRecord, Span } from '../model';
import { SpanKind } from '../model';
import type { LogFact, SpanFact } from './facts';
import { FactBuilder, spanKey } from './facts';
import type { ResolvedOptions } from './options';

/** Traces up to this many spans are searched by scanning; bigger ones get an index by span id. */
const SCAN_LIMIT = 16;

interface TraceEntry {
  spans: SpanFact[];
  /** span id → the first span with that id, once the trace is too big to scan. */
  byId: Map<string, SpanFact> | undefined;
  /** parent span id → bits (1 << kind) of the kinds of its children. */
  childKinds: Map<string, number> | undefined;
  /** Ids of SERVER spans, to see the server half of a Zipkin-style shared client/server span id. */
  servers: Set<string> | undefined;
  /** service + operation of every span, built when first asked for. */
  names: Set<string> | undefined;
  /** Latest end of any span: a trace leaves the window whole. */
  end: number;
}

export class TraceSet {
  readonly builder: FactBuilder;
  readonly logs: LogFact[] = [];
  /** Spans without a parent, and spans by kind, in arrival order: what the detectors start from. */
  readonly roots: SpanFact[] = [];
  readonly byKind: SpanFact[][] = Object.values(SpanKind).map(() => []);
  /** Spans and log records that carry request ids. */
  readonly spansWithRequestIds: SpanFact[] = [];
  readonly logsWithRequestIds: LogFact[] = [];
  /** Traces none of whose spans is a root (partial traces, so far). */
  readonly rootless = new Set<string>();
  /** Services that sent spans. */
  readonly services = new Set<string>();
  private readonly traces = new Map<string, TraceEntry>();
  /** trace id + span id → how many spans link to it. */
  private readonly linkTargets = new Map<string, number>();
  private readonly byInstance = new Map<string, { spans: SpanFact[]; sorted: boolean }>();
  private logCount = 0;
  /** Spans held (evicted ones are no longer counted). */
  spanCount = 0;

  constructor(epochNs: bigint, readonly options: ResolvedOptions) {
    this.builder = new FactBuilder(epochNs, options);
  }

  /** A set of traces and logs; the epoch is the first start seen. */
  static of(traces: Iterable<readonly Span[]>, logs: Iterable<LogRecord>, options: ResolvedOptions): TraceSet {
    const all = [...traces];
    const logList = [...logs];
    const first = all.find((t) => t.length > 0)?.[0]?.startNs ?? logList[0]?.timeNs ?? 0n;
    const set = new TraceSet(first, options);
    for (const spans of all) set.addSpans(spans);
    set.addLogs(logList);
    return set;
  }

  addSpans(spans: Iterable<Span>): void {
    for (const span of spans) this.add(this.builder.span(span));
  }

  addLogs(logs: Iterable<LogRecord>): void {
    for (const log of logs) this.addLogFact(this.builder.log(log, this.logCount++));
  }

  /** Facts built elsewhere on this set's epoch (see LiveCrossTrace.addPacked). */
  addFacts(spans: readonly SpanFact[], logs: readonly LogFact[]): void {
    for (const fact of spans) this.add(fact);
    for (const fact of logs) this.addLogFact(fact);
  }

  private addLogFact(fact: LogFact): void {
    this.logs.push(fact);
    if (fact.requestIds.length > 0) this.logsWithRequestIds.push(fact);
  }

  /** Forgets traces whose every span ended, and logs emitted, before `ns` (after the epoch). */
  evictBefore(ns: number): void {
    let evicted = false;
    for (const [traceId, entry] of this.traces) {
      if (entry.end >= ns) continue;
      evicted = true;
      this.traces.delete(traceId);
      this.spanCount -= entry.spans.length;
      for (const fact of entry.spans) {
        for (const link of fact.links) {
          const n = (this.linkTargets.get(link) ?? 1) - 1;
          if (n > 0) this.linkTargets.set(link, n);
          else this.linkTargets.delete(link);
        }
      }
    }
    // in place: lists of a full set are large enough to be allocated in the old generation, and a new copy of each
    // at every window kept the window worker's garbage collector busy
    if (evicted) {
      const kept = (f: SpanFact) => this.traces.has(f.traceId);
      keepOnly(this.roots, kept);
      for (const list of this.byKind) keepOnly(list, kept);
      keepOnly(this.spansWithRequestIds, kept);
      for (const traceId of this.rootless) if (!this.traces.has(traceId)) this.rootless.delete(traceId);
      for (const [instance, entry] of this.byInstance) {
        keepOnly(entry.spans, kept);
        if (entry.spans.length === 0) this.byInstance.delete(instance);
      }
    }
    if (this.logs.length > 0 && this.logs.some((l) => l.time < ns)) {
      const kept = (l: LogFact) => l.time >= ns;
      keepOnly(this.logs, kept);
      keepOnly(this.logsWithRequestIds, kept);
    }
  }

  /** Forgets the traces that ended first until at most `keep` spans are held (and logs as old). */
  evictOldest(keep: number): void {
    if (this.spanCount <= keep) return;
    const ends = [...this.traces.values()].map((e) => ({ end: e.end, spans: e.spans.length })).sort((a, b) => a.end - b.end);
    let held = this.spanCount;
    let i = 0;
    while (i < ends.length && held > keep) held -= ends[i++].spans;
    // every trace that ended no later than the last one dropped goes (ties included)
    this.evictBefore(ends[i - 1].end + 1);
  }

  private add(fact: SpanFact): void {
    this.spanCount++;
    let entry = this.traces.get(fact.traceId);
    if (!entry) {
      entry = { spans: [], byId: undefined, childKinds: undefined, servers: undefined, names: undefined, end: fact.end };
      this.traces.set(fact.traceId, entry);
    }
    fact.duplicate = this.span(fact.traceId, fact.spanId) !== undefined;
    entry.spans.push(fact);
    if (entry.byId) {
      if (!fact.duplicate) entry.byId.set(fact.spanId, fact);
    } else if (entry.spans.length > SCAN_LIMIT) {
      entry.byId = new Map();
      for (const f of entry.spans) if (!entry.byId.has(f.spanId)) entry.byId.set(f.spanId, f);
    }
    if (fact.parentSpanId === '') {
      this.roots.push(fact);
      this.rootless.delete(fact.traceId);
    } else if (entry.spans.length === 1) this.rootless.add(fact.traceId);
    this.byKind[fact.kind]?.push(fact);
    this.services.add(fact.service);
    if (fact.requestIds.length > 0) this.spansWithRequestIds.push(fact);
    const byInstance = this.byInstance.get(fact.instance);
    if (byInstance) {
      if (byInstance.sorted && fact.start < byInstance.spans[byInstance.spans.length - 1].start) byInstance.sorted = false;
      byInstance.spans.push(fact);
    } else this.byInstance.set(fact.instance, { spans: [fact], sorted: true });
    if (fact.parentSpanId !== '') {
      entry.childKinds ??= new Map();
      entry.childKinds.set(fact.parentSpanId, (entry.childKinds.get(fact.parentSpanId) ?? 0) | (1 << fact.kind));
    }
    if (fact.kind === SpanKind.SERVER) (entry.servers ??= new Set()).add(fact.spanId);
    entry.names?.add(nameKey(fact.service, fact.name));
    if (fact.end > entry.end) entry.end = fact.end;
    for (const link of fact.links) this.linkTargets.set(link, (this.linkTargets.get(link) ?? 0) + 1);
  }

  span(traceId: string, spanId: string): SpanFact | undefined {
    const entry = this.traces.get(traceId);
    if (!entry) return undefined;
    if (entry.byId) return entry.byId.get(spanId);
    for (const f of entry.spans) if (f.spanId === spanId) return f;
    return undefined;
  }

  trace(traceId: string): readonly SpanFact[] {
    return this.traces.get(traceId)?.spans ?? [];
  }

  traceIds(): IterableIterator<string> {
    return this.traces.keys();
  }

  parentOf(fact: SpanFact): SpanFact | undefined {
    return fact.parentSpanId === '' ? undefined : this.span(fact.traceId, fact.parentSpanId);
  }

  hasChildOfKind(fact: SpanFact, kind: SpanKind): boolean {
    return ((this.traces.get(fact.traceId)?.childKinds?.get(fact.spanId) ?? 0) & (1 << kind)) !== 0;
  }

  /** Whether a SERVER span answered this CLIENT span: as its child, or as the server half of a shared span id. */
  hasServer(fact: SpanFact): boolean {
    if (this.hasChildOfKind(fact, SpanKind.SERVER)) return true;
    return fact.kind !== SpanKind.SERVER && (this.traces.get(fact.traceId)?.servers?.has(fact.spanId) ?? false);
  }

  /** Whether some span links to this one (a consumer that followed it correctly). */
  isLinkTarget(fact: SpanFact): boolean {
    return this.linkTargets.size > 0 && this.linkTargets.has(spanKey(fact.traceId, fact.spanId));
  }

  /** Whether the trace holds a span of this service and operation. */
  traceHasOperation(traceId: string, service: string, name: string): boolean {
    const entry = this.traces.get(traceId);
    if (!entry) return false;
    entry.names ??= new Set(entry.spans.map((f) => nameKey(f.service, f.name)));
    return entry.names.has(nameKey(service, name));
  }

  /** The spans of one instance, by start. */
  instanceSpans(instance: string): readonly SpanFact[] {
    const entry = this.byInstance.get(instance);
    if (!entry) return [];
    if (!entry.sorted) {
      entry.spans.sort((a, b) => a.start - b.start);
      entry.sorted = true;
    }
    return entry.spans;
  }
}

function nameKey(service: string, name: string): string {
  return `${service}\u0000${name}`;
}

/** Removes from `list` what `keep` refuses, in place and in order. */
function keepOnly<T>(list: T[], keep: (item: T) => boolean): void {
  let kept = 0;
  for (let i = 0; i < list.length; i++) if (keep(list[i])) list[kept++] = list[i];
  list.length = kept;
}
