// `hopscope serve` analyzes a trace only after it has been quiet for the settle window, so a parent that
// arrives late is not reported missing, and a parent that arrives after analysis retracts the finding.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { workerPool } from '../fixtures/async-hops';
import { wideTrace } from '../fixtures/wide-trace';
import { CLAIM_CONFIDENCE } from '../collector/analysis';
import { startCollector, type RunningCollector } from '../collector/collector';
import { exportWith, recordSpans } from './sdk';

const SETTLE_MS = 4000;
let collector: RunningCollector;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-live-'));
  collector = await startCollector({ dbPath: path.join(dir, 'live.db'), host: '127.0.0.1', grpcPort: 0, httpPort: 0, settleMs: SETTLE_MS });
});

afterAll(async () => {
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A server span and its child, in one trace of service `service`. */
async function parentAndChild(service: string): Promise<{ parent: ReadableSpan; child: ReadableSpan }> {
  const spans = await recordSpans({ 'service.name': service }, (tracer) => {
    const parent = tracer.startSpan('GET /orders', { kind: SpanKind.SERVER, startTime: 1_700_000_000_000 });
    tracer.startSpan('SELECT orders', { kind: SpanKind.CLIENT, startTime: 1_700_000_000_001 }, trace.setSpan(context.active(), parent)).end(1_700_000_000_005);
    parent.end(1_700_000_000_010);
  });
  return { parent: spans.find((s) => s.kind === SpanKind.SERVER)!, child: spans.find((s) => s.kind === SpanKind.CLIENT)! };
}

async function send(spans: ReadableSpan[]): Promise<void> {
  const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${collector.http.port}/v1/traces` });
  const result = await exportWith(exporter, spans);
  await exporter.shutdown();
  expect(result.code).toBe(0);
}

function missingParentsOf(service: string): number {
  return collector.store.reader
    .findings()
    .filter((f) => f.kind === 'broken-parent' && f.subkind === 'missing-parent' && f.service === service)
    .reduce((n, f) => n + f.count, 0);
}

/** Waits until the settle window has passed for everything sent, then lets the analysis catch up. */
async function settle(): Promise<void> {
  await sleep(SETTLE_MS + 300);
  while ((await collector.analysis.tick()) > 0);
}

describe('live analysis in serve', () => {
  it('does not report a parent that arrives 3 s after its child, and does report one that never arrives', async () => {
    const late = await parentAndChild('late-parent');
    const lost = await parentAndChild('lost-parent');
    await send([late.child, lost.child]);
    await sleep(3000);
    await send([late.parent]);
    await settle();

    expect(missingParentsOf('lost-parent')).toBe(1);
    expect(missingParentsOf('late-parent')).toBe(0);
    const finding = collector.store.reader.findings().find((f) => f.service === 'lost-parent')!;
    expect(finding.occurrences).toEqual([{ traceId: lost.child.spanContext().traceId, spanId: lost.child.spanContext().spanId }]);
  }, 30_000);

  it('re-opens an analyzed trace when a span arrives later, and retracts what no longer holds', async () => {
    const { parent, child } = await parentAndChild('reopened');
    await send([child]);
    await settle();
    expect(missingParentsOf('reopened')).toBe(1);

    await send([parent]);
    await settle();
    expect(missingParentsOf('reopened')).toBe(0);
  }, 30_000);

  it('analyzes a trace of 100,000 spans within the analysis worker’s heap, and goes on analyzing', async () => {
    // (with its rows and its decoded spans alive at once, or a 64 MB old generation, the worker ran out of memory
    // and analysis stopped for the rest of the run)
    const wide = wideTrace({ spans: 100_000, fanout: 6, startNs: BigInt(Date.now() - 3_600_000) * 1_000_000n });
    for (const batch of wide.batches) await collector.store.write({ spans: batch, logs: [] });
    await settle();
    expect(collector.analysis.progress().due).toBe(0);
    // analyzed, not set aside: it is at the limit (MAX_LIVE_TRACE_SPANS)
    expect(collector.analysis.progress().setAside).toBe(0);
    const { child } = await parentAndChild('after-wide');
    await send([child]);
    await settle();
    expect(missingParentsOf('after-wide')).toBe(1);
  }, 90_000);
});

describe('live cross-trace analysis in serve', () => {
  it('stitches lost async hops once their window has settled, and records them under the window', async () => {
    const scenario = workerPool({ concurrency: 4, requests: 30, correlated: true, context: 'lost' });
    const windowed = await startCollector({ dbPath: path.join(dir, 'windows.db'), host: '127.0.0.1', grpcPort: 0, httpPort: 0, settleMs: 1000, windowMs: 2000 });
    try {
      let changes = 0;
      windowed.analysis.onChange(() => changes++);
      for (const body of scenario.payloads) {
        const response = await fetch(`http://127.0.0.1:${windowed.http.port}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
        expect(response.status).toBe(200);
      }
      await sleep(1300);
      // the traces, then the windows none of whose traces is still waiting (the worker may have done it already)
      while ((await windowed.analysis.tick()) > 0);
      expect(changes).toBeGreaterThan(0);

      const key = (s: { from: { spanId: string }; to: { spanId: string } }) => `${s.from.spanId}>${s.to.spanId}`;
      const claimed = windowed.store.reader.stitches().filter((s) => s.confidence >= CLAIM_CONFIDENCE);
      expect(scenario.truth.stitches!.length).toBeGreaterThan(5);
      expect(claimed.map(key).sort()).toEqual(scenario.truth.stitches!.map(key).sort());
      expect(windowed.store.reader.findings().some((f) => f.kind === 'async-hop')).toBe(true);
      // nothing new: evaluating again records nothing, and the findings stay
      expect(await windowed.analysis.evaluateWindows()).toBe(0);
      expect(windowed.store.reader.stitches().filter((s) => s.confidence >= CLAIM_CONFIDENCE)).toHaveLength(claimed.length);
    } finally {
      await windowed.close();
    }
  }, 20_000);
});
