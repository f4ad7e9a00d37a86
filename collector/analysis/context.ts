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
  const tracesBySpanId = new Map<string, Set<string>>();
  const callers = new Map<string, Set<string>>();
  const sampledTraces = new Map<string, Set<string>>();
  for (const spans of traces) {
    const byId = new Map<string, Span>();
    for (const span of spans) {
      if (!byId.has(span.spanId)) byId.set(span.spanId, span);
      addTo(tracesBySpanId, span.spanId, span.traceId);
      if (isSampled(span)) addTo(sampledTraces, serviceName(span.resource), span.traceId);
    }
    for (const span of spans) {
      const parent = span.parentSpanId === '' ? undefined : byId.get(span.parentSpanId);
      if (!parent || parent === span) continue;
      const service = serviceName(span.resource);
      const parentService = serviceName(parent.resource);
      if (parentService !== service || parentIsRemote(span) === true) addTo(callers, callerKey(service, span.name), parentService);
    }
  }
  return {
    locateSpanId: (spanId) => [...(tracesBySpanId.get(spanId) ?? [])],
    callersOf: (service, operation) => [...(callers.get(callerKey(service, operation)) ?? [])],
    sampledTraceCount: (service) => sampledTraces.get(service)?.size ?? 0,
  };
}

function callerKey(service: string, operation: string): string {
  return JSON.stringify([service, operation]);
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}
