// The process behind `SqlConsole` (./sql-console.ts): it answers one console query at a time, each on a fresh read-only
// connection, and is killed by the collector when a query runs past its deadline or is cancelled. Started with
// child_process.fork: from a checkout through tsx, from a bundle as sql-console-worker.cjs beside the collector.
import { Worker } from 'node:worker_threads';
import { answerConsoleRequest, type ConsoleReply, type ConsoleRequest } from './sql-console';

/** Past its deadline the collector kills this process; should the collector be gone, the watchdog does it this much later. */
const WATCHDOG_GRACE_MS = 2000;

const send = (reply: ConsoleReply): Promise<void> => new Promise((resolve) => process.send!(reply, undefined, undefined, () => resolve()));

// While a query runs this thread is inside SQLite and runs no timers; a thread of its own watches the deadline, so that
// a query outlives neither its deadline nor a collector that died without killing it.
const deadline = new Float64Array(new SharedArrayBuffer(8));
new Worker(
  `const { workerData } = require('node:worker_threads');
   setInterval(() => { const at = workerData[0]; if (at > 0 && Date.now() > at) process.kill(process.pid, 'SIGKILL'); }, 200);`,
  { eval: true, workerData: deadline },
).unref();

process.on('message', (request: ConsoleRequest) => {
  deadline[0] = Date.now() + request.timeoutMs + WATCHDOG_GRACE_MS;
  // Once the collector has heard that the query starts (its deadline counts from there), this thread may block.
  void send({ kind: 'started' }).then(async () => {
    const reply = answerConsoleRequest(request);
    deadline[0] = 0;
    await send(reply);
    // A statement that changed a setting may have changed one of this process: it answers no more queries.
    if (reply.kind === 'refused' && reply.settingChanged) process.exit(0);
  });
});

// The collector is gone, or has no more use for this process.
process.on('disconnect', () => process.exit(0));
