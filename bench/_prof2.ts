import { workerPool } from '../fixtures/async-hops';
import { decodeTracesProto } from '../collector/otlp';
import { spansByTrace } from '../collector/analysis/analyze';
import { TraceSet } from '../collector/analysis/trace-set';
import { resolveOptions } from '../collector/analysis/options';
import { findAsyncHops } from '../collector/analysis/async-hop';
import * as A from '../collector/analysis/assignment';
const s = workerPool({ concurrency: 1, requests: 2000, correlated: false, context: 'lost' });
const spans = s.payloads.flatMap((p) => decodeTracesProto(p).spans);
const traces = spansByTrace(spans);
for (let k = 0; k < 8; k++) {
  const set = TraceSet.of(traces, [], resolveOptions());
  const t = performance.now();
  const r = findAsyncHops(set, () => undefined);
  console.log('hops', (performance.now() - t).toFixed(1), r.stitches.length);
}
