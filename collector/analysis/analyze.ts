// Entry points: one settled trace at a time and a window across traces (`hopscope serve`), or a whole
// set of traces and logs (`hopscope analyze`).
import type { LogRecord, Span } from '../model';
import type { AssembledTrace } from './assemble';
import { assembleTrace } from './assemble';
import { findBrokenParents } from './broken-parent';
import type { ClusterCoverage } from './cluster-coverage';
import { clusterObservations, podLogsOf } from './cluster-detectors';
import type { ClusterHistory } from './cluster-links';
import { findClockSkew } from './clock-skew';
import type { AnalysisContext } from './context';
import { memoryContext } from './context';
import { analyzeCrossTrace } from './cross-trace';
import type { Finding, Observation, Stitch } from '../../common/findings';
import { FindingAggregator } from './findings';
import { findMultipleRoots } from './multiple-roots';
import { ReadyButFailing } from './ready-but-failing';
import type { PodLogs } from './restart-during-trace';
import type { CrossTraceOptions } from './options';
import { resolveOptions } from './options';
import { TraceSet } from './trace-set';

export interface AnalysisOptions extends CrossTraceOptions {
  /** Occurrences kept per finding; every occurrence is counted regardless. Default: all. */
  maxExamples?: number;
  /** The cluster's recorded history: with it, the detectors that only the cluster can prove run too. */
  cluster?: ClusterHistory;
  /** What the cluster detectors could not judge is counted here. */
  clusterCoverage?: ClusterCoverage;
  /** The log records of each pod's instance, for restart-during-trace (`analyzeAll` finds them in its logs). */
  podLogs?: PodLogs;
}

export interface AnalysisResult {
  findings: Finding[];
  stitches: Stitch[];
}

/** Every detector over one assembled trace. */
export function analyzeTrace(trace: AssembledTrace, ctx: AnalysisContext, options: AnalysisOptions = {}): Observation[] {
  return [
    ...findBrokenParents(trace, ctx),
    ...findMultipleRoots(trace),
    ...findClockSkew(trace, { toleranceNs: options.clockSkewToleranceNs }),
    ...(options.cluster ? clusterObservations(trace, options.cluster, { logs: options.podLogs, coverage: options.clusterCoverage }) : []),
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

/**
 * Everything `hopscope analyze` reports: the per-trace detectors on every trace, and the cross-trace ones
 * (stitching, dual ids, sampling, log context) on all traces and logs together.
 */
export function analyzeAll(traces: Iterable<readonly Span[]>, logs: Iterable<LogRecord> = [], ctx?: AnalysisContext, options: AnalysisOptions = {}): AnalysisResult {
  const all = [...traces].filter((spans) => spans.length > 0);
  const context = ctx ?? memoryContext(all);
  const aggregator = new FindingAggregator(options.maxExamples);
  const logList = [...logs];
  const { cluster } = options;
  const readyButFailing = cluster && new ReadyButFailing();
  const traceOptions = cluster ? { ...options, podLogs: options.podLogs ?? podLogsOf(logList, cluster) } : options;
  for (const spans of all) {
    const trace = assembleTrace(spans);
    aggregator.add(analyzeTrace(trace, context, traceOptions));
    readyButFailing?.add(trace.spans, cluster!);
  }
  if (readyButFailing) aggregator.add(readyButFailing.evaluate(cluster!));
  const cross = analyzeCrossTrace(TraceSet.of(all, logList, resolveOptions(options)));
  aggregator.add(cross.observations);
  return { findings: aggregator.findings(), stitches: cross.stitches };
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
