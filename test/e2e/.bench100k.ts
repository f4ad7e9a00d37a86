import { SpanKind, StatusCode, setAttribute, type Span, type Resource, type Attributes } from '../../collector/model';
import { openStore } from '../../collector/store';
import { assembleTrace } from '../../collector/analysis/assemble';
import { encodeSpan, encodeTree, TelemetryTables } from '../../collector/api/encode';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const MS = 1_000_000n;
const hex = (n: number, d: number) => n.toString(16).padStart(d, '0');
function res(s: string): Resource { const a: Attributes = {}; setAttribute(a, 'service.name', s); setAttribute(a, 'host.name', s + '-0'); return { attributes: a, droppedAttributesCount: 0, schemaUrl: '' }; }
const dir = mkdtempSync(path.join(os.tmpdir(), 'b100k-'));
const store = openStore({ path: path.join(dir, 'db') });
const traceId = hex(0x100000, 32); const n = 100_000; const t0 = BigInt(Date.now()) * MS;
const services = ['a','b','c','d','e','f','g','h'].map(res);
const scope = { name: 'bench', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
let batch: Span[] = [];
for (let i = 0; i < n; i++) {
  const parent = i === 0 ? -1 : Math.floor((i - 1) / 6);
  const start = t0 + BigInt(i) * 200_000n;
  batch.push({ traceId, spanId: hex(i + 1, 16), parentSpanId: parent < 0 ? '' : hex(parent + 1, 16), traceState: '', flags: 1, name: `op-${i}`, kind: SpanKind.INTERNAL, startNs: start, endNs: start + 1000n, attributes: {}, droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: StatusCode.UNSET, message: '' }, resource: services[i % 8], scope });
  if (batch.length === 10000) { await store.write({ spans: batch, logs: [] }); batch = []; }
}
await store.flush();
for (let round = 0; round < 2; round++) {
let t = performance.now();
const spans = store.reader.getTrace(traceId);
console.log('getTrace', Math.round(performance.now() - t)); t = performance.now();
const logs = store.reader.logsForTrace(traceId);
console.log('logsForTrace', Math.round(performance.now() - t)); t = performance.now();
const a = assembleTrace(spans);
console.log('assemble', Math.round(performance.now() - t)); t = performance.now();
const tables = new TelemetryTables();
const ws = a.spans.map((s) => encodeSpan(s, tables));
console.log('encode', Math.round(performance.now() - t)); t = performance.now();
const tree = encodeTree(a);
console.log('encodeTree', Math.round(performance.now() - t)); t = performance.now();
const json = JSON.stringify({ spans: ws, tree, logs });
console.log('stringify', Math.round(performance.now() - t), 'MB', (json.length / 1e6).toFixed(1)); t = performance.now();
JSON.parse(json);
console.log('parse', Math.round(performance.now() - t));
}
await store.close();
