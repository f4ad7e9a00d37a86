import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type CommitInfo, type Store } from './index';
import { log, resource, span, spanId, tempDir, traceId } from './testing';

let tmp: ReturnType<typeof tempDir>;
let store: Store;

describe.each(['inline', 'thread'])('%s writer', (mode) => {
  beforeEach(() => {
    tmp = tempDir();
    store = openStore({ path: tmp.file('store.db'), writerThread: mode === 'thread' });
  });

  afterEach(async () => {
    await store.close();
    tmp.remove();
  });

  describe('group commit', () => {
    it('commits 200 concurrent writes in a few transactions, each acknowledged only once readable elsewhere', async () => {
      const commits: CommitInfo[] = [];
      store.onCommit((info) => commits.push(info));
      const observer = new Database(tmp.file('store.db'), { readonly: true });
      const countSpans = observer.prepare(`SELECT count(*) AS n FROM span_view WHERE trace_id = ? AND span_id = ?`).pluck();
      const seenAtAck: number[] = [];
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          store
            .write({ spans: [span({ traceId: traceId(i + 1), spanId: spanId(1) })], logs: [log({ traceId: traceId(i + 1) })] })
            .then(() => seenAtAck.push(countSpans.get(traceId(i + 1), spanId(1)) as number)),
        ),
      );
      observer.close();
      expect(seenAtAck).toHaveLength(200);
      expect(seenAtAck.every((n) => n === 1)).toBe(true);
      expect(commits.length).toBeGreaterThanOrEqual(1);
      expect(commits.length).toBeLessThanOrEqual(5);
      expect(commits.reduce((n, c) => n + c.spans, 0)).toBe(200);
      expect(commits.reduce((n, c) => n + c.logs, 0)).toBe(200);
      expect(new Set(commits.flatMap((c) => c.newTraceIds)).size).toBe(200);
    });

    it('reports the traces each commit touched and which were new', async () => {
      const commits: CommitInfo[] = [];
      const unsubscribe = store.onCommit((info) => commits.push(info));
      await store.write({ spans: [span({ traceId: traceId(1), spanId: spanId(1) })], logs: [] });
      await store.write({ spans: [span({ traceId: traceId(1), spanId: spanId(2) }), span({ traceId: traceId(2), spanId: spanId(3) })], logs: [] });
      unsubscribe();
      await store.write({ spans: [span({ traceId: traceId(3), spanId: spanId(4) })], logs: [] });
      expect(commits).toEqual([
        { traceIds: [traceId(1)], newTraceIds: [traceId(1)], spans: 1, logs: 0 },
        { traceIds: [traceId(1), traceId(2)], newTraceIds: [traceId(2)], spans: 2, logs: 0 },
      ]);
    });

    it('reports overload while more items wait than allowed', async () => {
      await store.close();
      store = openStore({ path: tmp.file('store.db'), maxPendingItems: 3, writerThread: mode === 'thread' });
      const spans = [1, 2, 3, 4].map((n) => span({ traceId: traceId(n), spanId: spanId(n) }));
      const first = store.write({ spans: spans.slice(0, 2), logs: [] });
      expect(store.overloaded()).toBe(false);
      const second = store.write({ spans: spans.slice(2), logs: [] });
      expect(store.overloaded()).toBe(true);
      await Promise.all([first, second]);
      expect(store.overloaded()).toBe(false);
    });

    it('rejects exactly the writes of a failing commit, stores none of them, and keeps working', async () => {
      // An injected failure: any span named "poison" aborts the transaction it is in.
      const saboteur = new Database(tmp.file('store.db'));
      saboteur.exec(`CREATE TRIGGER poison BEFORE INSERT ON spans WHEN NEW.name = 'poison' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
      const before = store.write({ spans: [span({ traceId: traceId(1), spanId: spanId(1) })], logs: [] });
      await before;
      const sameCommit = [
        store.write({ spans: [span({ traceId: traceId(2), spanId: spanId(2), resource: resource('fresh') })], logs: [log({ body: 'lost too' })] }),
        store.write({ spans: [span({ traceId: traceId(3), spanId: spanId(3), name: 'poison' })], logs: [] }),
        store.write({ spans: [span({ traceId: traceId(4), spanId: spanId(4) })], logs: [] }),
      ];
      const outcomes = await Promise.allSettled(sameCommit);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/injected failure/);
      for (const n of [2, 3, 4]) expect(store.reader.getTrace(traceId(n))).toEqual([]);
      expect(store.reader.searchLogs({}).items).toEqual([]);
      expect(store.reader.stats()).toMatchObject({ spans: 1, logs: 0, traces: 1 });

      saboteur.exec(`DROP TRIGGER poison`);
      saboteur.close();
      // Ids cached during the failed commit were rolled back; later writes must not refer to them.
      await store.write({ spans: [span({ traceId: traceId(2), spanId: spanId(2), resource: resource('fresh') })], logs: [log({ body: 'kept' })] });
      expect(store.reader.getTrace(traceId(2)).map((s) => s.resource.attributes['service.name'])).toEqual(['fresh']);
      expect(store.reader.searchTraces({ service: 'fresh' }).items.map((s) => s.traceId)).toEqual([traceId(2)]);
      expect(store.reader.searchLogs({}).items.map((l) => l.body)).toEqual(['kept']);
      expect(store.reader.stats()).toMatchObject({ spans: 2, logs: 1, traces: 2 });
    });
  });
});
