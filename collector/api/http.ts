import type { IncomingMessage, ServerResponse } from 'node:http';
import { InputError } from '../errors';

const MAX_JSON_BODY = 64 * 1024;

/** A refusal with its status; the server answers it as `{error: message}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

/** Reads past whatever body the request carries, so the connection can be reused. */
export async function drain(req: IncomingMessage): Promise<void> {
  req.resume();
  if (!req.readableEnded) await new Promise((resolve) => req.once('end', resolve).once('close', resolve));
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) throw new HttpError(413, `the body is over ${MAX_JSON_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw new InputError(`the body is not JSON: ${(err as Error).message}`);
  }
}
