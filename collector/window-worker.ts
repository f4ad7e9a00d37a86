// serve's window worker: the cross-trace half of live analysis (analysis-engine.ts WindowStage) on a thread,
// read connection and writer port of its own. The analysis worker sends it what each batch it analyzed brings
// to the windows (facts built from the rows it decoded) and up to when windows may be judged; a request is
// answered once the windows it made due are recorded, and requests are served one at a time, in order.
import { workerData } from 'node:worker_threads';
import { WindowStage } from './analysis-engine';
import { analysisThread, type WindowCall, type WindowWorkerData } from './live-analysis';
import { replyWhenDone } from './store/writer-port';

const data = workerData as WindowWorkerData;
const { port, post, db, reader, writer } = analysisThread(data);
const stage = new WindowStage(
  { reader, recordWindowAnalysis: (windowId, observations, stitches) => writer.call({ op: 'recordWindowAnalysis', windowId, observations, stitches }) },
  data.options,
);

const run = async (request: WindowCall): Promise<number> => {
  if (request.op === 'feed') stage.feed(request.batch);
  const windows = await stage.advance(request.settledNs);
  if (windows > 0) post({ kind: 'changed' });
  return windows;
};

let running: Promise<unknown> = Promise.resolve();
data.traces.on('message', (requests: (WindowCall & { id: number })[]) => {
  for (const request of requests) running = running.then(() => replyWhenDone(data.traces, request.id, run(request)));
});

port.on('message', (request: { id: number; op: 'stop' }) => {
  if (request.op !== 'stop') return;
  void running.then(() => {
    db.close();
    post({ kind: 'reply', id: request.id, value: 0 });
    data.writer.close();
    data.traces.close();
    port.close();
  });
});
