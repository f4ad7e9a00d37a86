// serve's analysis worker (live-analysis.ts starts it): the analysis engine over its own read connection and a
// port to the store's writer, driven by a timer and by requests from the thread that started it.
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { AnalysisEngine, DEFAULT_BATCH, DEFAULT_SETTLE_MS, type AnalysisIo } from './analysis-engine';
import { RATE_WINDOW_MS, PROGRESS_EVERY_MS, type AnalysisMessage, type AnalysisRequest, type AnalysisWorkerData } from './live-analysis';
import { analysisReader } from './store/analysis-reads';
import { openConnection } from './store/connection';
import { registerSearchFunctions } from './store/search';
import { writerClient, type WriterCall } from './store/writer-port';

const data = workerData as AnalysisWorkerData;
const port = parentPort!;
const post = (m: AnalysisMessage) => port.postMessage(m);
const db = openConnection(data.file, 'reader');
registerSearchFunctions(db);
const writer = writerClient(data.writer);
const call = (request: WriterCall) => writer.call<void>(request);
const settleMs = data.options.settleMs;
const io: AnalysisIo = {
  reader: analysisReader(db),
  recordTraceAnalyses: (results) => call({ op: 'recordTraceAnalyses', results }),
  recordWindowAnalysis: (windowId, observations, stitches) => call({ op: 'recordWindowAnalysis', windowId, observations, stitches }),
};
const engine = new AnalysisEngine(io, data.options);
const batch = data.options.batch ?? DEFAULT_BATCH;

// Traces analyzed per batch, with when: the pace over the last RATE_WINDOW_MS.
const done: { atMs: number; traces: number }[] = [];
const tellProgress = () => {
  while (done.length && done[0].atMs < Date.now() - RATE_WINDOW_MS) done.shift();
  const traces = done.reduce((n, d) => n + d.traces, 0);
  // over the time since the first batch counted, at least a second
  const spanMs = done.length ? Math.max(1000, Date.now() - done[0].atMs) : 1;
  post({ kind: 'progress', progress: { due: io.reader.analysisDue(settleMs ?? DEFAULT_SETTLE_MS), perSecond: done.length ? (1000 * traces) / spanMs : 0 } });
};

const step = async (): Promise<number> => {
  const traces = await engine.analyzeBatch();
  if (traces > 0) done.push({ atMs: Date.now(), traces });
  const windows = await engine.evaluateWindows();
  if (traces > 0 || windows > 0) post({ kind: 'changed' });
  return traces;
};

// One run at a time: a run waits for the writer, and no other may start meanwhile.
let running: Promise<number> = Promise.resolve(0);
const oneAtATime = (run: () => Promise<number>): Promise<number> => (running = running.catch(() => 0).then(run));

// Ingest comes first. The thread runs at the lowest priority where the system lets it (Linux: a thread's own nice
// value), and while commits arrive it analyzes at most INGESTING_SHARE of the time, so that receiving on these
// two cores keeps ≥ 90 % of its pace; the backlog it leaves is shown, and drained at full speed once ingest pauses.
const INGESTING_SHARE = 0.1;
const INGEST_QUIET_MS = 1000;
let ingestAt = 0;
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, os.constants.priority.PRIORITY_LOW);
} catch {
  // not Linux, or not allowed: the share below still holds
}

let stopping = false;
let timer: NodeJS.Timeout | undefined;
const loop = (): void => {
  timer = undefined;
  if (stopping) return;
  const started = performance.now();
  oneAtATime(step).then(
    // a full batch: more are waiting, so go on at once (or after a pause that keeps the share, while ingesting)
    (n) => {
      const busyMs = performance.now() - started;
      const share = Date.now() - ingestAt < INGEST_QUIET_MS ? (busyMs * (1 - INGESTING_SHARE)) / INGESTING_SHARE : 0;
      if (!stopping) timer = setTimeout(loop, n >= batch ? share : Math.max(share, data.options.intervalMs ?? 500));
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
      return void reply(oneAtATime(step).finally(tellProgress));
    case 'evaluateWindows':
      return void reply(
        oneAtATime(async () => {
          const windows = await engine.evaluateWindows();
          if (windows > 0) post({ kind: 'changed' });
          return windows;
        }),
      );
    case 'stop':
      stopping = true;
      clearTimeout(timer);
      clearInterval(progressTimer);
      return void running
        .catch(() => 0)
        .then(() => {
          db.close();
          post({ kind: 'reply', id: request.id, value: 0 });
          data.writer.close();
          port.close();
        });
  }
});
