import { LiveCrossTrace } from '../collector/analysis/live';
import { workerPool } from '../fixtures/async-hops';
import { decodeScenario } from '../fixtures/score';
import { TraceSet } from '../collector/analysis/trace-set';
import { resolveOptions } from '../collector/analysis/options';
import { analyzeCrossTrace } from '../collector/analysis/cross-trace';
const scenario = workerPool({ concurrency: 32, requests: 4000, correlated: false, context: 'lost' });
const { traces } = decodeScenario(scenario);
const spans = traces.flat().sort((a, b) => (a.endNs < b.endNs ? -1 : 1));
for (let round = 0; round < 5; round++) {
  const set = new TraceSet(spans[0].startNs, resolveOptions());
  let t = performance.now();
  set.addSpans(spans);
  const addMs = performance.now() - t;
  t = performance.now();
  const r = analyzeCrossTrace(set);
  console.log('add ns/span', ((addMs * 1e6) / spans.length).toFixed(0), 'cross ms', (performance.now() - t).toFixed(0), 'spans', spans.length, r.stitches.length);
}
