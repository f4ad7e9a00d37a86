// Compaction at open: a file that retention left mostly free pages is rewritten before anything is received.
import { statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openConnection } from './connection';
import { compactStore, openStore } from './index';
import { startRetention, usedBytes } from './retention';
import { attributes, span, spanId, T0, tempDir, traceId } from './testing';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.remove());

const SMALL = { minFreeBytes: 2 ** 20, minFreeShare: 0.25 };

/** A store of 3,000 traces (~1 KB of attributes each), then trimmed by retention to about a fifth of its data. */
async function trimmedStore(): Promise<{ file: string; spans: number; bytes: number }> {
  const file = tmp.file('compact.db');
  const store = openStore({ path: file, compactAtOpen: false });
  for (let b = 0; b < 30; b++) {
    const spans = Array.from({ length: 100 }, (_, i) => {
      const n = b * 100 + i + 1;
      const start = T0 + BigInt(n) * 1_000_000n;
      return span({ traceId: traceId(n), spanId: spanId(n), startNs: start, endNs: start + 10n, attributes: attributes({ payload: `${n}:`.padEnd(1000, 'x') }) });
    });
    await store.write({ spans, logs: [] });
  }
  await store.close();
  const db = openConnection(file, 'writer');
  const retention = startRetention(db, { maxBytes: Math.floor(usedBytes(db) / 5), maxAgeMs: 7 * 24 * 3600 * 1000 });
  await retention.schedule();
  retention.stop();
  const spans = Number(db.prepare('SELECT count(*) FROM spans').pluck().get());
  db.close();
  return { file, spans, bytes: statSync(file).size };
}

const spanCount = (file: string) => {
  const db = openConnection(file, 'reader');
  try {
    return Number(db.prepare('SELECT count(*) FROM spans').pluck().get());
  } finally {
    db.close();
  }
};

describe('compaction at open', () => {
  it('rewrites a store whose file is mostly free pages, keeping every row, and then leaves it alone', async () => {
    const before = await trimmedStore();
    expect(before.spans).toBeGreaterThan(100);
    expect(before.spans).toBeLessThan(3000);

    let told: [free: number, file: number] | undefined;
    const store = openStore({ path: before.file, compactAtOpen: { ...SMALL, onStart: (free, file) => (told = [free, file]) } });
    const compacted = store.compacted;
    expect(compacted).toBeDefined();
    // told first, with what is free (most of the file) and the file's size
    expect(told?.[1]).toBe(before.bytes);
    expect(told![0]).toBeGreaterThan(before.bytes / 2);
    expect(compacted!.beforeBytes).toBe(before.bytes);
    expect(compacted!.afterBytes).toBeLessThan(before.bytes / 2);
    expect(statSync(before.file).size).toBe(compacted!.afterBytes);
    expect(store.reader.stats().spans).toBe(before.spans);
    // the store works as before: a write after it lands
    await store.write({ spans: [span({ traceId: traceId(9999), spanId: spanId(9999) })], logs: [] });
    await store.close();
    expect(spanCount(before.file)).toBe(before.spans + 1);

    const again = openStore({ path: before.file, compactAtOpen: SMALL });
    expect(again.compacted).toBeUndefined();
    await again.close();
  });

  it('leaves a file alone under the limits (by default, 64 MiB of free pages) or when told not to', async () => {
    const { file, bytes, spans } = await trimmedStore();
    for (const compactAtOpen of [undefined, false] as const) {
      const store = openStore({ path: file, compactAtOpen });
      expect(store.compacted).toBeUndefined();
      await store.close();
      expect(statSync(file).size).toBe(bytes);
    }
    expect(spanCount(file)).toBe(spans);
  });

  it('compacts a closed store too (import, once retention trimmed what it imported)', async () => {
    const { file, bytes, spans } = await trimmedStore();
    const compacted = compactStore(file, SMALL);
    expect(compacted?.afterBytes).toBeLessThan(bytes / 2);
    expect(statSync(file).size).toBe(compacted!.afterBytes);
    expect(spanCount(file)).toBe(spans);
  });
});
