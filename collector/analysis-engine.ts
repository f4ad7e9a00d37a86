// Live analysis itself, in two halves that run on one thread (`import`) or on two (serve: analysis-worker.ts
// and window-worker.ts, so that a backlog drains on both cores while nothing is being received). The per-trace
// stage takes the traces due (quiet for the settle time) in batches, earliest span time first, reads each
// batch's spans and logs in one query each, decodes them a trace at a time, runs the per-trace detectors, hands
// the results to the writer in one transaction and builds the facts of the same spans for the window stage,
// which judges a window of span time once every trace that may hold spans in it (and its margin) has been fed.
// A span that arrives after its trace was analyzed re-opens the trace; a window already judged stays judged.
//
// Memory is bounded whatever has been analyzed: the cross-trace set holds at most MAX_HELD_SPANS spans
// (the windows' lookback, cut shorter when the data is denser), the span-id map MAX_SPAN_IDS ids, and what
// was fed of each trace is remembered for as many traces as the set can hold spans.
import type { Observation } from '../common/findings';
import { analyzeTrace, assembleTrace, LiveCrossTrace, TracesContext, type AssembledTrace, type WindowRange } from './analysis';
import { clusterObservations } from './analysis/cluster-detectors';
import { ClusterHistory, linkKeysOfSpans } from './analysis/cluster-links';
import { FactBuilder } from './analysis/facts';
import { FactPacker, type PackedFacts } from './analysis/fact-wire';
import { resolveOptions } from './analysis/options';
import { ReadyButFailing, type ReadyTally } from './analysis/ready-but-failing';
import type { PodLogs } from './analysis/restart-during-trace';
import type { AnalysisReader } from './store/analysis-reads';
import type { Span } from './model';
import type { DueTrace, Store, StoredLog, TraceAnalysis, TraceRows } from './store/types';

export const DEFAULT_SETTLE_MS = 10_000;
export const DEFAULT_WINDOW_MS = 10_000;
export const DEFAULT_BATCH = 100;
/** Data kept before a window to judge it (a queue's producers, a request's first trace). */
const LOOKBACK_NS = 300_000_000_000n;
/** Consumers and servers this far past a window are matched with it, so the window waits for them. */
const MARGIN_NS = 5_000_000_000n;
/** Log records read per window at most that no trace brings (without trace context, or of a trace with no spans). */
const WINDOW_LOG_LIMIT = 10_000;
/** Spans the cross-trace detectors hold at most (≈ 0.5 KB each as facts: 48 MB). */
export const MAX_HELD_SPANS = 100_000;
/**
 * Span ids remembered to find a missing parent in another trace: two generations of tables of typed arrays, each
 * twice the size it holds (12 MB in all, outside the heap; context.ts).
 */
export const MAX_SPAN_IDS = 200_000;
/**
 * Batches whose results may be on their way to the writer while the next is analyzed: the writer shares the two cores
 * with both analysis threads, and with one the analysis worker waited for it 15 s of a 117 s drain (5M spans).
 */
const RECORDING_AHEAD = 2;
/**
 * Windows judged together at most (LiveCrossTrace.evaluateAll): a backlog of sparse traffic makes many due at once,
 * and the detectors cost about as much for one of them as for several (a trace a second of realistic spans, fed as
 * analysis feeds them: 1,000 windows one by one in 0.4–0.6 s, 16 at a time in 0.15 s). 16 windows span half the
 * lookback, so the last is judged with at most 1.5 times as much data before it.
 */
const WINDOWS_AT_ONCE = 16;
/** A window waits this long at most for a trace that keeps receiving spans (not due) and starts before its end. */
const HOLD_MS = 60_000;

/** What analysis reads and writes: a Store, or an analysis worker's own connection and writer port. */
export interface AnalysisIo {
  reader: AnalysisReader;
  recordTraceAnalyses: Store['recordTraceAnalyses'];
  recordWindowAnalysis: Store['recordWindowAnalysis'];
  /**
   * Told the traces whose rows a batch is about to read, and [] once their detectors have run (serve's analysis
   * worker tells its parent, which has them analyzed one at a time if the thread dies meanwhile).
   */
  analyzing?(traces: readonly DueTrace[]): void;
  /** Told of each trace set aside unanalyzed for having more than `maxTraceSpans` spans. */
  setAside?(trace: DueTrace): void;
}

export interface EngineOptions {
  /** A trace is analyzed once no span has arrived for it for this long. Default 10 s. */
  settleMs?: number;
  /**
   * Traces read and analyzed per batch. Default 100: what a batch reads lives until it is analyzed, and with 250 the
   * garbage collector copied and promoted it (1M spans: 17 % less CPU with 100; 50 cost more per batch than it saved).
   */
  batch?: number;
  /** Length of the windows the cross-trace detectors run over. Default 10 s. */
  windowMs?: number;
  /**
   * A trace of more spans than this is not read: it is recorded as analyzed with no findings of its own (its
   * spans reach neither the span-id map nor the windows) and told to `setAside`. Serve's analysis worker, whose
   * heap is bounded, sets it (live-analysis.ts MAX_LIVE_TRACE_SPANS); default none, as `import` analyzes all.
   */
  maxTraceSpans?: number;
}

/**
 * What the window stage is fed of a batch: the facts of its new spans and records (built by the per-trace stage
 * from the rows it decoded, and packed), the windows those spans start in, and what ready-but-failing tallied of
 * them. Plain data, cloned as it is to the window worker.
 */
export interface FedBatch {
  facts: PackedFacts;
  /** Starts of the windows the new spans start in. */
  windows: bigint[];
  ready: ReadyTally | undefined;
}

/** Wall-clock ns since the Unix epoch from the monotonic clock, so the clock never steps back. */
const hrtimeOffset = process.hrtime.bigint() - BigInt(Date.now()) * 1_000_000n;
const nowNs = () => process.hrtime.bigint() - hrtimeOffset;

/**
 * The per-trace half: takes the due traces, reads and decodes them, runs the per-trace (and cluster) detectors
 * and records the results; keeps the span-id map that finds a parent in another trace; builds the facts the
 * windows are fed, and says up to when the windows may be judged once they have been fed.
 */
export class TraceStage {
  private readonly settleMs: number;
  private readonly batch: number;
  private readonly maxTraceSpans: number;
  private readonly lagNs: bigint;
  private readonly windowNs: bigint;
  // Bounded: serve runs for days; a parent in another trace is almost always close in time.
  private readonly context = new TracesContext(MAX_SPAN_IDS);
  private readonly cluster: ClusterJudge;
  /** What was fed of each trace the windows may still hold (they hold at most MAX_HELD_SPANS spans, so as many traces). */
  private readonly fed = new FedMarks(MAX_HELD_SPANS);
  private facts: { builder: FactBuilder; packer: FactPacker } | undefined;
  private logIndex = 0;
  /** Since when the earliest pending trace, not yet due, has held the windows back. */
  private holdingSince: number | undefined;
  /** The last batches' results on their way to the writer (recorded in order), and their traces (still waiting in the store meanwhile). */
  private recording: Promise<void> = Promise.resolve();
  private readonly recordings: Promise<void>[] = [];
  private readonly recordingKeys = new Set<number>();

  constructor(private readonly io: Omit<AnalysisIo, 'recordWindowAnalysis'>, options: EngineOptions = {}) {
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.batch = options.batch ?? DEFAULT_BATCH;
    this.maxTraceSpans = options.maxTraceSpans ?? Infinity;
    this.lagNs = BigInt(this.settleMs) * 1_000_000n + MARGIN_NS;
    this.windowNs = BigInt(options.windowMs ?? DEFAULT_WINDOW_MS) * 1_000_000n;
    this.cluster = new ClusterJudge(io.reader);
  }

  /**
   * Analyzes one batch of due traces (or these traces, taken whether due or not) and hands its results to the
   * writer; resolves to how many were taken (those set aside too) and what the windows are fed, or undefined when
   * none is due. The next batches are analyzed while the writer records this one (at most RECORDING_AHEAD batches
   * are on their way): `recorded()` resolves once every one is.
   */
  async analyzeBatch(only?: readonly DueTrace[]): Promise<{ traces: number; fed: FedBatch } | undefined> {
    const dueNotRecording = () => this.io.reader.dueTraces(this.settleMs, this.batch, this.recordingKeys);
    let due = only ?? dueNotRecording();
    if (due.length === 0 && this.recordingKeys.size > 0 && !only) {
      // all that is due is being recorded: it may have been re-opened meanwhile
      await this.recording.catch(() => undefined);
      due = dueNotRecording();
    }
    if (due.length === 0) return undefined;
    const results = new Map<number, TraceAnalysis>();
    const read: DueTrace[] = [];
    for (const d of due) {
      if (d.spans <= this.maxTraceSpans) read.push(d);
      else {
        results.set(d.key, { key: d.key, touches: d.touches, observations: [] });
        this.io.setAside?.(d);
      }
    }
    const windows = new Set<bigint>();
    let ready: ReadyTally | undefined;
    if (read.length > 0) this.io.analyzing?.(read);
    try {
      const raw = this.io.reader.batchRows(read);
      const byKey = new Map(read.map((d) => [d.key, d]));
      // a trace at a time, so that only one trace's spans are alive (what a batch allocates dies young); with a
      // cluster's history, the batch's traces are judged against it together (one read), at the end
      const server = read.length > 0 ? this.cluster.server() : undefined;
      const clustered: { result: TraceAnalysis; trace: AssembledTrace; fresh: readonly Span[] }[] = [];
      for (const [key, rows] of this.io.reader.decodeRows(read, raw)) {
        const { traceId, touches } = byKey.get(key)!;
        this.context.add(rows.spans);
        const fresh = this.fed.take(traceId, rows);
        const { builder, packer } = (this.facts ??= this.factsFrom(rows));
        // packed as they are built, so that each fact dies young
        for (const span of fresh.spans) {
          packer.span(builder.span(span));
          windows.add(windowOf(span.startNs, this.windowNs));
        }
        for (const log of fresh.logs) packer.log(builder.log(log, this.logIndex++));
        const trace = rows.spans.length > 0 ? assembleTrace(rows.spans) : undefined;
        const result = { key, touches, observations: trace ? analyzeTrace(trace, this.context) : [] };
        results.set(key, result);
        if (trace && server !== undefined) clustered.push({ result, trace, fresh: fresh.spans });
      }
      if (server !== undefined) {
        const judged = this.cluster.judge(server, clustered.map((c) => c.trace), clustered.flatMap((c) => c.fresh));
        for (const { result, trace } of clustered) result.observations = [...result.observations, ...(judged.observations.get(trace) ?? [])];
        ready = judged.ready;
      }
    } finally {
      if (read.length > 0) this.io.analyzing?.([]);
    }
    for (const { key, touches } of due) if (!results.has(key)) results.set(key, { key, touches, observations: [] });
    for (const { key } of due) this.recordingKeys.add(key);
    this.recording = this.recording
      .catch(() => undefined)
      .then(() => this.io.recordTraceAnalyses([...results.values()]))
      .finally(() => due.forEach(({ key }) => this.recordingKeys.delete(key)));
    this.recordings.push(this.recording);
    // an earlier batch's failure, once
    while (this.recordings.length > RECORDING_AHEAD) await this.recordings.shift();
    const facts = this.facts?.packer.pack() ?? { epochNs: 0n, numbers: new Float64Array(0), strings: [] };
    return { traces: due.length, fed: { facts, windows: [...windows], ready } };
  }

  /** Facts are built on one epoch: the first span's (or record's) time. */
  private factsFrom(rows: TraceRows): { builder: FactBuilder; packer: FactPacker } {
    const epochNs = rows.spans[0]?.startNs ?? (rows.logs[0]!.timeNs || rows.logs[0]!.observedNs);
    return { builder: new FactBuilder(epochNs, FACT_OPTIONS), packer: new FactPacker(epochNs) };
  }

  /** Resolves once every batch analyzed is recorded (rejects if the last one failed). */
  recorded(): Promise<void> {
    return this.recording;
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

  /** Span ids the span-id map holds, and traces whose feeding is remembered. */
  held(): { spanIds: number; traces: number } {
    return { spanIds: this.context.spanIdCount(), traces: this.fed.size };
  }
}

/** The cross-trace detectors' options: the defaults, in both halves (facts are built with them in one, judged in the other). */
const FACT_OPTIONS = resolveOptions({});

/**
 * The cross-trace half: fed the facts of each analyzed batch, it judges a window of span time once the per-trace
 * stage says nothing before its end and margin is still to come (see TraceStage.settledNs). A span that arrives
 * after its trace was analyzed re-opens the trace; a window already judged stays judged.
 */
export class WindowStage {
  private readonly crossTrace = new LiveCrossTrace({ lookbackNs: Number(LOOKBACK_NS), marginNs: Number(MARGIN_NS), maxSpans: MAX_HELD_SPANS });
  private readonly windows: WindowClock;
  private readonly ready: ReadyWindows;
  /** Records no trace brings are read up to here (see takeLogs). */
  private logsUpToNs = 0n;

  constructor(private readonly io: Omit<AnalysisIo, 'recordTraceAnalyses'>, options: EngineOptions = {}) {
    this.windows = new WindowClock(BigInt(options.windowMs ?? DEFAULT_WINDOW_MS) * 1_000_000n);
    this.ready = new ReadyWindows(io.reader);
  }

  /** Takes what a batch brought (on this thread or from the analysis worker). */
  feed(batch: FedBatch): void {
    this.crossTrace.addPacked(batch.facts);
    for (const fromNs of batch.windows) this.windows.saw(fromNs);
    if (batch.ready) this.ready.merge(batch.ready);
  }

  /** Judges every window that ends by `settledNs` (TraceStage.settledNs); resolves to the windows recorded. */
  async advance(settledNs: bigint): Promise<number> {
    let recorded = 0;
    for (;;) {
      const ranges: WindowRange[] = [];
      for (let range: WindowRange | undefined; ranges.length < WINDOWS_AT_ONCE && (range = this.windows.next(settledNs)); ) {
        // records no trace brings that fall between windows (in none with spans) are judged as a window of their own
        const between = { fromNs: this.logsUpToNs, toNs: range.fromNs };
        if (range.fromNs > this.logsUpToNs && this.takeLogs(between)) ranges.push(between);
        this.takeLogs(range);
        ranges.push(range);
      }
      if (ranges.length === 0) return recorded;
      recorded += await this.judge(ranges);
    }
  }

  /**
   * Judges what is left after the last window: records no trace brings, up to `toNs` (`import`, once
   * everything is analyzed; serve leaves them to the next window). Resolves to the windows recorded.
   */
  async evaluateRest(toNs: bigint): Promise<number> {
    const rest = { fromNs: this.logsUpToNs, toNs };
    return toNs > this.logsUpToNs && this.takeLogs(rest) ? this.judge([rest]) : 0;
  }

  /** Spans the cross-trace detectors hold. */
  spanCount(): number {
    return this.crossTrace.spanCount();
  }

  /** Adds the records of the window no trace brings (read once: a window judged again already has them); whether there were any. */
  private takeLogs(range: WindowRange): boolean {
    if (range.toNs <= this.logsUpToNs) return false;
    const logs = this.io.reader.windowLogs(range.fromNs > this.logsUpToNs ? range.fromNs : this.logsUpToNs, range.toNs, WINDOW_LOG_LIMIT);
    this.logsUpToNs = range.toNs;
    if (logs.length > 0) this.crossTrace.add({ spans: [], logs });
    return logs.length > 0;
  }

  /** Runs the cross-trace detectors over the windows together and records what they found in each; resolves to how many. */
  private async judge(ranges: readonly WindowRange[]): Promise<number> {
    const results = this.crossTrace.evaluateAll(ranges);
    await Promise.all(
      ranges.map((range, i) => {
        const { observations, stitches } = results[i];
        observations.push(...this.ready.evaluate(range));
        return this.io.recordWindowAnalysis(`${range.fromNs}-${range.toNs}`, observations, stitches);
      }),
    );
    return ranges.length;
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
    const batch = await this.traces.analyzeBatch();
    await this.traces.recorded();
    if (!batch) return 0;
    this.windows.feed(batch.fed);
    return batch.traces;
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
    return { ...this.traces.held(), spans: this.windows.spanCount() };
  }
}

/**
 * Per trace, the highest span and log row ids fed to the windows, so that a re-opened trace adds only what is
 * new. At most `max` traces, in two generations (forgetting is O(1), as in TracesContext).
 */
class FedMarks {
  private recent = new Map<string, { span: number; log: number }>();
  private older = new Map<string, { span: number; log: number }>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.recent.size + this.older.size;
  }

  /** What is new of this trace since it was last fed; marks it fed. */
  take(traceId: string, rows: TraceRows): { spans: readonly Span[]; logs: readonly StoredLog[] } {
    const last = this.recent.get(traceId) ?? this.older.get(traceId) ?? { span: 0, log: 0 };
    const spans = last.span === 0 ? rows.spans : rows.spans.filter((_, i) => rows.spanIds[i] > last.span);
    const logs = last.log === 0 ? rows.logs : rows.logs.filter((l) => l.id > last.log);
    for (const id of rows.spanIds) if (id > last.span) last.span = id;
    for (const l of logs) if (l.id > last.log) last.log = l.id;
    this.recent.set(traceId, last);
    if (this.recent.size >= this.max / 2) {
      this.older = this.recent;
      this.recent = new Map();
    }
    return { spans, logs };
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

  /** The cluster (API server URL) whose history the store holds, last seen first; undefined: none to judge against. */
  server(): string | undefined {
    return this.reader.clusters()[0];
  }

  /**
   * The per-trace cluster observations of each trace, judged against the server's history around their spans
   * (read once), and ready-but-failing's tally of the spans new to the windows.
   */
  judge(server: string, traces: readonly AssembledTrace[], fresh: readonly Span[]): { observations: Map<AssembledTrace, Observation[]>; ready: ReadyTally | undefined } {
    const observations = new Map<AssembledTrace, Observation[]>();
    const spans = traces.flatMap((t) => t.spans);
    const history = spans.length > 0 ? new ClusterHistory(this.reader.clusterHistoryAround(server, linkKeysOfSpans(spans))) : undefined;
    if (!history || history.size === 0) return { observations, ready: undefined };
    const logs = this.podLogs(history);
    for (const trace of traces) observations.set(trace, clusterObservations(trace, history, { logs }));
    const ready = new ReadyButFailing(READY_BUCKET_MS);
    ready.add(fresh, history);
    return { observations, ready: ready.tally() };
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

  constructor(private readonly reader: AnalysisReader) {}

  merge(tally: ReadyTally): void {
    this.readyButFailing.merge(tally);
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

/** The start of the window a span starting at `startNs` falls in. */
function windowOf(startNs: bigint, windowNs: bigint): bigint {
  return startNs - (((startNs % windowNs) + windowNs) % windowNs);
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

  /** A window (its start, windowOf) that has new data. */
  saw(fromNs: bigint): void {
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
