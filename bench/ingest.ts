// End-to-end ingest: the real `hopscope serve` as a child process, 4 keep-alive clients POSTing pre-serialized
// 512-span OTLP/HTTP protobuf requests, each waiting for its 200 (sent only after commit) before the next;
// against raw better-sqlite3 inserts of the same spans, interleaved run by run so machine load hits both alike.
// Run alone with `npx tsx bench/ingest.ts`.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { decodeTracesProto } from '../collector/otlp';
import { median, medianRate, type Rate } from './stats';
import { goServiceRequests } from './go-spans';
import { measureRawInsert } from './store';

const SPANS_PER_REQUEST = 512;
const REQUESTS = 400;
const WARM_UP_REQUESTS = 16;
const CLIENTS = 4;
/** Five runs: single runs move by ±15% with other load on a shared machine; BENCH_RUNS=1 for a quick look while working on ingest. */
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const RUN_DEADLINE_MS = 120_000;
const START_DEADLINE_MS = 60_000;
const RSS_SAMPLE_MS = 100;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = path.join(repoRoot, '.bench-tmp/ingest');

export interface IngestRun {
  /** Committed spans over the timed requests (warm-up excluded), per second and per CPU-second of the serve process. */
  ingest: Rate;
  /** bench/store.ts's raw single-row INSERT of the same spans, measured just before. */
  rawInsert: Rate;
  /** ingest / rawInsert spans/s: a pair measured close together, so it drifts less with machine load. */
  ratio: number;
  /** The same per CPU-second: steadier still where other processes take the cores. */
  cpuRatio: number;
  committedSpans: number;
  /** Median VmRSS of the serve process sampled during the timed requests, in bytes. */
  loadedRssBytes: number | undefined;
  /** VmHWM of the serve process at the end of the run: its peak resident memory since start, in bytes. */
  peakRssBytes: number | undefined;
  /** Answers other than 200, by status (503/429 are backpressure and were retried after Retry-After). */
  refusals: Map<number, number>;
  /** The run hit its deadline before every request was acknowledged. */
  timedOut: boolean;
}

export interface IngestBenchResult {
  /** Medians over the runs. */
  ingest: Rate;
  rawInsert: Rate;
  ratio: number;
  cpuRatio: number;
  /** Highest peak over the runs. */
  peakRssBytes: number | undefined;
  runs: IngestRun[];
  /** The same load with the live analysis off: what analysis costs ingest. */
  withoutAnalysis: Rate;
  /** ingest with analysis / without, spans/s (target ≥ 0.9). */
  analysisRatio: number;
}

export interface RunningServe {
  pid: number;
  url: URL;
  /** SIGTERM makes serve flush and close the database; rejects unless it then exits cleanly. */
  stop(): Promise<void>;
}

/** Starts `hopscope serve` on loopback and free ports; resolves once it prints its OTLP/HTTP address. */
export function startServe(dbPath: string, analysis: boolean, extraArgs: string[] = []): Promise<RunningServe> {
  const child = spawn(
    process.execPath,
    // e.g. BENCH_SERVE_NODE_ARGS='--cpu-prof --cpu-prof-dir=prof' to profile serve's threads under this load
    [...(process.env.BENCH_SERVE_NODE_ARGS?.split(' ').filter(Boolean) ?? []), path.join(repoRoot, 'bin/hopscope.mjs'), 'serve', '--db', dbPath, '--host', '127.0.0.1', '--otlp-grpc', '0', '--otlp-http', '0', '--ui', '0',
      // A 1 s settle window makes the live analysis work while the load runs, not after it.
      '--settle', '1', ...(analysis ? [] : ['--no-analysis']), ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit code ${code}`)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const how = await exited;
    clearTimeout(timer);
    if (how !== 'exit code 0') throw new Error(`hopscope serve stopped with ${how}\n${stderr}`);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hopscope serve printed no OTLP/HTTP address within ${START_DEADLINE_MS / 1000} s\n${stderr}`));
    }, START_DEADLINE_MS);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`hopscope serve stopped with ${how} before listening\n${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const address = /^OTLP\/HTTP: (\S+)/.exec(line)?.[1];
      if (address === undefined) return;
      clearTimeout(timer);
      resolve({ pid: child.pid!, url: new URL('/v1/traces', address), stop });
    });
  });
}

/** VmRSS and VmHWM (peak) in bytes from /proc; undefined where there is no /proc (macOS, Windows). */
export function residentMemory(pid: number): { rss: number; peak: number } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** User + system CPU seconds of all the process's threads, from /proc (in USER_HZ ticks, 100 a second on Linux). */
function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the parenthesized command name, which may itself hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function post(agent: http.Agent, url: URL, body: Uint8Array): Promise<{ status: number; retryAfterS: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.byteLength } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfterS: Number(res.headers['retry-after'] ?? 1) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * CLIENTS loops share the requests; each sends its next one only after the previous was answered. Backpressure
 * (503/429) is counted and the same request retried after Retry-After, as an OTLP exporter does.
 */
async function send(agent: http.Agent, url: URL, requests: Uint8Array[], deadline: number, refusals: Map<number, number>): Promise<number> {
  let next = 0;
  let acknowledged = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < requests.length && performance.now() < deadline) {
        const body = requests[next++];
        for (;;) {
          const { status, retryAfterS } = await post(agent, url, body);
          if (status === 200) break;
          refusals.set(status, (refusals.get(status) ?? 0) + 1);
          if (status !== 503 && status !== 429) throw new Error(`hopscope serve answered ${status} to a valid export request`);
          if (performance.now() + retryAfterS * 1000 > deadline) return;
          await new Promise((r) => setTimeout(r, retryAfterS * 1000));
        }
        acknowledged++;
      }
    }),
  );
  return acknowledged;
}

async function ingestRun(warmUp: Uint8Array[], timed: Uint8Array[], run: number, analysis: boolean): Promise<IngestRun> {
  // Decoded here rather than kept: ~1 GB of model spans would otherwise sit in the clients' heap.
  const rawInsert = measureRawInsert(timed.flatMap((r) => decodeTracesProto(r).spans));
  mkdirSync(tmp, { recursive: true });
  const dbPath = path.join(tmp, `run-${run}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
  const serve = await startServe(dbPath, analysis);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const refusals = new Map<number, number>();
  let warmedUp: number;
  let acknowledged: number;
  let seconds: number;
  let cpu: number | undefined;
  let peakRssBytes: number | undefined;
  const rssSamples: number[] = [];
  const sampler = setInterval(() => {
    const rss = residentMemory(serve.pid)?.rss;
    if (rss !== undefined) rssSamples.push(rss);
  }, RSS_SAMPLE_MS);
  try {
    const deadline = performance.now() + RUN_DEADLINE_MS;
    warmedUp = await send(agent, serve.url, warmUp, deadline, refusals);
    rssSamples.length = 0;
    const start = performance.now();
    const cpuStart = cpuSeconds(serve.pid);
    acknowledged = await send(agent, serve.url, timed, deadline, refusals);
    seconds = (performance.now() - start) / 1000;
    const cpuEnd = cpuSeconds(serve.pid);
    cpu = cpuStart === undefined || cpuEnd === undefined ? undefined : cpuEnd - cpuStart;
    peakRssBytes = residentMemory(serve.pid)?.peak;
  } finally {
    clearInterval(sampler);
    agent.destroy();
    await serve.stop();
  }
  // The database, not the responses, says what was committed: every span must be there once.
  const db = new Database(dbPath, { readonly: true });
  const stored = (db.prepare('SELECT count(*) AS n FROM spans').get() as { n: number }).n;
  db.close();
  const expected = (warmedUp + acknowledged) * SPANS_PER_REQUEST;
  if (stored !== expected) throw new Error(`serve acknowledged ${expected} spans but the database holds ${stored}`);
  const committedSpans = acknowledged * SPANS_PER_REQUEST;
  const loadedRssBytes = rssSamples.length ? median(rssSamples) : undefined;
  const ingest: Rate = { spansPerSec: committedSpans / seconds, spansPerCpuSec: cpu === undefined ? NaN : committedSpans / cpu };
  return {
    ingest,
    rawInsert,
    ratio: ingest.spansPerSec / rawInsert.spansPerSec,
    cpuRatio: ingest.spansPerCpuSec / rawInsert.spansPerCpuSec,
    committedSpans,
    loadedRssBytes,
    peakRssBytes,
    refusals,
    timedOut: acknowledged < timed.length,
  };
}

const megabytes = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${(bytes / 1e6).toFixed(0)} MB`);
const rates = (r: Rate) => `${Math.round(r.spansPerSec)} spans/s (${Math.round(r.spansPerCpuSec)}/CPU-s)`;

export async function benchIngest(): Promise<IngestBenchResult> {
  const requests = goServiceRequests(WARM_UP_REQUESTS + REQUESTS, SPANS_PER_REQUEST);
  const warmUp = requests.slice(0, WARM_UP_REQUESTS);
  const timed = requests.slice(WARM_UP_REQUESTS);
  const bytes = timed.reduce((n, r) => n + r.byteLength, 0);
  console.log(
    `End-to-end ingest: hopscope serve, OTLP/HTTP protobuf, ${CLIENTS} keep-alive clients, ${REQUESTS} × ${SPANS_PER_REQUEST}-span requests ` +
      `(${(bytes / REQUESTS / SPANS_PER_REQUEST).toFixed(0)} bytes/span) after ${WARM_UP_REQUESTS} warm-up requests, ${RUNS} runs`,
  );
  const runs: IngestRun[] = [];
  const withoutAnalysis: Rate[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const off = await ingestRun(warmUp, timed, run, false);
      withoutAnalysis.push(off.ingest);
      console.log(`run ${run + 1}, analysis off: ${rates(off.ingest)} committed`);
      const r = await ingestRun(warmUp, timed, run, true);
      runs.push(r);
      const refused = [...r.refusals].map(([status, n]) => `${n}× ${status}`).join(', ') || 'none';
      console.log(
        `run ${run + 1}: ${rates(r.ingest)} committed; raw INSERT of the same spans ${rates(r.rawInsert)}; ` +
          `ratio ${r.ratio.toFixed(2)} (per CPU-s ${r.cpuRatio.toFixed(2)}); RSS under load ${megabytes(r.loadedRssBytes)}, peak ${megabytes(r.peakRssBytes)}; ` +
          `non-200 answers: ${refused}${r.timedOut ? `, stopped at the ${RUN_DEADLINE_MS / 1000} s deadline after ${r.committedSpans} spans` : ''}`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const peaks = runs.map((r) => r.peakRssBytes).filter((p) => p !== undefined);
  const result: IngestBenchResult = {
    ingest: medianRate(runs.map((r) => r.ingest)),
    rawInsert: medianRate(runs.map((r) => r.rawInsert)),
    ratio: median(runs.map((r) => r.ratio)),
    cpuRatio: median(runs.map((r) => r.cpuRatio)),
    peakRssBytes: peaks.length ? Math.max(...peaks) : undefined,
    runs,
    withoutAnalysis: medianRate(withoutAnalysis),
    analysisRatio: median(runs.map((r, i) => r.ingest.spansPerSec / withoutAnalysis[i].spansPerSec)),
  };
  console.log(
    `medians: ${rates(result.ingest)} committed; raw INSERT ${rates(result.rawInsert)}; ` +
      `ratio ${result.ratio.toFixed(2)} (per CPU-s ${result.cpuRatio.toFixed(2)}); highest peak RSS of serve ${megabytes(result.peakRssBytes)}; ` +
      `analysis off ${rates(result.withoutAnalysis)}, on/off ${result.analysisRatio.toFixed(2)}`,
  );
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await benchIngest();
