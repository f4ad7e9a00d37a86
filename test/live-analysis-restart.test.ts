// serve's analysis workers die (out of memory, here on purpose with a small heap) and are started again; a trace too
// large for the analysis worker is set aside, said once and counted, rather than killing it again and again.
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { wideTrace } from '../fixtures/wide-trace';
import { startLiveAnalysis, type LiveAnalysis, type LiveAnalysisOptions } from '../collector/live-analysis';
import { openStore } from '../collector/store';
import { resource, span, spanId, tempDir, traceId } from '../collector/store/testing';
import type { Store } from '../collector/store/types';

// Every analysis thread started, to tell that each has ended.
const started = vi.hoisted(() => [] as Worker[]);
vi.mock('../collector/workers', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../collector/workers')>();
  return {
    ...actual,
    startWorker(...args: Parameters<typeof actual.startWorker>) {
      const worker = actual.startWorker(...args);
      if (args[1] !== 'writer-worker') started.push(worker);
      return worker;
    },
  };
});

/**
 * An old generation this small runs the analysis worker out of memory on a trace of a few ten thousand spans (24 MB,
 * measured: 10,000 spans analyzed, 20,000 and 40,000 out of memory), and leaves room for a trace of a few spans.
 */
const SMALL_HEAP_MB = 24;
const KILLER_SPANS = 40_000;

let open: { store: Store; live: LiveAnalysis; remove(): void }[] = [];

afterEach(async () => {
  for (const { store, live, remove } of open) {
    await live.stop();
    await store.close();
    remove();
  }
  open = [];
  started.length = 0;
});

function startLive(options: LiveAnalysisOptions): { store: Store; live: LiveAnalysis; file: string; lines: string[] } {
  const dir = tempDir();
  const file = dir.file('live.db');
  const store = openStore({ path: file, writerThread: true });
  const lines: string[] = [];
  const live = startLiveAnalysis(store, { settleMs: 0, paused: true, say: (line) => lines.push(line), ...options });
  open.push({ store, live, remove: dir.remove });
  return { store, live, file, lines };
}

/**
 * A trace of one span whose parent never arrives, in its own service: analyzed, it is a missing-parent finding. (Its
 * ids are far from the wide traces' 1, 2, 3…, whose span ids would otherwise be found as its parent.)
 */
function orphan(n: number, service: string) {
  return span({
    traceId: traceId(0xbeef0000 + n),
    spanId: spanId(0xbeef0000 + n),
    parentSpanId: spanId(0xdead0000 + n),
    resource: resource(service),
    startNs: BigInt(Date.now() - 60_000) * 1_000_000n,
  });
}

function missingParentsOf(store: Store, service: string): number {
  return store.reader
    .findings()
    .filter((f) => f.kind === 'broken-parent' && f.subkind === 'missing-parent' && f.service === service)
    .reduce((n, f) => n + f.count, 0);
}

/** Ticks until nothing is left to analyze; a tick that a worker's death rejects is followed by one to the new workers. */
async function drain(live: LiveAnalysis): Promise<void> {
  for (let i = 0; i < 20; i++) {
    try {
      if ((await live.tick()) === 0) return;
    } catch {
      // a worker died: the next tick waits for the new ones
    }
  }
  throw new Error('live analysis did not drain in 20 ticks');
}

async function writeWide(store: Store, spans: number, service?: string): Promise<string> {
  const wide = wideTrace({ spans, fanout: 6, startNs: BigInt(Date.now() - 3_600_000) * 1_000_000n });
  for (const batch of wide.batches) await store.write({ spans: batch, logs: [] });
  // one span of it whose parent never arrives: the trace, analyzed, would have a finding
  if (service) await store.write({ spans: [span({ traceId: wide.traceId, spanId: 'abcdefabcdefabcd', parentSpanId: 'ffffffffffffffff', resource: resource(service), startNs: wide.batches[0][0].startNs })], logs: [] });
  return wide.traceId;
}

describe('live analysis when a worker dies', () => {
  it('starts its workers again, sets aside the trace it died of twice, and goes on analyzing what comes after', async () => {
    const { store, live, lines } = startLive({ testLimits: { traceOldGenerationMb: SMALL_HEAP_MB } });
    const killer = await writeWide(store, KILLER_SPANS);
    await expect(live.tick()).rejects.toThrow(/memory limit/);
    await store.write({ spans: [orphan(1, 'after-death')], logs: [] });

    await drain(live);
    expect(missingParentsOf(store, 'after-death')).toBe(1);
    // the killer is not retried forever: it died twice (the second time alone), then was set aside
    expect(store.reader.analysisDue(0)).toBe(0);
    expect(lines.filter((l) => l.includes('the analysis worker failed: Worker terminated due to reaching memory limit'))).toHaveLength(2);
    const setAside = lines.filter((l) => l.includes(killer));
    expect(setAside).toHaveLength(1);
    expect(setAside[0]).toMatch(new RegExp(`^hopscope: trace ${killer} \\(40,000 spans\\) is set aside, not analyzed live: the analysis worker died analyzing it twice`));
    expect(live.progress().setAside).toBe(1);
  }, 20_000);

  it('sets aside unread a trace of more spans than the limit, says so once and counts it, and analyzes the one beside it', async () => {
    const { store, live, file, lines } = startLive({ testLimits: { maxTraceSpans: 50 } });
    const large = await writeWide(store, 60, 'too-large');
    await store.write({ spans: [orphan(1, 'beside')], logs: [] });

    await drain(live);
    expect(missingParentsOf(store, 'beside')).toBe(1);
    expect(missingParentsOf(store, 'too-large')).toBe(0);
    expect(store.reader.analysisDue(0)).toBe(0);
    expect(live.progress().setAside).toBe(1);
    expect(lines).toEqual([
      `hopscope: trace ${large} (61 spans) is set aside, not analyzed live: it has more than the 50 spans serve's analysis worker reads. ` +
        `To analyze it, run hopscope analyze --db ${file} (it analyzes the whole file without serve's memory limit, and prints what it finds).`,
    ]);

    // re-opened by a span that comes later, it is set aside again, and neither said nor counted twice
    await store.write({ spans: [span({ traceId: large, spanId: spanId(999_999), resource: resource('too-large') })], logs: [] });
    await drain(live);
    expect(store.reader.analysisDue(0)).toBe(0);
    expect(lines).toHaveLength(1);
    expect(live.progress().setAside).toBe(1);
  }, 20_000);

  it('ends the threads when stopped after a restart', async () => {
    const { store, live } = startLive({ testLimits: { traceOldGenerationMb: SMALL_HEAP_MB } });
    await writeWide(store, KILLER_SPANS);
    await expect(live.tick()).rejects.toThrow(/memory limit/);
    // waits for the restart, and is answered by the new workers (paused: they analyze nothing meanwhile)
    expect(await live.evaluateWindows()).toBeGreaterThanOrEqual(0);
    expect(started).toHaveLength(4);

    await live.stop();
    expect(started.map((w) => w.threadId)).toEqual([-1, -1, -1, -1]);
    await expect(live.tick()).rejects.toThrow(/stopped/);
  }, 20_000);

  it('ends the threads and starts none when stopped while a restart waits', async () => {
    const { store, live } = startLive({ testLimits: { traceOldGenerationMb: SMALL_HEAP_MB } });
    await writeWide(store, KILLER_SPANS);
    const tick = live.tick();
    await expect(tick).rejects.toThrow(/memory limit/);
    const waiting = live.tick();
    await live.stop();
    await expect(waiting).rejects.toThrow(/stopped/);
    expect(started).toHaveLength(2);
    expect(started.map((w) => w.threadId)).toEqual([-1, -1]);
  }, 20_000);
});
