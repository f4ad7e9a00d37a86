import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Span } from '../model';
import { openConnection, type Db } from './connection';
import { openStore, DEFAULT_MAX_AGE_MS } from './index';
import { startRetention, usedBytes } from './retention';
import { attributes, log, span, spanId, T0, tempDir, traceId } from './testing';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.remove());

const DAY_MS = 24 * 60 * 60 * 1000;

/** Trace n: three spans and a log, ~3 KB; starts at T0 + start(n) seconds. */
function trace(n: number, startSecond: number): { spans: Span[]; logs: ReturnType<typeof log>[] } {
  const start = T0 + BigInt(startSecond) * 1_000_000_000n;
  const filler = attributes({ payload: `${n}:`.padEnd(1000, 'x') });
  return {
    spans: [0, 1, 2].map((i) =>
      span({ traceId: traceId(n), spanId: spanId(n * 10 + i), parentSpanId: i === 0 ? '' : spanId(n * 10), startNs: start + BigInt(i), endNs: start + 10n, attributes: filler }),
    ),
    logs: [log({ traceId: traceId(n), spanId: spanId(n * 10), timeNs: start + 5n })],
  };
}

function counts(db: Db, n: number): { spans: number; logs: number; summary: number } {
  const one = (sql: string) => Number(db.prepare(sql).pluck().get(traceId(n)));
  return {
    spans: one(`SELECT count(*) FROM spans s JOIN trace_ids i USING (trace_key) WHERE i.trace_id = ?`),
    logs: one(`SELECT count(*) FROM logs l JOIN trace_ids i USING (trace_key) WHERE i.trace_id = ?`),
    summary: one(`SELECT count(*) FROM traces t JOIN trace_ids i USING (trace_key) WHERE i.trace_id = ?`),
  };
}

function totals(db: Db) {
  return db.prepare(`SELECT spans, logs, traces FROM totals`).safeIntegers(false).get();
}

function actual(db: Db) {
  const n = (sql: string) => Number(db.prepare(sql).pluck().get());
  return { spans: n(`SELECT count(*) FROM spans`), logs: n(`SELECT count(*) FROM logs`), traces: n(`SELECT count(*) FROM traces`) };
}

describe('retention', () => {
  it('by size deletes whole traces with the oldest start first and keeps the newer ones', async () => {
    const file = tmp.file('size.db');
    const store = openStore({ path: file });
    // Arrival order differs from start order: trace n starts at second (n * 7) % 300.
    const starts = new Map<number, number>();
    for (let n = 1; n <= 300; n++) {
      starts.set(n, (n * 7) % 300);
      const t = trace(n, starts.get(n)!);
      await store.write(t);
    }
    await store.close();

    // Half of what the data takes, over what an empty store's tables and indexes take.
    const emptyFile = tmp.file('empty.db');
    await openStore({ path: emptyFile }).close();
    const emptyDb = openConnection(emptyFile, 'writer');
    const empty = usedBytes(emptyDb);
    emptyDb.close();
    const db = openConnection(file, 'writer');
    const before = usedBytes(db);
    const maxBytes = Math.floor(empty + (before - empty) / 2);
    const retention = startRetention(db, { maxBytes, maxAgeMs: DEFAULT_MAX_AGE_MS });
    await retention.schedule();
    retention.stop();

    expect(usedBytes(db)).toBeLessThanOrEqual(maxBytes);
    const kept = [...starts.keys()].filter((n) => counts(db, n).summary === 1);
    const gone = [...starts.keys()].filter((n) => counts(db, n).summary === 0);
    expect(kept.length).toBeGreaterThan(50);
    expect(gone.length).toBeGreaterThan(50);
    const oldestKept = Math.min(...kept.map((n) => starts.get(n)!));
    const newestGone = Math.max(...gone.map((n) => starts.get(n)!));
    expect(newestGone).toBeLessThan(oldestKept);
    for (const n of kept) expect(counts(db, n)).toEqual({ spans: 3, logs: 1, summary: 1 });
    for (const n of gone) expect(counts(db, n)).toEqual({ spans: 0, logs: 0, summary: 0 });
    expect(totals(db)).toEqual(actual(db));
    db.close();
  });

  it('by age deletes what arrived too long ago, even when its timestamps are newer, and keeps recent arrivals', async () => {
    const file = tmp.file('age.db');
    let store = openStore({ path: file });
    for (let n = 1; n <= 20; n++) await store.write(trace(n, 1000 + n));
    await store.write({ spans: [], logs: [log({ body: 'no trace' }), log({ traceId: traceId(99), body: 'trace without spans' })] });
    await store.close();

    // Those arrived eight days ago.
    const rewind = openConnection(file, 'writer');
    rewind.prepare(`UPDATE ingest_marks SET minute_ms = minute_ms - ?`).run(8 * DAY_MS);
    rewind.close();

    // An imported file of old traces arrives now.
    store = openStore({ path: file });
    for (let n = 21; n <= 30; n++) await store.write(trace(n, n));
    await store.close();

    const db = openConnection(file, 'writer');
    const retention = startRetention(db, { maxBytes: 1024 ** 3, maxAgeMs: 7 * DAY_MS });
    await retention.schedule();
    retention.stop();
    for (let n = 1; n <= 20; n++) expect(counts(db, n)).toEqual({ spans: 0, logs: 0, summary: 0 });
    for (let n = 21; n <= 30; n++) expect(counts(db, n)).toEqual({ spans: 3, logs: 1, summary: 1 });
    expect(actual(db)).toEqual({ spans: 30, logs: 10, traces: 10 });
    expect(totals(db)).toEqual(actual(db));
    expect(db.prepare(`SELECT count(*) FROM trace_ids`).pluck().get()).toBe(10);
    expect(db.prepare(`SELECT count(*) FROM trace_services`).pluck().get()).toBe(10);
    db.close();
  });

  it('keeps the cluster history of imported telemetry from long ago, and drops it by age once that telemetry is gone', async () => {
    const file = tmp.file('history.db');
    const store = openStore({ path: file });
    const t0Ms = Number(T0 / 1_000_000n);
    await store.write(trace(1, 0));
    const pod = { phase: 'Running', conditions: {}, podIPs: [], labels: {}, containers: [] };
    await store.recordClusterChanges('https://127.0.0.1:6443', [
      { identity: { kind: 'Pod', namespace: 'shop', name: 'api-1', uid: 'p1' }, created: new Date(t0Ms - 60_000).toISOString(), resourceVersion: '1', observedMs: t0Ms - 60_000, state: pod },
    ]);
    // the pod went a minute after the spans (a pod that still exists keeps its latest state whatever its age)
    await store.recordClusterChanges('https://127.0.0.1:6443', [{ identity: { kind: 'Pod', namespace: 'shop', name: 'api-1', uid: 'p1' }, created: new Date(t0Ms - 60_000).toISOString(), resourceVersion: '2', observedMs: t0Ms + 60_000, deleted: true }]);
    await store.close();

    const db = openConnection(file, 'writer');
    const objects = () => db.prepare(`SELECT count(*) FROM k8s_objects`).pluck().get();
    const pass = async () => {
      const retention = startRetention(db, { maxBytes: 1024 ** 3, maxAgeMs: 7 * DAY_MS });
      await retention.schedule();
      retention.stop();
    };
    // the spans are years old but arrived just now: they stay, and so does the history that explains them
    await pass();
    expect(counts(db, 1).spans).toBe(3);
    expect(objects()).toBe(1);
    // once they have gone, the history goes by age
    db.prepare(`UPDATE ingest_marks SET minute_ms = minute_ms - ?`).run(8 * DAY_MS);
    await pass();
    expect(counts(db, 1).spans).toBe(0);
    expect(objects()).toBe(0);
    db.close();
  });
});

describe('retention report and statistics', () => {
  it('reports the limits and what it removed, spans included, and runs a pass when asked', async () => {
    const file = tmp.file('report.db');
    let store = openStore({ path: file });
    for (let n = 1; n <= 200; n++) await store.write(trace(n, n));
    await store.close();
    const db = openConnection(file, 'writer');
    const used = usedBytes(db);
    db.close();
    // A limit that holds about half of it: retention runs as the store opens, and again when asked.
    store = openStore({ path: file, maxBytes: Math.floor(used / 2), maxAgeMs: DAY_MS });
    const report = await store.retention(true);
    const left = store.reader.stats();
    await store.close();
    expect(report.maxBytes).toBe(Math.floor(used / 2));
    expect(report.maxAgeMs).toBe(DAY_MS);
    expect(report.removed.traces).toBeGreaterThan(50);
    expect(report.removed.traces + left.traces).toBe(200);
    expect(report.removed.spans).toBe(3 * report.removed.traces);
    expect(report.removed.logs + left.logs).toBe(200);
  });

  it('keeps the planner’s statistics: a store opened again after data arrived has them for its tables and indexes', async () => {
    const file = tmp.file('stats.db');
    let store = openStore({ path: file });
    for (let n = 1; n <= 50; n++) await store.write(trace(n, n));
    await store.close();
    store = openStore({ path: file });
    await store.close();
    const db = openConnection(file, 'reader');
    const indexes = db.prepare(`SELECT idx FROM sqlite_stat1 WHERE tbl = 'traces'`).pluck().all();
    db.close();
    expect(indexes).toEqual(expect.arrayContaining(['traces_by_start', 'traces_by_duration', 'traces_by_root_operation']));
  });
});
