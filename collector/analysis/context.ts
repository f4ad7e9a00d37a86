// What a detector needs to know beyond the one trace it looks at. The store answers these over SQLite;
// `memoryContext` answers them for a set of traces held in memory (files, tests).
import type { Span } from '../model';
import { SpanFlags, serviceName } from '../model';

export interface AnalysisContext {
  /** Trace ids of every trace holding a span with this id. */
  locateSpanId(spanId: string): readonly string[];
  /** Services seen, in any trace, as the remote parent of a span of `operation` in `service`. */
  callersOf(service: string, operation: string): readonly string[];
  /** Number of traces holding a sampled span of this service. */
  sampledTraceCount(service: string): number;
}

/** Whether the span's context was sampled. A span imported without any flags was exported, so it was. */
export function isSampled(span: Span): boolean {
  return span.flags === 0 || (span.flags & SpanFlags.SAMPLED) !== 0;
}

/** Whether the span's parent context came from another process: true, false, or null when the sender did not say. */
export function parentIsRemote(span: Span): boolean | null {
  if ((span.flags & SpanFlags.CONTEXT_HAS_IS_REMOTE) === 0) return null;
  return (span.flags & SpanFlags.CONTEXT_IS_REMOTE) !== 0;
}

export function memoryContext(traces: Iterable<readonly Span[]>): AnalysisContext {
  const context = new TracesContext();
  for (const spans of traces) context.add(spans);
  return context;
}

/**
 * Answers the cross-trace questions from the traces added to it, one trace per `add`. With `maxSpanIds`
 * it forgets the oldest span ids first, so `hopscope serve` can feed it every settled trace for as long as
 * it runs: a parent in another trace is almost always close in time.
 */
export class TracesContext implements AnalysisContext {
  /**
   * Span id → trace ids, in two generations: when the newer holds half the cap it becomes the older and the
   * older is dropped, so at most `maxSpanIds` are held and forgetting is O(1) (deleting a Map's oldest keys one
   * by one leaves holes its iterator walks again: tens to hundreds of µs per eviction at a million keys).
   */
  // one trace id as a string, more as an array: a span id is almost always in one trace
  private recent = new Map<string, string | string[]>();
  private older = new Map<string, string | string[]>();
  private readonly callers = new Map<string, Set<string>>();
  private readonly sampledTraces = new Map<string, number>();

  constructor(private readonly maxSpanIds = Infinity) {}

  add(spans: readonly Span[]): void {
    const byId = new Map<string, Span>();
    const sampledServices = new Set<string>();
    for (const span of spans) {
      if (!byId.has(span.spanId)) byId.set(span.spanId, span);
      this.remember(span.spanId, span.traceId);
      if (isSampled(span)) sampledServices.add(serviceName(span.resource));
    }
    for (const service of sampledServices) this.sampledTraces.set(service, (this.sampledTraces.get(service) ?? 0) + 1);
    for (const span of spans) {
      const parent = span.parentSpanId === '' ? undefined : byId.get(span.parentSpanId);
      if (!parent || parent === span) continue;
      const service = serviceName(span.resource);
      const parentService = serviceName(parent.resource);
      if (parentService !== service || parentIsRemote(span) === true) addTo(this.callers, callerKey(service, span.name), parentService);
    }
  }

  /** Span ids held. */
  spanIdCount(): number {
    return this.recent.size + this.older.size;
  }

  locateSpanId(spanId: string): readonly string[] {
    const known = this.recent.get(spanId) ?? this.older.get(spanId) ?? [];
    return typeof known === 'string' ? [known] : known;
  }

  callersOf(service: string, operation: string): readonly string[] {
    return [...(this.callers.get(callerKey(service, operation)) ?? [])];
  }

  sampledTraceCount(service: string): number {
    return this.sampledTraces.get(service) ?? 0;
  }

  private remember(spanId: string, traceId: string): void {
    let known = this.recent.get(spanId);
    if (known === undefined) {
      // a span id seen before the last turnover moves to the newer generation with what was known of it
      known = this.older.get(spanId);
      if (known !== undefined) this.older.delete(spanId);
      if (this.recent.size >= this.maxSpanIds / 2) {
        this.older = this.recent;
        this.recent = new Map();
      }
    }
    if (known === undefined) this.recent.set(spanId, traceId);
    else if (typeof known === 'string') this.recent.set(spanId, known === traceId ? known : [known, traceId]);
    else {
      if (!known.includes(traceId)) known.push(traceId);
      this.recent.set(spanId, known);
    }
  }
}

function callerKey(service: string, operation: string): string {
  return JSON.stringify([service, operation]);
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}
