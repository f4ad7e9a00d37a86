// Starts a worker thread from TypeScript source (a checkout, tests): tsx's loader first, then the module
// `startWorker` named. Bundled builds start their compiled worker files directly and never load this.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.bootstrapEntry);
