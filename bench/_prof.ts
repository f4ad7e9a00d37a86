import { workerPool } from '../fixtures/async-hops';
import { decodeTracesProto } from '../collector/otlp';
import { spansByTrace } from '../collector/analysis/analyze';
import { TraceSet } from '../collector/analysis/trace-set';
import { resolveOptions } from '../collector/analysis/options';
import { findAsyncHops } from '../collector/analysis/async-hop';
const s = workerPool({ concurrency: 1, requests: 2000, correlated: false, context: 'lost' });
let t = performance.now();
const spans = s.payloads.flatMap((p) => decodeTracesProto(p).spans);
console.log('decode', performance.now() - t); t = performance.now();
const set = TraceSet.of(spansByTrace(spans), [], resolveOptions());
console.log('set', performance.now() - t); t = performance.now();
const r = findAsyncHops(set, () => undefined);
console.log('hops', performance.now() - t, r.stitches.length);
for (let k = 0; k < 3; k++) {
t = performance.now();
const set2 = TraceSet.of(spansByTrace(spans), [], resolveOptions());
console.log('set again', performance.now() - t); t = performance.now();
const r2 = findAsyncHops(set2, () => undefined);
console.log('hops again', performance.now() - t, r2.stitches.length);
}
