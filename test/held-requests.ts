// OTLP/HTTP requests with control over when their body is sent, to put a receiver in a known state of load
// without timing: a request it has admitted but not finished, and one refused before its body is sent.
import http from 'node:http';

export interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: Buffer;
}

/** POSTs `body` with its Content-Length, as Node's own client does. */
export function post(url: string, body: Uint8Array): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.byteLength } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A request whose headers the receiver has taken (its Content-Length now counts against the bound) but whose body
 * is held back until `send()`: `Expect: 100-continue` makes the server say when it has read the headers, and it
 * starts the request's handler right after.
 */
export async function heldRequest(url: string, body: Uint8Array): Promise<{ send(): Promise<Answer> }> {
  const req = http.request(url, {
    method: 'POST',
    agent: false,
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.byteLength, Expect: '100-continue' },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  await new Promise<void>((resolve) => req.once('continue', resolve));
  return {
    send: () => {
      req.end(body);
      return answer;
    },
  };
}

/** Sends only the headers of a request with this Content-Length, and resolves with the answer, which must come before any body. */
export function headersOnly(url: string, contentLength: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': contentLength } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], body: Buffer.concat(chunks) });
        req.destroy();
      });
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.flushHeaders();
  });
}
