// Store ingest: raw better-sqlite3 inserts of pre-built span rows against store.write() of model spans.
// Run alone with `npx tsx bench/store.ts`.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openStore } from '../collector/store';
import { openConnection } from '../collector/store/connection';
import { encodeBatch } from '../collector/store/encode';
import { makeRealisticSpans } from './realistic-spans';

const BATCH_SIZE = 512;
const SPANS = 65_536;
const WRITERS_IN_FLIGHT = 4;
const RUNS = 5;
const tmp = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../.bench-tmp/store');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function freshFile(name: string): string {
  mkdirSync(tmp, { recursive: true });
  const file = path.join(tmp, name);
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  return file;
}

/** Spans/s of prepared INSERTs of ready row values into the store's spans table (same connection settings), 512 rows a transaction. */
function rawInsertRate(rows: unknown[][]): number {
  const file = freshFile('raw.db');
  const db = openConnection(file, 'writer');
  const insert = db.prepare(
    `INSERT INTO spans (trace_key, span_id, parent_span_id, trace_state, flags, name, kind, start_ns, end_ns,
                        status_code, status_message, attributes, dropped_attributes_count, events, dropped_events_count,
                        links, dropped_links_count, resource_id, scope_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertBatch = db.transaction((batch: unknown[][]) => {
    for (const row of batch) insert.run(row);
  });
  const t = performance.now();
  for (let i = 0; i < rows.length; i += BATCH_SIZE) insertBatch(rows.slice(i, i + BATCH_SIZE));
  const rate = rows.length / ((performance.now() - t) / 1000);
  db.close();
  return rate;
}

/** Spans/s through store.write(): 512-span batches, several writers awaiting their acknowledgements. */
async function storeWriteRate(spans: ReturnType<typeof makeRealisticSpans>): Promise<number> {
  const store = openStore({ path: freshFile('store.db') });
  const batches: (typeof spans)[] = [];
  for (let i = 0; i < spans.length; i += BATCH_SIZE) batches.push(spans.slice(i, i + BATCH_SIZE));
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS_IN_FLIGHT }, async () => {
      while (next < batches.length) await store.write({ spans: batches[next++], logs: [] });
    }),
  );
  const rate = spans.length / ((performance.now() - t) / 1000);
  await store.close();
  return rate;
}

export async function benchStore(): Promise<void> {
  const spans = makeRealisticSpans(SPANS, 1);
  const traceKeys = new Map<string, number>();
  const rows = encodeBatch({ spans, logs: [] }).spans.map((r) => {
    const key = traceKeys.get(r.traceId) ?? traceKeys.set(r.traceId, traceKeys.size + 1).size;
    return [key, r.spanId, r.parentSpanId, r.traceState, r.flags, r.name, r.kind, r.startNs, r.endNs, r.statusCode, r.statusMessage,
      r.attributes, r.droppedAttributesCount, r.events, r.droppedEventsCount, r.links, r.droppedLinksCount, 1, 1];
  });
  const raw: number[] = [];
  const store: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    raw.push(rawInsertRate(rows));
    store.push(await storeWriteRate(spans));
  }
  rmSync(tmp, { recursive: true, force: true });
  const r = median(raw);
  const s = median(store);
  console.log(`Store ingest: ${SPANS} realistic spans (~15 attributes), ${BATCH_SIZE}-span batches, median of ${RUNS} interleaved runs`);
  console.log(`raw better-sqlite3 INSERT (pre-built rows, same schema)  ${Math.round(r).toString().padStart(9)} spans/s`);
  console.log(`store.write() (${WRITERS_IN_FLIGHT} writers in flight, model spans)       ${Math.round(s).toString().padStart(9)} spans/s`);
  console.log(`store.write() / raw                                       ${(s / r).toFixed(2)}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await benchStore();
