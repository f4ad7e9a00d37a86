// The worker thread behind `startWriterThread`: the write side of the store, driven by messages.
import { parentPort, workerData } from 'node:worker_threads';
import { openWriteSide } from './write-side';
import { serveWriter } from './writer-port';
import type { WriterThreadData } from './writer-thread';

const data = workerData as WriterThreadData;
serveWriter(parentPort!, openWriteSide(data.file, data.options), { commits: true });
