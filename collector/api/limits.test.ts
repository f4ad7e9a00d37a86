// The UI port holds nothing for a client that will not finish: a request body that trickles in is timed out (as on
// the OTLP/HTTP port), and an event stream that is never read is dropped once its unsent events pass a bound, while
// the other clients keep getting theirs.
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStore } from '../store';
import { span, spanId, tempDir, traceId } from '../store/testing';
import type { Store } from '../store/types';
import { EventHub } from './events';
import { startApiServer, type RunningApiServer } from './server';

const TOKEN = 'limits-token-0123456789';

describe('a request body that never finishes on the UI port', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  let store: Store | undefined;
  let server: RunningApiServer | undefined;
  afterEach(async () => {
    await server?.close();
    await store?.close();
    dir?.remove();
    server = store = dir = undefined;
  });

  it('is answered 408 and closed once the request timeout has passed', async () => {
    dir = tempDir();
    store = openStore({ path: dir.file('hopscope.db') });
    server = await startApiServer({ host: '127.0.0.1', port: 0, token: TOKEN, store, ingest: (batch) => store!.write(batch), requestTimeoutMs: 300 });
    const socket = net.connect(server.port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /api/sql HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"sql":`,
    );
    // A byte now and then keeps an idle timeout from firing: only the request timeout ends it.
    const trickle = setInterval(() => socket.write(' '), 50);
    try {
      await closed;
    } finally {
      clearInterval(trickle);
    }
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('leaves event streams open past the request timeout', async () => {
    dir = tempDir();
    store = openStore({ path: dir.file('hopscope.db') });
    server = await startApiServer({ host: '127.0.0.1', port: 0, token: TOKEN, store, ingest: (batch) => store!.write(batch), requestTimeoutMs: 200 });
    const abort = new AbortController();
    const res = await fetch(`${server.origin}/api/events`, { headers: { Authorization: `Bearer ${TOKEN}` }, signal: abort.signal });
    const text = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    // Past several timeouts the stream is still open: a commit now still reaches it.
    await new Promise((resolve) => setTimeout(resolve, 700));
    await store.write({ spans: [span({ traceId: traceId(1), spanId: spanId(1) })], logs: [] });
    let seen = '';
    while (!seen.includes('event: traces')) {
      const { done, value } = await text.read();
      expect(done).toBe(false);
      seen += value;
    }
    abort.abort();
  });
});

describe('an event-stream client that never reads', () => {
  let http: Server | undefined;
  let hub: EventHub | undefined;
  afterEach(async () => {
    hub?.close();
    http?.closeAllConnections();
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
    http = hub = undefined;
  });

  it('is dropped once its unsent events pass the bound; the other clients get every event', async () => {
    const BOUND = 256 * 1024;
    hub = new EventHub({ summaries: () => [], stats: () => ({ spans: 0, logs: 0, traces: 0, services: 0, dbBytes: 0, findings: 0 }) }, { maxClientBufferBytes: BOUND });
    http = createServer((_req, res) => {
      hub!.attach(res);
    });
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as net.AddressInfo).port;

    // The reader counts the `import` events it gets.
    let readerEvents = 0;
    let readerText = '';
    const readerSocket = net.connect(port, '127.0.0.1', () => readerSocket.write(`GET / HTTP/1.1\r\nHost: x\r\n\r\n`));
    readerSocket.setEncoding('utf8').on('data', (chunk: string) => {
      readerText += chunk;
      let i: number;
      while ((i = readerText.indexOf('event: import\n')) >= 0) {
        readerEvents++;
        readerText = readerText.slice(i + 14);
      }
    });
    // The stuck client asks for the stream, then never reads a byte of it.
    const stuck = net.connect(port, '127.0.0.1', () => stuck.write(`GET / HTTP/1.1\r\nHost: x\r\n\r\n`));
    stuck.pause();
    await vi.waitFor(() => expect(hub!.size).toBe(2));

    const name = 'x'.repeat(32 * 1024);
    let sent = 0;
    // Enough to fill the socket buffers of the stuck client and pass the bound many times over.
    while (hub.size === 2 && sent < 4000) {
      hub.broadcast('import', { id: `i${sent}`, name, phase: 'upload', bytesRead: sent, totalBytes: 0, spans: 0, logs: 0 });
      sent++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(hub.size).toBe(1);
    // Still sent to after the drop.
    for (let i = 0; i < 5; i++) hub.broadcast('import', { id: `after${i}`, name: 'small', phase: 'upload', bytesRead: 0, totalBytes: 0, spans: 0, logs: 0 });
    await vi.waitFor(() => expect(readerEvents).toBe(sent + 5), { timeout: 20_000 });
    readerSocket.destroy();
    stuck.destroy();
  });
});
