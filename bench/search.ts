// Search at scale: stores of 1M and 5M realistic spans (bench/realistic-spans.ts: 8-span traces of ~14
// attributes, plus ~2 logs per trace, 262k per million spans), every search a person chasing a defect types,
// timed through the HTTP API (median of RUNS after one warm-up), and how each grows from the small store to the
// large one. Also the store's size and the search indexes' share of it, and how fast indexing catches up.
// Run alone with `npx tsx bench/search.ts [millions…]` (default 1 5).
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { randomHex, seededRandom } from '../fixtures/ids';
import { startApiServer } from '../collector/api/server';
import type { LogRecord, Span } from '../collector/model';
import { openStore } from '../collector/store';
import type { Store } from '../collector/store/types';
import { makeRealisticSpans } from './realistic-spans';
import { median } from './stats';

const RUNS = 7;
const CHUNK_SPANS = 40_000;
const LOGS_PER_MILLION_SPANS = 262_000;
const ORDER_WORDS = ['charged card for order', 'reserved stock for order', 'payment failed for order', 'shipped order', 'cart converted to order'];

export interface SearchTiming {
  name: string;
  /** Median ms per store size, in the order of `sizes`. */
  medianMs: number[];
  /** Rows on the first page, per store size (a search that finds nothing measures nothing). */
  rows: number[];
}

export interface SearchBenchResult {
  sizes: number[];
  searches: SearchTiming[];
  /** Per store: file bytes per span, and the search indexes' share of the pages. */
  storage: { spans: number; bytesPerSpan: number; indexShare: number; buildSpansPerSec: number; catchUpMs: number }[];
}

/** Logs for the traces of `spans`: about two per trace, with an order id in the text and a request id attribute. */
function logsFor(spans: Span[], seed: number): LogRecord[] {
  const rnd = seededRandom(seed ^ 0x5eed);
  const logs: LogRecord[] = [];
  const perTrace = (LOGS_PER_MILLION_SPANS / 1e6) * 8;
  for (let i = 0; i < spans.length; i += 8) {
    const root = spans[i];
    const n = Math.floor(perTrace) + (rnd() < perTrace % 1 ? 1 : 0);
    for (let k = 0; k < n; k++) {
      const s = spans[i + 1 + k] ?? root;
      const words = ORDER_WORDS[Math.floor(rnd() * ORDER_WORDS.length)];
      logs.push({
        timeNs: s.startNs + 1000n,
        observedNs: s.startNs + 2000n,
        severityNumber: words.includes('failed') ? 17 : 9,
        severityText: words.includes('failed') ? 'ERROR' : 'INFO',
        body: `${words} ORD-${randomHex(rnd, 10)} (${Math.floor(rnd() * 500)} ms)`,
        attributes: { 'app.request_id': String(s.attributes['app.request_id'] ?? randomHex(rnd, 16)), 'code.function': 'main.handle' },
        droppedAttributesCount: 0,
        flags: 1,
        traceId: s.traceId,
        spanId: s.spanId,
        eventName: '',
        resource: s.resource,
        scope: s.scope,
      });
    }
  }
  return logs;
}

export async function buildStore(store: Store, spans: number): Promise<{ spansPerSec: number; catchUpMs: number }> {
  const started = performance.now();
  for (let done = 0, seed = 1; done < spans; done += CHUNK_SPANS, seed++) {
    const chunk = makeRealisticSpans(Math.min(CHUNK_SPANS, spans - done), seed);
    const logs = logsFor(chunk, seed);
    for (let i = 0; i < chunk.length; i += 2048) {
      await store.write({ spans: chunk.slice(i, i + 2048), logs: logs.slice(i / 4, (i + 2048) / 4) });
    }
    if (seed % 25 === 0) process.stdout.write(`  ${((done + chunk.length) / 1e6).toFixed(1)}M spans written\n`);
  }
  await store.flush();
  const written = performance.now();
  await store.catchUpSearch();
  return { spansPerSec: spans / ((written - started) / 1000), catchUpMs: performance.now() - written };
}

interface Probe {
  name: string;
  route: '/api/traces' | '/api/logs';
  params: [string, string][];
}

/** The values to search for, read from the store the first run builds (the same generator fills both stores). */
function probes(file: string): Probe[] {
  const db = new Database(file, { readonly: true });
  try {
    const one = <T>(sql: string) => db.prepare(sql).get() as T;
    // A request id of a handler span in payment, some way into the store.
    const payment = one<{ id: string }>(
      `SELECT s.attributes ->> '$."app.request_id"' AS id FROM spans s JOIN resources r ON r.id = s.resource_id
       WHERE r.service = 'payment' AND s.name LIKE 'handle %' AND s.id > (SELECT max(id) / 3 FROM spans) LIMIT 1`,
    ).id;
    const order = one<{ body: string }>(`SELECT body ->> '$' AS body FROM logs WHERE id >= (SELECT max(id) / 2 FROM logs) LIMIT 1`).body.match(/ORD-\w+/)![0];
    const q = (p: number) => one<{ d: number }>(`SELECT duration_ns AS d FROM traces ORDER BY duration_ns LIMIT 1 OFFSET (SELECT CAST(count(*) * ${p} AS INTEGER) FROM traces)`).d;
    const [p60, p90, rare] = [q(0.6), q(0.9), q(0.9995)];
    const ms = (ns: number) => `${(ns / 1e6).toFixed(1)} ms`;
    return [
      { name: 'trace list, newest first (no filter)', route: '/api/traces', params: [] },
      { name: 'attribute app.request_id = one value (1 trace)', route: '/api/traces', params: [['attr', `app.request_id=${payment}`]] },
      { name: 'service=payment + that request id', route: '/api/traces', params: [['service', 'payment'], ['attr', `app.request_id=${payment}`]] },
      { name: 'attribute http.route = one of 5 values', route: '/api/traces', params: [['attr', 'http.route=/api/cart']] },
      { name: 'attribute url.path prefix (rare)', route: '/api/traces', params: [['attr', `url.path=/api/orders/9999*`]] },
      { name: 'attribute url.path prefix (common: /api/)', route: '/api/traces', params: [['attr', 'url.path=/api/*']] },
      { name: 'attribute key present (every trace)', route: '/api/traces', params: [['attr', 'app.request_id']] },
      { name: `duration ${ms(p60)}–${ms(p90)} (~30 % of traces)`, route: '/api/traces', params: [['minDurationNs', String(p60)], ['maxDurationNs', String(p90)]] },
      { name: `duration ≥ ${ms(rare)} (rarest 0.05 %)`, route: '/api/traces', params: [['minDurationNs', String(rare)]] },
      { name: 'logs whose text has a rare order id', route: '/api/logs', params: [['text', order]] },
      { name: 'logs with a common word ("failed")', route: '/api/logs', params: [['text', 'failed']] },
      { name: 'logs, newest first (no filter)', route: '/api/logs', params: [] },
    ];
  } finally {
    db.close();
  }
}

async function timeProbes(store: Store, list: Probe[]): Promise<{ ms: number; rows: number }[]> {
  const token = 'bench-search';
  const api = await startApiServer({ host: '127.0.0.1', port: 0, token, store, ingest: (b) => store.write(b) });
  try {
    const out: { ms: number; rows: number }[] = [];
    for (const probe of list) {
      const url = `${api.origin}${probe.route}?${new URLSearchParams(probe.params)}`;
      const times: number[] = [];
      let rows = 0;
      for (let run = 0; run <= RUNS; run++) {
        const t = performance.now();
        const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { items?: unknown[]; error?: string };
        if (!res.ok) throw new Error(`${probe.name}: ${res.status} ${body.error}`);
        if (run > 0) times.push(performance.now() - t);
        rows = body.items?.length ?? 0;
      }
      out.push({ ms: median(times), rows });
    }
    return out;
  } finally {
    await api.close();
  }
}

function indexShare(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare(`SELECT name, sum(pgsize) AS b FROM dbstat GROUP BY name`).all() as { name: string; b: number }[];
    const total = rows.reduce((a, r) => a + r.b, 0);
    const index = rows.filter((r) => /^(attr_|log_text)/.test(r.name)).reduce((a, r) => a + r.b, 0);
    return index / total;
  } finally {
    db.close();
  }
}

export async function benchSearch(millions = [1, 5]): Promise<SearchBenchResult> {
  const sizes = millions.map((m) => Math.round(m * 1e6));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-bench-search-'));
  const result: SearchBenchResult = { sizes, searches: [], storage: [] };
  let list: Probe[] | undefined;
  try {
    for (const spans of sizes) {
      const file = path.join(dir, `${spans}.db`);
      console.log(`building a store of ${(spans / 1e6).toFixed(1)}M spans…`);
      const store = openStore({ path: file, writerThread: true, maxBytes: Number.MAX_SAFE_INTEGER });
      try {
        const built = await buildStore(store, spans);
        list ??= probes(file);
        const timed = await timeProbes(store, list);
        timed.forEach((t, i) => {
          result.searches[i] ??= { name: list![i].name, medianMs: [], rows: [] };
          result.searches[i].medianMs.push(t.ms);
          result.searches[i].rows.push(t.rows);
        });
        await store.close();
        const bytes = statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
        const share = indexShare(file);
        result.storage.push({ spans, bytesPerSpan: bytes / spans, indexShare: share, buildSpansPerSec: built.spansPerSec, catchUpMs: built.catchUpMs });
        console.log(
          `  ${(bytes / 1e6).toFixed(0)} MB (${(bytes / spans).toFixed(0)} B/span, search indexes ${(100 * share).toFixed(1)} %); ` +
            `written at ${(built.spansPerSec / 1000).toFixed(0)}k spans/s, indexing caught up ${(built.catchUpMs / 1000).toFixed(1)} s after the last write`,
        );
      } catch (e) {
        await store.close();
        throw e;
      } finally {
        rmSync(file, { force: true });
        rmSync(`${file}-wal`, { force: true });
        rmSync(`${file}-shm`, { force: true });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const label = (n: number) => `${n / 1e6}M`;
  console.log(`\n| search (median of ${RUNS}, HTTP API) | ${sizes.map(label).join(' | ')} | growth |`);
  console.log(`|---|${sizes.map(() => '---|').join('')}---|`);
  for (const s of result.searches) {
    const growth = s.medianMs.at(-1)! / s.medianMs[0];
    console.log(`| ${s.name} | ${s.medianMs.map((ms, i) => `${ms.toFixed(1)} ms (${s.rows[i]} rows)`).join(' | ')} | ${growth.toFixed(2)}× |`);
  }
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2).map(Number).filter((n) => n > 0);
  await benchSearch(args.length ? args : undefined);
}
