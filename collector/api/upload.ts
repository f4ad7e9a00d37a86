import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const DEFAULT_MAX_IMPORT_BYTES = 2 * 1024 ** 3;

export class UploadTooLarge extends Error {
  override name = 'UploadTooLarge';
}

export interface Upload {
  file: string;
  bytes: number;
  /** Deletes the temporary file and its folder. */
  discard(): Promise<void>;
}

/** Streams a request body to a private temporary file, refusing it once it passes `maxBytes`. */
export async function receiveUpload(req: IncomingMessage, maxBytes: number, onBytes: (bytes: number) => void): Promise<Upload> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hopscope-upload-'));
  const file = path.join(dir, 'upload');
  const discard = () => rm(dir, { recursive: true, force: true });
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) return done(new UploadTooLarge(`the file is larger than the import limit of ${maxBytes} bytes`));
      onBytes(bytes);
      done(null, chunk);
    },
  });
  try {
    await pipeline(req, meter, createWriteStream(file, { mode: 0o600 }));
  } catch (err) {
    await discard();
    throw err;
  }
  return { file, bytes, discard };
}
