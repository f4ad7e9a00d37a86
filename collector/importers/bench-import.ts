// Import speed and memory on a large collector-file-exporter JSON-lines file (plain and gzip).
// Run alone with `npx tsx collector/importers/bench-import.ts [MiB]` (default 200).
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { importFile } from './import-file';

const targetBytes = Number(process.argv[2] ?? 200) * 2 ** 20;
const SPANS_PER_LINE = 100;

/** One line as the collector's file exporter writes it: a Go service's HTTP, gRPC and SQL spans. */
function requestLine(line: number): string {
  const spans = [];
  for (let i = 0; i < SPANS_PER_LINE; i++) {
    const n = line * SPANS_PER_LINE + i;
    const start = 1_760_738_064_624_180_000n + BigInt(n) * 1_000_000n;
    spans.push({
      traceId: (Math.floor(n / 10) + 1).toString(16).padStart(32, '0'),
      spanId: (n + 1).toString(16).padStart(16, '0'),
      parentSpanId: n % 10 === 0 ? '' : (n - (n % 10) + 1).toString(16).padStart(16, '0'),
      name: ['GET /orders/{id}', 'orders.v1.Orders/Get', 'SELECT orders'][n % 3],
      kind: [2, 3, 3][n % 3],
      startTimeUnixNano: `${start}`,
      endTimeUnixNano: `${start + 850_000n}`,
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'http.route', value: { stringValue: '/orders/{id}' } },
        { key: 'http.response.status_code', value: { intValue: '200' } },
        { key: 'server.address', value: { stringValue: 'orders.shop.svc.cluster.local' } },
        { key: 'request.id', value: { stringValue: `req-${Math.floor(n / 10)}` } },
      ],
      status: {},
    });
  }
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'k8s.pod.name', value: { stringValue: 'checkout-7d9c6b5f4-x2k8q' } }] };
  return `${JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp' }, spans }] }] })}\n`;
}

async function writeFile(file: string): Promise<void> {
  const out = createWriteStream(file);
  let written = 0;
  for (let line = 0; written < targetBytes; line++) {
    const text = requestLine(line);
    written += text.length;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function measure(file: string): Promise<void> {
  let peakRss = process.memoryUsage().rss;
  const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const started = performance.now();
  // The sink yields to the event loop as a store's writer would.
  const result = await importFile(file, () => new Promise((resolve) => setImmediate(resolve)));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sample);
  const mib = statSync(file).size / 2 ** 20;
  console.log(
    `${path.basename(file)}: ${mib.toFixed(0)} MiB, ${result.format}, ${result.spans} spans in ${seconds.toFixed(1)} s ` +
      `(${(mib / seconds).toFixed(0)} MiB/s, ${Math.round(result.spans / seconds)} spans/s), peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
  );
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-import-bench-'));
try {
  const plain = path.join(dir, 'traces.jsonl');
  await writeFile(plain);
  await pipeline(createReadStream(plain), createGzip(), createWriteStream(`${plain}.gz`));
  console.log(`RSS before importing: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  await measure(plain);
  await measure(`${plain}.gz`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
