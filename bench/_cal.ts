import { messageQueue, workerPool } from '../fixtures/async-hops';
import { decodeTracesProto } from '../collector/otlp';
import { spansByTrace } from '../collector/analysis/analyze';
import { TraceSet } from '../collector/analysis/trace-set';
import { resolveOptions } from '../collector/analysis/options';
import { findAsyncHops } from '../collector/analysis/async-hop';
const make = process.argv[3] === 'pool' ? workerPool : messageQueue;
const s = make({ concurrency: Number(process.argv[2]), requests: 2000, correlated: false, context: 'lost' });
const spans = s.payloads.flatMap((p) => decodeTracesProto(p).spans);
const set = TraceSet.of(spansByTrace(spans), [], resolveOptions());
const r = findAsyncHops(set, () => undefined);
const truth = new Set(s.truth.stitches!.map((x) => x.from.traceId + x.from.spanId + x.to.traceId + x.to.spanId));
const bins = new Map<number, [number, number]>();
for (const x of r.stitches) { const b = Math.floor(x.confidence * 10) / 10; const e = bins.get(b) ?? [0, 0]; e[0]++; if (truth.has(x.from.traceId + x.from.spanId + x.to.traceId + x.to.spanId)) e[1]++; bins.set(b, e); }
console.log([...bins].sort((a, b) => a[0] - b[0]).map(([b, [n, ok]]) => `${b.toFixed(1)}: ${ok}/${n} = ${(ok / n).toFixed(2)}`).join('\n'));
