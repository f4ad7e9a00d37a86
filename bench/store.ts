// Store ingest: raw better-sqlite3 inserts of pre-built span rows against store.write() of model spans.
// Run alone with `npx tsx bench/store.ts`.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Span } from '../collector/model';
import { openStore, type Store, type StoreOptions } from '../collector/store';
import { startCheckpointer } from '../collector/store/checkpointer';
import { insertRows, openConnection } from '../collector/store/connection';
import { encodeBatch, SPAN_WIDTH, SpanAt } from '../collector/store/encode';
import { SPAN_COLUMNS } from '../collector/store/ingest';
import { makeRealisticSpans } from './realistic-spans';
import { median, medianRate, type Rate } from './stats';

export type { Rate };

const BATCH_SIZE = 512;
const SPANS = 65_536;
const WRITERS_IN_FLIGHT = 4;
const RUNS = 5;
const benchTmp = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../.bench-tmp');

export interface StoreBenchResult {
  /** The baseline: one prepared single-row INSERT per span. */
  rawInsert: Rate;
  /** The same rows with the store's techniques: multi-row INSERTs, checkpoints in a worker. */
  rawInsertAsStore: Rate;
  storeWrite: Rate;
  /** storeWrite / rawInsert. */
  ratio: number;
}

/** A database file of its own (benches may run at once on a shared machine), and how to remove it. */
function scratchDb(): { file: string; remove: () => void } {
  mkdirSync(benchTmp, { recursive: true });
  const dir = mkdtempSync(path.join(benchTmp, 'store-'));
  return { file: path.join(dir, 'bench.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function startClock() {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return {
    rate(spans: number): Rate {
      const used = process.cpuUsage(cpu);
      return { spansPerSec: spans / ((performance.now() - wall) / 1000), spansPerCpuSec: spans / ((used.user + used.system) / 1e6) };
    },
  };
}

/** The spans table's row values for these spans, built outside any timing: trace keys in order of first sight, one resource and scope. */
function spanRows(spans: Span[]): unknown[][] {
  const traceKeys = new Map<string, number>();
  const values = encodeBatch({ spans, logs: [] }).spans;
  const rows: unknown[][] = [];
  for (let o = 0; o < values.length; o += SPAN_WIDTH) {
    const row = values.slice(o, o + SPAN_WIDTH);
    const traceId = row[SpanAt.traceId] as string;
    row[SpanAt.traceId] = traceKeys.get(traceId) ?? traceKeys.set(traceId, traceKeys.size + 1).size;
    row[SpanAt.resource] = 1;
    row[SpanAt.scope] = 1;
    rows.push(row);
  }
  return rows;
}

/**
 * Spans/s of ready row values inserted into the store's spans table (same schema, indexes and connection
 * settings), `batchSize` rows a transaction, one prepared single-row INSERT per span, SQLite checkpointing
 * by itself: the baseline.
 */
export function measureRawInsert(spans: Span[], options: { batchSize?: number } = {}): Rate {
  const rows = spanRows(spans);
  const batchSize = options.batchSize ?? BATCH_SIZE;
  const scratch = scratchDb();
  const db = openConnection(scratch.file, 'writer');
  const insert = db.prepare(`INSERT INTO spans (${SPAN_COLUMNS}) VALUES (${'?, '.repeat(18)}?)`);
  const insertBatch = db.transaction((batch: unknown[][]) => {
    for (const row of batch) insert.run(row);
  });
  const clock = startClock();
  for (let i = 0; i < rows.length; i += batchSize) insertBatch(rows.slice(i, i + batchSize));
  const rate = clock.rate(rows.length);
  db.close();
  scratch.remove();
  return rate;
}

/** As measureRawInsert, with the store's own techniques: its multi-row INSERTs and its checkpoints in a worker. */
export async function measureRawInsertAsStore(spans: Span[], options: { batchSize?: number } = {}): Promise<Rate> {
  const rows = spanRows(spans);
  const batchSize = options.batchSize ?? BATCH_SIZE;
  const scratch = scratchDb();
  const db = openConnection(scratch.file, 'writer');
  const checkpointer = startCheckpointer(db, scratch.file);
  const insertBatch = db.transaction((batch: unknown[][]) => insertRows(db, `INSERT INTO spans (${SPAN_COLUMNS})`, 19, batch.flat()));
  const clock = startClock();
  for (let i = 0; i < rows.length; i += batchSize) {
    insertBatch(rows.slice(i, i + batchSize));
    checkpointer.committed(batchSize);
    // Like the store's writer, yield between commits so the checkpointer's replies come in.
    await new Promise(setImmediate);
  }
  const rate = clock.rate(rows.length);
  await checkpointer.stop();
  db.close();
  scratch.remove();
  return rate;
}

/** Spans/s through store.write() of model spans: `batchSize`-span batches, `writersInFlight` writers each awaiting its acknowledgement. */
export async function measureStoreWrite(
  spans: Span[],
  options: { batchSize?: number; writersInFlight?: number; open?: (options: StoreOptions) => Store } = {},
): Promise<Rate> {
  const batchSize = options.batchSize ?? BATCH_SIZE;
  const scratch = scratchDb();
  const store = (options.open ?? openStore)({ path: scratch.file });
  const batches: Span[][] = [];
  for (let i = 0; i < spans.length; i += batchSize) batches.push(spans.slice(i, i + batchSize));
  let next = 0;
  const clock = startClock();
  await Promise.all(
    Array.from({ length: options.writersInFlight ?? WRITERS_IN_FLIGHT }, async () => {
      while (next < batches.length) await store.write({ spans: batches[next++], logs: [] });
    }),
  );
  const rate = clock.rate(spans.length);
  await store.close();
  scratch.remove();
  return rate;
}

export async function benchStore(): Promise<StoreBenchResult> {
  const spans = makeRealisticSpans(SPANS, 1);
  const raw: Rate[] = [];
  const rawAsStore: Rate[] = [];
  const store: Rate[] = [];
  for (let run = 0; run < RUNS; run++) {
    raw.push(measureRawInsert(spans));
    rawAsStore.push(await measureRawInsertAsStore(spans));
    store.push(await measureStoreWrite(spans));
  }
  const result: StoreBenchResult = {
    rawInsert: medianRate(raw),
    rawInsertAsStore: medianRate(rawAsStore),
    storeWrite: medianRate(store),
    ratio: median(store.map((r) => r.spansPerSec)) / median(raw.map((r) => r.spansPerSec)),
  };
  const line = (label: string, rate: Rate) =>
    console.log(`${label.padEnd(58)}${Math.round(rate.spansPerSec).toString().padStart(8)} spans/s ${Math.round(rate.spansPerCpuSec).toString().padStart(8)} spans/CPU-s`);
  console.log(`Store ingest: ${SPANS} realistic spans (~15 attributes), ${BATCH_SIZE}-span batches, median of ${RUNS} interleaved runs`);
  line('raw INSERT, one row a statement (the issue\'s baseline)', result.rawInsert);
  line('raw INSERT as the store does it (multi-row, worker ckpt)', result.rawInsertAsStore);
  line(`store.write() (${WRITERS_IN_FLIGHT} writers in flight, model spans)`, result.storeWrite);
  console.log(
    `store.write() / raw baseline: ${result.ratio.toFixed(2)}; / raw as the store does it: ` +
      `${(result.storeWrite.spansPerSec / result.rawInsertAsStore.spansPerSec).toFixed(2)} (wall clock; the machine may be shared)`,
  );
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await benchStore();
