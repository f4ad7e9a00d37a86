import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../errors';
import { importFile } from '../importers';
import type { LogRecord, Span } from '../model';
import { openStore } from '../store';
import { attributes, log, span, spanId, T0, tempDir, traceId } from '../store/testing';
import type { Store } from '../store/types';
import { exportOtlpJson, MAX_LINE_BYTES, SPANS_PER_GROUP, TRACES_PER_GROUP } from './otlp-json';

interface Line {
  resourceSpans?: { scopeSpans: { spans: { traceId: string }[] }[] }[];
  resourceLogs?: { scopeLogs: { logRecords: { traceId?: string }[] }[] }[];
}

function lines(file: string): { text: string; request: Line }[] {
  const text = readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => ({ text: line, request: JSON.parse(line) as Line }));
}

const spansOf = (line: Line) => (line.resourceSpans ?? []).flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
const logsOf = (line: Line) => (line.resourceLogs ?? []).flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords));

async function reimport(file: string): Promise<{ spans: Span[]; logs: LogRecord[] }> {
  const got = { spans: [] as Span[], logs: [] as LogRecord[] };
  await importFile(file, async (b) => {
    got.spans.push(...b.spans);
    got.logs.push(...b.logs);
  });
  return got;
}

/** `count` spans of one trace, each a child of the first. */
function traceSpans(trace: number, count: number, extra: Partial<Span> = {}): Span[] {
  return Array.from({ length: count }, (_, i) =>
    span({ traceId: traceId(trace), spanId: spanId(trace * 100_000 + i + 1), parentSpanId: i === 0 ? '' : spanId(trace * 100_000 + 1), startNs: T0 + BigInt(trace * 1000 + i), ...extra }),
  );
}

describe('exportOtlpJson', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    tmp = tempDir();
    store = openStore({ path: tmp.file('store.db') });
  });
  afterEach(async () => {
    await store.close();
    tmp.remove();
  });

  it('writes the traces on line 1 and their logs on line 2', async () => {
    await store.write({
      spans: [...traceSpans(1, 3), ...traceSpans(2, 2)],
      logs: [log({ traceId: traceId(1), spanId: spanId(100_001), body: 'in trace 1' }), log({ traceId: traceId(2), body: 'in trace 2' }), log({ body: 'no trace' })],
    });
    const out = tmp.file('one.jsonl');
    const counts = await exportOtlpJson(store.reader, { traceIds: [traceId(1)] }, out);

    expect(counts).toEqual({ traces: 1, spans: 3, logs: 1 });
    const [first, second, ...rest] = lines(out);
    expect(rest).toEqual([]);
    expect(spansOf(first.request).map((s) => s.traceId)).toEqual(Array(3).fill(traceId(1)));
    expect(first.request.resourceLogs).toBeUndefined();
    expect(logsOf(second.request)).toEqual([expect.objectContaining({ traceId: traceId(1), spanId: spanId(100_001), body: { stringValue: 'in trace 1' } })]);
    const back = await reimport(out);
    expect([back.spans.length, back.logs.length]).toEqual([3, 1]);
  });

  it('writes one line when the traces have no logs', async () => {
    await store.write({ spans: traceSpans(1, 2), logs: [] });
    const out = tmp.file('spans.jsonl');
    await exportOtlpJson(store.reader, { traceIds: [traceId(1)] }, out);
    expect(lines(out).map((l) => Object.keys(l.request))).toEqual([['resourceSpans']]);
  });

  it('exports a trace of which only logs arrived', async () => {
    await store.write({ spans: [], logs: [log({ traceId: traceId(7), body: 'lonely' })] });
    const out = tmp.file('logs.jsonl');
    expect(await exportOtlpJson(store.reader, { traceIds: [traceId(7)] }, out)).toEqual({ traces: 1, spans: 0, logs: 1 });
    expect(lines(out).map((l) => logsOf(l.request).length)).toEqual([1]);
  });

  it('names every unknown trace id, and writes nothing', async () => {
    await store.write({ spans: traceSpans(1, 1), logs: [] });
    const out = tmp.file('unknown.jsonl');
    const error = await exportOtlpJson(store.reader, { traceIds: [traceId(1), traceId(8), traceId(9)] }, out).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(`2 traces not in the store: ${traceId(8)}, ${traceId(9)}`);
    await expect(exportOtlpJson(store.reader, { traceIds: ['trace-1'] }, out)).rejects.toThrow(/trace id "trace-1" is not hexadecimal/);
    await expect(exportOtlpJson(store.reader, { traceIds: [] }, out)).rejects.toThrow(InputError);
    expect(readdirSync(tmp.dir)).not.toContain('unknown.jsonl');
  });

  it('accepts ids in upper case or without leading zeros', async () => {
    await store.write({ spans: traceSpans(0xabc, 1), logs: [] });
    const out = tmp.file('short.jsonl');
    expect((await exportOtlpJson(store.reader, { traceIds: ['ABC', traceId(0xabc)] }, out)).spans).toBe(1);
  });

  it('with all, writes bounded groups of traces, each followed by its logs, then the logs of no trace', async () => {
    const traces = 2 * TRACES_PER_GROUP + 50;
    const spans = Array.from({ length: traces }, (_, i) => traceSpans(i + 1, 3)).flat();
    const logs = [...Array.from({ length: traces }, (_, i) => log({ traceId: traceId(i + 1) })), log({ body: 'no trace' }), log({ traceId: traceId(99_999), body: 'trace without spans' })];
    await store.write({ spans, logs });
    const out = tmp.file('all.jsonl');
    const progress: number[] = [];
    const counts = await exportOtlpJson(store.reader, { all: true }, out, (p) => progress.push(p.spans));

    expect(counts).toEqual({ traces, spans: spans.length, logs: logs.length });
    expect(progress.at(-1)).toBe(spans.length);
    const requests = lines(out).map((l) => l.request);
    expect(requests.map((r) => (r.resourceSpans ? 'spans' : 'logs'))).toEqual(['spans', 'logs', 'spans', 'logs', 'spans', 'logs', 'logs']);
    for (let i = 0; i < 6; i += 2) {
      const groupTraces = new Set(spansOf(requests[i]).map((s) => s.traceId));
      expect(groupTraces.size).toBeLessThanOrEqual(TRACES_PER_GROUP);
      expect(new Set(logsOf(requests[i + 1]).map((l) => l.traceId))).toEqual(groupTraces);
    }
    expect(logsOf(requests[6]).map((l) => l.traceId ?? '').sort()).toEqual(['', traceId(99_999)]);
    const back = await reimport(out);
    expect([back.spans.length, back.logs.length]).toEqual([spans.length, logs.length]);
  });

  it('closes a group before it would pass SPANS_PER_GROUP spans', async () => {
    const perTrace = Math.ceil((SPANS_PER_GROUP * 2) / 5);
    await store.write({ spans: [1, 2, 3].flatMap((t) => traceSpans(t, perTrace)), logs: [1, 2, 3].map((t) => log({ traceId: traceId(t) })) });
    const out = tmp.file('big.jsonl');
    await exportOtlpJson(store.reader, { all: true }, out);
    const logLines = lines(out).filter((l) => l.request.resourceLogs);
    expect(logLines.map((l) => logsOf(l.request).length)).toEqual([2, 1]);
  });

  it('splits a request longer than MAX_LINE_BYTES into several lines', async () => {
    const big = traceSpans(1, 1500, { attributes: attributes({ 'db.statement': 'SELECT 1 -- '.padEnd(1000, 'x') }) });
    await store.write({ spans: big, logs: [] });
    const out = tmp.file('split.jsonl');
    await exportOtlpJson(store.reader, { traceIds: [traceId(1)] }, out);
    const written = lines(out);
    expect(written.length).toBeGreaterThan(1);
    for (const line of written) expect(Buffer.byteLength(line.text)).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(written.reduce((n, l) => n + spansOf(l.request).length, 0)).toBe(1500);
    expect((await reimport(out)).spans).toHaveLength(1500);
  });

  it('leaves no file behind when aborted or when the folder does not exist', async () => {
    await store.write({ spans: traceSpans(1, 1), logs: [] });
    const controller = new AbortController();
    controller.abort();
    const out = tmp.file('aborted.jsonl');
    await expect(exportOtlpJson(store.reader, { all: true }, out, undefined, controller.signal)).rejects.toThrow(/aborted/);
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('aborted'))).toEqual([]);
    const missing = path.join(tmp.dir, 'no-such-dir', 'out.jsonl');
    await expect(exportOtlpJson(store.reader, { all: true }, missing)).rejects.toThrow(`cannot write ${missing}`);
    expect(existsSync(missing)).toBe(false);
  });
});
