// The analysis engine over a real store: a backlog is taken earliest first and judged window by window, and what
// the cross-trace detectors hold stays under its cap however much was analyzed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnalysisEngine } from './analysis-engine';
import { LiveCrossTrace } from './analysis';
import { SpanKind, type Span } from './model';
import { openStore, type Store } from './store';
import { resource, span, spanId, T0, tempDir, traceId } from './store/testing';

const SECOND = 1_000_000_000n;

let tmp: ReturnType<typeof tempDir>;
let store: Store;

beforeEach(() => {
  tmp = tempDir();
  store = openStore({ path: tmp.file('engine.db') });
});

afterEach(async () => {
  await store.close();
  tmp.remove();
});

/** Trace n: one server span `at` seconds after T0. */
function serverAt(n: number, at: number): Span {
  const startNs = T0 + BigInt(at) * SECOND;
  return span({ traceId: traceId(n), spanId: spanId(n), kind: SpanKind.SERVER, startNs, endNs: startNs + 1_000_000n, resource: resource('api') });
}

describe('AnalysisEngine', () => {
  it('takes waiting traces earliest start first, whatever order they were written in', async () => {
    // written newest first, as an exporter's retries or an unordered file may
    await store.write({ spans: [serverAt(3, 30), serverAt(2, 20), serverAt(1, 10)], logs: [] });
    expect(store.reader.dueTraces(0, 10).map((t) => t.traceId)).toEqual([traceId(1), traceId(2), traceId(3)]);
    const engine = new AnalysisEngine(store, { settleMs: 0, batch: 1 });
    expect(await engine.analyzeBatch()).toBe(1);
    expect(store.reader.dueTraces(0, 10).map((t) => t.traceId)).toEqual([traceId(2), traceId(3)]);
  });

  it('judges a window of a backlog once no waiting trace starts before its end and margin, not when the backlog is empty', async () => {
    // one trace every 10 s over 2 minutes: twelve windows of 10 s, all long past
    await store.write({ spans: Array.from({ length: 12 }, (_, i) => serverAt(i + 1, 10 * i + 1)), logs: [] });
    const engine = new AnalysisEngine(store, { settleMs: 0, batch: 3, windowMs: 10_000 });
    await engine.analyzeBatch();
    // traces 1–3 fed; trace 4 (31 s) still waits: windows ending by 26 s (31 s less the 5 s margin) are judged
    expect(await engine.evaluateWindows()).toBe(2);
    expect(await engine.evaluateWindows()).toBe(0);
    // three more traces, three more windows each time; the last once nothing waits
    let judged = 2;
    for (let batches = 1; (await engine.analyzeBatch()) > 0; batches++) {
      const windows = await engine.evaluateWindows();
      if (batches < 3) expect(windows).toBe(3);
      judged += windows;
    }
    judged += await engine.evaluateWindows();
    expect(judged).toBe(12);
  });

  it('keeps no more than its cap of spans for the cross-trace detectors, dropping the traces that ended first', () => {
    const live = new LiveCrossTrace({ maxSpans: 100, lookbackNs: 1e15 });
    for (let n = 1; n <= 1000; n++) live.add({ spans: [serverAt(n, n)], logs: [] });
    expect(live.spanCount()).toBeLessThanOrEqual(100);
    expect(live.spanCount()).toBeGreaterThanOrEqual(75);
    expect(live.holds(traceId(1000))).toBe(true);
    expect(live.holds(traceId(1))).toBe(false);
    expect(live.holds(traceId(1000 - live.spanCount()))).toBe(false);
  });
});
