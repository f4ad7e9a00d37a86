// Live analysis on a backlog: a store of realistic spans written with analysis off (as `import --no-analysis`
// or a restart leaves it), then
//   1. `serve` opened on it (a child process running startCollector from a bundle, as the desktop app does): how long its analysis
//      worker takes to drain the backlog, its peak RSS, and its RSS once 300k traces are analyzed;
//   2. the engine alone on this thread over the first 300k traces of a copy: per-trace analysis (read,
//      assemble, detectors, record) in traces/s, and the cross-trace windows in spans/s of span time judged.
// Run alone with `npx tsx bench/analysis.ts [millions]` (default 5). The store takes long to write (its search
// indexing shares the writer), so it is kept in the temp folder (hopscope-bench-analysis-<N>M-v1.db) and copied for
// each run; delete it to write it again.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';
import { AnalysisEngine } from '../collector/analysis-engine';
import { openStore } from '../collector/store';
import type { ServeReport } from './analysis-serve';
import { buildStore } from './search';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const RSS_AT = 300_000;
const ENGINE_TRACES = 300_000;

export interface AnalysisBenchResult {
  spans: number;
  traces: number;
  serve: ServeReport;
  perTraceTracesPerSec: number;
  windowSpansPerSec: number;
  held: { spans: number; spanIds: number; traces: number };
}

/**
 * `serve` in a child process from a bundle (bench/analysis-serve.ts and the workers), as the desktop app runs it.
 * BENCH_NODE_ARGS adds node flags to the child (e.g. `--cpu-prof --cpu-prof-dir=DIR`, which profiles every thread).
 */
async function runServe(db: string, bundleDir: string): Promise<ServeReport> {
  for (const [entry, file] of [
    ['bench/analysis-serve.ts', 'analysis-serve.cjs'],
    ['collector/store/writer-worker.ts', 'writer-worker.cjs'],
    ['collector/analysis-worker.ts', 'analysis-worker.cjs'],
    ['collector/window-worker.ts', 'window-worker.cjs'],
  ]) {
    await build({
      configFile: false,
      root: repoRoot,
      logLevel: 'warn',
      build: {
        ssr: path.join(repoRoot, entry),
        outDir: bundleDir,
        emptyOutDir: false,
        target: 'node24',
        minify: false,
        rollupOptions: { external: [/^node:/], output: { format: 'cjs', entryFileNames: file } },
      },
    });
  }
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), path.join(bundleDir, 'analysis-serve.cjs'), db, String(RSS_AT)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_PATH: path.join(repoRoot, 'node_modules') },
  });
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

/** The store of `millions` M spans none of which is analyzed, written once and kept in the temp folder. */
async function backlogStore(millions: number): Promise<string> {
  const kept = path.join(os.tmpdir(), `hopscope-bench-analysis-${millions}M-v1.db`);
  if (existsSync(kept)) return kept;
  console.log(`analysis: writing a store of ${millions}M spans with analysis off (kept as ${kept})…`);
  const building = `${kept}.building`;
  rmSync(building, { force: true });
  const store = openStore({ path: building, writerThread: true, maxBytes: Number.MAX_SAFE_INTEGER });
  await buildStore(store, Math.round(millions * 1e6));
  await store.close();
  renameSync(building, kept);
  return kept;
}

export async function benchAnalysis(millions = 5): Promise<AnalysisBenchResult> {
  const spans = Math.round(millions * 1e6);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-bench-analysis-'));
  try {
    const file = path.join(dir, 'backlog.db');
    copyFileSync(await backlogStore(millions), file);
    copyFileSync(file, path.join(dir, 'engine.db'));

    const serve = await runServe(file, path.join(dir, 'bundle'));
    console.log(
      `serve drained ${serve.traces} traces in ${serve.drainSeconds.toFixed(1)} s (${Math.round(serve.traces / serve.drainSeconds)} traces/s); ` +
        `peak RSS ${(serve.peakRssBytes / 1e6).toFixed(0)} MB (after ${Math.round(serve.peakAtTraces / 1000)}k traces), ` +
        `${serve.rssAtBytes ? `${(serve.rssAtBytes / 1e6).toFixed(0)} MB` : 'n/a'} after ${RSS_AT / 1000}k traces; ${serve.cpuSeconds.toFixed(0)} CPU-s`,
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

if (process.argv[2] === '--build') await backlogStore(Number(process.argv[3] ?? 5));
else if (import.meta.url === pathToFileURL(process.argv[1]).href) await benchAnalysis(process.argv[2] ? Number(process.argv[2]) : undefined);
