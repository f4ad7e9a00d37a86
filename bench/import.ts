// Import speed and memory on a large JSON-lines file as the collector's file exporter writes it:
// `hopscope import` into a fresh store (plain and gzip), and reading alone (no store) to show what
// decoding costs. Each run is a child process, so its peak RSS is its own and not the bench's.
// Run alone with `npx tsx bench/import.ts [MiB]` (default 200).
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createGzip } from 'node:zlib';
import { importFile } from '../collector/importers';
import { openStore } from '../collector/store';

const SPANS_PER_LINE = 100;
const DEFAULT_MIB = 200;
/** The budget issue 3 sets for importing a 200 MB file, in MB as bench/run.ts counts. */
const RSS_BUDGET_MB = 400;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type Mode = 'hopscope-import' | 'read-only';

interface ChildReport {
  spans: number;
  seconds: number;
  peakRssBytes: number;
}

export interface ImportBenchRun {
  mode: Mode;
  file: string;
  /** Size on disk (the gzip file is smaller). */
  fileMib: number;
  /** Size of the JSON read, which the rate counts. */
  jsonMib: number;
  spans: number;
  seconds: number;
  mibPerSecond: number;
  spansPerSecond: number;
  peakRssBytes: number;
}

export interface ImportBenchResult {
  /** `hopscope import` of the plain file: the headline rate. */
  spansPerSecond: number;
  mibPerSecond: number;
  /** The highest peak RSS of the `hopscope import` runs (plain and gzip). */
  peakRssBytes: number;
  runs: ImportBenchRun[];
}

/** One line as the collector's file exporter writes it: a Go service's HTTP, gRPC and SQL spans. */
function requestLine(line: number): string {
  const spans = [];
  for (let i = 0; i < SPANS_PER_LINE; i++) {
    const n = line * SPANS_PER_LINE + i;
    const start = 1_760_738_064_624_180_000n + BigInt(n) * 1_000_000n;
    spans.push({
      traceId: (Math.floor(n / 10) + 1).toString(16).padStart(32, '0'),
      spanId: (n + 1).toString(16).padStart(16, '0'),
      parentSpanId: n % 10 === 0 ? '' : (n - (n % 10) + 1).toString(16).padStart(16, '0'),
      name: ['GET /orders/{id}', 'orders.v1.Orders/Get', 'SELECT orders'][n % 3],
      kind: [2, 3, 3][n % 3],
      startTimeUnixNano: `${start}`,
      endTimeUnixNano: `${start + 850_000n}`,
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'http.route', value: { stringValue: '/orders/{id}' } },
        { key: 'http.response.status_code', value: { intValue: '200' } },
        { key: 'server.address', value: { stringValue: 'orders.shop.svc.cluster.local' } },
        { key: 'request.id', value: { stringValue: `req-${Math.floor(n / 10)}` } },
      ],
      status: {},
    });
  }
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'k8s.pod.name', value: { stringValue: 'checkout-7d9c6b5f4-x2k8q' } }] };
  return `${JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp' }, spans }] }] })}\n`;
}

async function writeFile(file: string, targetBytes: number): Promise<void> {
  const out = createWriteStream(file);
  let written = 0;
  for (let line = 0; written < targetBytes; line++) {
    const text = requestLine(line);
    written += text.length;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Runs one import in a child process (this file with --child) and returns what it reports. */
async function runChild(mode: Mode, file: string, db: string): Promise<ChildReport> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode, file, db], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let report: ChildReport | undefined;
  child.on('message', (m) => (report = m as ChildReport));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0 || report === undefined) throw new Error(`import bench child (${mode} ${file}) exited with ${code}: ${stderr}`);
  return report;
}

async function child(mode: Mode, file: string, db: string): Promise<void> {
  if (mode === 'hopscope-import') {
    const { main } = await import('../collector/cli');
    const started = performance.now();
    const code = await main(['import', file, '--db', db]);
    if (code !== 0) throw new Error(`hopscope import exited with ${code}`);
    const seconds = (performance.now() - started) / 1000;
    const peakRssBytes = process.resourceUsage().maxRSS * 1024;
    const store = openStore({ path: db });
    const { spans } = store.reader.stats();
    await store.close();
    process.send!({ spans, seconds, peakRssBytes } satisfies ChildReport);
    return;
  }
  const started = performance.now();
  // The sink yields to the event loop as a store's writer would.
  const result = await importFile(file, () => new Promise((resolve) => setImmediate(resolve)));
  const seconds = (performance.now() - started) / 1000;
  process.send!({ spans: result.spans, seconds, peakRssBytes: process.resourceUsage().maxRSS * 1024 } satisfies ChildReport);
}

/** Writes a `mib` MiB JSON-lines file, gzips a copy, and measures importing each; prints the runs and returns the figures. */
export async function benchImport(mib = DEFAULT_MIB): Promise<ImportBenchResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-import-bench-'));
  try {
    const plain = path.join(dir, 'traces.jsonl');
    await writeFile(plain, mib * 2 ** 20);
    const gzipped = `${plain}.gz`;
    await pipeline(createReadStream(plain), createGzip(), createWriteStream(gzipped));
    const jsonMib = statSync(plain).size / 2 ** 20;
    const runs: ImportBenchRun[] = [];
    const cases: [Mode, string][] = [
      ['hopscope-import', plain],
      ['hopscope-import', gzipped],
      ['read-only', plain],
    ];
    console.log(`Import of a ${mib} MiB collector-file-exporter JSON-lines file (${SPANS_PER_LINE} spans a line), each run in its own process`);
    console.log('run                              file MiB    spans     seconds  JSON MiB/s    spans/s   peak RSS MB');
    for (const [i, [mode, file]] of cases.entries()) {
      const r = await runChild(mode, file, path.join(dir, `store-${i}.db`));
      const run: ImportBenchRun = {
        mode,
        file: path.basename(file),
        fileMib: statSync(file).size / 2 ** 20,
        jsonMib,
        spans: r.spans,
        seconds: r.seconds,
        mibPerSecond: jsonMib / r.seconds,
        spansPerSecond: r.spans / r.seconds,
        peakRssBytes: r.peakRssBytes,
      };
      runs.push(run);
      const name = `${mode} ${run.file}`;
      console.log(
        `${name.padEnd(32)} ${run.fileMib.toFixed(0).padStart(8)} ${String(run.spans).padStart(8)} ${run.seconds.toFixed(1).padStart(11)} ` +
          `${run.mibPerSecond.toFixed(1).padStart(11)} ${Math.round(run.spansPerSecond).toString().padStart(10)} ${(run.peakRssBytes / 1e6).toFixed(0).padStart(13)}`,
      );
    }
    const peakRssBytes = Math.max(...runs.filter((r) => r.mode === 'hopscope-import').map((r) => r.peakRssBytes));
    console.log(`hopscope import peak RSS ${(peakRssBytes / 1e6).toFixed(0)} MB (budget for 200 MB: ${RSS_BUDGET_MB} MB)`);
    return { spansPerSecond: runs[0].spansPerSecond, mibPerSecond: runs[0].mibPerSecond, peakRssBytes, runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--child') await child(process.argv[3] as Mode, process.argv[4], process.argv[5]);
  else await benchImport(process.argv[2] === undefined ? DEFAULT_MIB : Number(process.argv[2]));
}
