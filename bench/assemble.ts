// Assembling a 100k-span trace: a deep chain, a very wide fan-out and a random bushy tree, arriving
// shuffled. Run alone with `npx tsx bench/assemble.ts`.
import { pathToFileURL } from 'node:url';
import { assembleTrace } from '../collector/analysis/assemble';
import type { Resource, Span } from '../collector/model';
import { SpanKind, emptyScope, newSpan } from '../collector/model';
import { randomHex, seededRandom } from '../fixtures/ids';
import { median } from './stats';

export interface AssembleBenchResult {
  spans: number;
  runs: number;
  medianMs: number;
  /** CPU time of the same runs: steadier than wall time on a shared machine. */
  medianCpuMs: number;
}

const SPANS = 100_000;
const CHAIN = 10_000;
const FAN = 20_000;

function generatedTrace(seed: number): Span[] {
  const random = seededRandom(seed);
  const traceId = randomHex(random, 32);
  const resources: Resource[] = Array.from({ length: 20 }, (_, i) => ({
    attributes: { 'service.name': `svc-${i}`, 'host.name': `host-${i % 7}` },
    droppedAttributesCount: 0,
    schemaUrl: '',
  }));
  const scope = emptyScope();
  const spans: Span[] = [];
  const add = (parent: Span | undefined) => {
    // a child starts and ends within its parent; the root lasts ten seconds
    const from = parent ? parent.startNs : 1_750_000_000_000_000_000n;
    const length = parent ? Number(parent.endNs - parent.startNs) : 10e9;
    const offset = Math.floor(random() * length * 0.1);
    const duration = Math.floor(random() * (length - offset) * 0.9);
    const span = newSpan({
      traceId,
      spanId: randomHex(random, 16),
      parentSpanId: parent?.spanId,
      flags: 1,
      name: `op-${spans.length % 50}`,
      kind: spans.length % 3 === 0 ? SpanKind.CLIENT : SpanKind.SERVER,
      startNs: from + BigInt(offset),
      endNs: from + BigInt(offset + duration),
      resource: resources[spans.length % resources.length],
      scope,
    });
    spans.push(span);
    return span;
  };
  const root = add(undefined);
  let tip = root;
  for (let i = 0; i < CHAIN; i++) tip = add(tip);
  const fan = add(root);
  for (let i = 0; i < FAN; i++) add(fan);
  while (spans.length < SPANS) {
    // mostly near the newest spans (depth), sometimes anywhere (breadth)
    const pick = random() < 0.7 ? spans.length - 1 - Math.floor(random() * 10) : Math.floor(random() * spans.length);
    add(spans[pick]);
  }
  for (let i = spans.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [spans[i], spans[j]] = [spans[j], spans[i]];
  }
  return spans;
}

export function benchAssemble(runs = 7): AssembleBenchResult {
  const spans = generatedTrace(42);
  assembleTrace(spans); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    assembleTrace(spans);
    wall.push(performance.now() - t0);
    const used = process.cpuUsage(cpu0);
    cpu.push((used.user + used.system) / 1000);
  }
  const result = { spans: spans.length, runs, medianMs: median(wall), medianCpuMs: median(cpu) };
  console.log(`assembleTrace: ${result.spans} spans, median of ${runs} runs: ${result.medianMs.toFixed(1)} ms (cpu ${result.medianCpuMs.toFixed(1)} ms)`);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) benchAssemble();
