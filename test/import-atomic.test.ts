// Hardening #4: a file that fails to import leaves the store as it was, through every way in: the CLI, an upload
// to POST /api/import, and a truncated gzip file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../collector/collector';
import { openStore } from '../collector/store';
import { repoRoot } from './corpus';

const bin = path.join(repoRoot, 'bin', 'hopscope.mjs');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `lines` OTLP JSON lines of 10 spans each (trace ids from `first`), line `broken` cut short as a crashed writer leaves it. */
function jsonLines(lines: number, broken?: number, first = 0): string {
  const out: string[] = [];
  for (let line = 1; line <= lines; line++) {
    const spans = Array.from({ length: 10 }, (_, i) => {
      const n = first + line * 10 + i;
      return { traceId: n.toString(16).padStart(32, '0'), spanId: (n + 1).toString(16).padStart(16, '0'), name: `op-${n}`, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000000001000' };
    });
    const text = JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] }, scopeSpans: [{ spans }] }] });
    out.push(line === broken ? `${text.slice(0, 40)}, "spans": oops}` : text);
  }
  return `${out.join('\n')}\n`;
}

function file(name: string, content: string | Uint8Array): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** A gzip file cut at 80%: its first lines decode, then the data ends. */
function truncatedGzip(lines: number): Buffer {
  const gz = gzipSync(jsonLines(lines, undefined, 1_000_000));
  return gz.subarray(0, Math.floor(gz.length * 0.8));
}

function storedSpans(db: string): Promise<number> {
  const store = openStore({ path: db });
  const spans = store.reader.stats().spans;
  return store.close().then(() => spans);
}

describe('hopscope import of a file that fails', () => {
  it('exits 2 naming the line and leaves the store as it was, for a broken line and for truncated gzip', async () => {
    const db = path.join(dir, 'store.db');
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'import', ...args, '--db', db], { encoding: 'utf8', cwd: dir });
    expect(run(file('good.jsonl', jsonLines(20, undefined, 500_000))).status).toBe(0);
    expect(await storedSpans(db)).toBe(200);

    const broken = run(file('broken.jsonl', jsonLines(1000, 500)));
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(/broken\.jsonl:500: .*nothing from this file was imported, not even the 4990 spans before this point/);
    expect(broken.stdout).toBe('');
    expect(await storedSpans(db)).toBe(200);

    const cut = run(file('cut.jsonl.gz', truncatedGzip(2000)));
    expect(cut.status).toBe(2);
    expect(cut.stderr).toMatch(/cut\.jsonl\.gz: the gzip data is corrupt or truncated/);
    expect(await storedSpans(db)).toBe(200);
  }, 120_000);
});

describe('POST /api/import of a file that fails', () => {
  let collector: RunningCollector;
  afterEach(async () => {
    await collector?.close();
  });

  it('answers 400 naming the line, and the store (and the UI progress) shows nothing of it', async () => {
    collector = await startCollector({ dbPath: path.join(dir, 'serve.db'), host: '127.0.0.1', grpcPort: 0, httpPort: 0, settleMs: 0, ui: { port: 0 } });
    const ui = collector.ui!;
    const upload = (name: string, body: Uint8Array | string) =>
      fetch(`${ui.origin}/api/import?name=${name}`, { method: 'POST', body, headers: { Authorization: `Bearer ${collector.token}` } });

    const good = await upload('good.jsonl', jsonLines(20, undefined, 500_000));
    expect(good.status).toBe(200);
    await collector.store.flush();
    expect(collector.store.reader.stats().spans).toBe(200);

    const broken = await upload('broken.jsonl', readFileSync(file('broken.jsonl', jsonLines(1000, 500))));
    expect(broken.status).toBe(400);
    const { error } = (await broken.json()) as { error: string };
    expect(error).toMatch(/^broken\.jsonl:500: .*nothing from this file was imported, not even the 4990 spans/);
    await collector.store.flush();
    expect(collector.store.reader.stats().spans).toBe(200);

    const cut = await upload('cut.jsonl.gz', truncatedGzip(2000));
    expect(cut.status).toBe(400);
    expect(((await cut.json()) as { error: string }).error).toMatch(/^cut\.jsonl\.gz: the gzip data is corrupt or truncated/);
    await collector.store.flush();
    expect(collector.store.reader.stats().spans).toBe(200);
  });
});
