// `hopscope serve` analyzes a trace once it has been quiet for a settle window, off the ingest path:
// a timer picks settled traces in small batches, so a parent that arrives a few seconds late is never
// reported missing, and a span that arrives after analysis re-opens its trace.
import { analyzeTrace, assembleTrace, isSampled, parentIsRemote, type AnalysisContext } from './analysis';
import { serviceName, type Span } from './model';
import type { Store } from './store/types';

export const DEFAULT_SETTLE_MS = 10_000;

export interface LiveAnalysisOptions {
  /** A trace is analyzed once no span has arrived for it for this long. Default 10 s. */
  settleMs?: number;
  /** How often settled traces are looked for. Default 500 ms. */
  intervalMs?: number;
  /** Traces analyzed per tick, so one tick never holds the event loop for long. Default 100. */
  tracesPerTick?: number;
  /** No timer: nothing is analyzed unless `tick()` is called. */
  paused?: boolean;
}

export interface LiveAnalysis {
  /** Called after a tick that recorded analysis results. */
  onChange(listener: () => void): () => void;
  /** Runs one tick now (tests, and shutdown). Resolves with the number of traces analyzed. */
  tick(): number;
  stop(): void;
}

export function startLiveAnalysis(store: Store, options: LiveAnalysisOptions = {}): LiveAnalysis {
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const perTick = options.tracesPerTick ?? 100;
  const context = new RecentTracesContext();
  const listeners = new Set<() => void>();

  const tick = (): number => {
    const traceIds = store.settledTraces(settleMs, perTick);
    for (const traceId of traceIds) {
      const spans = store.reader.getTrace(traceId);
      context.add(spans);
      const observations = spans.length ? analyzeTrace(assembleTrace(spans), context) : [];
      store.recordTraceAnalysis(traceId, observations);
    }
    if (traceIds.length) for (const l of listeners) l();
    return traceIds.length;
  };

  const timer = options.paused
    ? undefined
    : setInterval(() => {
        try {
          tick();
        } catch (err) {
          process.stderr.write(`hopscope: analysis failed: ${(err as Error).message}\n`);
        }
      }, options.intervalMs ?? 500);
  timer?.unref();

  return {
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    tick,
    stop: () => clearInterval(timer),
  };
}

/**
 * What crosses traces, answered from the traces analyzed recently (bounded): a span's parent in another
 * trace is almost always close in time, and this keeps a random span-id index off the ingest path.
 */
class RecentTracesContext implements AnalysisContext {
  private readonly tracesBySpanId = new Map<string, string[]>();
  private readonly callers = new Map<string, Set<string>>();
  private readonly sampledTraces = new Map<string, number>();

  constructor(private readonly maxSpanIds = 1_000_000) {}

  add(spans: readonly Span[]): void {
    const sampledServices = new Set<string>();
    const byId = new Map<string, Span>();
    for (const span of spans) {
      if (!byId.has(span.spanId)) byId.set(span.spanId, span);
      this.remember(span.spanId, span.traceId);
      if (isSampled(span)) sampledServices.add(serviceName(span.resource));
    }
    for (const service of sampledServices) this.sampledTraces.set(service, (this.sampledTraces.get(service) ?? 0) + 1);
    for (const span of spans) {
      const parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
      if (!parent || parent === span) continue;
      const service = serviceName(span.resource);
      const parentService = serviceName(parent.resource);
      if (parentService !== service || parentIsRemote(span) === true) {
        const key = JSON.stringify([service, span.name]);
        let set = this.callers.get(key);
        if (!set) this.callers.set(key, (set = new Set()));
        set.add(parentService);
      }
    }
  }

  private remember(spanId: string, traceId: string): void {
    const known = this.tracesBySpanId.get(spanId);
    if (known) {
      if (!known.includes(traceId)) known.push(traceId);
      return;
    }
    if (this.tracesBySpanId.size >= this.maxSpanIds) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.tracesBySpanId.keys().next().value;
      if (oldest !== undefined) this.tracesBySpanId.delete(oldest);
    }
    this.tracesBySpanId.set(spanId, [traceId]);
  }

  locateSpanId(spanId: string): readonly string[] {
    return this.tracesBySpanId.get(spanId) ?? [];
  }

  callersOf(service: string, operation: string): readonly string[] {
    return [...(this.callers.get(JSON.stringify([service, operation])) ?? [])];
  }

  sampledTraceCount(service: string): number {
    return this.sampledTraces.get(service) ?? 0;
  }
}
