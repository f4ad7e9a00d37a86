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
import type { LogFact, SpanFact } from './facts';

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
   * Takes facts built on another thread with a FactBuilder of `epochNs` and these options (the analysis worker
   * builds them from the rows it decoded; the window worker only holds and judges them).
   */
  addFacts(epochNs: bigint, spans: SpanFact[], logs: LogFact[]): void {
    if (spans.length + logs.length === 0) return;
    this.set ??= new TraceSet(epochNs, this.options);
    const shift = Number(epochNs - this.set.builder.epochNs);
    // a message brings its own copy of every string: the many that repeat are kept once
    const s = this.strings;
    for (const f of spans) {
      f.start += shift;
      f.end += shift;
      f.traceId = s.of(f.traceId);
      f.service = s.of(f.service);
      f.instance = s.of(f.instance);
      f.clock = s.of(f.clock);
      f.name = s.of(f.name);
      f.address = s.of(f.address);
      f.hostNames = s.list(f.hostNames);
    }
    for (const f of logs) {
      f.time += shift;
      f.traceId = s.of(f.traceId);
      f.service = s.of(f.service);
      f.instance = s.of(f.instance);
      f.logger = s.of(f.logger);
    }
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
    const set = this.set;
    if (!set) return { observations: [], stitches: [] };
    const from = Number(range.fromNs - set.builder.epochNs);
    const to = Number(range.toNs - set.builder.epochNs);
    set.evictBefore(from - this.lookbackNs);
    return within(analyzeCrossTrace(set, { from: from - this.marginNs, to: to + this.marginNs }), set, range);
  }
}

/** The same over traces and logs read for the occasion (from the store: the window, its lookback, and after). */
export function analyzeWindow(traces: Iterable<readonly Span[]>, logs: Iterable<LogRecord>, range: WindowRange, options: CrossTraceOptions = {}): CrossTraceResult {
  const set = TraceSet.of(traces, logs, resolveOptions(options));
  return within(analyzeCrossTrace(set), set, range);
}

/** Keeps what is about the window: by the time of the span (or record) an occurrence or stitch is at. */
function within(result: CrossTraceResult, set: TraceSet, range: WindowRange): CrossTraceResult {
  const from = Number(range.fromNs - set.builder.epochNs);
  const to = Number(range.toNs - set.builder.epochNs);
  const inside = (t: number | undefined) => t !== undefined && t >= from && t < to;
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
  return {
    observations: result.observations.filter((o) => SERVICE_LEVEL.has(`${o.kind}/${o.subkind}`) || inside(timeOf(o))),
    stitches: result.stitches.filter((s) => inside(set.span(s.to.traceId, s.to.spanId)?.start)),
  };
}

/** One copy of each string (and list of strings) seen lately: at most MAX_STRINGS, then it starts again. */
class Strings {
  private static readonly MAX_STRINGS = 200_000;
  private readonly seen = new Map<string, string>();
  private readonly lists = new Map<string, readonly string[]>();

  of(value: string): string {
    const known = this.seen.get(value);
    if (known !== undefined) return known;
    if (this.seen.size >= Strings.MAX_STRINGS) this.seen.clear();
    this.seen.set(value, value);
    return value;
  }

  list(values: readonly string[]): readonly string[] {
    const key = values.join('\u0000');
    const known = this.lists.get(key);
    if (known) return known;
    if (this.lists.size >= 1000) this.lists.clear();
    this.lists.set(key, values);
    return values;
  }
}

