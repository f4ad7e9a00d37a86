import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError } from './client';

const traceId = '0af7651916cd43dd8448eb211c80319c';
const spanId = 'b7ad6b7169203331';

interface Sent {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

/** Answers every fetch with `status` and `answer`, and records what was sent. */
function serve(answer: unknown, status = 200): Sent[] {
  const sent: Sent[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    sent.push({ url, method: init.method ?? 'GET', headers: new Headers(init.headers), body: init.body, credentials: init.credentials });
    return new Response(JSON.stringify(answer), { status, headers: { 'Content-Type': 'application/json' } });
  });
  return sent;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

const desktop = new ApiClient({ baseUrl: 'http://127.0.0.1:4320', token: 'secret' });
const browser = new ApiClient({ baseUrl: 'http://localhost:4320' });

describe('ApiClient', () => {
  it('calls a route by its path with the token as a Bearer header, or with the cookie in a browser', async () => {
    const sent = serve({ span: {}, resources: [], scopes: [] });
    await desktop.spanDetail(traceId, spanId);
    await browser.spanDetail(traceId, spanId);
    expect(sent.map((s) => s.url)).toEqual([`http://127.0.0.1:4320/api/traces/${traceId}/spans/${spanId}`, `http://localhost:4320/api/traces/${traceId}/spans/${spanId}`]);
    expect(sent[0]).toMatchObject({ method: 'GET', credentials: 'omit', body: undefined });
    expect(sent[0].headers.get('authorization')).toBe('Bearer secret');
    expect(sent[1].credentials).toBe('same-origin');
    expect(sent[1].headers.has('authorization')).toBe(false);
  });

  it('sends a trace search as the query the server reads, attributes as repeated attr', async () => {
    const sent = serve({ items: [] });
    await desktop.searchTraces({ service: 'checkout', status: 'error', attributes: ['http.route=/cart', 'k=v'], hasFinding: true, operation: '' }, { limit: 100, cursor: 'c1' });
    expect(sent[0].url).toBe('http://127.0.0.1:4320/api/traces?service=checkout&status=error&hasFinding=true&attr=http.route%3D%2Fcart&attr=k%3Dv&limit=100&cursor=c1');
  });

  it('names the spans of a stitch by their span keys', async () => {
    const sent = serve({});
    await desktop.stitched({ traceId, spanId }, { traceId: 'f'.repeat(32), spanId: 'e'.repeat(16) });
    expect(new URL(sent[0].url).searchParams.get('from')).toBe(`${traceId}:${spanId}`);
    expect(new URL(sent[0].url).searchParams.get('to')).toBe(`${'f'.repeat(32)}:${'e'.repeat(16)}`);
  });

  it('unwraps list answers', async () => {
    serve({ matches: [{ traceId, spanId }] });
    expect(await desktop.searchSpans([traceId], 'select')).toEqual([{ traceId, spanId }]);
    serve({ services: ['a', 'b'] });
    expect(await desktop.services()).toEqual(['a', 'b']);
  });

  it('uploads a file as raw bytes and SQL as JSON', async () => {
    const sent = serve({ format: 'otlp-json', spans: 1, logs: 0 });
    const file = new Blob(['{}']);
    await desktop.importFile(file, 'my trace.json', 'imp-1');
    expect(sent[0]).toMatchObject({ url: 'http://127.0.0.1:4320/api/import?name=my+trace.json&id=imp-1', method: 'POST', body: file });
    expect(sent[0].headers.get('content-type')).toBe('application/octet-stream');
    await desktop.querySql('SELECT 1', 10);
    expect(sent[1]).toMatchObject({ url: 'http://127.0.0.1:4320/api/sql', method: 'POST', body: '{"sql":"SELECT 1","maxRows":10}' });
    expect(sent[1].headers.get('content-type')).toBe('application/json');
    expect(sent[1].headers.get('authorization')).toBe('Bearer secret');
  });

  it('throws the server’s error message with its status', async () => {
    serve({ error: `no trace ${traceId} in the store` }, 404);
    const err = await desktop.trace(traceId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 404, message: `no trace ${traceId} in the store` });
  });
});
