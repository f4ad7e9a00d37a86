// The worker thread behind `startWriterThread`: the write side of the store, driven by messages.
import { parentPort, workerData } from 'node:worker_threads';
import { openWriteSide, type WriteSide } from './write-side';
import type { WriterReply, WriterRequest, WriterThreadData } from './writer-thread';

const port = parentPort!;
const data = workerData as WriterThreadData;
const side: WriteSide = openWriteSide(data.file, data.options);
const post = (reply: WriterReply) => port.postMessage(reply);

side.onCommit((info) => post({ kind: 'commit', info }));

function answer(id: number, work: Promise<unknown>): void {
  work.then(
    (value) => post({ kind: 'reply', id, value }),
    (err: unknown) => post({ kind: 'error', id, message: err instanceof Error ? err.message : String(err) }),
  );
}

function handle(request: WriterRequest): void {
  switch (request.op) {
    case 'write':
      return answer(request.id, side.write(request.batch));
    case 'settledTraces':
      return answer(request.id, side.settledTraces(request.quietMs, request.limit));
    case 'recordTraceAnalysis':
      return answer(request.id, side.recordTraceAnalysis(request.traceId, request.observations));
    case 'recordWindowAnalysis':
      return answer(request.id, side.recordWindowAnalysis(request.windowId, request.observations, request.stitches));
    case 'recordClusterChanges':
      return answer(request.id, side.recordClusterChanges(request.cluster, request.changes));
    case 'flush':
      return answer(request.id, side.flush());
    case 'catchUpSearch':
      return answer(request.id, side.catchUpSearch());
    case 'retention':
      return answer(request.id, side.retention(request.run));
    case 'close':
      // the reply is the last message; the port closes after it and the thread ends
      return void side.close().then(
        () => {
          post({ kind: 'reply', id: request.id, value: undefined });
          port.close();
        },
        (err: unknown) => post({ kind: 'error', id: request.id, message: (err as Error).message }),
      );
  }
}

// Writes that arrive in one message are queued in one turn, so they share a commit.
port.on('message', (requests: WriterRequest[]) => {
  for (const request of requests) handle(request);
});
