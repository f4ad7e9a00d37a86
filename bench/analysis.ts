// Live analysis on a backlog: a store of realistic spans written with analysis off (as `import --no-analysis`
// or a restart leaves it), then
//   1. `serve` opened on it (a child process running startCollector, as the CLI does): how long its analysis
//      worker takes to drain the backlog, its peak RSS, and its RSS once 300k traces are analyzed;
//   2. the engine alone on this thread over the first 300k traces of a copy: per-trace analysis (read,
//      assemble, detectors, record) in traces/s, and the cross-trace windows in spans/s of span time judged.
// Run alone with `npx tsx bench/analysis.ts [millions]` (default 5).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AnalysisEngine } from '../collector/analysis-engine';
import { startCollector } from '../collector/collector';
import { openStore } from '../collector/store';
import { buildStore } from './search';

const RSS_AT = 300_000;
const ENGINE_TRACES = 300_000;

interface ServeReport {
  traces: number;
  drainSeconds: number;
  peakRssBytes: number;
  rssAtBytes: number | undefined;
}

export interface AnalysisBenchResult {
  spans: number;
  traces: number;
  serve: ServeReport;
  perTraceTracesPerSec: number;
  windowSpansPerSec: number;
  held: { spans: number; spanIds: number; traces: number };
}

/** The child: serve's collector on the store, watched until its analysis backlog is gone. */
async function serveChild(db: string): Promise<void> {
  const started = performance.now();
  const collector = await startCollector({ dbPath: db, host: '127.0.0.1', grpcPort: 0, httpPort: 0 });
  let initial = 0;
  let peak = 0;
  let rssAt: number | undefined;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const rss = process.memoryUsage.rss();
    peak = Math.max(peak, rss);
    const { due } = collector.analysis.progress();
    initial = Math.max(initial, due);
    if (rssAt === undefined && initial - due >= RSS_AT) rssAt = rss;
    if (initial > 0 && due === 0) break;
  }
  const drainSeconds = (performance.now() - started) / 1000;
  await collector.close();
  process.send!({ traces: initial, drainSeconds, peakRssBytes: Math.max(peak, process.resourceUsage().maxRSS * 1024), rssAtBytes: rssAt } satisfies ServeReport);
}

function runServe(db: string): Promise<ServeReport> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', db], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let report: ServeReport | undefined;
    child.on('message', (m: ServeReport) => (report = m));
    child.on('exit', (code) => (report ? resolve(report) : reject(new Error(`the serve child exited with code ${code} without a report`))));
  });
}

/** The engine alone over the first `limit` traces: time in per-trace analysis and in the windows, apart. */
async function engineAlone(db: string, limit: number) {
  const store = openStore({ path: db, writerThread: true, maxBytes: Number.MAX_SAFE_INTEGER });
  try {
    const engine = new AnalysisEngine(store, { settleMs: 0 });
    let traces = 0;
    let perTraceMs = 0;
    let windowMs = 0;
    while (traces < limit) {
      let t = performance.now();
      const n = await engine.analyzeBatch();
      perTraceMs += performance.now() - t;
      t = performance.now();
      await engine.evaluateWindows();
      windowMs += performance.now() - t;
      if (n === 0) break;
      traces += n;
    }
    const held = engine.held();
    return { traces, perTraceTracesPerSec: traces / (perTraceMs / 1000), windowMs, held };
  } finally {
    await store.close();
  }
}

export async function benchAnalysis(millions = 5): Promise<AnalysisBenchResult> {
  const spans = Math.round(millions * 1e6);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-bench-analysis-'));
  try {
    const file = path.join(dir, 'backlog.db');
    console.log(`analysis: building a store of ${millions}M spans with analysis off…`);
    const store = openStore({ path: file, writerThread: true, maxBytes: Number.MAX_SAFE_INTEGER });
    await buildStore(store, spans);
    await store.close();
    copyFileSync(file, path.join(dir, 'engine.db'));

    const serve = await runServe(file);
    console.log(
      `serve drained ${serve.traces} traces in ${serve.drainSeconds.toFixed(1)} s (${Math.round(serve.traces / serve.drainSeconds)} traces/s); ` +
        `peak RSS ${(serve.peakRssBytes / 1e6).toFixed(0)} MB, ${serve.rssAtBytes ? `${(serve.rssAtBytes / 1e6).toFixed(0)} MB` : 'n/a'} after ${RSS_AT / 1000}k traces`,
    );
    const engine = await engineAlone(path.join(dir, 'engine.db'), ENGINE_TRACES);
    // realistic-spans: 8 spans a trace; the windows judge what was fed, so spans of span time per second of their work
    const windowSpansPerSec = (engine.traces * 8) / (engine.windowMs / 1000);
    console.log(
      `engine alone, ${engine.traces} traces: per-trace ${Math.round(engine.perTraceTracesPerSec)} traces/s; cross-trace windows ${Math.round(windowSpansPerSec / 1000)}k spans/s; ` +
        `held at the end: ${engine.held.spans} spans, ${engine.held.spanIds} span ids, ${engine.held.traces} traces`,
    );
    return { spans, traces: serve.traces, serve, perTraceTracesPerSec: engine.perTraceTracesPerSec, windowSpansPerSec, held: engine.held };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await serveChild(process.argv[3]);
else if (import.meta.url === pathToFileURL(process.argv[1]).href) await benchAnalysis(process.argv[2] ? Number(process.argv[2]) : undefined);
