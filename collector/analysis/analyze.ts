// Entry points: one settled trace at a time (`hopscope serve`), or a whole set of traces (`hopscope analyze`).
import type { Span } from '../model';
import type { AssembledTrace } from './assemble';
import { assembleTrace } from './assemble';
import { findBrokenParents } from './broken-parent';
import { findClockSkew } from './clock-skew';
import type { AnalysisContext } from './context';
import { memoryContext } from './context';
import type { Finding, Observation } from './findings';
import { FindingAggregator } from './findings';
import { findMultipleRoots } from './multiple-roots';

export interface AnalysisOptions {
  /** How far a synchronous child on another host may stick out of its parent; default 5 ms. */
  clockSkewToleranceNs?: number;
  /** Occurrences kept per finding; every occurrence is counted regardless. Default: all. */
  maxExamples?: number;
}

/** Every detector over one assembled trace. */
export function analyzeTrace(trace: AssembledTrace, ctx: AnalysisContext, options: AnalysisOptions = {}): Observation[] {
  return [
    ...findBrokenParents(trace, ctx),
    ...findMultipleRoots(trace),
    ...findClockSkew(trace, { toleranceNs: options.clockSkewToleranceNs }),
  ];
}

/**
 * Analyzes traces (each the spans of one trace id) and merges what was found into findings. Without a
 * context, cross-trace questions are answered from these traces alone.
 */
export function analyzeTraces(traces: Iterable<readonly Span[]>, ctx?: AnalysisContext, options: AnalysisOptions = {}): Finding[] {
  const all = [...traces];
  const context = ctx ?? memoryContext(all);
  const aggregator = new FindingAggregator(options.maxExamples);
  for (const spans of all) {
    if (spans.length > 0) aggregator.add(analyzeTrace(assembleTrace(spans), context, options));
  }
  return aggregator.findings();
}

/** Spans in any order → one array per trace id, in order of first appearance. */
export function spansByTrace(spans: Iterable<Span>): Span[][] {
  const traces = new Map<string, Span[]>();
  for (const span of spans) {
    const trace = traces.get(span.traceId);
    if (trace) trace.push(span);
    else traces.set(span.traceId, [span]);
  }
  return [...traces.values()];
}
