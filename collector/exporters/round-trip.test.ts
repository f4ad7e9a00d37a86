// Import → export → import gives the same model, on every importable corpus file: the file's model,
// stored, exported as OTLP JSON lines and imported again, equals what the file itself imports as.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { corpusPath, corpusRoot } from '../../test/corpus';
import { importFile } from '../importers';
import type { LogRecord, Span } from '../model';
import { openStore } from '../store';
import type { Store, StoreReader } from '../store/types';
import { exportOtlpJson } from '.';

/** Corpus files the importer refuses by design (see collector/importers/corpus.test.ts). */
const REFUSED = new Set([
  'otlp2parquet/invalid/trace_invalid_base64.json',
  'otlp2parquet/invalid/trace_invalid_kind.json',
  'otlp2parquet/invalid/trace_mixed_encoding.json',
  'otlp2parquet/invalid/malformed.json',
  'jaeger/uimodel-json/domain_01.json',
  'jaeger/thrift-converter/domain_03.json',
  'jaeger/thrift-converter/thrift_batch_01.json',
]);

function corpusFiles(dir = corpusRoot): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? corpusFiles(full) : [path.relative(corpusRoot, full)];
  });
}

interface Telemetry {
  spans: Span[];
  logs: LogRecord[];
}

async function importToMemory(file: string): Promise<Telemetry> {
  const got: Telemetry = { spans: [], logs: [] };
  await importFile(file, async (batch) => {
    got.spans.push(...batch.spans);
    got.logs.push(...batch.logs);
  });
  return got;
}

async function importToStore(file: string, store: Store): Promise<void> {
  await importFile(file, (batch) => store.write(batch));
  await store.flush();
}

function readStore(reader: StoreReader): Telemetry {
  const got: Telemetry = { spans: [], logs: [] };
  let cursor: string | undefined;
  do {
    const page = reader.searchTraces({ limit: 1000, cursor });
    for (const t of page.items) got.spans.push(...reader.getTrace(t.traceId));
    cursor = page.nextCursor;
  } while (cursor);
  do {
    const page = reader.searchLogs({ limit: 1000, cursor });
    for (const { id: _id, ...log } of page.items) got.logs.push(log);
    cursor = page.nextCursor;
  } while (cursor);
  return got;
}

/** Key-order-independent text of a value, to order items that share their ids. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString('hex')}`;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** Items in a fixed order: by trace and span id (and time, for logs), then by content. */
function ordered<T extends Span | LogRecord>(items: T[]): T[] {
  const keyed = items.map((item) => {
    const time = 'timeNs' in item ? `${item.timeNs}`.padStart(20, '0') : '';
    return { item, key: `${item.traceId}/${item.spanId}/${time}/${canonical(item)}` };
  });
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.item);
}

function expectSameModel(actual: Telemetry, expected: Telemetry): void {
  expect(actual.spans).toHaveLength(expected.spans.length);
  expect(actual.logs).toHaveLength(expected.logs.length);
  expect(ordered(actual.spans)).toEqual(ordered(expected.spans));
  expect(ordered(actual.logs)).toEqual(ordered(expected.logs));
}

describe('import → export → import', () => {
  let dir: string;
  const stores: Store[] = [];
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hopscope-round-trip-'));
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const newStore = (name: string) => {
    const store = openStore({ path: path.join(dir, name) });
    stores.push(store);
    return store;
  };

  const files = corpusFiles().filter((f) => f !== 'SOURCES.md' && !REFUSED.has(f));

  it('covers the corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(50);
    for (const refused of REFUSED) expect(corpusFiles()).toContain(refused);
  });

  for (const file of files) {
    it(file, async () => {
      const original = await importToMemory(corpusPath(file));
      expect(original.spans.length + original.logs.length).toBeGreaterThan(0);
      const first = newStore('first.db');
      await importToStore(corpusPath(file), first);

      const all = path.join(dir, 'all.jsonl');
      const counts = await exportOtlpJson(first.reader, { all: true }, all);
      expect(counts).toEqual({ traces: new Set(original.spans.map((s) => s.traceId)).size, spans: original.spans.length, logs: original.logs.length });
      expectSameModel(await importToMemory(all), original);
      const second = newStore('second.db');
      await importToStore(all, second);
      expectSameModel(readStore(second.reader), original);

      // By id: the spans of those traces and the logs that carry their ids.
      const traceIds = [...new Set([...original.spans, ...original.logs].map((i) => i.traceId).filter((id) => id !== ''))];
      if (traceIds.length === 0) return;
      const some = path.join(dir, 'some.jsonl');
      await exportOtlpJson(first.reader, { traceIds: traceIds.map((id) => id.toUpperCase()) }, some);
      expectSameModel(await importToMemory(some), { spans: original.spans, logs: original.logs.filter((l) => l.traceId !== '') });
    });
  }
});
