import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits beside the module at `callerUrl`: from a checkout, its
 * TypeScript source through tsx's loader; from a bundle (the caller is a .cjs file), the `${name}.cjs`
 * built beside it. `workerData` must be an object; it gains a `bootstrapEntry` field the worker ignores.
 */
export function startWorker(callerUrl: string, name: string, options: WorkerOptions & { workerData: object }): Worker {
  if (callerUrl.endsWith('.ts')) {
    const bootstrapEntry = new URL(`./${name}.ts`, callerUrl).href;
    return new Worker(new URL('./worker-bootstrap.mjs', import.meta.url), { ...options, workerData: { ...options.workerData, bootstrapEntry } });
  }
  return new Worker(new URL(`./${name}.cjs`, callerUrl), options);
}

/**
 * Gives the calling thread the lowest scheduling priority the system allows it (Linux: a thread's own nice
 * value), so that the receivers and the writer come first; elsewhere, or when not allowed, nothing changes.
 */
export function lowerThreadPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, os.constants.priority.PRIORITY_LOW);
  } catch {
    // not Linux, or not allowed
  }
}
