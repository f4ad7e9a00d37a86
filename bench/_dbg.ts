import { messageQueue } from '../fixtures/async-hops';
import { decodeTracesProto } from '../collector/otlp';
import { spansByTrace } from '../collector/analysis/analyze';
import { TraceSet } from '../collector/analysis/trace-set';
import { resolveOptions } from '../collector/analysis/options';
import { findAsyncHops } from '../collector/analysis/async-hop';
const s = messageQueue({ concurrency: 1, requests: Number(process.argv[2]), correlated: false, context: 'lost' });
const spans = s.payloads.flatMap((p) => decodeTracesProto(p).spans);
const set = TraceSet.of(spansByTrace(spans), [], resolveOptions());
const r = findAsyncHops(set, () => undefined);
const name = new Map(set.spans.map(f => [f.traceId+f.spanId, f]));


const truth = new Map(s.truth.stitches!.map(t => [t.to.traceId+t.to.spanId, t.from.traceId+t.from.spanId]));
let k = 0;
for (const t of r.stitches) { if (truth.get(t.to.traceId+t.to.spanId) !== t.from.traceId+t.from.spanId) { const p = name.get(t.from.traceId+t.from.spanId)!, c = name.get(t.to.traceId+t.to.spanId)!; const tp = name.get(truth.get(t.to.traceId+t.to.spanId)!)!; if (k++ < 5) console.log('wrong', (p.start/1e6).toFixed(3), (c.start/1e6).toFixed(3), 'true p', (tp.start/1e6).toFixed(3)); } }
console.log('wrong', k, 'of', r.stitches.length);
const cons = set.spans.filter(f => f.kind === 5).sort((a,b)=>a.start-b.start);
const prods = set.spans.filter(f => f.kind === 4).sort((a,b)=>a.start-b.start);
console.log('P', prods.filter(f=>f.start>45e6&&f.start<70e6).map(f=>(f.start/1e6).toFixed(3)+(f.error?'E':'')).join(' '));
console.log('C', cons.filter(f=>f.start>45e6&&f.start<70e6).map(f=>(f.start/1e6).toFixed(3)+'/'+f.instance.slice(-12)).join(' '));
const got = new Map(r.stitches.map(t => [t.to.traceId+t.to.spanId, name.get(t.from.traceId+t.from.spanId)!]));
console.log('M', cons.filter(f=>f.start>45e6&&f.start<70e6).map(f=>((got.get(f.traceId+f.spanId)?.start ?? -1e6)/1e6).toFixed(3)).join(' '));
const c0 = cons.find(f => Math.abs(f.start - 56.227e6) < 1e4)!; const p0 = prods.find(f => Math.abs(f.start - 56.275e6) < 1e4)!;
console.log(c0.clock, p0.clock, c0.start - p0.start, set.traceHasOperation(p0.traceId, c0.service, c0.name));
import { alignInOrder } from '../collector/analysis/assignment';
{
const P = prods.map(f=>f.start), C = cons.map(f=>f.start);
const lo = new Int32Array(C.length), hi = new Int32Array(C.length);
let b = -1;
C.forEach((c, j) => { lo[j] = 0; while (b + 1 < P.length && P[b+1] <= c + 5e6) b++; hi[j] = b; });
const m = alignInOrder(P.length, lo, hi, (i, j) => (C[j] >= P[i] - 5e6 ? (C[j] >= P[i] ? 1.3 : 0.65) : 0));
let wrong = 0; m.forEach((i, j) => { if (i !== j) wrong++; });
console.log('synthetic wrong', wrong, [...m.slice(0, 20)], [...hi.slice(0,20)]);
}
