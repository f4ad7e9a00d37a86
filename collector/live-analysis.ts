// `hopscope serve` analyzes a trace once it has been quiet for a settle window, in two worker threads of its own:
// the per-trace detectors (analysis-worker.ts) and the cross-trace windows (window-worker.ts), each reading the
// store on its own connection and handing results to the writer thread over a port of its own, so analysis
// neither waits for the receivers nor holds them up, and a backlog drains on both cores. A parent that arrives
// a few seconds late is never reported missing, and a span that arrives after analysis re-opens its trace.
// The engine (analysis-engine.ts) says how traces and windows are taken, and what bounds its memory.
//
// A worker that dies (out of memory, an uncaught error) is said so on serve's terminal and both are started again,
// after a pause that grows while they keep dying. A trace too large for the analysis worker's heap is set aside
// unanalyzed (out of the waiting set, counted, and named once on the terminal), so that the restarted worker does
// not die of it forever: one of more than MAX_LIVE_TRACE_SPANS spans is not read at all, and one the worker dies of
// twice, the second time analyzing it alone, is not read again.
import { MessageChannel, parentPort, type MessagePort, type Worker } from 'node:worker_threads';
import { paceText, plural } from '../common/text';
import { ANALYSIS_BACKLOG_SHOWN } from '../common/wire';
import { AnalysisEngine, type EngineOptions, type FedBatch } from './analysis-engine';
import type { DueTrace, Store } from './store/types';
import { analysisReader } from './store/analysis-reads';
import { openConnection } from './store/connection';
import { registerSearchFunctions } from './store/search';
import { writerClient } from './store/writer-port';
import { lowerThreadPriority, startWorker } from './workers';

export { DEFAULT_SETTLE_MS, DEFAULT_WINDOW_MS } from './analysis-engine';

export interface LiveAnalysisOptions extends Omit<EngineOptions, 'maxTraceSpans'> {
  /** How often due traces are looked for while none are waiting. Default 500 ms. */
  intervalMs?: number;
  /** No timer: nothing is analyzed unless `tick()` is called. */
  paused?: boolean;
  /** Where a worker's death and a trace set aside are said, a line at a time. Default: stderr (serve's terminal). */
  say?: (line: string) => void;
  /**
   * Tests only: limits below serve's (TRACE_OLD_GENERATION_MB, MAX_LIVE_TRACE_SPANS), so that a test can run the
   * analysis worker out of memory with a modest trace, or have a trace set aside without writing 100,000 spans.
   */
  testLimits?: { traceOldGenerationMb?: number; maxTraceSpans?: number };
}

/** The options the worker threads are given (what can be cloned to them). */
type ThreadOptions = Omit<LiveAnalysisOptions, 'say' | 'testLimits'>;

/** What live analysis has yet to do: traces due (quiet for the settle time) and not analyzed, and its recent pace. */
export interface AnalysisProgress {
  /** Traces quiet for the settle time and not yet analyzed. */
  due: number;
  /** Traces analyzed per second over the last RATE_WINDOW_MS (0 before any). */
  perSecond: number;
  /** Traces set aside unanalyzed this run as too large for the analysis worker (absent: none). */
  setAside?: number;
}

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
  /** Traces waiting and the pace, as the worker last told them (it tells every PROGRESS_EVERY_MS), and those set aside. */
  progress(): AnalysisProgress;
  /** Called after the worker recorded analysis results. */
  onChange(listener: () => void): () => void;
  /** Analyzes one batch now, then judges the windows that are due; resolves to the number of traces analyzed. */
  tick(): Promise<number>;
  /** Runs the cross-trace detectors now over every window that is due. Resolves to the windows recorded. */
  evaluateWindows(): Promise<number>;
  /** Stops the workers once what they are doing is recorded (or a restart under way, before it starts them). */
  stop(): Promise<void>;
}

/** The worker is told of commits at most this often. */
const INGEST_NOTICE_MS = 250;

/** The worker tells its progress this often. */
export const PROGRESS_EVERY_MS = 1000;
/** The window the analysis rate is measured over. */
export const RATE_WINDOW_MS = 20_000;

export interface AnalysisWorkerData {
  file: string;
  writer: MessagePort;
  /** To the window worker (WindowCall). */
  windows: MessagePort;
  options: ThreadOptions;
  /** A trace of more spans is set aside unread (MAX_LIVE_TRACE_SPANS). */
  maxTraceSpans: number;
  /** Keys of the traces to analyze one per batch before anything else: the batch the last analysis worker died analyzing. */
  alone: number[];
}

export interface WindowWorkerData {
  file: string;
  writer: MessagePort;
  /** From the analysis worker. */
  traces: MessagePort;
  options: ThreadOptions;
}

/**
 * What each analysis thread starts with (in the worker): the port to the thread that started it, a read
 * connection of its own and its port to the writer; the thread runs at the lowest priority the system allows.
 */
export function analysisThread(data: { file: string; writer: MessagePort }) {
  const port = parentPort!;
  const db = openConnection(data.file, 'reader');
  registerSearchFunctions(db);
  lowerThreadPriority();
  return { port, post: (m: AnalysisMessage) => port.postMessage(m), db, reader: analysisReader(db), writer: writerClient(data.writer) };
}

/** The analysis worker to the window worker: a batch it analyzed, or only the time; windows are judged up to `settledNs`. */
export type WindowCall = { op: 'feed'; batch: FedBatch; settledNs: bigint } | { op: 'advance'; settledNs: bigint };

export type AnalysisRequest = { id: number; op: 'tick' | 'evaluateWindows' | 'stop' } | { op: 'ingesting' };
export type AnalysisMessage =
  | { kind: 'reply'; id: number; value: number }
  | { kind: 'error'; id: number; message: string }
  | { kind: 'changed' }
  | { kind: 'progress'; progress: AnalysisProgress }
  /** The traces whose rows the analysis worker is about to read, and [] once their detectors have run. */
  | { kind: 'analyzing'; traces: DueTrace[] }
  /** A trace the analysis worker set aside unread: more than AnalysisWorkerData.maxTraceSpans spans. */
  | { kind: 'setAside'; trace: DueTrace };

/**
 * The workers' heaps. What a batch allocates dies with it, and V8 lets garbage grow a heap far past what is
 * live (measured: 400 MB of heap over ~70 MB live) unless told its limit. What each half keeps is capped
 * (analysis-engine.ts): the span-id map in the analysis worker, the cross-trace set in the window worker; each
 * old generation gets that and some headroom (draining 5M spans, at most 38 and 66 MB were live after a full
 * collection). The analysis worker's must also hold one trace's spans while it is analyzed: a trace of 100,000
 * spans (fixtures/wide-trace) ran it out of memory with 96 MB, and analysis stopped; with 128 MB it is analyzed (at
 * 64 MB the 5M drain took 99–117 s, at 128 MB 113 and 118 s, peaks alike: 382–392 and 389 MB). The window
 * worker's young generation is larger: what it is fed lives until it is judged, and with 16 MB the scavenges that
 * copied it took most of the garbage collector's third of its time (bench/analysis.ts on 1M spans, one pair of
 * runs: 3,400 → 5,850 traces/s with 32 MB).
 */
const TRACE_YOUNG_GENERATION_MB = 16;
const TRACE_OLD_GENERATION_MB = 128;
const WINDOW_YOUNG_GENERATION_MB = 32;
const WINDOW_OLD_GENERATION_MB = 128;

/**
 * The most spans of a trace serve's analysis worker reads: the largest trace it is shown to analyze with
 * TRACE_OLD_GENERATION_MB (fixtures/wide-trace, 100,000 spans, in test/live-analysis.test.ts; one of 150,000 ran it
 * out of memory). A larger one is set aside unread; `hopscope analyze --db`, on the main thread without that
 * limit, analyzes it (a store holding one of 150,001 spans: 5 s, its missing parent listed).
 */
export const MAX_LIVE_TRACE_SPANS = 100_000;

/**
 * A dead worker is started again after RESTART_FIRST_MS, twice as long at each death in a row up to RESTART_MAX_MS,
 * so that workers that die at once do not take a core from ingest; a pair that ran HEALTHY_MS counts from the first.
 */
const RESTART_FIRST_MS = 1000;
const RESTART_MAX_MS = 30_000;
const HEALTHY_MS = 60_000;

/** One pair of worker threads, from start to death (or stop). */
interface Threads {
  worker: Worker;
  windows: Worker;
  startedAt: number;
  /** Resolve once each thread has ended. */
  workerExited: Promise<void>;
  windowsExited: Promise<void>;
  /** What the analysis worker last said it is analyzing ([] between batches). */
  analyzing: DueTrace[];
  /** Keys of the traces it was given to analyze alone and has not finished. */
  alone: Set<number>;
  /** The first error either thread reported; set as it reports it, acted on when it exits. */
  error?: { name: string; err: Error };
  dead: boolean;
}

/**
 * Starts serve's analysis workers over the store's file, each with a port to its writer, and a channel between them;
 * starts both again when either dies.
 */
export function startLiveAnalysis(store: Store, options: LiveAnalysisOptions = {}): LiveAnalysis {
  const { say = (line: string) => void process.stderr.write(`${line}\n`), testLimits, ...threadOptions } = options;
  const maxTraceSpans = testLimits?.maxTraceSpans ?? MAX_LIVE_TRACE_SPANS;
  const listeners = new Set<() => void>();
  const waiting = new Map<number, { resolve(n: number): void; reject(e: Error): void }>();
  let progress: AnalysisProgress = { due: 0, perSecond: 0 };
  /** Trace ids set aside this run (each is said once). */
  const setAside = new Set<string>();
  let nextId = 1;
  let stopped: Promise<void> | undefined;
  let restartDelayMs = RESTART_FIRST_MS;
  /** While dead threads wait to be started again: what wakes the wait (stop), and what calls wait for. */
  let restart: { timer?: NodeJS.Timeout; wake(): void; done: Promise<void> } | undefined;

  const start = (alone: readonly number[]): Threads => {
    const channel = new MessageChannel();
    const windowWriter = store.connectWriter();
    const windows: Worker = startWorker(import.meta.url, 'window-worker', {
      workerData: { file: store.path, writer: windowWriter, traces: channel.port2, options: threadOptions } satisfies WindowWorkerData,
      transferList: [windowWriter, channel.port2],
      resourceLimits: { maxYoungGenerationSizeMb: WINDOW_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: WINDOW_OLD_GENERATION_MB },
    });
    const writer = store.connectWriter();
    const worker: Worker = startWorker(import.meta.url, 'analysis-worker', {
      workerData: { file: store.path, writer, windows: channel.port1, options: threadOptions, maxTraceSpans, alone: [...alone] } satisfies AnalysisWorkerData,
      transferList: [writer, channel.port1],
      resourceLimits: {
        maxYoungGenerationSizeMb: TRACE_YOUNG_GENERATION_MB,
        maxOldGenerationSizeMb: testLimits?.traceOldGenerationMb ?? TRACE_OLD_GENERATION_MB,
      },
    });
    const exit = (w: Worker) => new Promise<void>((resolve) => w.once('exit', () => resolve()));
    const t: Threads = {
      worker,
      windows,
      startedAt: Date.now(),
      workerExited: exit(worker),
      windowsExited: exit(windows),
      analyzing: [],
      alone: new Set(alone),
      dead: false,
    };
    for (const [w, name] of [
      [worker, 'analysis worker'],
      [windows, 'window worker'],
    ] as const) {
      w.unref();
      w.on('message', (m: AnalysisMessage) => {
        if (m.kind === 'changed') for (const l of listeners) l();
        else if (m.kind === 'progress') progress = m.progress;
        else if (m.kind === 'reply') settle(m.id, { value: m.value });
        else if (m.kind === 'error') settle(m.id, { error: new Error(m.message) });
        else if (m.kind === 'setAside') tellSetAside(m.trace, `it has more than the ${maxTraceSpans.toLocaleString('en-US')} spans serve's analysis worker reads`);
        else {
          // a batch finished: its traces given to be analyzed alone are done
          if (m.traces.length === 0) for (const d of t.analyzing) t.alone.delete(d.key);
          t.analyzing = m.traces;
        }
      });
      // The error comes before the exit; what the thread posted before it ended has been delivered by the exit.
      w.on('error', (err) => void (t.error ??= { name, err }));
      w.on('exit', (code) => {
        // stopping, each thread ends as it is asked to (stop)
        if (stopped && !t.error) return;
        died(t, t.error ?? { name, err: new Error(`the ${name} exited (code ${code})`) });
      });
    }
    return t;
  };

  const settle = (id: number, outcome: { value: number } | { error: Error }) => {
    const w = waiting.get(id);
    if (!w) return;
    waiting.delete(id);
    if (waiting.size === 0 && !stopped && !threads.dead) [threads.worker, threads.windows].forEach((w) => w.unref());
    if ('error' in outcome) w.reject(outcome.error);
    else w.resolve(outcome.value);
  };

  /** Says, once per trace, that it is set aside and why, and what analyzes it. */
  const tellSetAside = (trace: DueTrace, why: string) => {
    if (setAside.has(trace.traceId)) return;
    setAside.add(trace.traceId);
    say(
      `hopscope: trace ${trace.traceId} (${trace.spans.toLocaleString('en-US')} ${plural(trace.spans, 'span')}) is set aside, not analyzed live: ${why}. ` +
        `To analyze it, run hopscope analyze --db ${store.path} (it analyzes the whole file without serve's memory limit, and prints what it finds).`,
    );
  };

  /**
   * One thread of the pair ended. Unless stopping: the other is ended too, the traces of the batch the analysis worker
   * died analyzing are given to the next one to analyze alone, or the one it died analyzing alone is set aside, and a
   * new pair is started after the pause.
   */
  const died = (t: Threads, { name, err }: { name: string; err: Error }) => {
    if (t.dead) return;
    t.dead = true;
    for (const id of [...waiting.keys()]) settle(id, { error: err });
    void t.worker.terminate();
    void t.windows.terminate();
    if (stopped) {
      say(`hopscope: live analysis stopped (${name}): ${err.message}`);
      return;
    }
    const alone = [...t.alone];
    let poisoned: DueTrace | undefined;
    if (name === 'analysis worker' && t.analyzing.length > 0) {
      if (t.analyzing.length === 1 && t.alone.has(t.analyzing[0].key)) poisoned = t.analyzing[0];
      else alone.unshift(...t.analyzing.map((d) => d.key).filter((key) => !t.alone.has(key)));
    }
    const retried = alone.filter((key) => key !== poisoned?.key);
    if (Date.now() - t.startedAt >= HEALTHY_MS) restartDelayMs = RESTART_FIRST_MS;
    const delayMs = restartDelayMs;
    restartDelayMs = Math.min(2 * restartDelayMs, RESTART_MAX_MS);
    say(
      `hopscope: live analysis stopped: the ${name} failed: ${err.message}. Starting both workers again in ${delayMs / 1000} s` +
        (retried.length === 1 ? '; the trace it was analyzing goes first, alone.' : retried.length > 1 ? `; the ${retried.length} traces it was analyzing go first, one at a time.` : '.'),
    );
    let wake = () => undefined as void;
    const slept = new Promise<void>((resolve) => (wake = resolve));
    const timer = setTimeout(wake, delayMs);
    // serve's servers keep the process alive; a call waiting for the restart refs it
    timer.unref();
    restart = {
      timer,
      wake,
      done: (async () => {
        await Promise.all([t.workerExited, t.windowsExited]);
        if (poisoned) {
          tellSetAside(poisoned, `the analysis worker died analyzing it twice, the second time alone (${err.message})`);
          // recorded as analyzed with no findings of its own, unless it has been written to since
          await store.recordTraceAnalyses([{ key: poisoned.key, touches: poisoned.touches, observations: [] }]).catch((e: unknown) => {
            say(`hopscope: setting trace ${poisoned.traceId} aside failed: ${(e as Error).message}`);
          });
        }
        await slept;
        clearTimeout(timer);
        if (!stopped) threads = start(retried);
        restart = undefined;
      })(),
    };
  };

  let threads = start([]);

  // Ingest comes first: while the receivers commit, the worker analyzes a fraction of the time (analysis-worker.ts).
  let toldIngestAt = 0;
  const unsubscribe = store.onCommit((info) => {
    if (info.spans + info.logs === 0 || Date.now() - toldIngestAt < INGEST_NOTICE_MS || threads.dead) return;
    toldIngestAt = Date.now();
    threads.worker.postMessage({ op: 'ingesting' } satisfies AnalysisRequest);
  });
  /** Sends a request to a thread of this pair; it rejects if the pair dies first. */
  const send = (t: Threads, op: 'tick' | 'evaluateWindows' | 'stop', to: Worker): Promise<number> => {
    if (t.dead) return Promise.reject(t.error?.err ?? new Error('live analysis stopped'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      [t.worker, t.windows].forEach((w) => w.ref());
      to.postMessage({ id, op } satisfies AnalysisRequest);
    });
  };
  /** A request to the analysis worker; while dead threads wait to be started again, it waits for the new ones. */
  const call = async (op: 'tick' | 'evaluateWindows'): Promise<number> => {
    for (;;) {
      if (stopped) throw new Error('live analysis has stopped');
      if (!threads.dead) return send(threads, op, threads.worker);
      if (!restart) throw threads.error?.err ?? new Error('live analysis stopped');
      restart.timer?.ref();
      await restart.done;
    }
  };
  /** Asks a worker to stop once what it is doing is recorded; resolves when its thread has ended (or the pair died). */
  const stopWorker = async (t: Threads, w: Worker, exited: Promise<void>) => {
    await send(t, 'stop', w).catch(() => undefined);
    await exited;
  };

  return {
    progress: () => ({ ...progress, setAside: setAside.size }),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    tick: () => call('tick'),
    evaluateWindows: () => call('evaluateWindows'),
    stop: () =>
      (stopped ??= (async () => {
        unsubscribe();
        // a restart waiting starts nothing now
        restart?.wake();
        await restart?.done;
        // held until the threads have ended, so that shutdown goes on to its end; the analysis worker first, as
        // it waits for the windows it sent (should either die meanwhile, both are ended)
        const t = threads;
        if (!t.dead) [t.worker, t.windows].forEach((w) => w.ref());
        await stopWorker(t, t.worker, t.workerExited);
        await stopWorker(t, t.windows, t.windowsExited);
      })()),
  };
}

/**
 * Analyzes everything waiting in the store on this thread, windows included (`import`: nothing else runs
 * meanwhile); `onProgress` is told the traces analyzed so far after each batch.
 */
export async function analyzeBacklog(store: Store, onProgress?: (traces: number) => void): Promise<number> {
  const engine = new AnalysisEngine(store, { settleMs: 0 });
  let traces = 0;
  for (let n = await engine.analyzeBatch(); n > 0; n = await engine.analyzeBatch()) {
    traces += n;
    await engine.evaluateWindows();
    onProgress?.(traces);
  }
  await engine.evaluateWindows();
  // what came after the last window with spans (log records only): nothing more is coming
  await engine.evaluateRest(BigInt(Date.now() + 1) * 1_000_000n);
  return traces;
}
