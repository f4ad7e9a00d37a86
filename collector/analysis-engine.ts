// Live analysis itself, wherever it runs (serve's analysis worker, or `import` on its own thread): takes the
// traces due (quiet for the settle time) in batches, earliest span time first, reads each batch's spans and
// logs in one query each, runs the per-trace detectors and hands the results to the writer in one
// transaction; feeds the same spans to the cross-trace detectors, which judge a window of span time once
// every trace that may hold spans in it (and its margin) has been fed. A span that arrives after its trace
// was analyzed re-opens the trace; a window already judged stays judged.
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
import type { Store, TraceRows } from './store/types';

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

/** What analysis reads and writes: a Store, or the analysis worker's own connection and writer port. */
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

/** Wall-clock ns since the Unix epoch from the monotonic clock, so the clock never steps back. */
const hrtimeOffset = process.hrtime.bigint() - BigInt(Date.now()) * 1_000_000n;
const nowNs = () => process.hrtime.bigint() - hrtimeOffset;

export class AnalysisEngine {
  private readonly settleMs: number;
  private readonly batch: number;
  private readonly lagNs: bigint;
  // Bounded: serve runs for days; a parent in another trace is almost always close in time.
  private readonly context = new TracesContext(MAX_SPAN_IDS);
  private readonly crossTrace = new LiveCrossTrace({ lookbackNs: Number(LOOKBACK_NS), marginNs: Number(MARGIN_NS), maxSpans: MAX_HELD_SPANS });
  private readonly windows: WindowClock;
  private readonly cluster: LiveClusterDetectors;
  /** Per trace the cross-trace set holds: the highest span and log row ids fed, so a re-opened trace adds only what is new. */
  private readonly fed = new Map<string, { span: number; log: number }>();
  /** Records no trace brings are read up to here (see judge). */
  private logsUpToNs = 0n;
  /** Since when the earliest pending trace, not yet due, has held the windows back. */
  private holdingSince: number | undefined;

  constructor(private readonly io: AnalysisIo, options: EngineOptions = {}) {
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.batch = options.batch ?? DEFAULT_BATCH;
    this.lagNs = BigInt(this.settleMs) * 1_000_000n + MARGIN_NS;
    this.windows = new WindowClock(BigInt(options.windowMs ?? DEFAULT_WINDOW_MS) * 1_000_000n);
    this.cluster = new LiveClusterDetectors(io.reader);
  }

  /** Analyzes one batch of due traces; resolves to how many. */
  async analyzeBatch(): Promise<number> {
    const due = this.io.reader.dueTraces(this.settleMs, this.batch);
    if (due.length === 0) return 0;
    const rows = this.io.reader.traceRows(due);
    const traces: { trace: AssembledTrace | undefined; key: number; touches: number }[] = [];
    for (const { key, traceId, touches } of due) {
      const r = rows.get(key);
      if (r) {
        this.context.add(r.spans);
        this.feed(traceId, r);
      }
      traces.push({ key, touches, trace: r && r.spans.length > 0 ? assembleTrace(r.spans) : undefined });
    }
    const onCluster = this.cluster.judge(traces.flatMap((t) => t.trace ?? []));
    await this.io.recordTraceAnalyses(
      traces.map(({ key, touches, trace }) => ({
        key,
        touches,
        observations: trace ? [...analyzeTrace(trace, this.context), ...(onCluster.get(trace) ?? [])] : [],
      })),
    );
    return due.length;
  }

  /**
   * Judges every window that is due: past its end by the settle time and margin, and with no pending trace
   * starting before its end and margin (such a trace is analyzed first, however late it was written; one that
   * keeps receiving spans holds windows back HOLD_MS at most). Resolves to the windows recorded.
   */
  async evaluateWindows(): Promise<number> {
    let settledNs = nowNs() - this.lagNs;
    const first = this.io.reader.firstPending(this.settleMs);
    // a due trace is analyzed next, so it holds the windows before it; one not yet due only for HOLD_MS
    if (!first || first.due) this.holdingSince = undefined;
    else this.holdingSince ??= Date.now();
    const holds = first !== undefined && (this.holdingSince === undefined || Date.now() - this.holdingSince < HOLD_MS);
    if (holds && first.startNs - MARGIN_NS < settledNs) settledNs = first.startNs - MARGIN_NS;
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
    observations.push(...this.cluster.evaluateWindow(range));
    await this.io.recordWindowAnalysis(`${range.fromNs}-${range.toNs}`, observations, stitches);
    return true;
  }

  /** What the engine holds (the analysis benchmark prints it). */
  held(): { spans: number; spanIds: number; traces: number } {
    return { spans: this.crossTrace.spanCount(), spanIds: this.context.spanIdCount(), traces: this.fed.size };
  }

  private feed(traceId: string, rows: TraceRows): void {
    const last = this.fed.get(traceId) ?? { span: 0, log: 0 };
    const spans = last.span === 0 ? rows.spans : rows.spans.filter((_, i) => rows.spanIds[i] > last.span);
    const logs = last.log === 0 ? rows.logs : rows.logs.filter((l) => l.id > last.log);
    for (const s of spans) this.windows.saw(s.startNs);
    for (const id of rows.spanIds) if (id > last.span) last.span = id;
    for (const l of logs) if (l.id > last.log) last.log = l.id;
    this.fed.set(traceId, last);
    this.crossTrace.add({ spans, logs });
  }
}

/** Log records read at most to find a restarted instance's last lines. */
const RESTART_LOG_LIMIT = 1000;
/** ready-but-failing compares a pod with its siblings over this much span time before each window. */
const READY_LOOKBACK_MS = 300_000;
const READY_BUCKET_MS = 10_000;

/**
 * The cluster detectors, while the store holds a cluster's history: each batch of traces is judged against the
 * history around its spans (read once per batch); ready-but-failing tallies SERVER spans per pod in time
 * buckets and is evaluated per window over the lookback before it. Without any history it costs one small
 * query per batch.
 */
class LiveClusterDetectors {
  private readonly readyButFailing = new ReadyButFailing(READY_BUCKET_MS);

  constructor(private readonly reader: AnalysisIo['reader']) {}

  /** The per-trace cluster observations of each trace. */
  judge(traces: readonly AssembledTrace[]): Map<AssembledTrace, Observation[]> {
    const out = new Map<AssembledTrace, Observation[]>();
    const [server] = this.reader.clusters();
    if (server === undefined || traces.length === 0) return out;
    const history = new ClusterHistory(this.reader.clusterHistoryAround(server, linkKeysOfSpans(traces.flatMap((t) => t.spans))));
    if (history.size === 0) return out;
    const logs = this.podLogs(history);
    for (const trace of traces) {
      out.set(trace, clusterObservations(trace, history, { logs }));
      this.readyButFailing.add(trace, history);
    }
    return out;
  }

  /** ready-but-failing's occurrences in the window, judged over the lookback before it. */
  evaluateWindow(range: WindowRange): Observation[] {
    const fromMs = Number(range.fromNs / 1_000_000n);
    const toMs = Number(range.toNs / 1_000_000n);
    this.readyButFailing.forgetBefore(fromMs - READY_LOOKBACK_MS);
    const pods = this.readyButFailing.pods();
    const [server] = this.reader.clusters();
    if (server === undefined || pods.length === 0) return [];
    const history = new ClusterHistory(this.reader.clusterHistoryAround(server, { uids: pods, names: [], addresses: [], containerIds: [] }));
    return this.readyButFailing.evaluate(history, { fromMs: fromMs - READY_LOOKBACK_MS, toMs, reportFromMs: fromMs });
  }

  /** A pod's log records between two times, found among the records of that time (bounded). */
  private podLogs(history: ClusterHistory): PodLogs {
    return (podUid, fromMs, toMs) =>
      this.reader
        .searchLogs({ fromNs: BigInt(Math.floor(fromMs)) * 1_000_000n, toNs: BigInt(Math.ceil(toMs)) * 1_000_000n, limit: RESTART_LOG_LIMIT })
        .items.filter((l) => history.linkResource(l.resource.attributes, Number(l.timeNs / 1_000_000n), l.resource.peers)?.pod.uid === podUid);
  }
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
