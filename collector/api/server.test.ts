import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { corpusPath } from '../../test/corpus';
import { importFile } from '../importers';
import { SpanKind, StatusCode, type TelemetryBatch } from '../model';
import { openStore } from '../store';
import { attributes, log, resource, span, spanId, T0, tempDir, traceId } from '../store/testing';
import type { Store } from '../store/types';
import { ClusterError } from '../cluster';
import { startApiServer, type AnalysisSource, type ApiServerOptions, type ClusterControl, type RunningApiServer } from './server';
import { buildPath, routes, type Route } from '../../common/routes';
import type { WireClusterObject, WireClusterStatus, WireClusterWatch, WireClusterWorkloads, WireError, WireKubeconfig, WireEventMap, WireFindings, WireImportProgress, WireLogPage, WirePage, WireSpanDetail, WireSpanSearch, WireStats, WireTrace, WireTraceSummary } from '../../common/wire';

const TOKEN = 'test-token-0123456789';

let dir: ReturnType<typeof tempDir>;
let store: Store;
let server: RunningApiServer;

async function start(extra: Partial<ApiServerOptions> = {}): Promise<void> {
  server = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    store,
    ingest: (batch) => store.write(batch),
    importFile: (file, onProgress) => importFile(file, (batch) => store.write(batch), { onProgress }),
    ...extra,
  });
}

beforeEach(() => {
  dir = tempDir();
  store = openStore({ path: dir.file('hopscope.db') });
});

afterEach(async () => {
  await server?.close();
  await store.close();
  dir.remove();
});

const auth = { Authorization: `Bearer ${TOKEN}` };

async function api<T>(pathAndQuery: string, init: RequestInit = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(`${server.origin}${pathAndQuery}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

/** Raw request with full control of Host (fetch refuses to set it). */
function rawGet(pathAndQuery: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: pathAndQuery, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function twoTraces(): TelemetryBatch {
  const checkout = resource('checkout', { 'host.name': 'a' });
  const db = resource('db', { 'host.name': 'b' });
  return {
    spans: [
      span({ traceId: traceId(1), spanId: spanId(1), name: 'GET /cart', kind: SpanKind.SERVER, resource: checkout, endNs: T0 + 5_000_000n, attributes: attributes({ 'http.route': '/cart', 'retries': 3n }) }),
      span({ traceId: traceId(1), spanId: spanId(2), parentSpanId: spanId(1), name: 'SELECT', kind: SpanKind.CLIENT, resource: db, startNs: T0 + 1_000_000n, endNs: T0 + 2_000_000n,
        events: [{ timeNs: T0 + 1_500_000n, name: 'cache miss', attributes: {}, droppedAttributesCount: 0 }],
        links: [{ traceId: traceId(2), spanId: spanId(10), traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 0 }] }),
      span({ traceId: traceId(1), spanId: spanId(3), parentSpanId: spanId(99), name: 'orphan', resource: db, startNs: T0 + 3_000_000n, endNs: T0 + 4_000_000n }),
      span({ traceId: traceId(2), spanId: spanId(10), name: 'POST /pay', kind: SpanKind.SERVER, resource: checkout, startNs: T0 + 10_000_000n, endNs: T0 + 90_000_000n, status: { code: StatusCode.ERROR, message: 'declined' } }),
      span({ traceId: traceId(3), spanId: spanId(20), name: 'consume', kind: SpanKind.CONSUMER, resource: db, startNs: T0 + 100_000_000n, endNs: T0 + 120_000_000n }),
    ],
    logs: [log({ traceId: traceId(1), spanId: spanId(2), body: 'slow query', resource: db }), log({ body: 'no context', timeNs: T0 + 1n, resource: checkout })],
    metricPoints: 0,
  };
}

describe('auth', () => {
  beforeEach(() => start());

  it('refuses API calls without the token, or with another one', async () => {
    const none = await fetch(`${server.origin}/api/stats`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: string }).error).toMatch(/token/);
    const wrong = await fetch(`${server.origin}/api/stats`, { headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const right = await api<WireStats>('/api/stats');
    expect(right.status).toBe(200);
    expect(right.body).toMatchObject({ spans: 0, traces: 0, findings: 0 });
  });

  it('refuses the page itself without the token, with a page that says what to do', async () => {
    const res = await fetch(`${server.origin}/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('UI:');
  });

  it('trades ?token= on the first page load for an HttpOnly SameSite=Strict cookie, then drops it from the URL', async () => {
    const res = await fetch(server.url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^hopscope_token=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const withCookie = await fetch(`${server.origin}/api/stats`, { headers: { Cookie: cookie.split(';')[0] } });
    expect(withCookie.status).toBe(200);
  });

  it('does not take the token from the query string of an API call', async () => {
    const res = await fetch(`${server.origin}/api/stats?token=${TOKEN}`);
    expect(res.status).toBe(401);
  });

  it('refuses a wrong ?token= without setting a cookie', async () => {
    const res = await fetch(`${server.origin}/?token=guess`, { redirect: 'manual' });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('refuses requests from a foreign Origin even with the token', async () => {
    const res = await api<{ error: string }>('/api/stats', { headers: { Origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(res.body.error).toContain('https://evil.example');
    const own = await api('/api/stats', { headers: { Origin: server.origin } });
    expect(own.status).toBe(200);
    const localhost = await api('/api/stats', { headers: { Origin: `http://localhost:${server.port}` } });
    expect(localhost.status).toBe(200);
  });

  it('refuses a Host that is not this server (DNS rebinding)', async () => {
    const res = await rawGet('/api/stats', { Host: `rebind.example:${server.port}`, ...auth });
    expect(res.status).toBe(403);
    const ok = await rawGet('/api/stats', { Host: `localhost:${server.port}`, ...auth });
    expect(ok.status).toBe(200);
  });
});

describe('configured origins', () => {
  it('allows CORS from an origin it was told about, preflight included', async () => {
    await start({ allowedOrigins: ['app://hopscope'] });
    const preflight = await fetch(`${server.origin}/api/stats`, { method: 'OPTIONS', headers: { Origin: 'app://hopscope', 'Access-Control-Request-Headers': 'authorization' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const res = await api('/api/stats', { headers: { Origin: 'app://hopscope' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('app://hopscope');
    const foreign = await fetch(`${server.origin}/api/stats`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
  });
});

describe('reading', () => {
  beforeEach(async () => {
    await start();
    await store.write(twoTraces());
  });

  it('lists traces newest first with error counts, and filters by service, status, duration and attribute', async () => {
    const all = await api<WirePage<WireTraceSummary>>('/api/traces');
    expect(all.body.items.map((t) => t.traceId)).toEqual([traceId(3), traceId(2), traceId(1)]);
    const pay = all.body.items.find((t) => t.traceId === traceId(2))!;
    expect(pay).toMatchObject({ rootService: 'checkout', rootOperation: 'POST /pay', errorCount: 1, durationNs: '80000000', findingCount: 0 });

    const errors = await api<WirePage<WireTraceSummary>>('/api/traces?status=error');
    expect(errors.body.items.map((t) => t.traceId)).toEqual([traceId(2)]);
    const slow = await api<WirePage<WireTraceSummary>>('/api/traces?minDurationNs=50000000');
    expect(slow.body.items.map((t) => t.traceId)).toEqual([traceId(2)]);
    const byService = await api<WirePage<WireTraceSummary>>('/api/traces?service=db');
    expect(byService.body.items.map((t) => t.traceId).sort()).toEqual([traceId(1), traceId(3)]);
    const byAttr = await api<WirePage<WireTraceSummary>>(`/api/traces?attr=${encodeURIComponent('http.route=/cart')}`);
    expect(byAttr.body.items.map((t) => t.traceId)).toEqual([traceId(1)]);
  });

  it('pages with a cursor', async () => {
    const first = await api<WirePage<WireTraceSummary>>('/api/traces?limit=2');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toBeTruthy();
    const second = await api<WirePage<WireTraceSummary>>(`/api/traces?limit=2&cursor=${encodeURIComponent(first.body.nextCursor!)}`);
    expect(second.body.items.map((t) => t.traceId)).toEqual([traceId(1)]);
  });

  it('answers a bad search parameter with 400 naming it', async () => {
    const res = await api<{ error: string }>('/api/traces?minDurationNs=fast');
    expect(res.status).toBe(400);
    expect(res.body.error).toContain('minDurationNs');
    const attr = await api<{ error: string }>('/api/traces?attr=%3Dnokey');
    expect(attr.status).toBe(400);
    expect(attr.body.error).toBe('attr "=nokey" has no key: use key, key=value or key=prefix*');
  });

  it('returns one trace as a skeleton in tree order, with its tree and its logs', async () => {
    const res = await api<WireTrace>(`/api/traces/${traceId(1)}`);
    expect(res.status).toBe(200);
    const t = res.body;
    expect(t.rows.name.map((i) => t.names[i])).toEqual(['GET /cart', 'SELECT', 'orphan']);
    expect(t.rows.spanId).toEqual([spanId(1), spanId(2), spanId(3)]);
    expect(t.tree.parent).toEqual([-1, 0, -1]);
    expect(t.tree.tops.map((top) => top.kind)).toEqual(['root', 'missing-parent']);
    expect(t.tree.tops[1].parentSpanId).toBe(spanId(99));
    expect(t.tree.startNs).toBe(T0.toString());
    expect(t.tree.end[0]).toBe(5_000_000);
    expect(t.resources[t.rows.resource[1]].service).toBe('db');
    expect(t.resources).toHaveLength(2);
    expect(t.rows.kind).toEqual([SpanKind.SERVER, SpanKind.CLIENT, SpanKind.INTERNAL]);
    expect(t.rows.eventCount).toEqual([0, 1, 0]);
    expect(t.rows.linkCount).toEqual([0, 1, 0]);
    expect(t.logs.map((l) => l.body)).toEqual(['slow query']);
    expect(t.logs[0].spanId).toBe(spanId(2));
  });

  it('returns one span in full, attribute types kept', async () => {
    const res = await api<WireSpanDetail>(`/api/traces/${traceId(1)}/spans/${spanId(1)}`);
    expect(res.status).toBe(200);
    expect(res.body.span.attributes).toEqual({ 'http.route': '/cart', retries: { int: '3' } });
    expect(res.body.span.startNs).toBe(T0.toString());
    expect(res.body.resources[res.body.span.resource].service).toBe('checkout');
    expect((await api(`/api/traces/${traceId(1)}/spans/${spanId(77)}`)).status).toBe(404);
  });

  it('searches the spans of a trace by name, service and attribute value', async () => {
    const search = (q: string) => api<WireSpanSearch>(`/api/span-search?traceId=${traceId(1)}&q=${encodeURIComponent(q)}`).then((r) => r.body.matches.map((m) => m.spanId));
    expect(await search('select')).toEqual([spanId(2)]);
    expect(await search('retries=3')).toEqual([spanId(1)]);
    expect(await search('cache miss')).toEqual([spanId(2)]);
    expect((await search('db')).sort()).toEqual([spanId(2), spanId(3)]);
    expect(await search('')).toEqual([]);
    expect((await api('/api/span-search?q=x')).status).toBe(400);
  });

  it('shows spans that arrive after a trace was opened', async () => {
    expect((await api<WireTrace>(`/api/traces/${traceId(2)}`)).body.rows.spanId).toHaveLength(1);
    await store.write({ spans: [span({ traceId: traceId(2), spanId: spanId(11), parentSpanId: spanId(10), name: 'late', startNs: T0 + 20_000_000n, endNs: T0 + 30_000_000n })], logs: [] });
    const after = await api<WireTrace>(`/api/traces/${traceId(2)}`);
    expect(after.body.rows.spanId).toEqual([spanId(10), spanId(11)]);
  });

  it('answers an unknown trace with 404 and an unknown path with 404', async () => {
    expect((await api(`/api/traces/${traceId(77)}`)).status).toBe(404);
    expect((await api('/api/nothing')).status).toBe(404);
    expect((await api('/api/traces', { method: 'POST' })).status).toBe(405);
  });

  it('searches logs by text and trace, and lists services and operations', async () => {
    const logs = await api<WireLogPage>('/api/logs?text=slow');
    expect(logs.body.items.map((l) => l.body)).toEqual(['slow query']);
    expect(logs.body.resources[logs.body.items[0].resource].service).toBe('db');
    const byTrace = await api<WireLogPage>(`/api/logs?traceId=${traceId(1)}`);
    expect(byTrace.body.items).toHaveLength(1);
    const bad = await api<{ error: string }>('/api/logs?traceId=xyz');
    expect(bad.status).toBe(400);
    expect((await api<{ services: string[] }>('/api/services')).body.services).toEqual(['checkout', 'db']);
    expect((await api<{ operations: string[] }>('/api/operations?service=checkout')).body.operations).toEqual(['GET /cart', 'POST /pay']);
  });

  it('runs read-only SQL and refuses writes', async () => {
    const ok = await api<{ columns: string[]; rows: unknown[][] }>('/api/sql', { method: 'POST', body: JSON.stringify({ sql: 'SELECT count(*) AS n FROM spans' }) });
    expect(ok.status).toBe(200);
    expect(ok.body.columns).toEqual(['n']);
    expect(Number(ok.body.rows[0][0])).toBe(5);
    const write = await api<{ error: string }>('/api/sql', { method: 'POST', body: JSON.stringify({ sql: 'DELETE FROM spans' }) });
    expect(write.status).toBe(400);
    const notJson = await api<{ error: string }>('/api/sql', { method: 'POST', body: 'SELECT 1' });
    expect(notJson.status).toBe(400);
  });
});

describe('route table', () => {
  beforeEach(async () => {
    await start();
    await store.write(twoTraces());
  });

  const traceRef = { traceId: traceId(1), spanId: spanId(1) };

  it('has a handler for every declared route', async () => {
    for (const route of Object.values(routes) as Route[]) {
      const path = buildPath(route, traceRef);
      const abort = new AbortController();
      const res = await fetch(`${server.origin}${path}`, { method: route.method, headers: auth, body: route.method === 'POST' ? '{}' : undefined, signal: abort.signal });
      if (route.reply === 'events') {
        expect(res.headers.get('content-type'), path).toMatch(/text\/event-stream/);
        abort.abort();
        continue;
      }
      const body = (await res.json()) as Partial<WireError>;
      expect(res.status, path).not.toBe(405);
      expect(body.error ?? '', path).not.toMatch(/^no API endpoint/);
    }
  });

  it('answers another method on a declared path with 405, and drains what was sent', async () => {
    for (const route of Object.values(routes) as Route[]) {
      const method = route.method === 'GET' ? 'POST' : 'GET';
      const path = buildPath(route, traceRef);
      const res = await api<WireError>(path, { method, body: method === 'POST' ? 'x'.repeat(100_000) : undefined });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.body.error).toBe(`${method} is not allowed on ${path}`);
    }
  });

  it('answers a path whose ids are not in their format as no endpoint', async () => {
    for (const path of [`/api/traces/${'AB'.repeat(16)}`, `/api/traces/${traceId(1)}/spans/${traceId(1)}`, '/api/traces/', '/api']) {
      const res = await api<WireError>(path);
      expect(res.status, path).toBe(404);
      expect(res.body.error).toBe(`no API endpoint ${path}`);
    }
  });
});

describe('findings', () => {
  const findings: ReturnType<AnalysisSource['findings']> = {
    findings: [
      {
        kind: 'async-hop',
        subkind: 'in-process',
        severity: 'warning',
        service: 'db',
        operation: 'consume',
        title: '1 span of `db` lost its context',
        count: 1,
        fingerprint: 'f00d',
        occurrences: [{ traceId: traceId(3), spanId: spanId(20) }],
        evidence: { gapMs: 10 },
      },
    ],
    stitches: [{ kind: 'async-hop', confidence: 0.9, from: { traceId: traceId(2), spanId: spanId(10) }, to: { traceId: traceId(3), spanId: spanId(20) }, signals: ['timing'] }],
  };

  beforeEach(async () => {
    await start({ analysis: { findings: () => findings } });
    await store.write(twoTraces());
  });

  it('counts findings per trace and filters on them', async () => {
    const withFindings = await api<WirePage<WireTraceSummary>>('/api/traces?hasFinding=true');
    // The producer's trace (2) counts the lost hop too: its work went on in trace 3 without its context.
    expect(withFindings.body.items.map((t) => [t.traceId, t.findingCount])).toEqual([
      [traceId(3), 1],
      [traceId(2), 1],
    ]);
    const without = await api<WirePage<WireTraceSummary>>('/api/traces?hasFinding=false');
    expect(without.body.items.map((t) => t.traceId)).toEqual([traceId(1)]);
    const stats = await api<WireStats>('/api/stats');
    expect(stats.body.findings).toBe(1);
  });

  it('marks the spans of a trace that findings point at', async () => {
    const t = await api<WireTrace>(`/api/traces/${traceId(3)}`);
    expect(t.body.findings).toEqual([{ spanId: spanId(20), fingerprint: 'f00d', kind: 'async-hop', subkind: 'in-process', severity: 'warning', title: findings.findings[0].title }]);
  });

  it('gives both ends of a lost hop the stitch and its finding', async () => {
    const hop = { ...findings.stitches[0], finding: { fingerprint: 'f00d', kind: 'async-hop', subkind: 'in-process', severity: 'warning', title: findings.findings[0].title, service: 'db', operation: 'consume' } };
    for (const id of [traceId(2), traceId(3)]) expect((await api<WireTrace>(`/api/traces/${id}`)).body.hops).toEqual([hop]);
    expect((await api<WireTrace>(`/api/traces/${traceId(1)}`)).body.hops).toBeUndefined();
  });

  it('shows a stitch as one tree with the consumer under its producer, as received', async () => {
    const res = await api<WireTrace>(`/api/stitched?from=${traceId(2)}:${spanId(10)}&to=${traceId(3)}:${spanId(20)}`);
    expect(res.status).toBe(200);
    const t = res.body;
    const producer = t.rows.spanId.indexOf(spanId(10));
    const consumer = t.rows.spanId.indexOf(spanId(20));
    expect(t.tree.parent[consumer]).toBe(producer);
    expect(t.traceIds[t.rows.trace[consumer]]).toBe(traceId(3));
    expect(t.stitch?.confidence).toBe(0.9);
    const received = await api<WireSpanDetail>(`/api/traces/${traceId(3)}/spans/${spanId(20)}`);
    expect(received.body.span.parentSpanId).toBe('');
    const unknown = await api(`/api/stitched?from=${traceId(1)}:${spanId(1)}&to=${traceId(3)}:${spanId(20)}`);
    expect(unknown.status).toBe(404);
  });

  it('ties findings and spans to the pod their resource ran in, and its owner, from the recorded cluster history', async () => {
    const ms = Number(T0 / 1_000_000n);
    const created = new Date(ms - 60_000).toISOString();
    const identity = (kind: 'Pod' | 'ReplicaSet', name: string, uid: string) => ({ kind, namespace: 'shop', name, uid });
    await store.recordClusterChanges('https://127.0.0.1:6443', [
      { identity: identity('ReplicaSet', 'db-5d8f', 'rs-1'), created, resourceVersion: '1', observedMs: ms - 60_000, state: { labels: {}, replicas: 1, readyReplicas: 1 } },
      {
        identity: identity('Pod', 'b', 'pod-1'),
        created,
        resourceVersion: '2',
        observedMs: ms - 60_000,
        state: { phase: 'Running', conditions: { Ready: { status: 'True' } }, podIPs: [], labels: {}, containers: [], owner: { kind: 'ReplicaSet', name: 'db-5d8f', uid: 'rs-1' } },
      },
    ]);
    const listed = await api<WireFindings>('/api/findings');
    expect(listed.body.findings[0].objects.map((o) => [o.kind, o.name, o.linkedBy])).toEqual([
      ['Pod', 'b', 'host.name'],
      ['ReplicaSet', 'db-5d8f', 'owner of Pod b'],
    ]);
    const detail = await api<WireSpanDetail>(`/api/traces/${traceId(3)}/spans/${spanId(20)}`);
    expect(detail.body.objects[0]).toMatchObject({ kind: 'Pod', name: 'b', uid: 'pod-1', gone: null, status: { phase: 'Running', ready: true } });
    const checkout = await api<WireSpanDetail>(`/api/traces/${traceId(2)}/spans/${spanId(10)}`);
    expect(checkout.body.objects).toEqual([]);
  });

  it('serves one cluster object as it was at a span or a finding, with its owners and the events about it', async () => {
    const ms = Number(T0 / 1_000_000n) + 100;
    const at = (offset: number) => new Date(ms + offset).toISOString();
    const created = at(-600_000);
    const change = (kind: 'Pod' | 'ReplicaSet' | 'Deployment' | 'Node' | 'Event', name: string, uid: string, observedMs: number, state: object) => ({
      identity: { kind, namespace: kind === 'Node' ? '' : 'shop', name, uid },
      created,
      resourceVersion: String(observedMs),
      observedMs,
      state: state as never,
    });
    const pod = { phase: 'Running', podIPs: ['10.1.0.7'], nodeName: 'node-a', labels: { app: 'db' }, owner: { kind: 'ReplicaSet', name: 'db-5d8f', uid: 'rs-1' } };
    const container = { name: 'db', ready: true, restartCount: 0, state: 'running' };
    const event = (reason: string, involved: object, lastMs: number) => ({ involved, reason, message: `${reason} happened`, type: reason === 'Killing' ? 'Normal' : 'Warning', count: 1, lastTime: at(lastMs) });
    await store.recordClusterChanges('https://127.0.0.1:6443', [
      change('Deployment', 'db', 'dep-1', ms - 600_000, { labels: {}, selector: { app: 'db' }, replicas: 1, readyReplicas: 1 }),
      change('ReplicaSet', 'db-5d8f', 'rs-1', ms - 600_000, { labels: {}, owner: { kind: 'Deployment', name: 'db', uid: 'dep-1' }, replicas: 1, readyReplicas: 1 }),
      change('Node', 'node-a', 'node-1', ms - 600_000, { conditions: { Ready: { status: 'True' } }, addresses: ['10.0.0.4'], labels: {} }),
      change('Pod', 'b', 'pod-1', ms - 60_000, { ...pod, conditions: { Ready: { status: 'True', since: at(-50_000) } }, containers: [container] }),
      change('Pod', 'b', 'pod-1', ms + 30_000, {
        ...pod,
        deletionTimestamp: at(30_000),
        deletionGracePeriodSeconds: 30,
        conditions: { Ready: { status: 'False', since: at(30_000) } },
        containers: [{ ...container, ready: false, restartCount: 2, lastTerminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: at(-5_000) } }],
      }),
      change('Event', 'b.killing', 'ev-1', ms + 30_000, event('Killing', { kind: 'Pod', namespace: 'shop', name: 'b', uid: 'pod-1' }, 30_000)),
      change('Event', 'b.scheduled', 'ev-2', ms - 7_200_000, event('Scheduled', { kind: 'Pod', namespace: 'shop', name: 'b', uid: 'pod-1' }, -7_200_000)),
      // The kubelet names a Node by its name where the uid goes, and files its events in the default namespace.
      {
        ...change('Event', 'node-a.notready', 'ev-3', ms + 10_000, event('NodeNotReady', { kind: 'Node', namespace: '', name: 'node-a', uid: 'node-a' }, 10_000)),
        identity: { kind: 'Event', namespace: 'default', name: 'node-a.notready', uid: 'ev-3' },
      },
    ]);
    await store.recordClusterChanges('https://127.0.0.1:6443', [{ identity: { kind: 'Pod', namespace: 'shop', name: 'b', uid: 'pod-1' }, created, resourceVersion: 'x', observedMs: ms + 60_000, deleted: true }]);

    const atSpan = await api<WireClusterObject>(`/api/cluster/objects/pod-1?atMs=${ms}`);
    expect(atSpan.status).toBe(200);
    expect(atSpan.body).toMatchObject({ kind: 'Pod', namespace: 'shop', name: 'b', atMs: ms, observedMs: ms - 60_000, states: 2, gone: at(60_000), status: { phase: 'Running', ready: true, restarts: 0, terminating: false } });
    expect(atSpan.body.kind === 'Pod' && atSpan.body.state?.conditions.Ready.status).toBe('True');
    expect(atSpan.body.owners).toEqual([
      { kind: 'ReplicaSet', name: 'db-5d8f', uid: 'rs-1', known: true },
      { kind: 'Deployment', name: 'db', uid: 'dep-1', known: true },
    ]);
    // The Scheduled event is two hours before the span: out of its window.
    expect(atSpan.body.events.map((e) => [e.uid, e.reason, e.type, e.message])).toEqual([['ev-1', 'Killing', 'Normal', 'Killing happened']]);

    const latest = await api<WireClusterObject>('/api/cluster/objects/pod-1');
    expect(latest.body).toMatchObject({ atMs: null, observedMs: ms + 30_000, status: { ready: false, restarts: 2, terminating: true } });
    expect(latest.body.kind === 'Pod' && latest.body.state?.containers[0].lastTerminated).toEqual({ reason: 'OOMKilled', exitCode: 137, finishedAt: at(-5_000) });
    expect(latest.body.events.map((e) => e.reason)).toEqual(['Killing', 'Scheduled']);

    // The finding's occurrence is the span at `ms` in pod b: the object as that span saw it.
    const atFinding = await api<WireClusterObject>('/api/cluster/objects/rs-1?finding=f00d');
    expect(atFinding.body).toMatchObject({ kind: 'ReplicaSet', atMs: ms, owners: [{ kind: 'Deployment', name: 'db' }] });
    const node = await api<WireClusterObject>(`/api/cluster/objects/node-1?atMs=${ms}`);
    expect(node.body).toMatchObject({ kind: 'Node', namespace: '', status: { ready: true } });
    expect(node.body.events.map((e) => e.reason)).toEqual(['NodeNotReady']);

    const unknown = await api<WireError>('/api/cluster/objects/3f1c9a2e-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('no Kubernetes object with uid 3f1c9a2e-0000-4000-8000-000000000000 in the recorded cluster history');
    expect((await api<WireError>('/api/cluster/objects/pod-1?finding=beef')).status).toBe(404);
    const both = await api<WireError>(`/api/cluster/objects/pod-1?finding=f00d&atMs=${ms}`);
    expect(both.status).toBe(400);
    expect((await api<WireError>('/api/cluster/objects/pod-1?atMs=soon')).body.error).toContain('atMs');
    expect((await api<WireError>('/api/cluster/objects/pod_1')).body.error).toBe('no API endpoint /api/cluster/objects/pod_1');
  });

  it('answers a cluster object with 404 before any cluster history is recorded', async () => {
    const res = await api<WireError>('/api/cluster/objects/pod-1');
    expect(res.status).toBe(404);
    expect(res.body.error).toContain('pod-1');
  });

  it('pushes a findings event when the analysis reports a change, and re-reads only then', async () => {
    await server.close();
    let listener: (() => void) | undefined;
    let reads = 0;
    const source: AnalysisSource = {
      findings: () => {
        reads++;
        return findings;
      },
      onChange: (l) => {
        listener = l;
        return () => (listener = undefined);
      },
    };
    await start({ analysis: source });
    await api('/api/stats');
    await api('/api/findings');
    expect(reads).toBe(1);
    const events = await openEvents();
    listener!();
    const event = await events.next('findings');
    expect(event).toEqual({ count: 1 });
    expect(reads).toBe(2);
    events.close();
  });
});

describe('cluster connection', () => {
  const watching: WireClusterWatch = { connected: true, context: 'prod', server: 'https://127.0.0.1:6443', namespaces: [], streams: [] };
  const kubeconfig: WireKubeconfig = { source: 'default', files: ['/home/u/.kube/config'], missing: false, contexts: [{ name: 'prod', cluster: 'prod', server: 'https://127.0.0.1:6443', user: 'me', current: true }] };

  /** A control that records what it was asked, and refuses a context named `nope` as the real one does. */
  function control() {
    const asked: unknown[] = [];
    let revision = 0;
    const fake: ClusterControl & { asked: unknown[]; record(): void } = {
      asked,
      record: () => revision++,
      status: () => watching,
      kubeconfig: () => kubeconfig,
      connect: async (choice) => {
        if (choice.context === 'nope') throw new ClusterError('context "nope" is not in /home/u/.kube/config; its contexts are: prod', 'kubeconfig');
        asked.push(choice);
      },
      disconnect: async () => void asked.push('disconnect'),
      revision: () => revision,
    };
    return fake;
  }

  it('says when it cannot connect, and still lists the clusters the store has history of', async () => {
    await start();
    await store.recordClusterChanges('https://old:6443', [{ identity: { kind: 'Node', namespace: '', name: 'n', uid: 'node-n' }, created: '', resourceVersion: '1', observedMs: 1, state: { conditions: {}, addresses: [], labels: {} } }]);
    const status = await api<WireClusterStatus>('/api/cluster');
    expect(status.body).toMatchObject({ canConnect: false, watch: { connected: false, streams: [] }, clusters: ['https://old:6443'] });
    const refused = await api<WireError>('/api/cluster/connect', { method: 'POST', body: JSON.stringify({ context: 'prod' }) });
    expect(refused.status).toBe(501);
    expect(refused.body.error).toBe('this Hopscope cannot connect to a cluster; it shows recorded cluster history only');
    const workloads = await api<WireClusterWorkloads>('/api/cluster/workloads');
    expect(workloads.body).toMatchObject({ cluster: 'https://old:6443', watched: false, namespaces: [] });
  });

  it('checks what it is asked to connect to, and answers a refused context with its reason', async () => {
    const fake = control();
    await start({ cluster: fake });
    const post = (body: unknown) => api<WireError & WireClusterStatus>('/api/cluster/connect', { method: 'POST', body: JSON.stringify(body) });
    expect((await post({ context: 'prod', namespaces: ['shop', 'shop', 'ops'] })).body).toMatchObject({ canConnect: true, watch: watching, kubeconfig });
    expect(fake.asked).toEqual([{ context: 'prod', namespaces: ['shop', 'ops'] }]);
    expect((await post({ context: 'prod' })).status).toBe(200);
    expect(fake.asked[1]).toEqual({ context: 'prod', namespaces: [] });
    for (const [body, error] of [
      [{}, 'the body must be {"context": "NAME", "namespaces": ["NS", …]}'],
      [{ context: 'prod', namespaces: 'shop' }, 'namespaces must be a list of names'],
      [{ context: 'prod', namespaces: ['shop', '-x'] }, '"-x" is not a namespace name (lower-case letters, digits and dashes, at most 63)'],
      [{ context: 'nope' }, 'context "nope" is not in /home/u/.kube/config; its contexts are: prod'],
    ] as const) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toBe(error);
    }
    expect((await api<WireClusterStatus>('/api/cluster/disconnect', { method: 'POST' })).status).toBe(200);
    expect(fake.asked.at(-1)).toBe('disconnect');
  });

  it('reads the workloads again only after the watches recorded something', async () => {
    const fake = control();
    await start({ cluster: fake });
    const first = await api<WireClusterWorkloads>('/api/cluster/workloads');
    expect(first.body).toMatchObject({ cluster: watching.server, watched: true, namespaces: [] });
    const again = await api<WireClusterWorkloads>('/api/cluster/workloads');
    expect(again.body.atMs).toBe(first.body.atMs);
    const created = new Date().toISOString();
    await store.recordClusterChanges(watching.server, [
      { identity: { kind: 'Pod', namespace: 'shop', name: 'web', uid: 'pod-web' }, created, resourceVersion: '1', observedMs: Date.now(), state: { phase: 'Running', conditions: { Ready: { status: 'True' } }, podIPs: [], labels: {}, containers: [] } },
    ]);
    fake.record();
    // Soon after, not at once: a cluster that keeps changing is read again only after a multiple of what the last read cost.
    await vi.waitFor(async () => {
      const fresh = await api<WireClusterWorkloads>('/api/cluster/workloads');
      expect(fresh.body.namespaces).toEqual([{ namespace: 'shop', workloads: [expect.objectContaining({ kind: 'Pod', name: 'web', known: true, pods: [expect.objectContaining({ name: 'web', ready: true })] })] }]);
    });
  });
});

/** A minimal SSE reader for tests: waits for the next event of a name. */
async function openEvents() {
  const abort = new AbortController();
  const res = await fetch(`${server.origin}/api/events`, { headers: auth, signal: abort.signal });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const queue: { event: string; data: unknown }[] = [];
  async function next<E extends keyof WireEventMap>(name: E, match: (d: WireEventMap[E]) => boolean = () => true): Promise<WireEventMap[E]> {
    while (true) {
      const i = queue.findIndex((e) => e.event === name && match(e.data as WireEventMap[E]));
      if (i >= 0) return queue.splice(i, 1)[0].data as WireEventMap[E];
      const { value, done } = await reader.read();
      if (done) throw new Error('event stream ended');
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) queue.push({ event, data: JSON.parse(data) });
      }
    }
  }
  return { next, close: () => abort.abort() };
}

describe('live events', () => {
  beforeEach(() => start());

  it('sends the store’s limits once the writer first answers, to a page that connected before', async () => {
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const slowWriter = Object.create(store) as Store;
    slowWriter.retention = async () => {
      await answered;
      return store.retention();
    };
    await server?.close();
    await start({ store: slowWriter });
    const events = await openEvents();
    expect((await events.next('stats')).retention).toBeUndefined();
    answer();
    // nothing was removed: the storage settings (and their button) still need the limits
    expect((await events.next('stats', (s) => s.retention !== undefined)).retention).toMatchObject({ maxBytes: 1024 ** 3, removedTraces: 0 });
    events.close();
  });

  it('sends stats on connect and new traces after a commit, coalesced', async () => {
    const events = await openEvents();
    expect(await events.next('stats')).toMatchObject({ spans: 0 });
    await store.write(twoTraces());
    const pushed = await events.next('traces');
    expect(pushed.newTraceIds.sort()).toEqual([traceId(1), traceId(2), traceId(3)]);
    expect(pushed.updated.map((t) => t.traceId).sort()).toEqual([traceId(1), traceId(2), traceId(3)]);
    expect(await events.next('stats', (s) => s.spans === 5)).toMatchObject({ spans: 5, traces: 3 });
    events.close();
  });

  it('sends a test trace through ingest: several services, logs in context, an error', async () => {
    const events = await openEvents();
    const res = await api<{ traceId: string }>('/api/test-trace', { method: 'POST' });
    expect(res.status).toBe(200);
    const pushed = await events.next('traces');
    expect(pushed.newTraceIds).toEqual([res.body.traceId]);
    const t = (await api<WireTrace>(`/api/traces/${res.body.traceId}`)).body;
    expect(new Set(t.resources.map((r) => r.service))).toEqual(new Set(['frontend', 'checkout', 'cart', 'payment', 'email']));
    expect(t.tree.tops).toHaveLength(1);
    expect(t.rows.status).toContain(2);
    expect(t.logs.length).toBeGreaterThan(3);
    expect(t.logs.every((l) => t.rows.spanId.includes(l.spanId))).toBe(true);
    events.close();
  });
});

describe('import', () => {
  it('imports an uploaded corpus file and reports progress over the event stream', async () => {
    await start();
    const events = await openEvents();
    const body = await readFile(corpusPath('otel-tui/test_data.json'));
    const res = await api<{ format: string; spans: number; logs: number }>('/api/import?name=test_data.json&id=up-1', { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ spans: 547, logs: 23 });
    const done = await events.next('import', (p) => p.phase === 'done');
    expect(done).toMatchObject({ id: 'up-1', name: 'test_data.json', spans: 547, logs: 23 });
    const stats = await api<WireStats>('/api/stats');
    expect(stats.body).toMatchObject({ spans: 547, logs: 23, traces: 141 });
    events.close();
  });

  it('refuses a file over the limit with 413 and names its own name, not a temp path, in errors', async () => {
    await start({ maxImportBytes: 1000 });
    const events = await openEvents();
    const declared = await api<{ error: string }>('/api/import?name=big.json', { method: 'POST', body: 'x'.repeat(5000) });
    expect(declared.status).toBe(413);
    expect(declared.body.error).toMatch(/limit/);
    // Without a Content-Length the limit is enforced while streaming.
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(400).fill(120));
        c.close();
      },
    });
    const streamed = await api<{ error: string }>('/api/import?name=streamed.json', { method: 'POST', body: chunks, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    const failed = await events.next('import', (p) => p.name === 'streamed.json' && p.phase === 'failed');
    expect(failed.error).toMatch(/limit/);

    const junk = await api<{ error: string }>('/api/import?name=notes.txt', { method: 'POST', body: 'hello, this is not telemetry' });
    expect(junk.status).toBe(400);
    expect(junk.body.error).toContain('notes.txt');
    expect(junk.body.error).not.toContain('hopscope-upload-');
    const failedImport: WireImportProgress = await events.next('import', (p) => p.name === 'notes.txt' && p.phase === 'failed');
    expect(failedImport.error).toBe(junk.body.error);
    events.close();
  });

  it('imports a file by path (the desktop app) with the same progress events as an upload', async () => {
    await start();
    const events = await openEvents();
    const result = await server.importPath(corpusPath('otel-tui/test_data.json'));
    expect(result).toMatchObject({ spans: 547, logs: 23 });
    const first = await events.next('import');
    expect(first).toMatchObject({ name: 'test_data.json', phase: 'import' });
    const done = await events.next('import', (p) => p.phase === 'done');
    expect(done).toMatchObject({ id: first.id, name: 'test_data.json', spans: 547, logs: 23 });
    expect(done.bytesRead).toBe(done.totalBytes);
    expect(done.totalBytes).toBeGreaterThan(0);
    expect(store.reader.stats()).toMatchObject({ spans: 547, logs: 23, traces: 141 });
    events.close();
  });

  it('reports a file it cannot import by path as failed, naming the file by its base name', async () => {
    await start();
    const events = await openEvents();
    const malformed = corpusPath('otlp2parquet/invalid/malformed.json');
    const refused = await server.importPath(malformed).then(() => undefined, (err: Error) => err);
    const failed = await events.next('import', (p) => p.phase === 'failed');
    expect(failed.name).toBe('malformed.json');
    expect(failed.error).toMatch(/^malformed\.json:21: not valid JSON/);
    expect(refused?.message).toBe(failed.error);

    const missing = dir.file('gone/missing.json');
    await expect(server.importPath(missing)).rejects.toThrow(/missing\.json/);
    const gone = await events.next('import', (p) => p.phase === 'failed' && p.name === 'missing.json');
    expect(gone.error).toContain('missing.json');
    expect(gone.error).not.toContain(path.dirname(missing));
    expect(store.reader.stats()).toMatchObject({ spans: 0, logs: 0 });
    events.close();
  });

  it('says when import is not available', async () => {
    await start({ importFile: undefined });
    const res = await api<{ error: string }>('/api/import?name=a.json', { method: 'POST', body: '{}' });
    expect(res.status).toBe(501);
  });
});

describe('renderer files', () => {
  it('serves the built renderer behind the token, falls back to index.html for app routes, and refuses traversal', async () => {
    const root = dir.file('renderer');
    mkdirSync(path.join(root, 'assets'), { recursive: true });
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Hopscope</title>');
    writeFileSync(path.join(root, 'assets', 'app-1234.js'), 'console.log(1)');
    writeFileSync(dir.file('secret.txt'), 'TOP-SECRET');
    await start({ rendererDir: root });

    const html = await fetch(`${server.origin}/`, { headers: auth });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await html.text()).toContain('<title>Hopscope</title>');
    const asset = await fetch(`${server.origin}/assets/app-1234.js`, { headers: auth });
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    const route = await fetch(`${server.origin}/traces/whatever`, { headers: auth });
    expect(await route.text()).toContain('<title>Hopscope</title>');
    const missing = await fetch(`${server.origin}/assets/missing.js`, { headers: auth });
    expect(missing.status).toBe(404);
    const traversal = await rawGet('/../secret.txt', { Host: `127.0.0.1:${server.port}`, ...auth });
    expect(traversal.body).not.toContain('TOP-SECRET');
    const encoded = await rawGet('/%2e%2e/secret.txt', { Host: `127.0.0.1:${server.port}`, ...auth });
    expect(encoded.body).not.toContain('TOP-SECRET');
    const anonymous = await fetch(`${server.origin}/assets/app-1234.js`);
    expect(anonymous.status).toBe(401);
  });
});
