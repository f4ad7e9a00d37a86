// serve's analysis worker (live-analysis.ts starts it): the per-trace half of live analysis (analysis-engine.ts
// TraceStage) over its own read connection and a port to the store's writer, driven by a timer and by requests
// from the thread that started it. What each batch brings to the windows (facts of its new spans and records)
// goes to the window worker with up to when windows may be judged; it runs at most MAX_BATCHES_AHEAD batches
// ahead of the windows. It tells its parent which traces each batch reads before it reads them, and of each trace
// set aside unread as too large for its heap (AnalysisWorkerData.maxTraceSpans).
import { workerData } from 'node:worker_threads';
import { DEFAULT_BATCH, DEFAULT_SETTLE_MS, TraceStage } from './analysis-engine';
import { analysisThread, RATE_WINDOW_MS, PROGRESS_EVERY_MS, type AnalysisRequest, type AnalysisWorkerData, type WindowCall } from './live-analysis';
import { portClient } from './store/writer-port';
import type { DueTrace } from './store/types';

const data = workerData as AnalysisWorkerData;
const { port, post, db, reader, writer } = analysisThread(data);
const stage = new TraceStage(
  {
    reader,
    recordTraceAnalyses: (results) => writer.call({ op: 'recordTraceAnalyses', results }),
    // the parent learns what this thread was analyzing should it die of it (one message at each end of a batch)
    analyzing: (traces) => post({ kind: 'analyzing', traces: [...traces] }),
    setAside: (trace) => post({ kind: 'setAside', trace }),
  },
  { ...data.options, maxTraceSpans: data.maxTraceSpans },
);
const windows = portClient<WindowCall>(data.windows);
const batch = data.options.batch ?? DEFAULT_BATCH;
const settleMs = data.options.settleMs ?? DEFAULT_SETTLE_MS;

/**
 * Batches sent to the window worker and not yet judged, at most: its share of the work waits for it here. Judging
 * windows comes in bursts that take as long as analyzing several batches: with 4 ahead this thread waited for them a
 * third of its time (1M spans), with 16 a sixth. (A batch of 100 traces' facts is ~150 KB as sent.)
 */
const MAX_BATCHES_AHEAD = 16;
const ahead: Promise<number>[] = [];
/** Resolves once the window worker has done all but `keep` of what it was sent; rejects if any of it failed. */
const windowsDone = async (keep: number): Promise<number> => {
  let windows = 0;
  while (ahead.length > keep) windows += await ahead.shift()!;
  return windows;
};
const sendToWindows = (call: WindowCall): void => {
  const judged = windows.call<number>(call);
  // rejections surface where windowsDone awaits them
  judged.catch(() => undefined);
  ahead.push(judged);
};

// Traces analyzed per batch, with when: the pace over the last RATE_WINDOW_MS.
const done: { atMs: number; traces: number }[] = [];
let analyzedTotal = 0;
// Counting the traces due reads an index entry for each one waiting (31 ms at 625k): the count is taken again once
// the last one is 100 times as old as it took, and meanwhile estimated from what was analyzed since, so that
// counting takes at most 1 % of this thread (a small backlog is counted at every report).
let counted = { atMs: -Infinity, due: 0, tookMs: 0, analyzed: 0 };
const dueNow = (): number => {
  if (Date.now() - counted.atMs < 100 * counted.tookMs) return Math.max(0, counted.due - (analyzedTotal - counted.analyzed));
  const started = performance.now();
  const due = reader.analysisDue(settleMs);
  counted = { atMs: Date.now(), due, tookMs: performance.now() - started, analyzed: analyzedTotal };
  return due;
};
const tellProgress = () => {
  while (done.length && done[0].atMs < Date.now() - RATE_WINDOW_MS) done.shift();
  const traces = done.reduce((n, d) => n + d.traces, 0);
  // over the time since the first batch counted, at least a second
  const spanMs = done.length ? Math.max(1000, Date.now() - done[0].atMs) : 1;
  post({ kind: 'progress', progress: { due: dueNow(), perSecond: done.length ? (1000 * traces) / spanMs : 0 } });
};

/**
 * The traces of the batch the last thread died analyzing (AnalysisWorkerData.alone): each is analyzed in a batch of
 * its own before anything else, so that the parent can tell which one it dies of, should it die again.
 */
const alone = [...data.alone];
/** The next of those still waiting, as a batch of one. */
const nextAlone = (): DueTrace[] | undefined => {
  for (let key = alone.shift(); key !== undefined; key = alone.shift()) {
    const waiting = reader.pendingTraces([key]);
    if (waiting.length > 0) return waiting;
  }
  return undefined;
};

/** One batch (if any is due), then the windows it makes due; with `wait`, resolves once they are recorded too. */
const step = async (wait: boolean): Promise<number> => {
  const analyzed = await stage.analyzeBatch(nextAlone());
  const traces = analyzed?.traces ?? 0;
  if (traces > 0) {
    done.push({ atMs: Date.now(), traces });
    analyzedTotal += traces;
    // once its results are recorded (the next batch is analyzed meanwhile); a failure surfaces in the next step
    stage.recorded().then(
      () => post({ kind: 'changed' }),
      () => undefined,
    );
  }
  sendToWindows(analyzed ? { op: 'feed', batch: analyzed.fed, settledNs: stage.settledNs() } : { op: 'advance', settledNs: stage.settledNs() });
  if (wait) await stage.recorded();
  await windowsDone(wait ? 0 : MAX_BATCHES_AHEAD);
  return traces;
};

// One run at a time: a run waits for the writer, and no other may start meanwhile.
let running: Promise<number> = Promise.resolve(0);
const oneAtATime = (run: () => Promise<number>): Promise<number> => (running = running.catch(() => 0).then(run));

// Ingest comes first. Both analysis threads run at the lowest priority where the system lets them, and while
// commits arrive this one analyzes at most INGESTING_SHARE of the time (the window worker only judges what it is
// sent), so that receiving on these two cores keeps ≥ 90 % of its pace; the backlog it leaves is shown, and
// drained at full speed once ingest pauses.
const INGESTING_SHARE = 0.1;
const INGEST_QUIET_MS = 1000;
let ingestAt = 0;

let stopping = false;
let timer: NodeJS.Timeout | undefined;
const loop = (): void => {
  timer = undefined;
  if (stopping) return;
  const started = performance.now();
  oneAtATime(() => step(false)).then(
    // a full batch: more are waiting, so go on at once (or after a pause that keeps the share, while ingesting)
    (n) => {
      const busyMs = performance.now() - started;
      const share = Date.now() - ingestAt < INGEST_QUIET_MS ? (busyMs * (1 - INGESTING_SHARE)) / INGESTING_SHARE : 0;
      const waitMs = n >= batch || alone.length > 0 ? share : Math.max(share, data.options.intervalMs ?? 500);
      // (a timeout of 0 waits a millisecond: 8 % of the time between batches of 100; loop returns once stopping)
      if (stopping) return;
      if (waitMs > 0) timer = setTimeout(loop, waitMs);
      else setImmediate(loop);
    },
    (err: unknown) => {
      process.stderr.write(`hopscope: analysis failed: ${(err as Error).message}\n`);
      if (!stopping) timer = setTimeout(loop, data.options.intervalMs ?? 500);
    },
  );
};
if (!data.options.paused) loop();
tellProgress();
const progressTimer = setInterval(tellProgress, PROGRESS_EVERY_MS);

port.on('message', (request: AnalysisRequest) => {
  if (request.op === 'ingesting') {
    ingestAt = Date.now();
    return;
  }
  const reply = (work: Promise<number>) =>
    work.then(
      (value) => post({ kind: 'reply', id: request.id, value }),
      (err: unknown) => post({ kind: 'error', id: request.id, message: (err as Error).message }),
    );
  switch (request.op) {
    case 'tick':
      return void reply(oneAtATime(() => step(true)).finally(tellProgress));
    case 'evaluateWindows':
      return void reply(
        oneAtATime(async () => {
          sendToWindows({ op: 'advance', settledNs: stage.settledNs() });
          return windowsDone(0);
        }),
      );
    case 'stop':
      stopping = true;
      clearTimeout(timer);
      clearInterval(progressTimer);
      return void running
        .catch(() => 0)
        .then(() => stage.recorded())
        .catch(() => 0)
        .then(() => windowsDone(0))
        .catch(() => 0)
        .then(() => {
          db.close();
          post({ kind: 'reply', id: request.id, value: 0 });
          data.writer.close();
          data.windows.close();
          port.close();
        });
  }
});
