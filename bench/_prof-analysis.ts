import { openStore } from '../collector/store';
import { AnalysisEngine } from '../collector/analysis-engine';

const file = process.argv[2];
const store = openStore({ path: file, writerThread: true, maxBytes: 64 * 1024 ** 3, maxAgeMs: 1e15 });
const engine = new AnalysisEngine(store, { settleMs: 0 });
const t = performance.now();
let n = 0, w = 0;
for (;;) {
  const k = await engine.analyzeBatch();
  n += k;
  w += await engine.evaluateWindows();
  if (k === 0) break;
  if (n % 20000 < 1000) console.log(n, (n / ((performance.now() - t) / 1000)).toFixed(0), 'traces/s', (process.memoryUsage().rss / 1e6).toFixed(0), 'MB', JSON.stringify(engine.held()), 'windows', w);
}
console.log('done', n, (n / ((performance.now() - t) / 1000)).toFixed(0), 'traces/s windows', w, (process.memoryUsage().rss / 1e6).toFixed(0), 'MB');
await store.close();
const g = (globalThis as { gc?: () => void }).gc;
if (g) { g(); const m = process.memoryUsage(); console.log('after gc heapUsed', (m.heapUsed/1e6).toFixed(0), 'heapTotal', (m.heapTotal/1e6).toFixed(0), 'rss', (m.rss/1e6).toFixed(0), 'external', (m.external/1e6).toFixed(0), 'arrayBuffers', (m.arrayBuffers/1e6).toFixed(0)); }
