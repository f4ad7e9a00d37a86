// Backpressure that is seen: the receivers refuse early (a bound on request bytes in flight) with a Retry-After an
// exporter's default timeout can live with, and every request they refuse or fail is counted, in /api/stats, in the
// `stats` events, and in `hopscope serve`'s terminal (a line when refusals start, one when they stop, totals at exit).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { WireStats } from '../common/wire';
import { startCollector, type RunningCollector } from '../collector/collector';
import { startGrpcReceiver } from '../collector/receivers/grpc';
import { startHttpReceiver, type RunningReceiver } from '../collector/receivers/http';
import { InflightBudget, IngestCounters, type IngestSink } from '../collector/receivers/ingest';
import { refusalLine, refusalTotalsLine, RefusalWatch, type RefusalEvent } from '../collector/receivers/refusals';
import type { EncodedBatch } from '../collector/store/encode';
import { repoRoot } from './corpus';
import { headersOnly, heldRequest, post } from './held-requests';
import { recordSpans } from './sdk';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-refusals-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A protobuf ExportTraceServiceRequest of `n` spans. */
async function traceBody(n: number, service = 'refused'): Promise<Uint8Array> {
  const spans = await recordSpans({ 'service.name': service }, (tracer) => {
    for (let i = 0; i < n; i++) tracer.startSpan(`op-${i}`, { startTime: 1_700_000_000_000 + i }).end(1_700_000_000_010 + i);
  });
  return ProtobufTraceSerializer.serializeRequest(spans)!;
}

/** A sink whose writer takes as long as the test says: each write waits for `release()`. */
function slowSink(): IngestSink & { writes: EncodedBatch[]; release(): void; overloadedNow: boolean; fail?: Error } {
  let gate: () => void = () => undefined;
  let opened = new Promise<void>((resolve) => (gate = resolve));
  const sink = {
    writes: [] as EncodedBatch[],
    overloadedNow: false,
    fail: undefined as Error | undefined,
    overloaded: () => sink.overloadedNow,
    async write(rows: EncodedBatch) {
      sink.writes.push(rows);
      if (sink.fail) throw sink.fail;
      await opened;
    },
    release() {
      gate();
      opened = new Promise<void>((resolve) => (gate = resolve));
    },
  };
  return sink;
}

describe('the bound on request bytes in flight', () => {
  let receiver: RunningReceiver | undefined;
  let grpcReceiver: RunningReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    await grpcReceiver?.close();
    receiver = grpcReceiver = undefined;
  });

  it('refuses with 503 and Retry-After: 1 while a slow writer holds the bound, counts it, and takes the retry', async () => {
    const sink = slowSink();
    const counters = new IngestCounters();
    const body = await traceBody(20);
    const budget = new InflightBudget(body.byteLength + 100);
    receiver = await startHttpReceiver({ host: '127.0.0.1', port: 0, sink, counters, budget });
    const url = `${receiver.address}/v1/traces`;

    // The first request is decoded and waits on the writer, holding its bytes.
    const first = post(url, body);
    await vi.waitFor(() => expect(sink.writes).toHaveLength(1));
    expect(budget.bytes).toBeGreaterThanOrEqual(body.byteLength);

    const refused = await post(url, body);
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('1');
    expect(refused.body.toString()).toMatch(/Hopscope is busy/);
    expect(counters).toMatchObject({ refusedRequests: 1, failedRequests: 0, requests: 0 });
    // Refused before its body was decoded: nothing to count in it.
    expect(counters.refusedSpans).toBe(0);
    expect(sink.writes).toHaveLength(1);

    sink.release();
    expect((await first).status).toBe(200);
    expect(budget.bytes).toBe(0);
    const retried = post(url, body);
    await vi.waitFor(() => expect(sink.writes).toHaveLength(2));
    sink.release();
    expect((await retried).status).toBe(200);
    expect(counters).toMatchObject({ refusedRequests: 1, requests: 2, spans: 40 });
  });

  it('always lets one request in alone, whatever its size', async () => {
    const writes: EncodedBatch[] = [];
    const counters = new IngestCounters();
    const body = await traceBody(50);
    receiver = await startHttpReceiver({ host: '127.0.0.1', port: 0, sink: { overloaded: () => false, write: async (rows) => void writes.push(rows) }, counters, budget: new InflightBudget(16) });
    expect((await post(`${receiver.address}/v1/traces`, body)).status).toBe(200);
    expect(counters).toMatchObject({ refusedRequests: 0, spans: 50 });
    expect(writes).toHaveLength(1);
  });

  it('is shared with the gRPC receiver, which answers UNAVAILABLE', async () => {
    const sink = slowSink();
    const counters = new IngestCounters();
    const body = await traceBody(5);
    const budget = new InflightBudget(body.byteLength + 10);
    receiver = await startHttpReceiver({ host: '127.0.0.1', port: 0, sink, counters, budget });
    grpcReceiver = await startGrpcReceiver({ host: '127.0.0.1', port: 0, sink, counters, budget });
    const first = post(`${receiver.address}/v1/traces`, body);
    await vi.waitFor(() => expect(sink.writes).toHaveLength(1));

    const client = new grpc.Client(`127.0.0.1:${grpcReceiver.port}`, grpc.credentials.createInsecure());
    const err = await new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b: Buffer) => b, (b: Buffer) => b, Buffer.from(body), (e) => resolve(e));
    });
    client.close();
    expect(err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(err?.details).toMatch(/busy/);
    expect(counters.refusedRequests).toBe(1);
    sink.release();
    expect((await first).status).toBe(200);
  });

  it('counts chunked bodies as they arrive', async () => {
    const sink = slowSink();
    const counters = new IngestCounters();
    const body = await traceBody(20);
    const budget = new InflightBudget(body.byteLength + 100);
    receiver = await startHttpReceiver({ host: '127.0.0.1', port: 0, sink, counters, budget });
    const first = post(`${receiver.address}/v1/traces`, body);
    await vi.waitFor(() => expect(sink.writes).toHaveLength(1));
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${receiver!.address}/v1/traces`, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/x-protobuf', 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(chunked).toBe(503);
    expect(counters.refusedRequests).toBe(1);
    sink.release();
    expect((await first).status).toBe(200);
  });
});

describe('every request not stored is counted', () => {
  let receiver: RunningReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('while the writer is behind: 503, Retry-After 2, refused before decoding', async () => {
    const sink = slowSink();
    sink.overloadedNow = true;
    const counters = new IngestCounters();
    receiver = await startHttpReceiver({ host: '127.0.0.1', port: 0, sink, counters });
    const res = await post(`${receiver.address}/v1/traces`, await traceBody(3));
    expect(res.status).toBe(503);
    expect(res.retryAfter).toBe('2');
    expect(counters).toMatchObject({ refusedRequests: 1, refusedSpans: 0 });
    expect(counters.last).toMatchObject({ kind: 'writer-behind', retryable: true });
  });

  it('when the store fails: 503, Retry-After 2, with the spans it held', async () => {
    const sink = slowSink();
    sink.fail = new Error('disk I/O error');
    const counters = new IngestCounters();
    receiver = await startHttpReceiver({ host: '127.0.0.1', port: 0, sink, counters });
    const res = await post(`${receiver.address}/v1/traces`, await traceBody(7));
    expect(res.status).toBe(503);
    expect(res.retryAfter).toBe('2');
    expect(counters).toMatchObject({ refusedRequests: 1, refusedSpans: 7, refusedLogs: 0 });
    expect(counters.last).toMatchObject({ kind: 'store-error', message: expect.stringContaining('disk I/O error') as unknown });
  });

  it('undecodable, too large, or not an export: failed, not retried', async () => {
    const counters = new IngestCounters();
    receiver = await startHttpReceiver({ host: '127.0.0.1', port: 0, sink: slowSink(), counters, maxBodyBytes: 1024 });
    expect((await post(`${receiver.address}/v1/traces`, new Uint8Array([0x0a, 0x05, 0x01]))).status).toBe(400);
    expect((await post(`${receiver.address}/v1/traces`, new Uint8Array(4096))).status).toBe(413);
    expect((await post(`${receiver.address}/v1/trace`, new Uint8Array(8))).status).toBe(404);
    // A browser looking at the endpoint sends no data: not counted.
    expect((await fetch(`${receiver.address}/v1/traces`)).status).toBe(405);
    expect(counters).toMatchObject({ refusedRequests: 0, failedRequests: 3 });
  });
});

describe('RefusalWatch', () => {
  it('tells when refusals start, when a new kind joins them, and when they stop, with the counts', async () => {
    const counters = new IngestCounters();
    const watch = new RefusalWatch(counters, { quietMs: 50 });
    const events: RefusalEvent[] = [];
    watch.on((e) => events.push(e));
    counters.refuse({ kind: 'busy', retryable: true, message: 'Hopscope is busy', spans: 0, logs: 0 });
    counters.refuse({ kind: 'busy', retryable: true, message: 'Hopscope is busy', spans: 0, logs: 0 });
    counters.refuse({ kind: 'store-error', retryable: true, message: 'could not store the traces: full', spans: 10, logs: 2 });
    expect(watch.refusing).toBe(true);
    expect(watch.stats()).toEqual({ refusedRequests: 3, failedRequests: 0, refusedSpans: 10, refusedLogs: 2, refusing: true, lastReason: 'could not store the traces: full' });
    const lines = () => events.map(refusalLine).filter((l) => l !== undefined);
    expect(lines()).toEqual([
      expect.stringMatching(/^Refusing telemetry: answering 503 with Retry-After: 1 because more data is arriving than Hopscope takes in at once; exporters retry .* then drop it\. \(Hopscope is busy\)$/),
      expect.stringMatching(/^Also refusing telemetry: answering 503 with Retry-After: 2 because the database could not store them/),
    ]);
    await vi.waitFor(() => expect(watch.refusing).toBe(false));
    expect(lines()[2]).toBe('Stopped refusing telemetry: 3 refused requests (503, retried by exporters) over 1 s; 10 spans and 2 log records in those that could be counted.');
    expect(events.filter((e) => e.type === 'change').length).toBeGreaterThanOrEqual(2);
    counters.refuse({ kind: 'invalid', retryable: false, message: 'cannot decode traces request', spans: 0, logs: 0 });
    watch.close();
    expect(lines().slice(3)).toEqual([
      expect.stringMatching(/^Refusing telemetry: answering 400/),
      'Stopped refusing telemetry: 1 failed request (not retried) over 1 s.',
    ]);
    expect(refusalTotalsLine(counters)).toBe(
      'Not stored this run: 3 refused requests (503, retried by exporters) and 1 failed request (not retried); 10 spans and 2 log records in those that could be counted.',
    );
    expect(refusalTotalsLine(new IngestCounters())).toBeUndefined();
  });
});

describe('the collector: refusals in /api/stats and the stats events', () => {
  let collector: RunningCollector | undefined;
  afterEach(async () => {
    await collector?.close();
    collector = undefined;
  });

  it('counts a refusal under overload, shows it while it lasts, and says when it stopped', async () => {
    const body = await traceBody(10);
    collector = await startCollector({
      dbPath: path.join(dir, 'hopscope.db'),
      host: '127.0.0.1',
      grpcPort: 0,
      httpPort: 0,
      ui: { port: 0 },
      maxInflightBytes: 64 * 1024,
      refusalQuietMs: 300,
    });
    const lines: string[] = [];
    collector.refusals.on((e) => {
      const line = refusalLine(e);
      if (line) lines.push(line);
    });
    const stats = async () => {
      const res = await fetch(`${collector!.ui!.origin}/api/stats`, { headers: { Authorization: `Bearer ${collector!.token}` } });
      return ((await res.json()) as WireStats).ingest!;
    };
    expect(await stats()).toEqual({ refusedRequests: 0, failedRequests: 0, refusedSpans: 0, refusedLogs: 0, refusing: false });
    const events = await followStats(collector.ui!.origin, collector.token);

    const url = `${collector.http.address}/v1/traces`;
    const held = await heldRequest(url, body);
    const refused = await headersOnly(url, 64 * 1024);
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('1');
    expect(await stats()).toMatchObject({ refusedRequests: 1, refusing: true, lastReason: expect.stringMatching(/busy/) as unknown });
    // The UI hears of it without a commit to carry it.
    await vi.waitFor(() => expect(events.last()?.ingest).toMatchObject({ refusedRequests: 1, refusing: true }));
    expect(lines).toEqual([expect.stringMatching(/^Refusing telemetry: answering 503 with Retry-After: 1/)]);

    expect((await held.send()).status).toBe(200);
    await vi.waitFor(() => expect(lines).toHaveLength(2));
    expect(lines[1]).toBe('Stopped refusing telemetry: 1 refused request (503, retried by exporters) over 1 s.');
    expect(await stats()).toMatchObject({ refusedRequests: 1, refusing: false });
    await vi.waitFor(() => expect(events.last()?.ingest?.refusing).toBe(false));
    await collector.store.flush();
    expect(collector.store.reader.stats().spans).toBe(10);
    events.close();
  });
});

/** Follows /api/events and keeps the `stats` events. */
async function followStats(origin: string, token: string): Promise<{ last(): WireStats | undefined; close(): void }> {
  const abort = new AbortController();
  const res = await fetch(`${origin}/api/events`, { headers: { Authorization: `Bearer ${token}` }, signal: abort.signal });
  const seen: WireStats[] = [];
  void (async () => {
    let buffer = '';
    try {
      for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const m = /^event: stats\ndata: (.*)$/m.exec(block);
          if (m) seen.push(JSON.parse(m[1]) as WireStats);
        }
      }
    } catch {
      // aborted
    }
  })();
  return { last: () => seen.at(-1), close: () => abort.abort() };
}

describe('hopscope serve', () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('prints a line when refusals start and when they stop, counts them in /api/stats, and totals them at exit', async () => {
    child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'hopscope.mjs'), 'serve', '--db', path.join(dir, 'serve.db'), '--otlp-grpc', '0', '--otlp-http', '0', '--ui', '0'], {
      cwd: dir,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    await vi.waitFor(() => expect(stdout).toMatch(/^UI: /m), { timeout: 20_000, interval: 50 });
    const otlp = /^OTLP\/HTTP: (\S+)/m.exec(stdout)![1];
    const ui = new URL(/^UI: (\S+)/m.exec(stdout)![1]);
    const token = ui.searchParams.get('token')!;

    // With the default bound (8 MiB), one request holding a few KiB leaves no room for one of 16 MiB.
    const body = await traceBody(10, 'serve-refused');
    const held = await heldRequest(`${otlp}/v1/traces`, body);
    const refused = await headersOnly(`${otlp}/v1/traces`, 16 * 1024 * 1024);
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('1');
    await vi.waitFor(() => expect(stderr).toMatch(/^Refusing telemetry: answering 503 with Retry-After: 1 because more data is arriving than Hopscope takes in at once; exporters retry a refused batch a few times within their export timeout \(10 s by default\), then drop it\./m), { timeout: 10_000 });
    const stats = (await (await fetch(new URL('/api/stats', ui), { headers: { Authorization: `Bearer ${token}` } })).json()) as WireStats;
    expect(stats.ingest).toMatchObject({ refusedRequests: 1, failedRequests: 0, refusing: true });

    expect((await held.send()).status).toBe(200);
    // Quiet for 5 s: the refusals are over.
    await vi.waitFor(() => expect(stderr).toMatch(/^Stopped refusing telemetry: 1 refused request \(503, retried by exporters\) over 1 s\.$/m), { timeout: 20_000, interval: 100 });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/^Stored 10 spans and 0 log records from 1 requests this run\.$/m);
    expect(stderr).toMatch(/^Not stored this run: 1 refused request \(503, retried by exporters\)\.$/m);
  }, 60_000);
});
