// The spans and log records of a window (or of a whole set of files) as facts, with the lookups the
// cross-trace detectors share: by trace, by span, children by kind, link targets, and per-instance spans
// in time order. Spans of one trace may arrive in any order; lookups are by id, never by position.
import type { LogRecord, Span } from '../model';
import { SpanKind } from '../model';
import type { LogFact, SpanFact } from './facts';
import { FactBuilder, spanKey } from './facts';
import type { ResolvedOptions } from './options';

interface TraceEntry {
  spans: SpanFact[];
  /** span id → the first span with that id. */
  byId: Map<string, SpanFact>;
  /** parent span id → bits (1 << kind) of the kinds of its children. */
  childKinds: Map<string, number>;
  /** Ids of SERVER spans, to see the server half of a Zipkin-style shared client/server span id. */
  servers: Set<string> | undefined;
  /** service + operation of every span, built when first asked for. */
  names: Set<string> | undefined;
  /** Latest end of any span: a trace leaves the window whole. */
  end: number;
}

export class TraceSet {
  readonly builder: FactBuilder;
  spans: SpanFact[] = [];
  logs: LogFact[] = [];
  private readonly traces = new Map<string, TraceEntry>();
  /** trace id + span id → how many spans link to it. */
  private readonly linkTargets = new Map<string, number>();
  private byInstance: Map<string, SpanFact[]> | undefined;
  private logCount = 0;

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
    for (const log of logs) this.logs.push(this.builder.log(log, this.logCount++));
  }

  /** Forgets traces whose every span ended, and logs emitted, before `ns` (after the epoch). */
  evictBefore(ns: number): void {
    let evicted = false;
    for (const [traceId, entry] of this.traces) {
      if (entry.end >= ns) continue;
      evicted = true;
      this.traces.delete(traceId);
      for (const fact of entry.spans) {
        for (const link of fact.links) {
          const n = (this.linkTargets.get(link) ?? 1) - 1;
          if (n > 0) this.linkTargets.set(link, n);
          else this.linkTargets.delete(link);
        }
      }
    }
    if (evicted) {
      this.spans = this.spans.filter((f) => this.traces.has(f.traceId));
      this.byInstance = undefined;
    }
    if (this.logs.length > 0 && this.logs[0].time < ns) this.logs = this.logs.filter((l) => l.time >= ns);
  }

  private add(fact: SpanFact): void {
    this.spans.push(fact);
    let entry = this.traces.get(fact.traceId);
    if (!entry) {
      entry = { spans: [], byId: new Map(), childKinds: new Map(), servers: undefined, names: undefined, end: fact.end };
      this.traces.set(fact.traceId, entry);
    }
    entry.spans.push(fact);
    if (!entry.byId.has(fact.spanId)) entry.byId.set(fact.spanId, fact);
    if (fact.parentSpanId !== '') entry.childKinds.set(fact.parentSpanId, (entry.childKinds.get(fact.parentSpanId) ?? 0) | (1 << fact.kind));
    if (fact.kind === SpanKind.SERVER) (entry.servers ??= new Set()).add(fact.spanId);
    entry.names?.add(nameKey(fact.service, fact.name));
    if (fact.end > entry.end) entry.end = fact.end;
    for (const link of fact.links) this.linkTargets.set(link, (this.linkTargets.get(link) ?? 0) + 1);
    this.byInstance = undefined;
  }

  span(traceId: string, spanId: string): SpanFact | undefined {
    return this.traces.get(traceId)?.byId.get(spanId);
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
    return ((this.traces.get(fact.traceId)?.childKinds.get(fact.spanId) ?? 0) & (1 << kind)) !== 0;
  }

  /** Whether a SERVER span answered this CLIENT span: as its child, or as the server half of a shared span id. */
  hasServer(fact: SpanFact): boolean {
    if (this.hasChildOfKind(fact, SpanKind.SERVER)) return true;
    return fact.kind !== SpanKind.SERVER && (this.traces.get(fact.traceId)?.servers?.has(fact.spanId) ?? false);
  }

  /** Whether some span links to this one (a consumer that followed it correctly). */
  isLinkTarget(fact: SpanFact): boolean {
    return this.linkTargets.has(spanKey(fact.traceId, fact.spanId));
  }

  /** Whether the trace holds a span of this service and operation. */
  traceHasOperation(traceId: string, service: string, name: string): boolean {
    const entry = this.traces.get(traceId);
    if (!entry) return false;
    entry.names ??= new Set(entry.spans.map((f) => nameKey(f.service, f.name)));
    return entry.names.has(nameKey(service, name));
  }

  /** Spans per instance, by start. */
  instances(): Map<string, SpanFact[]> {
    if (!this.byInstance) {
      const by = new Map<string, SpanFact[]>();
      for (const fact of this.spans) {
        const list = by.get(fact.instance);
        if (list) list.push(fact);
        else by.set(fact.instance, [fact]);
      }
      for (const list of by.values()) list.sort((a, b) => a.start - b.start);
      this.byInstance = by;
    }
    return this.byInstance;
  }
}

function nameKey(service: string, name: string): string {
  return `${service}\u0000${name}`;
}
