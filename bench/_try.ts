import { workerPool, messageQueue } from '../fixtures/async-hops';
import { decodeTracesProto } from '../collector/otlp';
import { spansByTrace } from '../collector/analysis/analyze';
import { TraceSet } from '../collector/analysis/trace-set';
import { resolveOptions } from '../collector/analysis/options';
import { findAsyncHops } from '../collector/analysis/async-hop';

for (const make of [workerPool, messageQueue]) for (const c of [1, 8, 32, 64]) for (const correlated of [false, true]) {
  const t0 = performance.now();
  const s = make({ concurrency: c, requests: 2000, correlated, context: 'lost' });
  const t1 = performance.now();
  const spans = s.payloads.flatMap((p) => decodeTracesProto(p).spans);
  const set = TraceSet.of(spansByTrace(spans), [], resolveOptions());
  const r = findAsyncHops(set, () => undefined);
  const t2 = performance.now();
  const truth = new Set(s.truth.stitches!.map((x) => x.from.traceId + x.from.spanId + x.to.traceId + x.to.spanId));
  const claims = r.stitches.filter((x) => x.confidence >= 0.5);
  const tp = claims.filter((x) => truth.has(x.from.traceId + x.from.spanId + x.to.traceId + x.to.spanId)).length;
  const confs = claims.map(x=>x.confidence).sort((a,b)=>a-b);
  console.log(s.name, 'spans', spans.length, 'truth', truth.size, 'claims', claims.length, 'P', (tp / claims.length).toFixed(4), 'R', (tp / truth.size).toFixed(4), 'gen', (t1 - t0).toFixed(0), 'ms analyze', (t2 - t1).toFixed(0), 'ms', 'conf p10', confs[Math.floor(confs.length*0.1)]);
}
