// `hopscope serve` analyzes a trace once it has been quiet for a settle window, on a timer between ingest
// requests (on the receiving thread, capped per tick; the store's writer thread records the results, so a
// tick waits for it without blocking requests): a parent that arrives a few seconds late is never
// reported missing, and a span that arrives after analysis re-opens its trace. The cross-trace detectors
// run over windows of span time once every trace in a window (and its margin) has settled.
import { paceText } from '../common/text';
import { ANALYSIS_BACKLOG_SHOWN } from '../common/wire';
import type { Observation } from '../common/findings';
import { analyzeTrace, assembleTrace, LiveCrossTrace, TracesContext, type AssembledTrace, type WindowRange } from './analysis';
import { clusterObservations } from './analysis/cluster-detectors';
import { ClusterHistory, linkKeysOfSpans } from './analysis/cluster-links';
import { ReadyButFailing } from './analysis/ready-but-failing';
import type { PodLogs } from './analysis/restart-during-trace';
import type { LogRecord, Span } from './model';
import type { Store } from './store/types';

export const DEFAULT_SETTLE_MS = 10_000;
export const DEFAULT_WINDOW_MS = 10_000;
/** Data kept before a window to judge it (a queue's producers, a request's first trace). */
const LOOKBACK_NS = 300_000_000_000n;
/** Consumers and servers this far past a window are matched with it, so the window waits for them. */
const MARGIN_NS = 5_000_000_000n;
/** Windows evaluated per tick at most, so a burst of old data never holds the event loop for long. */
const WINDOWS_PER_TICK = 20;
/** Log records without trace context read per window at most (pages of 1000). */
const CONTEXTLESS_LOG_PAGES = 10;

export interface LiveAnalysisOptions {
  /** A trace is analyzed once no span has arrived for it for this long. Default 10 s. */
  settleMs?: number;
  /** How often settled traces are looked for. Default 500 ms. */
  intervalMs?: number;
  /** Traces analyzed per tick, so one tick never holds the event loop for long. Default 100. */
  tracesPerTick?: number;
  /** Length of the windows the cross-trace detectors run over, and how often they run. Default 10 s. */
  windowMs?: number;
  /** No timer: nothing is analyzed unless `tick()` is called. */
  paused?: boolean;
}

/** What live analysis has yet to do: traces due (quiet for the settle time) and not analyzed, and its recent pace. */
export interface AnalysisProgress {
  /** Traces quiet for the settle time and not yet analyzed. */
  due: number;
  /** Traces analyzed per second over the last RATE_WINDOW_MS (0 before any). */
  perSecond: number;
}

/** The window the analysis rate is measured over. */
const RATE_WINDOW_MS = 20_000;

/** The terminal's line for a backlog. */
export function backlogLine(p: AnalysisProgress): string {
  return `Analysis: ${p.due} traces waiting${paceText(p.due, p.perSecond)}; findings are incomplete until then`;
}

/**
 * Writes a line now and every `everyMs` while at least ANALYSIS_BACKLOG_SHOWN traces are due, and one when the backlog
 * has drained; returns a function that stops it.
 */
export function reportBacklog(progress: () => AnalysisProgress, write: (line: string) => void, everyMs = 10_000): () => void {
  let shown = false;
  const check = () => {
    const p = progress();
    if (p.due >= ANALYSIS_BACKLOG_SHOWN) {
      write(backlogLine(p));
      shown = true;
    } else if (shown && p.due < ANALYSIS_BACKLOG_SHOWN / 10) {
      write('Analysis caught up: findings are complete');
      shown = false;
    }
  };
  check();
  const timer = setInterval(check, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

export interface LiveAnalysis {
  /** Traces waiting and the pace; reads the store. */
  progress(): AnalysisProgress;
  /** Called after a tick that recorded analysis results. */
  onChange(listener: () => void): () => void;
  /** Runs one tick now (tests, and shutdown), after the one running if any; resolves to the number of traces analyzed. */
  tick(): Promise<number>;
  /** Runs the cross-trace detectors now over every window that has settled. Resolves to the windows recorded. */
  evaluateWindows(): Promise<number>;
  /** Stops the timer; resolves once a tick under way has ended (its results recorded). */
  stop(): Promise<void>;
}

export function startLiveAnalysis(store: Store, options: LiveAnalysisOptions = {}): LiveAnalysis {
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const perTick = options.tracesPerTick ?? 100;
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  const windowNs = BigInt(windowMs) * 1_000_000n;
  const lagNs = BigInt(settleMs) * 1_000_000n + MARGIN_NS;
  const now = () => process.hrtime.bigint() - hrtimeOffset;
  // Bounded: serve runs for days; a parent in another trace is almost always close in time.
  const context = new TracesContext(1_000_000);
  const crossTrace = new LiveCrossTrace({ lookbackNs: Number(LOOKBACK_NS), marginNs: Number(MARGIN_NS) });
  const windows = new WindowClock(windowNs);
  const cluster = new LiveClusterDetectors(store);
  // What was fed to crossTrace, so a re-opened trace adds only its new spans and logs.
  const fed = new Map<string, FedTrace>();
  const listeners = new Set<() => void>();
  // Traces analyzed per tick, with when: the pace over the last RATE_WINDOW_MS.
  const done: { atMs: number; traces: number }[] = [];
  let lastWindowsAt = now();
  let contextlessUpToNs = 0n;

  const feed = (traceId: string, spans: readonly Span[]): void => {
    let seen = fed.get(traceId);
    if (!seen) fed.set(traceId, (seen = { spans: new Set(), logs: new Set(), endNs: 0n }));
    const newSpans = spans.filter((s) => !seen.spans.has(s.spanId));
    const newLogs = store.reader.logsForTrace(traceId).filter((l) => !seen.logs.has(l.id));
    for (const s of newSpans) {
      seen.spans.add(s.spanId);
      if (s.endNs > seen.endNs) seen.endNs = s.endNs;
      windows.saw(s.startNs);
    }
    for (const l of newLogs) seen.logs.add(l.id);
    crossTrace.add({ spans: newSpans, logs: newLogs });
  };

  const evaluateWindows = async (): Promise<number> => {
    lastWindowsAt = now();
    let recorded = 0;
    while (recorded < WINDOWS_PER_TICK) {
      const range = windows.next(lastWindowsAt - lagNs);
      if (!range) break;
      // a window evaluated again (a late span in it) already has its logs
      if (range.toNs > contextlessUpToNs) {
        crossTrace.add({ spans: [], logs: contextlessLogs(store, range.fromNs > contextlessUpToNs ? range.fromNs : contextlessUpToNs, range.toNs) });
        contextlessUpToNs = range.toNs;
      }
      const { observations, stitches } = crossTrace.evaluate(range);
      observations.push(...cluster.evaluateWindow(range));
      await store.recordWindowAnalysis(`${range.fromNs}-${range.toNs}`, observations, stitches);
      const forgetBefore = range.fromNs - LOOKBACK_NS;
      for (const [traceId, seen] of fed) if (seen.endNs < forgetBefore) fed.delete(traceId);
      recorded++;
    }
    if (recorded) for (const l of listeners) l();
    return recorded;
  };

  const runTick = async (): Promise<number> => {
    const traceIds = await store.settledTraces(settleMs, perTick);
    // Recorded as each is analyzed, not one after another: with the writer thread they go over together.
    const recorded: Promise<void>[] = [];
    const traces = traceIds.map((traceId) => {
      const spans = store.reader.getTrace(traceId);
      context.add(spans);
      feed(traceId, spans);
      return { traceId, trace: spans.length ? assembleTrace(spans) : undefined };
    });
    const onCluster = cluster.judge(traces.flatMap((t) => t.trace ?? []));
    for (const { traceId, trace } of traces) {
      const observations = trace ? [...analyzeTrace(trace, context), ...(onCluster.get(trace) ?? [])] : [];
      recorded.push(store.recordTraceAnalysis(traceId, observations));
    }
    await Promise.all(recorded);
    if (traceIds.length) {
      done.push({ atMs: Date.now(), traces: traceIds.length });
      for (const l of listeners) l();
    }
    while (done.length && done[0].atMs < Date.now() - RATE_WINDOW_MS) done.shift();
    // only once the backlog of settled traces is fed: old data (an import) is due at once, and a window
    // evaluated before its traces are fed would miss them for good
    if (traceIds.length < perTick && now() - lastWindowsAt >= windowNs) await evaluateWindows();
    return traceIds.length;
  };
  // One run at a time: a run waits for the write side, and no other may start meanwhile.
  let running: Promise<number> | undefined;
  const oneAtATime = (run: () => Promise<number>): Promise<number> => {
    const current: Promise<number> = (running ?? Promise.resolve(0))
      .catch(() => 0)
      .then(run)
      .finally(() => {
        if (running === current) running = undefined;
      });
    running = current;
    return current;
  };

  const timer = options.paused
    ? undefined
    : setInterval(() => {
        if (running) return;
        oneAtATime(runTick).catch((err: unknown) => process.stderr.write(`hopscope: analysis failed: ${(err as Error).message}\n`));
      }, options.intervalMs ?? 500);
  timer?.unref();

  return {
    progress() {
      while (done.length && done[0].atMs < Date.now() - RATE_WINDOW_MS) done.shift();
      const traces = done.reduce((n, d) => n + d.traces, 0);
      // over the time since the first tick counted, at least a second
      const spanMs = done.length ? Math.max(1000, Date.now() - done[0].atMs + (options.intervalMs ?? 500)) : 1;
      return { due: store.reader.analysisDue(settleMs), perSecond: done.length ? (1000 * traces) / spanMs : 0 };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    tick: () => oneAtATime(runTick),
    evaluateWindows: () => oneAtATime(evaluateWindows),
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

interface FedTrace {
  spans: Set<string>;
  logs: Set<number>;
  endNs: bigint;
}

/** Log records read at most to find a restarted instance's last lines. */
const RESTART_LOG_LIMIT = 1000;
/** ready-but-failing compares a pod with its siblings over this much span time before each window. */
const READY_LOOKBACK_MS = 300_000;
const READY_BUCKET_MS = 10_000;

/**
 * The cluster detectors in `serve`, while the store holds a cluster's history: each batch of settled traces is
 * judged against the history around its spans (read once per batch); ready-but-failing tallies SERVER spans per
 * pod in time buckets and is evaluated per window over the lookback before it. Without any history it costs
 * one small query per batch.
 */
class LiveClusterDetectors {
  private readonly readyButFailing = new ReadyButFailing(READY_BUCKET_MS);

  constructor(private readonly store: Store) {}

  /** The per-trace cluster observations of each trace. */
  judge(traces: readonly AssembledTrace[]): Map<AssembledTrace, Observation[]> {
    const out = new Map<AssembledTrace, Observation[]>();
    const [server] = this.store.reader.clusters();
    if (server === undefined || traces.length === 0) return out;
    const history = new ClusterHistory(this.store.reader.clusterHistoryAround(server, linkKeysOfSpans(traces.flatMap((t) => t.spans))));
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
    const [server] = this.store.reader.clusters();
    if (server === undefined || pods.length === 0) return [];
    const history = new ClusterHistory(this.store.reader.clusterHistoryAround(server, { uids: pods, names: [], addresses: [], containerIds: [] }));
    return this.readyButFailing.evaluate(history, { fromMs: fromMs - READY_LOOKBACK_MS, toMs, reportFromMs: fromMs });
  }

  /** A pod's log records between two times, found among the records of that time (bounded). */
  private podLogs(history: ClusterHistory): PodLogs {
    return (podUid, fromMs, toMs) =>
      this.store.reader
        .searchLogs({ fromNs: BigInt(Math.floor(fromMs)) * 1_000_000n, toNs: BigInt(Math.ceil(toMs)) * 1_000_000n, limit: RESTART_LOG_LIMIT })
        .items.filter((l) => history.linkResource(l.resource.attributes, Number(l.timeNs / 1_000_000n), l.resource.peers)?.pod.uid === podUid);
  }
}

/** Wall-clock ns since the Unix epoch from the monotonic clock, so the clock never steps back. */
const hrtimeOffset = process.hrtime.bigint() - BigInt(Date.now()) * 1_000_000n;

/**
 * Tumbling windows of span time, aligned to their length; only windows where a span starts are evaluated.
 * A window is due once the wall clock is past its end by the lag. Windows never go back in time: a span
 * in a window before the last one evaluated is too late (that window's result stands).
 */
class WindowClock {
  private readonly pending = new Set<bigint>();
  private lastFromNs: bigint | undefined;

  constructor(private readonly windowNs: bigint) {}

  saw(startNs: bigint): void {
    const fromNs = startNs - (((startNs % this.windowNs) + this.windowNs) % this.windowNs);
    if (this.lastFromNs === undefined || fromNs >= this.lastFromNs) this.pending.add(fromNs);
  }

  /** The earliest window with new data that is due by `settledNs`; it counts as evaluated. */
  next(settledNs: bigint): WindowRange | undefined {
    let fromNs: bigint | undefined;
    for (const f of this.pending) if (fromNs === undefined || f < fromNs) fromNs = f;
    if (fromNs === undefined || fromNs + this.windowNs > settledNs) return undefined;
    this.pending.delete(fromNs);
    this.lastFromNs = fromNs;
    return { fromNs, toNs: fromNs + this.windowNs };
  }
}

/** Log records in [fromNs, toNs) with no trace context, for log-context-lost; bounded. */
function contextlessLogs(store: Store, fromNs: bigint, toNs: bigint): LogRecord[] {
  const logs: LogRecord[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < CONTEXTLESS_LOG_PAGES; page++) {
    const { items, nextCursor } = store.reader.searchLogs({ fromNs, toNs, limit: 1000, cursor });
    for (const l of items) if (l.traceId === '' && l.timeNs >= fromNs && l.timeNs < toNs) logs.push(l);
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  return logs;
}
