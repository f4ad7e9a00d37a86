// `hopscope serve` analyzes a trace once it has been quiet for a settle window, off the ingest path:
// a timer picks settled traces in small batches, so a parent that arrives a few seconds late is never
// reported missing, and a span that arrives after analysis re-opens its trace.
import { analyzeTrace, assembleTrace, TracesContext } from './analysis';
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
  // Bounded: serve runs for days; a parent in another trace is almost always close in time.
  const context = new TracesContext(1_000_000);
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
