import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { openStore } from '../collector/store';
import { corpusPath, repoRoot } from './corpus';
import { recordSpans } from './sdk';
import { workerPool } from '../fixtures/async-hops';

const bin = path.join(repoRoot, 'bin', 'hopscope.mjs');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function hopscope(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, HOPSCOPE_DATA_DIR: dir } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `hopscope serve` on free ports and resolves once it printed its addresses. */
function startServe(db: string): Promise<{ child: ChildProcessWithoutNullStreams; httpPort: number; output: () => string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--db', db, '--otlp-grpc', '0', '--otlp-http', '0', '--ui', '0'], { cwd: dir });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /OTLP\/HTTP: http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, httpPort: Number(m[1]), output: () => out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

describe('hopscope serve', () => {
  it('loses nothing it acknowledged when killed with SIGKILL right after the ack', async () => {
    const db = path.join(dir, 'crash.db');
    const serve = await startServe(db);
    const traceIds: string[] = [];
    try {
      for (let batch = 0; batch < 5; batch++) {
        const spans = await recordSpans({ 'service.name': 'crashy' }, (tracer) => {
          for (let i = 0; i < 50; i++) tracer.startSpan(`op-${batch}-${i}`, { startTime: 1_700_000_000_000 + i }).end(1_700_000_000_010 + i);
        });
        traceIds.push(...new Set(spans.map((s) => s.spanContext().traceId)));
        const res = await fetch(`http://127.0.0.1:${serve.httpPort}/v1/traces`, {
          method: 'POST',
          body: ProtobufTraceSerializer.serializeRequest(spans)!,
          headers: { 'Content-Type': 'application/x-protobuf' },
        });
        expect(res.status).toBe(200);
      }
    } finally {
      serve.child.kill('SIGKILL');
    }
    await new Promise((r) => serve.child.once('exit', r));
    const store = openStore({ path: db });
    try {
      expect(store.reader.stats().spans).toBe(250);
      for (const id of traceIds) expect(store.reader.getTrace(id)).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('flushes and exits 0 on SIGTERM', async () => {
    const serve = await startServe(path.join(dir, 'term.db'));
    serve.child.kill('SIGTERM');
    const code = await new Promise((r) => serve.child.once('exit', r));
    expect(code).toBe(0);
    expect(serve.output()).toMatch(/Stored 0 spans/);
  });

  it('says which port is taken and which flag changes it', async () => {
    const first = await startServe(path.join(dir, 'a.db'));
    try {
      const r = hopscope('serve', '--db', path.join(dir, 'b.db'), '--otlp-grpc', '0', '--otlp-http', String(first.httpPort), '--ui', '0');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`port ${first.httpPort} on 127.0.0.1 is already in use; free it or pick another with --otlp-http`);
    } finally {
      first.child.kill('SIGKILL');
    }
  });
});

describe('hopscope import and analyze', () => {
  it('imports a collector file-exporter dump, reports what it stored, and leaves it indexed for search', () => {
    const db = path.join(dir, 'imp.db');
    const r = hopscope('import', corpusPath('otel-tui/test_data.json'), '--db', db);
    expect(r.stderr).not.toMatch(/unexpected/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Imported 547 spans and 23 log records');
    expect(r.stdout).toMatch(/\nIndexed for search in \d+\.\d s\n/);
    const check = new Database(db, { readonly: true });
    const covered = check.prepare(`SELECT span_id = (SELECT max(id) FROM spans) AS spans, log_id = (SELECT max(id) FROM logs) AS logs FROM search_progress`).get();
    const traces = check.prepare(`SELECT count(*) FROM traces`).pluck().get();
    const waiting = check.prepare(`SELECT count(*) FROM analysis_pending`).pluck().get();
    check.close();
    expect(covered).toEqual({ spans: 1, logs: 1 });
    // and analyzed: serve opens it with nothing waiting
    expect(r.stdout).toMatch(new RegExp(`\nAnalyzed ${traces} traces in \\d+\\.\\d s: \\d+ occurrences of possible defects`));
    expect(waiting).toBe(0);
  });

  it('finds in an import what analyze --db finds in the same store', () => {
    const db = path.join(dir, 'same.db');
    const files = [corpusPath('otel-tui/test_data.json'), corpusPath('otlp2parquet/traces.pb'), corpusPath('otlp2parquet/logs.jsonl')];
    expect(hopscope('import', ...files, '--db', db).code).toBe(0);
    const check = new Database(db, { readonly: true });
    const recorded = check.prepare(`SELECT kind || '/' || subkind || ' ' || service || ' ' || operation AS f, count FROM findings ORDER BY f`).all();
    check.close();
    const r = hopscope('analyze', '--db', db, '--format', 'json');
    const doc = JSON.parse(r.stdout) as { findings: { kind: string; subkind: string; service: string; operation: string; count: number }[] };
    const reported = doc.findings.map((f) => ({ f: `${f.kind}/${f.subkind} ${f.service} ${f.operation}`, count: f.count })).sort((a, b) => a.f.localeCompare(b.f));
    expect(reported.length).toBeGreaterThan(0);
    expect(recorded).toEqual(reported);
  });

  it('leaves the analysis to serve with --no-analysis', () => {
    const db = path.join(dir, 'later.db');
    const r = hopscope('import', corpusPath('otel-tui/test_data.json'), '--db', db, '--no-analysis');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/Analyzed/);
    const check = new Database(db, { readonly: true });
    expect(check.prepare(`SELECT count(*) FROM analysis_pending`).pluck().get()).toBeGreaterThan(0);
    check.close();
  });

  it('prints the JSON contract for files, in a temporary store', () => {
    const r = hopscope('analyze', corpusPath('otlp2parquet/traces.pb'), corpusPath('otlp2parquet/logs.jsonl'), '--format', 'json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary).toEqual({ spans: 19, logs: 81, traces: expect.any(Number), services: expect.any(Number) });
    expect(doc.summary.traces).toBeGreaterThan(0);
    expect(Array.isArray(doc.findings)).toBe(true);
    expect(Array.isArray(doc.stitches)).toBe(true);
  });

  it('analyzes what a database holds with --db alone', () => {
    const db = path.join(dir, 'held.db');
    expect(hopscope('import', corpusPath('otlp2parquet/traces.jsonl'), '--db', db).code).toBe(0);
    const doc = JSON.parse(hopscope('analyze', '--db', db, '--format', 'json').stdout);
    expect(doc.summary.spans).toBe(19);
  });

  it('exits 2 naming the file when a file cannot be read', () => {
    const bad = path.join(dir, 'notes.txt');
    writeFileSync(bad, 'these are not spans\n');
    const r = hopscope('analyze', bad, '--format', 'json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(bad);
    expect(r.stdout).toBe('');

    const missing = hopscope('import', path.join(dir, 'nope.json'), '--db', path.join(dir, 'x.db'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json');
  });

  it('sets exit code 1 with --fail-on only when a finding reaches that severity', () => {
    const skew = corpusPath('zipkin/lens-testdata/skew.json');
    const warning = hopscope('analyze', skew, '--fail-on', 'warning');
    expect(warning.code).toBe(1);
    expect(warning.stdout).toContain('clock-skew/client-server');
    // Clock skew is a warning, not an error.
    expect(hopscope('analyze', skew, '--fail-on', 'error').code).toBe(0);
    // Without --fail-on, findings never change the exit code.
    expect(hopscope('analyze', skew).code).toBe(0);
  }, 120_000);

  it('exports traces as OTLP JSON that imports back to the same counts', () => {
    const db = path.join(dir, 'src.db');
    expect(hopscope('import', corpusPath('otel-tui/test_data.json'), '--db', db).code).toBe(0);
    const out = path.join(dir, 'all.jsonl');
    const all = hopscope('export', '--all', '--db', db, '--out', out);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/Exported 141 traces \(547 spans, 23 log records\)/);
    const again = hopscope('import', out, '--db', path.join(dir, 'again.db'));
    expect(again.stdout).toContain('Imported 547 spans and 23 log records');

    const unknown = hopscope('export', '--trace', 'ab'.repeat(16), '--db', db, '--out', path.join(dir, 'one.json'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('ab'.repeat(16));
    expect(hopscope('export', '--db', db, '--out', out).stderr).toContain('either --trace ID... or --all');
    // six CLI runs of a few seconds each: more than the default 30 s on a busy machine
  }, 120_000);

  it('stitches a worker pool that lost its context, in the JSON contract', () => {
    const scenario = workerPool({ concurrency: 4, requests: 12, correlated: true, context: 'lost', seed: 5 });
    // The collector file exporter's proto mode: each request prefixed by its 4-byte big-endian length.
    const file = path.join(dir, 'pool.pb');
    writeFileSync(file, Buffer.concat(scenario.payloads.flatMap((p) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(p.byteLength);
      return [len, Buffer.from(p)];
    })));
    const r = hopscope('analyze', file, '--format', 'json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const expected = scenario.truth.stitches!;
    expect(expected.length).toBeGreaterThan(0);
    const claimed = doc.stitches.filter((s: { confidence: number }) => s.confidence >= 0.5);
    const pair = (s: { from: { spanId: string }; to: { spanId: string } }) => `${s.from.spanId}>${s.to.spanId}`;
    expect(claimed.map(pair).sort()).toEqual(expected.map(pair).sort());
    for (const s of claimed) {
      expect(s.kind).toBe('async-hop');
      expect(s.signals.length).toBeGreaterThan(0);
      expect(s.from.traceId).not.toBe(s.to.traceId);
    }
    expect(doc.findings.some((f: { kind: string }) => f.kind === 'async-hop')).toBe(true);
  });

  it('exits 2 with usage on bad flags', () => {
    const r = hopscope('analyze', '--format', 'yaml', corpusPath('otlp2parquet/trace.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format is text or json');
  });
});

describe('hopscope --version and --help', () => {
  it('prints the version of package.json', () => {
    const r = hopscope('--version');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^hopscope \d+\.\d+\.\d+\n$/);
  });

  it.each(['serve', 'import', 'analyze', 'export'])('answers %s --help with the usage, exit 0, doing nothing else', (command) => {
    const r = hopscope(command, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`hopscope ${command}`);
    expect(r.stderr).toBe('');
  });
});
