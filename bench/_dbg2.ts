import { messageQueue } from '../fixtures/async-hops';
import { decodeTracesProto } from '../collector/otlp';
import { spansByTrace } from '../collector/analysis/analyze';
import { TraceSet } from '../collector/analysis/trace-set';
import { resolveOptions } from '../collector/analysis/options';
import { findAsyncHops } from '../collector/analysis/async-hop';
const s = messageQueue({ concurrency: Number(process.argv[2]), requests: 2000, correlated: false, context: 'lost' });
const spans = s.payloads.flatMap((p) => decodeTracesProto(p).spans);
const set = TraceSet.of(spansByTrace(spans), [], resolveOptions());
const r = findAsyncHops(set, () => undefined);
const cons = set.spans.filter(f => f.kind === 5).sort((a,b)=>a.start-b.start);
const prods = set.spans.filter(f => f.kind === 4).sort((a,b)=>a.start-b.start);
const pIndex = new Map(prods.map((f, i) => [f.traceId+f.spanId, i]));
const truth = new Map(s.truth.stitches!.map(t => [t.to.traceId+t.to.spanId, pIndex.get(t.from.traceId+t.from.spanId)!]));
const got = new Map(r.stitches.map(t => [t.to.traceId+t.to.spanId, pIndex.get(t.from.traceId+t.from.spanId)!]));
const hist = new Map<number, number>();
let inv = 0;
const trueIdx = cons.map(c => truth.get(c.traceId+c.spanId)!);
for (let j = 1; j < trueIdx.length; j++) if (trueIdx[j] < trueIdx[j-1]) inv++;
cons.forEach((c, j) => { const d = (got.get(c.traceId+c.spanId) ?? -99999) - truth.get(c.traceId+c.spanId)!; hist.set(d, (hist.get(d) ?? 0) + 1); });
console.log('descents in true order', inv, 'offset hist', [...hist].sort((a,b)=>a[0]-b[0]).filter(x=>x[1]>5));
// per instance descents
const byInst = new Map<string, number[]>();
cons.forEach(c => { const l = byInst.get(c.instance) ?? []; l.push(truth.get(c.traceId+c.spanId)!); byInst.set(c.instance, l); });
for (const [k, l] of byInst) { let d = 0; for (let j = 1; j < l.length; j++) if (l[j] < l[j-1]) d++; console.log(k, l.length, 'descents', d); }
const gaps = cons.map(c => c.start - prods[truth.get(c.traceId+c.spanId)!].start).sort((a,b)=>a-b);
console.log('wait p10/50/90 ms', gaps[200]/1e6, gaps[1000]/1e6, gaps[1800]/1e6);
const ia = prods.slice(1).map((p, i) => p.start - prods[i].start).sort((a,b)=>a-b); console.log('producer interarrival median ms', ia[1000]/1e6);
{
const mid = (f: typeof prods[0]) => (f.start + f.end) / 2;
const order = prods.map((f, i) => i).sort((a, b) => mid(prods[a]) - mid(prods[b]));
const rank = new Int32Array(prods.length); order.forEach((i, k) => rank[i] = k);
const t = cons.map(c => rank[truth.get(c.traceId+c.spanId)!]);
let d = 0; for (let j = 1; j < t.length; j++) if (t[j] < t[j-1]) d++;
console.log('descents with midpoint producer order', d);
const byInst = new Map<string, number[]>();
cons.forEach(c => { const l = byInst.get(c.instance) ?? []; l.push(rank[truth.get(c.traceId+c.spanId)!]); byInst.set(c.instance, l); });
for (const [k, l] of byInst) { let d = 0; for (let j = 1; j < l.length; j++) if (l[j] < l[j-1]) d++; console.log(k, l.length, 'descents', d); }
}
{
const off: Record<string, number> = { 'notifier@notifier-1/notifier': 0.4e6, 'notifier@notifier-2/notifier': -0.3e6, 'notifier@notifier-3/notifier': 0.1e6 };
const mid = (f: typeof prods[0]) => (f.start + f.end) / 2;
const order = prods.map((f, i) => i).sort((a, b) => mid(prods[a]) - mid(prods[b]));
const rank = new Int32Array(prods.length); order.forEach((i, k) => rank[i] = k);
const cs = [...cons].sort((a, b) => (a.start - off[a.instance]) - (b.start - off[b.instance]));
const t = cs.map(c => rank[truth.get(c.traceId+c.spanId)!]);
let d = 0; for (let j = 1; j < t.length; j++) if (t[j] < t[j-1]) d++;
console.log('descents after true clock correction', d);
}
