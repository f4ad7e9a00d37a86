// The child of bench/analysis.ts: serve's collector opened on a store whose traces all wait for analysis, watched
// until the backlog is gone. Bundled with the collector's workers before it runs, as the desktop app runs them.
import { startCollector } from '../collector/collector';

export interface ServeReport {
  traces: number;
  drainSeconds: number;
  peakRssBytes: number;
  /** RSS once `rssAt` traces were analyzed. */
  rssAtBytes: number | undefined;
  /** Traces analyzed when the peak was sampled. */
  peakAtTraces: number;
  /** CPU time of the process (all its threads) until drained, in seconds. */
  cpuSeconds: number;
}

void (async () => {
  const [db, rssAtText] = process.argv.slice(2);
  const rssAt = Number(rssAtText);
  const started = performance.now();
  // no retention: what is measured is analysis, not the store being trimmed to 1 GiB meanwhile
  const collector = await startCollector({ dbPath: db, host: '127.0.0.1', grpcPort: 0, httpPort: 0, retention: { maxBytes: Number.MAX_SAFE_INTEGER } });
  let initial = 0;
  let peak = 0;
  let peakAtTraces = 0;
  let rssAtBytes: number | undefined;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const rss = process.memoryUsage.rss();
    const { due } = collector.analysis.progress();
    initial = Math.max(initial, due);
    if (rss > peak) [peak, peakAtTraces] = [rss, initial - due];
    if (rssAtBytes === undefined && initial - due >= rssAt) rssAtBytes = rss;
    if (initial > 0 && due === 0) break;
  }
  const drainSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage();
  await collector.close();
  const report: ServeReport = { traces: initial, drainSeconds, peakRssBytes: Math.max(peak, process.resourceUsage().maxRSS * 1024), peakAtTraces, rssAtBytes, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  process.send!(report);
})();
