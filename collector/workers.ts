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
