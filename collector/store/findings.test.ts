import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Observation, Stitch } from '../../common/findings';
import { findingFingerprint } from '../fingerprint';
import { openConnection } from './connection';
import { openStore, type Store } from './index';
import { encodeBatch } from './encode';
import { deleteExpired } from './retention';
import { resource, span, spanId, tempDir, traceId } from './testing';

const DAY_MS = 24 * 60 * 60 * 1000;

let tmp: ReturnType<typeof tempDir>;
let store: Store;
let file: string;

describe.each(['inline', 'thread'])('%s writer', (mode) => {
  beforeEach(() => {
    tmp = tempDir();
    file = tmp.file('store.db');
    store = openStore({ path: file, writerThread: mode === 'thread' });
  });

  afterEach(async () => {
    vi.useRealTimers();
    await store.close();
    tmp.remove();
  });

  async function reopen(): Promise<void> {
    await store.close();
    store = openStore({ path: file, writerThread: mode === 'thread' });
  }

  function missingParent(trace: number, span: number, service = 'db', operation = 'SELECT'): Observation {
    return {
      kind: 'broken-parent',
      subkind: 'missing-parent',
      severity: 'warning',
      service,
      operation,
      at: { traceId: traceId(trace), spanId: spanId(span) },
      evidence: { parentSpanId: spanId(1000 + span) },
    };
  }

  function stitch(from: number, to: number, confidence = 0.9): Stitch {
    return {
      kind: 'async-hop',
      confidence,
      from: { traceId: traceId(from), spanId: spanId(from) },
      to: { traceId: traceId(to), spanId: spanId(to) },
      signals: ['attribute:job.id', 'timing'],
    };
  }

  /** Trace n with `spans` spans, the first a root. */
  async function writeTrace(n: number, spans = 1, service = 'db'): Promise<void> {
    await store.write({
      spans: Array.from({ length: spans }, (_, i) =>
        span({ traceId: traceId(n), spanId: spanId(n * 100 + i), parentSpanId: i === 0 ? '' : spanId(n * 100), resource: resource(service) }),
      ),
      logs: [],
    });
  }

  /** The trace ids reader.dueTraces gives, in its order. */
  function settled(quietMs: number, limit: number): string[] {
    return store.reader.dueTraces(quietMs, limit).map((t) => t.traceId);
  }

  /**
   * Records a trace's analysis as live analysis does: with the touches it read then (by default, what it reads now).
   * A trace analyzed already waits again first, as when a span re-opens it.
   */
  async function recordAnalysis(id: string, observations: Observation[], touches?: number): Promise<void> {
    const db = openConnection(file, 'writer');
    const key = Number((db.prepare(`SELECT trace_key FROM trace_ids WHERE trace_id = ?`).get(id) as { trace_key: number }).trace_key);
    db.prepare(`INSERT OR IGNORE INTO analysis_pending (trace_key, touched_ms, touches, start_ns) VALUES (?, 0, 1, 0)`).run(key);
    db.close();
    const due = store.reader.dueTraces(0, 1000).find((t) => t.traceId === id);
    await store.recordTraceAnalyses([{ key, touches: touches ?? due?.touches ?? 0, observations }]);
  }

  // These fake Date on this thread; the worker's clock cannot be set, and what they check is the same SQL in both modes.
  const onThisThreadOnly = mode === 'inline' ? it : () => undefined;

  const counts = () => Object.fromEntries(store.reader.findings().map((f) => [`${f.kind}/${f.subkind} ${f.service} ${f.operation}`, f.count]));

  describe('pending analysis', () => {
    onThisThreadOnly('hands out a trace once it has been quiet for the settle window, earliest start first', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(1_000_000);
      await writeTrace(1);
      vi.setSystemTime(1_001_000);
      await writeTrace(2);
      await writeTrace(1, 2);
      vi.setSystemTime(1_001_500);
      await writeTrace(3);

      vi.setSystemTime(1_010_999);
      expect(await settled(10_000, 10)).toEqual([]);
      vi.setSystemTime(1_011_000);
      // Trace 1 was touched again at the same time as trace 2.
      expect((await settled(10_000, 10)).sort()).toEqual([traceId(1), traceId(2)]);
      vi.setSystemTime(1_020_000);
      expect(await settled(10_000, 10)).toHaveLength(3);
      expect(await settled(10_000, 2)).toHaveLength(2);
      expect((await settled(10_000, 10))[2]).toBe(traceId(3));
    });

    it('reads a batch of traces a trace at a time, each one’s spans by start time whatever order they arrived in', async () => {
      const at = (n: number, ms: number) => span({ traceId: traceId(n), spanId: spanId(n * 100 + ms), startNs: BigInt(ms) * 1_000_000n, resource: resource('db') });
      // exporters send spans as they end: children first, and a trace's spans over several batches
      await store.write({ spans: [at(2, 30), at(1, 50), at(2, 10), at(1, 20)], logs: [] });
      await store.write({ spans: [at(1, 5), at(2, 20), at(1, 20)], logs: [] });
      const due = store.reader.dueTraces(0, 10);
      const read = [...store.reader.decodeRows(due, store.reader.batchRows(due))];
      const starts = Object.fromEntries(read.map(([key, rows]) => [due.find((d) => d.key === key)!.traceId, rows.spans.map((s) => Number(s.startNs / 1_000_000n))]));
      expect(starts).toEqual({ [traceId(1)]: [5, 20, 20, 50], [traceId(2)]: [10, 20, 30] });
      // the same start: in the order they were written
      const [, one] = read.find(([key]) => key === due.find((d) => d.traceId === traceId(1))!.key)!;
      expect(one.spanIds[1]).toBeLessThan(one.spanIds[2]);
    });

    it('leaves out the due traces it is told to (those being recorded), and still gives as many as asked', async () => {
      for (let n = 1; n <= 5; n++) await writeTrace(n);
      const all = store.reader.dueTraces(0, 10);
      expect(all).toHaveLength(5);
      const except = new Set([all[0].key, all[2].key]);
      expect(store.reader.dueTraces(0, 2, except).map((d) => d.traceId)).toEqual([all[1].traceId, all[3].traceId]);
      expect(store.reader.dueTraces(0, 10, except)).toHaveLength(3);
    });

    it('decodes a resource once for many batches, and again once an exporter address of it has been seen since', async () => {
      const batch = async (n: number) => {
        const encoded = encodeBatch({ spans: [span({ traceId: traceId(n), spanId: spanId(n), resource: resource('api') })], logs: [] });
        // as the receivers write what an exporter sent from a pod's address
        await store.writeEncoded(n === 3 ? { ...encoded, peer: '10.0.0.7' } : encoded);
        const due = store.reader.dueTraces(0, 10).filter((d) => d.traceId === traceId(n));
        const [[, rows]] = [...store.reader.decodeRows(due, store.reader.batchRows(due))];
        await recordAnalysis(traceId(n), []);
        return rows.spans[0].resource;
      };
      const first = await batch(1);
      // nothing of resources written since: the same decoded resource
      expect(await batch(2)).toBe(first);
      // seen again from an address: read again, with it
      const third = await batch(3);
      expect(third).not.toBe(first);
      expect(third.peers).toEqual(['10.0.0.7']);
      expect(first.peers).toBeUndefined();
    });

    it('keeps pending traces across a restart until their analysis is recorded', async () => {
      await writeTrace(1);
      await writeTrace(2);
      await reopen();
      expect(await settled(0, 10)).toEqual([traceId(1), traceId(2)]);
      await recordAnalysis(traceId(1), []);
      await reopen();
      expect(await settled(0, 10)).toEqual([traceId(2)]);
    });

    it('keeps a trace pending when a span arrived after its spans were read', async () => {
      await writeTrace(1);
      const [read] = store.reader.dueTraces(0, 10);
      expect(read.traceId).toBe(traceId(1));
      await writeTrace(1, 2);
      await recordAnalysis(traceId(1), [missingParent(1, 1)], read.touches);
      expect(await settled(0, 10)).toEqual([traceId(1)]);
      await recordAnalysis(traceId(1), []);
      expect(await settled(0, 10)).toEqual([]);
      expect(store.reader.findings()).toEqual([]);
    });

    it('records nothing for a trace that retention removed after its spans were read', async () => {
      await writeTrace(1);
      const [read] = store.reader.dueTraces(0, 10);
      // what retention does first when it removes a trace (forgetTraceAnalysis)
      const db = openConnection(file, 'writer');
      db.prepare(`DELETE FROM analysis_pending WHERE trace_key = ?`).run(read.key);
      db.close();
      await store.recordTraceAnalyses([{ key: read.key, touches: read.touches, observations: [missingParent(1, 1)] }]);
      expect(store.reader.findings()).toEqual([]);
      expect(counts()).toEqual({});
    });

    it('leaves a trace pending when its analysis is recorded with touches it never had', async () => {
      await writeTrace(1);
      await recordAnalysis(traceId(1), [missingParent(1, 1)], 0);
      expect(await settled(0, 10)).toEqual([traceId(1)]);
      expect(counts()).toEqual({ 'broken-parent/missing-parent db SELECT': 1 });
    });
  });

  describe('findings by fingerprint', () => {
    it('replaces what an earlier analysis of the same trace found instead of adding to it', async () => {
      await writeTrace(1, 3);
      await writeTrace(2, 3);
      await recordAnalysis(traceId(1), [missingParent(1, 101), missingParent(1, 102)]);
      await recordAnalysis(traceId(2), [missingParent(2, 201)]);
      expect(counts()).toEqual({ 'broken-parent/missing-parent db SELECT': 3 });

      // A late parent arrived: trace 1 is analysed again and only one of its orphans remains.
      await recordAnalysis(traceId(1), [missingParent(1, 102)]);
      expect(counts()).toEqual({ 'broken-parent/missing-parent db SELECT': 2 });
      const [finding] = store.reader.findings();
      expect(finding.occurrences).toEqual([
        { traceId: traceId(2), spanId: spanId(201) },
        { traceId: traceId(1), spanId: spanId(102) },
      ]);

      await recordAnalysis(traceId(1), []);
      await recordAnalysis(traceId(2), []);
      expect(store.reader.findings()).toEqual([]);
    });

    onThisThreadOnly('keeps count, first and last seen, evidence and title across a restart', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(5_000);
      await writeTrace(1, 3);
      await writeTrace(2, 3);
      await recordAnalysis(traceId(1), [missingParent(1, 101), missingParent(1, 102)]);
      vi.setSystemTime(9_000);
      await recordAnalysis(traceId(2), [
        missingParent(2, 201),
        { ...missingParent(2, 202, 'api', 'GET /'), kind: 'broken-parent', subkind: 'cycle', severity: 'error', evidence: { cycle: ['a', 'b'] } },
      ]);
      await reopen();
      expect(store.reader.findings()).toEqual([
        {
          kind: 'broken-parent',
          subkind: 'cycle',
          severity: 'error',
          service: 'api',
          operation: 'GET /',
          title: '1 span of `api` (`GET /`) is on a parent cycle',
          fingerprint: findingFingerprint('broken-parent', 'cycle', 'api', 'GET /'),
          count: 1,
          occurrences: [{ traceId: traceId(2), spanId: spanId(202) }],
          evidence: { cycle: ['a', 'b'] },
          firstSeenMs: 9_000,
          lastSeenMs: 9_000,
        },
        {
          kind: 'broken-parent',
          subkind: 'missing-parent',
          severity: 'warning',
          service: 'db',
          operation: 'SELECT',
          title: '3 spans of `db` (`SELECT`) have parents that never arrived',
          fingerprint: findingFingerprint('broken-parent', 'missing-parent', 'db', 'SELECT'),
          count: 3,
          occurrences: [
            { traceId: traceId(1), spanId: spanId(101) },
            { traceId: traceId(1), spanId: spanId(102) },
            { traceId: traceId(2), spanId: spanId(201) },
          ],
          evidence: { parentSpanId: spanId(1101) },
          firstSeenMs: 5_000,
          lastSeenMs: 9_000,
        },
      ]);
    });

    it('counts every occurrence but keeps at most 50 examples per fingerprint', async () => {
      for (let n = 1; n <= 3; n++) await writeTrace(n);
      await recordAnalysis(traceId(1), Array.from({ length: 30 }, (_, i) => missingParent(1, i)));
      await recordAnalysis(traceId(2), Array.from({ length: 30 }, (_, i) => missingParent(2, i)));
      await recordAnalysis(traceId(3), [missingParent(3, 1, 'other', 'op')]);
      const byService = new Map(store.reader.findings().map((f) => [f.service, f]));
      expect(byService.get('db')!.count).toBe(60);
      expect(byService.get('db')!.occurrences).toHaveLength(50);
      expect(byService.get('other')!.occurrences).toHaveLength(1);

      // Trace 1's examples go with its contribution; trace 2's 30 remain.
      await recordAnalysis(traceId(1), []);
      const db = store.reader.findings().find((f) => f.service === 'db')!;
      expect(db.count).toBe(30);
      expect(db.occurrences).toHaveLength(20);
      expect(db.occurrences.every((o) => o.traceId === traceId(2))).toBe(true);
    });

    it('counts occurrences per trace for the badges', async () => {
      for (let n = 1; n <= 3; n++) await writeTrace(n);
      await recordAnalysis(traceId(1), [missingParent(1, 1), missingParent(1, 2, 'api', 'GET /')]);
      await recordAnalysis(traceId(2), [missingParent(2, 1)]);
      await store.recordWindowAnalysis('w1', [{ ...missingParent(2, 7), kind: 'async-hop', subkind: 'in-process' }], []);
      expect(store.reader.findingCountsByTrace([traceId(1), traceId(2), traceId(3), traceId(99)])).toEqual(
        new Map([
          [traceId(1), 2],
          [traceId(2), 2],
        ]),
      );
    });
  });

  describe('window analysis', () => {
    const asyncHop = (trace: number, s: number): Observation => ({ ...missingParent(trace, s, 'worker', 'process job'), kind: 'async-hop', subkind: 'in-process' });

    it('replaces the findings and stitches an earlier run over the same window recorded', async () => {
      for (let n = 1; n <= 4; n++) await writeTrace(n);
      await store.recordWindowAnalysis('2025-01-01T10:00', [asyncHop(2, 2)], [stitch(1, 2)]);
      await store.recordWindowAnalysis('2025-01-01T10:01', [asyncHop(4, 4)], [stitch(3, 4)]);
      expect(counts()).toEqual({ 'async-hop/in-process worker process job': 2 });

      await store.recordWindowAnalysis('2025-01-01T10:00', [asyncHop(2, 2), asyncHop(3, 3)], [stitch(1, 2, 0.95), stitch(1, 3)]);
      expect(counts()).toEqual({ 'async-hop/in-process worker process job': 3 });
      expect(store.reader.stitches()).toEqual([stitch(3, 4), stitch(1, 2, 0.95), stitch(1, 3)]);
      expect(store.reader.stitches(traceId(3))).toEqual([stitch(3, 4), stitch(1, 3)]);
      expect(store.reader.stitches(traceId(99))).toEqual([]);

      // Window and trace analyses count apart: re-analysing trace 2 leaves the window's occurrence there.
      await recordAnalysis(traceId(2), [missingParent(2, 5)]);
      await recordAnalysis(traceId(2), []);
      expect(counts()).toEqual({ 'async-hop/in-process worker process job': 3 });

      await reopen();
      await store.recordWindowAnalysis('2025-01-01T10:00', [], []);
      expect(counts()).toEqual({ 'async-hop/in-process worker process job': 1 });
      expect(store.reader.stitches()).toEqual([stitch(3, 4)]);
    });

    it('counts an occurrence in a trace the store does not hold until its window is replaced', async () => {
      await store.recordWindowAnalysis('w', [asyncHop(42, 1)], [stitch(41, 42)]);
      expect(store.reader.findings()[0].occurrences).toEqual([{ traceId: traceId(42), spanId: spanId(1) }]);
      expect(store.reader.findingCountsByTrace([traceId(42)])).toEqual(new Map());
      await store.recordWindowAnalysis('w', [], []);
      expect(store.reader.findings()).toEqual([]);
      expect(store.reader.stitches()).toEqual([]);
    });

    it('refuses an empty window id, which would mix with per-trace analysis', async () => {
      await expect(store.recordWindowAnalysis('', [], [])).rejects.toThrow(/window id/);
    });
  });

  describe('retention', () => {
    it('takes a deleted trace’s occurrences, examples, stitches and pending mark with it', async () => {
      await writeTrace(1);
      await store.close();
      // Trace 1 arrived eight days ago.
      const rewind = openConnection(file, 'writer');
      rewind.prepare(`UPDATE ingest_marks SET minute_ms = minute_ms - ?`).run(8 * DAY_MS);
      rewind.close();
      store = openStore({ path: file, maxAgeMs: 30 * DAY_MS, writerThread: mode === 'thread' });
      await writeTrace(2);
      await recordAnalysis(traceId(1), [missingParent(1, 1), missingParent(1, 2, 'api', 'GET /')]);
      await recordAnalysis(traceId(2), [missingParent(2, 1)], 0); // read before it was written: it stays pending
      await store.recordWindowAnalysis('w', [{ ...missingParent(1, 3), kind: 'async-hop', subkind: 'in-process' }], [stitch(1, 2), stitch(2, 3)]);
      await store.close();

      const db = openConnection(file, 'writer');
      expect(db.transaction(() => deleteExpired(db, 7 * DAY_MS, Date.now()))()).toEqual({ traces: 1, spans: 1, logs: 0 });
      const pending = db.prepare(`SELECT count(*) FROM analysis_pending`).pluck().get();
      const examples = db.prepare(`SELECT DISTINCT trace_id FROM finding_examples`).pluck().all();
      db.close();

      store = openStore({ path: file, writerThread: mode === 'thread' });
      expect(store.reader.getTrace(traceId(1))).toEqual([]);
      expect(counts()).toEqual({ 'broken-parent/missing-parent db SELECT': 1 });
      expect(examples).toEqual([traceId(2)]);
      expect(store.reader.stitches()).toEqual([stitch(2, 3)]);
      expect(pending).toBe(1);
    });
  });
});
