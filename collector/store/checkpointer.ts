// WAL checkpoints copy committed pages into the database file and fsync it: measured here, a third of the
// time of a write. Under load a worker thread runs them on its own connection, so the writer's thread
// only appends to the WAL. If the worker cannot run, the writer checkpoints as SQLite does by default.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './connection';

/**
 * Pages of WAL (16 MiB) at which the writer checkpoints by itself; SQLite's default is 1000. The WAL starts
 * over only when a write begins with every frame checkpointed, which under steady load the worker seldom
 * leaves it: this checkpoint, cheap as the worker has copied nearly everything, lets it start over.
 */
const WRITER_CHECKPOINT_PAGES = 4096;
const DEFAULT_CHECKPOINT_PAGES = 1000;
/** A WAL that grew past this is cut back to it once checkpointed. */
const WAL_SIZE_LIMIT = 32 * 1024 * 1024;
/** Least time between two checkpoints, so a busy writer is not chased page by page. */
const MIN_INTERVAL_MS = 100;

// Plain CommonJS so the worker needs no TypeScript loader (tests, tsx and packaged builds alike).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true, timeout: 5000 });
db.pragma('synchronous = NORMAL');
let last = 0;
let pending;
function checkpoint() {
  pending = undefined;
  db.pragma('wal_checkpoint(PASSIVE)');
  last = Date.now();
  parentPort.postMessage('done');
}
parentPort.on('message', (message) => {
  if (message === 'stop') {
    clearTimeout(pending);
    db.close();
    parentPort.close();
  } else {
    pending = setTimeout(checkpoint, Math.max(0, last + workerData.minIntervalMs - Date.now()));
  }
});
`;

/** Items committed before the worker starts: a store that only ever holds a little never pays for a thread. */
const ITEMS_BEFORE_WORKER = 20_000;

export interface Checkpointer {
  /** Call after each commit with the items it wrote: asks for a checkpoint unless one is already on its way. */
  committed(items: number): void;
  /** Lets a running checkpoint finish, then ends the worker; the writer checkpoints by itself again. */
  stop(): Promise<void>;
}

/** Checkpoints in a worker once ITEMS_BEFORE_WORKER items were committed; until then SQLite's own. */
export function startCheckpointer(writer: Db, file: string): Checkpointer {
  let items = 0;
  let worker: Worker | undefined;
  let exited: Promise<void> | undefined;
  let requested = false;
  // Set when the worker failed or was stopped: the writer checkpoints by itself from then on.
  let off = false;

  function start(): Worker {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, module: createRequire(import.meta.url).resolve('better-sqlite3'), minIntervalMs: MIN_INTERVAL_MS },
    });
    // The worker must not keep a process alive that forgot to close its store; stop() holds it until it is done.
    w.unref();
    w.on('message', () => (requested = false));
    exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.once('error', (e) => {
      console.error('store: the checkpoint worker failed; the writer checkpoints by itself', e);
      off = true;
      if (writer.open) writer.pragma(`wal_autocheckpoint = ${DEFAULT_CHECKPOINT_PAGES}`);
    });
    writer.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
    writer.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
    return w;
  }

  return {
    committed(committedItems) {
      if (off) return;
      items += committedItems;
      if (!worker && items < ITEMS_BEFORE_WORKER) return;
      worker ??= start();
      if (requested) return;
      requested = true;
      worker.postMessage('checkpoint');
    },
    async stop() {
      off = true;
      if (!worker) return;
      worker.ref();
      worker.postMessage('stop');
      await exited;
      if (writer.open) writer.pragma(`wal_autocheckpoint = ${DEFAULT_CHECKPOINT_PAGES}`);
    },
  };
}
