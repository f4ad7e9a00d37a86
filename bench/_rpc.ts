import { rpcHops } from '../fixtures/rpc-hops';
import { decodeTracesProto } from '../collector/otlp';
import { analyzeAll, spansByTrace } from '../collector/analysis/analyze';
for (const c of [1, 8, 32, 64]) for (const correlated of [false, true]) {
  const s = rpcHops({ concurrency: c, requests: 2000, correlated, context: 'lost' });
  const t = performance.now();
  const r = analyzeAll(spansByTrace(s.payloads.flatMap((p) => decodeTracesProto(p).spans)));
  const truth = new Set(s.truth.stitches!.map((x) => x.from.traceId + x.from.spanId + x.to.traceId + x.to.spanId));
  const claims = r.stitches.filter((x) => x.confidence >= 0.5);
  const tp = claims.filter((x) => truth.has(x.from.traceId + x.from.spanId + x.to.traceId + x.to.spanId)).length;
  const all = r.stitches.filter((x) => truth.has(x.from.traceId + x.from.spanId + x.to.traceId + x.to.spanId)).length;
  console.log(s.name, 'claims', claims.length, 'P', (tp / claims.length).toFixed(4), 'R', (tp / truth.size).toFixed(4), 'assigned-correct', (all / truth.size).toFixed(3), 'ms', (performance.now() - t).toFixed(0), r.findings.map(f => `${f.kind}/${f.subkind}/${f.severity}:${f.count}`).join(' '));
}
