// Live analysis itself, in two halves that run on one thread (`import`) or on two (serve: analysis-worker.ts
// and window-worker.ts, so that a backlog drains on both cores while nothing is being received). The per-trace
// stage takes the traces due (quiet for the settle time) in batches, earliest span time first, reads each
// batch's spans and logs in one query each, runs the per-trace detectors and hands the results to the writer in
// one transaction. The window stage is fed the same spans and judges a window of span time once every trace
// that may hold spans in it (and its margin) has been fed. A span that arrives after its trace was analyzed
// re-opens the trace; a window already judged stays judged.
//
// Memory is bounded whatever has been analyzed: the cross-trace set holds at most MAX_HELD_SPANS spans
// (the windows' lookback, cut shorter when the data is denser), the span-id map MAX_SPAN_IDS ids, and what
// was fed of each trace is kept only while the set holds the trace.
import type { Observation } from '../common/findings';
import { analyzeTrace, assembleTrace, LiveCrossTrace, TracesContext, type AssembledTrace, type WindowRange } from './analysis';
import { clusterObservations } from './analysis/cluster-detectors';
import { ClusterHistory, linkKeysOfSpans } from './analysis/cluster-links';
import { ReadyButFailing } from './analysis/ready-but-failing';
import type { PodLogs } from './analysis/restart-during-trace';
import type { AnalysisReader } from './store/analysis-reads';
import type { Span } from './model';
import type { BatchRows, BatchTrace, Store, TraceAnalysis, TraceRows } from './store/types';

export const DEFAULT_SETTLE_MS = 10_000;
export const DEFAULT_WINDOW_MS = 10_000;
export const DEFAULT_BATCH = 250;
/** Data kept before a window to judge it (a queue's producers, a request's first trace). */
const LOOKBACK_NS = 300_000_000_000n;
/** Consumers and servers this far past a window are matched with it, so the window waits for them. */
const MARGIN_NS = 5_000_000_000n;
/** Log records read per window at most that no trace brings (without trace context, or of a trace with no spans). */
const WINDOW_LOG_LIMIT = 10_000;
/** Spans the cross-trace detectors hold at most (≈ 0.5 KB each as facts: 48 MB). */
export const MAX_HELD_SPANS = 100_000;
/** Span ids remembered to find a missing parent in another trace (two generations, ≈ 80 B each: 24 MB). */
export const MAX_SPAN_IDS = 300_000;
/** A window waits this long at most for a trace that keeps receiving spans (not due) and starts before its end. */
const HOLD_MS = 60_000;

/** What analysis reads and writes: a Store, or an analysis worker's own connection and writer port. */
export interface AnalysisIo {
  reader: AnalysisReader;
  recordTraceAnalyses: Store['recordTraceAnalyses'];
  recordWindowAnalysis: Store['recordWindowAnalysis'];
}

export interface EngineOptions {
  /** A trace is analyzed once no span has arrived for it for this long. Default 10 s. */
  settleMs?: number;
  /** Traces read and analyzed per batch. Default 250 (less garbage at a time than 1000, at the same pace). */
  batch?: number;
  /** Length of the windows the cross-trace detectors run over. Default 10 s. */
  windowMs?: number;
}

/** A batch of traces the per-trace stage analyzed: which, and their rows as read (for the window worker). */
export interface AnalyzedBatch {
  traces: readonly BatchTrace[];
  raw: BatchRows;
}

/** Wall-clock ns since the Unix epoch from the monotonic clock, so the clock never steps back. */
const hrtimeOffset = process.hrtime.bigint() - BigInt(Date.now()) * 1_000_000n;
const nowNs = () => process.hrtime.bigint() - hrtimeOffset;

/**
 * The per-trace half: takes the due traces, reads them, runs the per-trace (and cluster) detectors and records
 * the results; keeps the span-id map that finds a parent in another trace; says up to when the windows may be
 * judged once what it analyzed has been fed to them.
 */
export class TraceStage {
  private readonly settleMs: number;
  private readonly batch: number;
  private readonly lagNs: bigint;
  // Bounded: serve runs for days; a parent in another trace is almost always close in time.
  private readonly context = new TracesContext(MAX_SPAN_IDS);
  private readonly cluster: ClusterJudge;
  /** Since when the earliest pending trace, not yet due, has held the windows back. */
  private holdingSince: number | undefined;

  constructor(private readonly io: Omit<AnalysisIo, 'recordWindowAnalysis'>, options: EngineOptions = {}) {
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.batch = options.batch ?? DEFAULT_BATCH;
    this.lagNs = BigInt(this.settleMs) * 1_000_000n + MARGIN_NS;
    this.cluster = new ClusterJudge(io.reader);
  }

  /** Analyzes and records one batch of due traces; resolves to it, or undefined when none is due. */
  async analyzeBatch(onTrace?: (traceId: string, rows: TraceRows) => void): Promise<AnalyzedBatch | undefined> {
    const due = this.io.reader.dueTraces(this.settleMs, this.batch);
    if (due.length === 0) return undefined;
    const raw = this.io.reader.batchRows(due);
    const byKey = new Map(due.map((d) => [d.key, d]));
    const results = new Map<number, TraceAnalysis>();
    // a trace at a time, so that only one trace's spans are alive (what a batch allocates dies young); with a
    // cluster's history, the batch's traces are judged against it together (one read), at the end
    const clustered: { result: TraceAnalysis; trace: AssembledTrace }[] | undefined = this.cluster.active() ? [] : undefined;
    for (const [key, rows] of this.io.reader.decodeRows(due, raw)) {
      const { traceId, touches } = byKey.get(key)!;
      this.context.add(rows.spans);
      onTrace?.(traceId, rows);
      const trace = rows.spans.length > 0 ? assembleTrace(rows.spans) : undefined;
      const result = { key, touches, observations: trace ? analyzeTrace(trace, this.context) : [] };
      results.set(key, result);
      if (trace) clustered?.push({ result, trace });
    }
    if (clustered) {
      const onCluster = this.cluster.judge(clustered.map((c) => c.trace));
      for (const { result, trace } of clustered) result.observations = [...result.observations, ...(onCluster.get(trace) ?? [])];
    }
    for (const { key, touches } of due) if (!results.has(key)) results.set(key, { key, touches, observations: [] });
    await this.io.recordTraceAnalyses([...results.values()]);
    return { traces: due.map(({ key, traceId }) => ({ key, traceId })), raw };
  }

  /**
   * The span time up to which windows may be judged once every batch analyzed so far is fed to them: past by the
   * settle time and margin, and before the start (less the margin) of the earliest trace still waiting. A due one
   * is analyzed next, however late it was written; one that keeps receiving spans holds the windows back HOLD_MS
   * at most.
   */
  settledNs(): bigint {
    const settledNs = nowNs() - this.lagNs;
    const first = this.io.reader.firstPending(this.settleMs);
    if (!first || first.due) this.holdingSince = undefined;
    else this.holdingSince ??= Date.now();
    const holds = first !== undefined && (this.holdingSince === undefined || Date.now() - this.holdingSince < HOLD_MS);
    return holds && first.startNs - MARGIN_NS < settledNs ? first.startNs - MARGIN_NS : settledNs;
  }

  /** Span ids the span-id map holds. */
  spanIdCount(): number {
    return this.context.spanIdCount();
  }
}

/**
 * The cross-trace half: fed the spans and log records of each analyzed batch, it judges a window of span time
 * once the per-trace stage says nothing before its end and margin is still to come (see TraceStage.settledNs).
 * A span that arrives after its trace was analyzed re-opens the trace; a window already judged stays judged.
 */
export class WindowStage {
  private readonly crossTrace = new LiveCrossTrace({ lookbackNs: Number(LOOKBACK_NS), marginNs: Number(MARGIN_NS), maxSpans: MAX_HELD_SPANS });
  private readonly windows: WindowClock;
  private readonly ready: ReadyWindows;
  /** Per trace the cross-trace set holds: the highest span and log row ids fed, so a re-opened trace adds only what is new. */
  private readonly fed = new Map<string, { span: number; log: number }>();
  /** Records no trace brings are read up to here (see judge). */
  private logsUpToNs = 0n;

  constructor(private readonly io: Omit<AnalysisIo, 'recordTraceAnalyses'>, options: EngineOptions = {}) {
    this.windows = new WindowClock(BigInt(options.windowMs ?? DEFAULT_WINDOW_MS) * 1_000_000n);
    this.ready = new ReadyWindows(io.reader);
  }

  /** Takes a batch the per-trace stage analyzed on another thread, with its rows as read there. */
  feed(traces: readonly BatchTrace[], raw: BatchRows): void {
    const traceIds = new Map(traces.map((t) => [t.key, t.traceId]));
    for (const [key, rows] of this.io.reader.decodeRows(traces, raw)) this.feedTrace(traceIds.get(key)!, rows);
    this.endBatch();
  }

  /** Judges every window that ends by `settledNs` (TraceStage.settledNs); resolves to the windows recorded. */
  async advance(settledNs: bigint): Promise<number> {
    let recorded = 0;
    for (let range = this.windows.next(settledNs); range; range = this.windows.next(settledNs)) {
      // records no trace brings that fall between windows (in none with spans) are judged as a window of their own
      if (range.fromNs > this.logsUpToNs && (await this.judge({ fromNs: this.logsUpToNs, toNs: range.fromNs }, true))) recorded++;
      if (await this.judge(range, false)) recorded++;
    }
    if (recorded > 0) for (const traceId of this.fed.keys()) if (!this.crossTrace.holds(traceId)) this.fed.delete(traceId);
    return recorded;
  }

  /**
   * Judges what is left after the last window: records no trace brings, up to `toNs` (`import`, once
   * everything is analyzed; serve leaves them to the next window). Resolves to the windows recorded.
   */
  async evaluateRest(toNs: bigint): Promise<number> {
    return toNs > this.logsUpToNs && (await this.judge({ fromNs: this.logsUpToNs, toNs }, true)) ? 1 : 0;
  }

  /** Spans and traces the cross-trace detectors hold. */
  held(): { spans: number; traces: number } {
    return { spans: this.crossTrace.spanCount(), traces: this.fed.size };
  }

  /** Runs the cross-trace detectors over a window and records what they found; with `onlyWithLogs`, only if it has such records. */
  private async judge(range: WindowRange, onlyWithLogs: boolean): Promise<boolean> {
    // a window judged again (a late span in it) already has its records
    if (range.toNs > this.logsUpToNs) {
      const fromNs = range.fromNs > this.logsUpToNs ? range.fromNs : this.logsUpToNs;
      const logs = this.io.reader.windowLogs(fromNs, range.toNs, WINDOW_LOG_LIMIT);
      this.logsUpToNs = range.toNs;
      if (logs.length === 0 && onlyWithLogs) return false;
      this.crossTrace.add({ spans: [], logs });
    } else if (onlyWithLogs) return false;
    const { observations, stitches } = this.crossTrace.evaluate(range);
    observations.push(...this.ready.evaluate(range));
    await this.io.recordWindowAnalysis(`${range.fromNs}-${range.toNs}`, observations, stitches);
    return true;
  }

  /** Feeds what is new of one trace (call `ready.flush` after a batch). */
  feedTrace(traceId: string, rows: TraceRows): void {
    const last = this.fed.get(traceId) ?? { span: 0, log: 0 };
    const spans = last.span === 0 ? rows.spans : rows.spans.filter((_, i) => rows.spanIds[i] > last.span);
    const logs = last.log === 0 ? rows.logs : rows.logs.filter((l) => l.id > last.log);
    for (const s of spans) this.windows.saw(s.startNs);
    for (const id of rows.spanIds) if (id > last.span) last.span = id;
    for (const l of logs) if (l.id > last.log) last.log = l.id;
    this.fed.set(traceId, last);
    this.crossTrace.add({ spans, logs });
    this.ready.add(spans);
  }

  /** Ends a batch fed trace by trace: ready-but-failing tallies its spans. */
  endBatch(): void {
    this.ready.flush();
  }
}

/** Both halves on one thread (`import`, and tests): each batch is fed to the windows as it is analyzed. */
export class AnalysisEngine {
  private readonly traces: TraceStage;
  private readonly windows: WindowStage;

  constructor(io: AnalysisIo, options: EngineOptions = {}) {
    this.traces = new TraceStage(io, options);
    this.windows = new WindowStage(io, options);
  }

  /** Analyzes one batch of due traces; resolves to how many. */
  async analyzeBatch(): Promise<number> {
    const batch = await this.traces.analyzeBatch((traceId, rows) => this.windows.feedTrace(traceId, rows));
    this.windows.endBatch();
    return batch?.traces.length ?? 0;
  }

  /** Judges every window that is due (see TraceStage.settledNs). Resolves to the windows recorded. */
  evaluateWindows(): Promise<number> {
    return this.windows.advance(this.traces.settledNs());
  }

  /** See WindowStage.evaluateRest. */
  evaluateRest(toNs: bigint): Promise<number> {
    return this.windows.evaluateRest(toNs);
  }

  /** What the engine holds (the analysis benchmark prints it). */
  held(): { spans: number; spanIds: number; traces: number } {
    return { ...this.windows.held(), spanIds: this.traces.spanIdCount() };
  }
}

/** Log records read at most to find a restarted instance's last lines. */
const RESTART_LOG_LIMIT = 1000;
/** ready-but-failing compares a pod with its siblings over this much span time before each window. */
const READY_LOOKBACK_MS = 300_000;
const READY_BUCKET_MS = 10_000;

/** The per-trace cluster detectors, while the store holds a cluster's history; without any, one small query per batch. */
class ClusterJudge {
  constructor(private readonly reader: AnalysisReader) {}

  /** Whether the store holds a cluster's history to judge against. */
  active(): boolean {
    return this.reader.clusters().length > 0;
  }

  /** The per-trace cluster observations of each trace, judged against the history around their spans (read once). */
  judge(traces: readonly AssembledTrace[]): Map<AssembledTrace, Observation[]> {
    const out = new Map<AssembledTrace, Observation[]>();
    const history = historyAround(this.reader, traces.flatMap((t) => t.spans));
    if (!history) return out;
    const logs = this.podLogs(history);
    for (const trace of traces) out.set(trace, clusterObservations(trace, history, { logs }));
    return out;
  }

  /** A pod's log records between two times, found among the records of that time (bounded). */
  private podLogs(history: ClusterHistory): PodLogs {
    return (podUid, fromMs, toMs) =>
      this.reader
        .searchLogs({ fromNs: BigInt(Math.floor(fromMs)) * 1_000_000n, toNs: BigInt(Math.ceil(toMs)) * 1_000_000n, limit: RESTART_LOG_LIMIT })
        .items.filter((l) => history.linkResource(l.resource.attributes, Number(l.timeNs / 1_000_000n), l.resource.peers)?.pod.uid === podUid);
  }
}

/** ready-but-failing in serve: SERVER spans tallied per pod in time buckets, evaluated per window over the lookback before it. */
class ReadyWindows {
  private readonly readyButFailing = new ReadyButFailing(READY_BUCKET_MS);
  /** The batch's spans so far, while the store holds a cluster's history (undefined: not asked yet). */
  private batch: Span[] | false | undefined;

  constructor(private readonly reader: AnalysisReader) {}

  add(spans: readonly Span[]): void {
    this.batch ??= this.reader.clusters().length > 0 ? [] : false;
    if (this.batch) for (const span of spans) this.batch.push(span);
  }

  /** Tallies the batch's spans against the history around them (read once). */
  flush(): void {
    const spans = this.batch;
    this.batch = undefined;
    const history = spans ? historyAround(this.reader, spans) : undefined;
    if (spans && history) this.readyButFailing.add(spans, history);
  }

  /** Its occurrences in the window, judged over the lookback before it. */
  evaluate(range: WindowRange): Observation[] {
    const fromMs = Number(range.fromNs / 1_000_000n);
    const toMs = Number(range.toNs / 1_000_000n);
    this.readyButFailing.forgetBefore(fromMs - READY_LOOKBACK_MS);
    const pods = this.readyButFailing.pods();
    const [server] = this.reader.clusters();
    if (server === undefined || pods.length === 0) return [];
    const history = new ClusterHistory(this.reader.clusterHistoryAround(server, { uids: pods, names: [], addresses: [], containerIds: [] }));
    return this.readyButFailing.evaluate(history, { fromMs: fromMs - READY_LOOKBACK_MS, toMs, reportFromMs: fromMs });
  }
}

/** The history of the cluster last seen around these spans, or undefined when there is none. */
function historyAround(reader: AnalysisReader, spans: readonly Span[]): ClusterHistory | undefined {
  const [server] = reader.clusters();
  if (server === undefined || spans.length === 0) return undefined;
  const history = new ClusterHistory(reader.clusterHistoryAround(server, linkKeysOfSpans(spans)));
  return history.size === 0 ? undefined : history;
}

/**
 * Tumbling windows of span time, aligned to their length; only windows where a span starts are evaluated.
 * Windows never go back in time: a span in a window before the last one evaluated is too late (that window's
 * result stands).
 */
class WindowClock {
  /** Starts of the windows with new data, ascending (a Set to tell a known one cheaply: every span is seen). */
  private readonly pending = new Set<bigint>();
  private readonly order: bigint[] = [];
  private lastFromNs: bigint | undefined;

  constructor(private readonly windowNs: bigint) {}

  saw(startNs: bigint): void {
    const fromNs = startNs - (((startNs % this.windowNs) + this.windowNs) % this.windowNs);
    if (this.pending.has(fromNs) || (this.lastFromNs !== undefined && fromNs < this.lastFromNs)) return;
    this.pending.add(fromNs);
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.order[mid] < fromNs) lo = mid + 1;
      else hi = mid;
    }
    this.order.splice(lo, 0, fromNs);
  }

  /** The earliest window with new data that ends by `settledNs`; it counts as evaluated. */
  next(settledNs: bigint): WindowRange | undefined {
    const fromNs = this.order[0];
    if (fromNs === undefined || fromNs + this.windowNs > settledNs) return undefined;
    this.order.shift();
    this.pending.delete(fromNs);
    this.lastFromNs = fromNs;
    return { fromNs, toNs: fromNs + this.windowNs };
  }
}
