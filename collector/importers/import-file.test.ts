import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusPath } from '../../test/corpus';
import type { TelemetryBatch } from '../model';
import { importFile, type ImportProgress } from '.';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-importers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tempFile(name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

function collect() {
  const batches: TelemetryBatch[] = [];
  const sink = async (batch: TelemetryBatch) => {
    batches.push(batch);
  };
  const count = () => ({ spans: batches.reduce((n, b) => n + b.spans.length, 0), logs: batches.reduce((n, b) => n + b.logs.length, 0) });
  return { batches, sink, count };
}

function frame(message: Uint8Array): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(message.length);
  return Buffer.concat([prefix, message]);
}

/** A collector-file-exporter-style JSON-lines file: `lines` requests of `spansPerLine` spans each. */
async function writeJsonLines(file: string, lines: number, spansPerLine: number): Promise<void> {
  const out = createWriteStream(file);
  for (let line = 0; line < lines; line++) {
    const spans = [];
    for (let i = 0; i < spansPerLine; i++) {
      const n = line * spansPerLine + i + 1;
      spans.push({
        traceId: n.toString(16).padStart(32, '0'),
        spanId: (n + 1).toString(16).padStart(16, '0'),
        name: `GET /orders/${n}`,
        kind: 2,
        startTimeUnixNano: `${1_700_000_000_000_000_000n + BigInt(n) * 1000n}`,
        endTimeUnixNano: `${1_700_000_000_000_000_000n + BigInt(n) * 1000n + 500n}`,
        attributes: [{ key: 'http.route', value: { stringValue: '/orders/{id}' } }, { key: 'request.id', value: { stringValue: `req-${n}` } }],
      });
    }
    const request = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] }, scopeSpans: [{ scope: { name: 'net/http' }, spans }] }] };
    if (!out.write(`${JSON.stringify(request)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** `lines` JSON lines of `spansPerLine` spans each, line `broken` (1-based) cut short as a crashed writer leaves it. */
function jsonLinesText(lines: number, spansPerLine: number, broken?: number): string {
  const out: string[] = [];
  for (let line = 1; line <= lines; line++) {
    const spans = Array.from({ length: spansPerLine }, (_, i) => {
      const n = line * spansPerLine + i;
      return { traceId: n.toString(16).padStart(32, '0'), spanId: (n + 1).toString(16).padStart(16, '0'), name: `op-${n}`, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000000001000' };
    });
    const text = JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] }, scopeSpans: [{ spans }] }] });
    out.push(line === broken ? `${text.slice(0, 40)}, "spans": oops}` : text);
  }
  return `${out.join('\n')}\n`;
}

describe('importFile: a file is imported whole or not at all', () => {
  it('hands nothing to the sink when line 500 of 1000 is broken, and says that the spans before it are not imported', async () => {
    const file = tempFile('broken-at-500.jsonl', jsonLinesText(1000, 10, 500));
    const { batches, sink } = collect();
    const progress: ImportProgress[] = [];
    await expect(importFile(file, sink, { onProgress: (p) => progress.push(p) })).rejects.toThrow(
      /broken-at-500\.jsonl:500: not valid JSON .* nothing from this file was imported, not even the 4990 spans before this point/,
    );
    expect(batches).toHaveLength(0);
    expect(progress.every((p) => p.spans === 0 && p.logs === 0)).toBe(true);
  });

  it('hands nothing when a file too large to hold breaks near its end, and imports it all, read twice, when it does not', async () => {
    const broken = tempFile('large-broken.jsonl', jsonLinesText(300, 10, 299));
    const { batches, sink } = collect();
    await expect(importFile(broken, sink, { holdItems: 500, batchSize: 100 })).rejects.toThrow(/large-broken\.jsonl:299: .*not even the 2980 spans/);
    expect(batches).toHaveLength(0);

    const whole = tempFile('large.jsonl', jsonLinesText(300, 10));
    const collected = collect();
    const progress: ImportProgress[] = [];
    const result = await importFile(whole, collected.sink, { holdItems: 500, batchSize: 100, onProgress: (p) => progress.push(p) });
    expect(result).toMatchObject({ format: 'otlp-jsonl', spans: 3000 });
    expect(collected.count()).toEqual({ spans: 3000, logs: 0 });
    for (let i = 1; i < progress.length; i++) expect(progress[i].bytesRead).toBeGreaterThanOrEqual(progress[i - 1].bytesRead);
    expect(progress.at(-1)).toMatchObject({ bytesRead: statSync(whole).size, spans: 3000 });
  });

  it('hands nothing from a truncated gzip file, though its first part decodes', async () => {
    const gz = gzipSync(jsonLinesText(2000, 10));
    const file = tempFile('cut.jsonl.gz', gz.subarray(0, Math.floor(gz.length * 0.8)));
    const { batches, sink } = collect();
    await expect(importFile(file, sink)).rejects.toThrow(/cut\.jsonl\.gz: the gzip data is corrupt or truncated .*nothing from this file was imported, not even the \d+ spans/);
    expect(batches).toHaveLength(0);
  });

  it('says how much was stored when the sink fails part way, and keeps it', async () => {
    const file = tempFile('sink-fails.jsonl', jsonLinesText(50, 10));
    let calls = 0;
    const sink = async () => {
      if (++calls === 3) throw new Error('disk full');
    };
    await expect(importFile(file, sink, { batchSize: 100 })).rejects.toThrow(/sink-fails\.jsonl: storing failed after 200 spans, which are kept: disk full/);
  });
});

describe('importFile streaming', () => {
  it('imports a JSON-lines file of tens of MB in sink-sized batches, reporting rising progress', async () => {
    const file = path.join(dir, 'big.jsonl');
    await writeJsonLines(file, 600, 200);
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(30 * 2 ** 20);

    const { batches, sink, count } = collect();
    const progress: ImportProgress[] = [];
    const result = await importFile(file, sink, { onProgress: (p) => progress.push(p) });

    expect(result).toEqual({ format: 'otlp-jsonl', spans: 120_000, logs: 0, metricPoints: 0 });
    expect(count().spans).toBe(120_000);
    expect(Math.max(...batches.map((b) => b.spans.length))).toBe(2000);
    expect(new Set(batches.flatMap((b) => b.spans.map((s) => s.spanId))).size).toBe(120_000);
    expect(progress.length).toBeGreaterThan(10);
    for (let i = 1; i < progress.length; i++) expect(progress[i].bytesRead).toBeGreaterThanOrEqual(progress[i - 1].bytesRead);
    expect(progress[0].bytesRead).toBeLessThan(size);
    expect(progress.at(-1)).toEqual({ bytesRead: size, totalBytes: size, spans: 120_000, logs: 0 });
  });

  it('calls a file JSON lines when its first line is longer than the head detection sees', async () => {
    const file = path.join(dir, 'long-lines.jsonl');
    await writeJsonLines(file, 3, 400);
    expect(readFileSync(file, 'utf8').indexOf('\n')).toBeGreaterThan(64 * 1024);
    const { sink, count } = collect();
    expect((await importFile(file, sink)).format).toBe('otlp-jsonl');
    expect(count().spans).toBe(1200);
  });

  it('decompresses a gzip file transparently, detecting the format inside', async () => {
    const file = tempFile('test_data.json.gz', gzipSync(readFileSync(corpusPath('otel-tui/test_data.json'))));
    const { sink, count } = collect();
    const result = await importFile(file, sink);
    expect(result.format).toBe('otlp-jsonl');
    expect(count()).toEqual({ spans: 547, logs: 23 });
  });

  it('names the file when gzip data is truncated', async () => {
    const gz = gzipSync(readFileSync(corpusPath('otel-tui/test_data.json')));
    const file = tempFile('cut.json.gz', gz.subarray(0, gz.length - 5000));
    await expect(importFile(file, async () => {})).rejects.toThrow(/cut\.json\.gz: the gzip data is corrupt or truncated/);
  });

  it('reads the collector file exporter proto stream, traces and logs frames mixed', async () => {
    const traces = readFileSync(corpusPath('otlp2parquet/traces.pb'));
    const logs = readFileSync(corpusPath('otlp2parquet/logs.pb'));
    const file = tempFile('stream.pb', Buffer.concat([frame(traces), frame(logs), frame(traces)]));
    const { sink, count } = collect();
    const result = await importFile(file, sink);
    expect(result.format).toBe('otlp-proto-stream');
    expect(count()).toEqual({ spans: 38, logs: 81 });
  });

  it('names the byte offset of a truncated frame in a proto stream', async () => {
    const traces = readFileSync(corpusPath('otlp2parquet/traces.pb'));
    const whole = Buffer.concat([frame(traces), frame(traces)]);
    const file = tempFile('truncated.pb', whole.subarray(0, whole.length - 100));
    const offset = 4 + traces.length;
    await expect(importFile(file, async () => {})).rejects.toThrow(
      new RegExp(`truncated\\.pb: the frame at byte offset ${offset} declares ${traces.length} bytes but only ${traces.length - 100} follow`),
    );
  });

  it('names the frame of a corrupt message in a proto stream', async () => {
    const traces = readFileSync(corpusPath('otlp2parquet/traces.pb'));
    const corrupt = Buffer.from(traces);
    corrupt[1] = 0xff; // the first ResourceSpans now claims more bytes than the message has
    const file = tempFile('corrupt.pb', Buffer.concat([frame(traces), frame(corrupt)]));
    await expect(importFile(file, async () => {})).rejects.toThrow(new RegExp(`corrupt\\.pb: frame at byte offset ${4 + traces.length}: not an OTLP traces, logs or metrics request`));
  });

  it('names the line of a broken line in a JSON-lines file', async () => {
    const lines = readFileSync(corpusPath('otlp2parquet/traces.jsonl'), 'utf8').split('\n');
    lines[6] = lines[6].replace('"spanId"', '"spanId" "');
    const file = tempFile('broken.jsonl', lines.join('\n'));
    await expect(importFile(file, async () => {})).rejects.toThrow(/broken\.jsonl:7: not valid JSON at column \d+/);
  });

  it('names the line of a JSON-lines request whose spans the decoder rejects', async () => {
    const lines = readFileSync(corpusPath('otlp2parquet/traces.jsonl'), 'utf8').split('\n');
    lines[3] = lines[3].replace(/"spanId": ?"[^"]*"/, '"spanId": ""');
    const file = tempFile('rejected.jsonl', lines.join('\n'));
    await expect(importFile(file, async () => {})).rejects.toThrow(/rejected\.jsonl:4: 1 item rejected \(first: .*spanId/);
  });

  it('stops between batches when aborted, keeping what the sink was handed', async () => {
    const abort = new AbortController();
    const { batches, sink } = collect();
    const stopping = importFile(
      corpusPath('zipkin/lens-testdata/smartthings-mobile-web-install.json'),
      async (batch) => {
        await sink(batch);
        abort.abort();
      },
      { signal: abort.signal, batchSize: 100 },
    );
    await expect(stopping).rejects.toThrow(/abort/i);
    expect(batches).toHaveLength(1);
    expect(batches[0].spans).toHaveLength(100);
  });

  it('refuses a single JSON document over the size limit, saying what to do', async () => {
    await expect(importFile(corpusPath('zipkin/lens-next/netflix.json'), async () => {}, { maxDocumentBytes: 4096 })).rejects.toThrow(
      /netflix\.json:1: the JSON document starting on this line is larger than 4096 bytes.*use JSON lines/,
    );
  });

  it('imports concatenated documents and names the line of the one that fails', async () => {
    const a = readFileSync(corpusPath('zipkin/lens-testdata/skew.json'), 'utf8');
    const b = readFileSync(corpusPath('zipkin/lens-testdata/messaging.json'), 'utf8');
    const { sink, count } = collect();
    await importFile(tempFile('two.json', `${a}\n${b}`), sink);
    expect(count().spans).toBe(8);

    const secondLine = a.split('\n').length + 1;
    const broken = b.replace('"traceId": "', '"traceId": "xyz');
    await expect(importFile(tempFile('two-broken.json', `${a}\n${broken}`), async () => {})).rejects.toThrow(
      new RegExp(`two-broken\\.json:${secondLine}: \\[0\\]\\.traceId: trace id "xyz[0-9a-f]*" is not hexadecimal`),
    );
  });

  it('says the file is truncated when a JSON document ends early', async () => {
    const text = readFileSync(corpusPath('zipkin/lens-testdata/skew.json'), 'utf8');
    const file = tempFile('short.json', text.slice(0, text.lastIndexOf('}')));
    await expect(importFile(file, async () => {})).rejects.toThrow(/short\.json:1: the JSON document starting on this line ends early: the file is truncated/);
  });

  it('names the file and lists the formats it understands when it understands none', async () => {
    const file = tempFile('notes.txt', 'hello, these are not spans\n');
    await expect(importFile(file, async () => {})).rejects.toThrow(/notes\.txt: not a trace or log file .*Understood formats: OTLP JSON,.*Zipkin v1 JSON/);
    await expect(importFile(tempFile('empty.json', ''), async () => {})).rejects.toThrow(/empty\.json: the file is empty/);
  });
});
