// `hopscope serve` analyzes a trace once it has been quiet for a settle window, in two worker threads of its own:
// the per-trace detectors (analysis-worker.ts) and the cross-trace windows (window-worker.ts), each reading the
// store on its own connection and handing results to the writer thread over a port of its own, so analysis
// neither waits for the receivers nor holds them up, and a backlog drains on both cores. A parent that arrives
// a few seconds late is never reported missing, and a span that arrives after analysis re-opens its trace.
// The engine (analysis-engine.ts) says how traces and windows are taken, and what bounds its memory.
import { MessageChannel, parentPort, type MessagePort, type Worker } from 'node:worker_threads';
import { paceText } from '../common/text';
import { ANALYSIS_BACKLOG_SHOWN } from '../common/wire';
import { AnalysisEngine, type EngineOptions, type FedBatch } from './analysis-engine';
import type { Store } from './store/types';
import { analysisReader } from './store/analysis-reads';
import { openConnection } from './store/connection';
import { registerSearchFunctions } from './store/search';
import { writerClient } from './store/writer-port';
import { lowerThreadPriority, startWorker } from './workers';

export { DEFAULT_SETTLE_MS, DEFAULT_WINDOW_MS } from './analysis-engine';

export interface LiveAnalysisOptions extends EngineOptions {
  /** How often due traces are looked for while none are waiting. Default 500 ms. */
  intervalMs?: number;
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
  /** Traces waiting and the pace, as the worker last told them (it tells every PROGRESS_EVERY_MS). */
  progress(): AnalysisProgress;
  /** Called after the worker recorded analysis results. */
  onChange(listener: () => void): () => void;
  /** Analyzes one batch now, then judges the windows that are due; resolves to the number of traces analyzed. */
  tick(): Promise<number>;
  /** Runs the cross-trace detectors now over every window that is due. Resolves to the windows recorded. */
  evaluateWindows(): Promise<number>;
  /** Stops the worker once what it is doing is recorded. */
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
  options: LiveAnalysisOptions;
}

export interface WindowWorkerData {
  file: string;
  writer: MessagePort;
  /** From the analysis worker. */
  traces: MessagePort;
  options: LiveAnalysisOptions;
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
  | { kind: 'progress'; progress: AnalysisProgress };

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

/** Starts serve's analysis workers over the store's file, each with a port to its writer, and a channel between them. */
export function startLiveAnalysis(store: Store, options: LiveAnalysisOptions = {}): LiveAnalysis {
  const channel = new MessageChannel();
  const windowWriter = store.connectWriter();
  const windows: Worker = startWorker(import.meta.url, 'window-worker', {
    workerData: { file: store.path, writer: windowWriter, traces: channel.port2, options } satisfies WindowWorkerData,
    transferList: [windowWriter, channel.port2],
    resourceLimits: { maxYoungGenerationSizeMb: WINDOW_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: WINDOW_OLD_GENERATION_MB },
  });
  const writer = store.connectWriter();
  const worker: Worker = startWorker(import.meta.url, 'analysis-worker', {
    workerData: { file: store.path, writer, windows: channel.port1, options } satisfies AnalysisWorkerData,
    transferList: [writer, channel.port1],
    resourceLimits: { maxYoungGenerationSizeMb: TRACE_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: TRACE_OLD_GENERATION_MB },
  });
  const workers = [worker, windows];
  const unref = () => workers.forEach((w) => w.unref());
  unref();
  const listeners = new Set<() => void>();
  const waiting = new Map<number, { resolve(n: number): void; reject(e: Error): void }>();
  let progress: AnalysisProgress = { due: 0, perSecond: 0 };
  let nextId = 1;
  let failure: Error | undefined;
  let stopped: Promise<void> | undefined;

  const settle = (id: number, outcome: { value: number } | { error: Error }) => {
    const w = waiting.get(id);
    if (!w) return;
    waiting.delete(id);
    if (waiting.size === 0 && !stopped) unref();
    if ('error' in outcome) w.reject(outcome.error);
    else w.resolve(outcome.value);
  };
  const fail = (err: Error) => {
    failure ??= err;
    for (const id of [...waiting.keys()]) settle(id, { error: failure });
  };
  for (const [w, name] of [
    [worker, 'analysis worker'],
    [windows, 'window worker'],
  ] as const) {
    w.on('message', (m: AnalysisMessage) => {
      if (m.kind === 'changed') for (const l of listeners) l();
      else if (m.kind === 'progress') progress = m.progress;
      else if (m.kind === 'reply') settle(m.id, { value: m.value });
      else settle(m.id, { error: new Error(m.message) });
    });
    w.on('error', (err) => {
      process.stderr.write(`hopscope: analysis stopped (${name}): ${err.message}\n`);
      fail(err);
    });
    // one half cannot go on without the other; when stopping, the analysis worker ends first
    w.on('exit', (code) => {
      if (stopped) return;
      fail(new Error(`the ${name} exited (code ${code})`));
      for (const other of workers) if (other !== w) void other.terminate();
    });
  }
  // Ingest comes first: while the receivers commit, the worker analyzes a fraction of the time (analysis-worker.ts).
  let toldIngestAt = 0;
  const unsubscribe = store.onCommit((info) => {
    if (info.spans + info.logs === 0 || Date.now() - toldIngestAt < INGEST_NOTICE_MS) return;
    toldIngestAt = Date.now();
    worker.postMessage({ op: 'ingesting' } satisfies AnalysisRequest);
  });
  const call = (op: 'tick' | 'evaluateWindows' | 'stop', to = worker): Promise<number> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      workers.forEach((w) => w.ref());
      to.postMessage({ id, op } satisfies AnalysisRequest);
    });
  };
  /** Asks a worker to stop once what it is doing is recorded; resolves when its thread has ended. */
  const stopWorker = async (w: Worker) => {
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    await call('stop', w).catch(() => undefined);
    await exited;
  };

  return {
    progress: () => progress,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    tick: () => call('tick'),
    evaluateWindows: () => call('evaluateWindows'),
    stop: () =>
      (stopped ??= (async () => {
        unsubscribe();
        if (failure) return;
        // held until the threads have ended, so that shutdown goes on to its end; the analysis worker first, as
        // it waits for the windows it sent
        workers.forEach((w) => w.ref());
        await stopWorker(worker);
        await stopWorker(windows);
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
