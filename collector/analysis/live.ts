// The cross-trace detectors in `hopscope serve`: over windows of time, not settled traces. A window's
// result holds the occurrences and stitches about spans (and log records) inside it, judged with the data
// around it; record it under the window's id (store.recordWindowAnalysis), and evaluating the same window
// again, as more data arrives, replaces it. Pure and in memory: no SQLite.
import type { LogRecord, Span } from '../model';
import type { CrossTraceResult } from './cross-trace';
import { analyzeCrossTrace } from './cross-trace';
import type { Observation } from '../../common/findings';
import type { CrossTraceOptions } from './options';
import { resolveOptions } from './options';
import { TraceSet } from './trace-set';
import { Strings, unpackFacts, type PackedFacts } from './fact-wire';

export interface LiveOptions extends CrossTraceOptions {
  /** How far back before a window data is kept to judge it (a queue's producers, a request's first trace). Default 5 minutes. */
  lookbackNs?: number;
  /**
   * Consumers and servers this far either side of a window are matched with it, so that pairs at its
   * edges are judged as in the middle. Default 5 s.
   */
  marginNs?: number;
  /** Spans held at most: past it, the traces that ended first are forgotten, lookback or not. Default: no limit. */
  maxSpans?: number;
}

export interface WindowRange {
  fromNs: bigint;
  toNs: bigint;
}

/** Findings that describe a service over all the data held rather than one span: every window reports them. */
const SERVICE_LEVEL = new Set(['sampling-skew/rate-mismatch']);

/** Spans and logs as they are committed, and the cross-trace detectors over any recent window of them. */
export class LiveCrossTrace {
  private set: TraceSet | undefined;
  private readonly options: ReturnType<typeof resolveOptions>;
  private readonly lookbackNs: number;
  private readonly marginNs: number;
  private readonly maxSpans: number;
  private readonly strings = new Strings();

  constructor(options: LiveOptions = {}) {
    this.options = resolveOptions(options);
    this.lookbackNs = options.lookbackNs ?? 300e9;
    this.marginNs = options.marginNs ?? 5e9;
    this.maxSpans = options.maxSpans ?? Infinity;
  }

  /** Whether spans of this trace are held. */
  holds(traceId: string): boolean {
    return this.set !== undefined && this.set.trace(traceId).length > 0;
  }

  /** Spans held. */
  spanCount(): number {
    return this.set?.spanCount ?? 0;
  }

  /** Takes a committed batch: cheap (facts are read, nothing is matched). */
  add(batch: { spans: readonly Span[]; logs: readonly LogRecord[] }): void {
    if (!this.set) {
      const first = batch.spans[0]?.startNs ?? batch.logs[0]?.timeNs;
      if (first === undefined) return;
      this.set = new TraceSet(first, this.options);
    }
    this.set.addSpans(batch.spans);
    this.set.addLogs(batch.logs);
    this.trim();
  }

  /**
   * Takes facts packed on another thread (the analysis worker builds them from the rows it decoded, with the default
   * options; the window worker only holds and judges them).
   */
  addPacked(packed: PackedFacts): void {
    if (packed.numbers.length === 0) return;
    this.set ??= new TraceSet(packed.epochNs, this.options);
    const { spans, logs } = unpackFacts(packed, this.set.builder.epochNs, this.strings);
    this.set.addFacts(spans, logs);
    this.trim();
  }

  /** Down to three quarters of the cap once over it, so that a full set is not cut at every batch. */
  private trim(): void {
    if (this.set && this.set.spanCount > this.maxSpans) this.set.evictOldest(Math.floor((this.maxSpans * 3) / 4));
  }

  /**
   * The occurrences and stitches about spans and records in the window, judged with everything held; then
   * forgets what ended before the window's lookback. Windows must not go back in time.
   */
  evaluate(range: WindowRange): CrossTraceResult {
    return this.evaluateAll([range])[0];
  }

  /**
   * The same for windows in ascending order, judged together (the detectors run once over them all, and what they
   * find is told apart by its time): the data before the first one's lookback is forgotten first, so the later
   * ones are judged with as much before them, or more.
   */
  evaluateAll(ranges: readonly WindowRange[]): CrossTraceResult[] {
    const set = this.set;
    if (!set || ranges.length === 0) return ranges.map(() => ({ observations: [], stitches: [] }));
    const from = Number(ranges[0].fromNs - set.builder.epochNs);
    const to = Number(ranges[ranges.length - 1].toNs - set.builder.epochNs);
    set.evictBefore(from - this.lookbackNs);
    return apart(analyzeCrossTrace(set, { from: from - this.marginNs, to: to + this.marginNs }), set, ranges);
  }
}

/** The same over traces and logs read for the occasion (from the store: the window, its lookback, and after). */
export function analyzeWindow(traces: Iterable<readonly Span[]>, logs: Iterable<LogRecord>, range: WindowRange, options: CrossTraceOptions = {}): CrossTraceResult {
  const set = TraceSet.of(traces, logs, resolveOptions(options));
  return apart(analyzeCrossTrace(set), set, [range])[0];
}

/**
 * What is about each window (ascending, not overlapping): by the time of the span (or record) an occurrence or
 * stitch is at; what describes a service over all the data held goes to every window.
 */
function apart(result: CrossTraceResult, set: TraceSet, ranges: readonly WindowRange[]): CrossTraceResult[] {
  const bounds = ranges.map((r) => ({ from: Number(r.fromNs - set.builder.epochNs), to: Number(r.toNs - set.builder.epochNs) }));
  const parts: CrossTraceResult[] = ranges.map(() => ({ observations: [], stitches: [] }));
  const windowAt = (t: number | undefined): CrossTraceResult | undefined => {
    if (t === undefined) return undefined;
    const i = bounds.findIndex((b) => t < b.to);
    return i >= 0 && t >= bounds[i].from ? parts[i] : undefined;
  };
  let logTimes: Map<string, number> | undefined;
  // an occurrence in a trace that was not kept is known from its log records only
  const loggedAt = (traceId: string, spanId: string) => {
    if (!logTimes) {
      logTimes = new Map();
      for (const l of set.logs) if (!logTimes.has(l.traceId + l.spanId)) logTimes.set(l.traceId + l.spanId, l.time);
    }
    return logTimes.get(traceId + spanId);
  };
  const timeOf = (o: Observation) => {
    const log = o.evidence.log as { timeNs?: string } | undefined;
    if (log?.timeNs) return Number(BigInt(log.timeNs) - set.builder.epochNs);
    return set.span(o.at.traceId, o.at.spanId)?.start ?? loggedAt(o.at.traceId, o.at.spanId);
  };
  for (const o of result.observations) {
    if (SERVICE_LEVEL.has(`${o.kind}/${o.subkind}`)) for (const part of parts) part.observations.push(o);
    else windowAt(timeOf(o))?.observations.push(o);
  }
  for (const s of result.stitches) windowAt(set.span(s.to.traceId, s.to.spanId)?.start)?.stitches.push(s);
  return parts;
}
