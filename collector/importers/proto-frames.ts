import { InputError } from '../errors';
import { formatBytes } from './json-documents';

export interface ProtoFrame {
  message: Uint8Array;
  /** Byte offset of the frame's length prefix in the (decompressed) file. */
  offset: number;
}

/**
 * Splits the OpenTelemetry collector file exporter's proto output — each message prefixed by its
 * length as 4 bytes big-endian — into messages, holding one frame in memory at a time.
 */
export async function* protoFrames(chunks: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<ProtoFrame> {
  let parts: Uint8Array[] = [];
  let have = 0;
  let offset = 0;
  let length: number | undefined;
  for await (const chunk of chunks) {
    parts.push(chunk);
    have += chunk.length;
    while (true) {
      if (length === undefined) {
        if (have < 4) break;
        length = firstUint32(parts);
        if (length > maxBytes) {
          throw new InputError(`the frame at byte offset ${offset} declares ${length} bytes, more than the ${formatBytes(maxBytes)} limit; the stream is corrupt`, { offset });
        }
      }
      if (have < 4 + length) break;
      const joined = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      const rest = joined.subarray(4 + length);
      yield { message: joined.subarray(4, 4 + length), offset };
      offset += 4 + length;
      parts = rest.length ? [rest] : [];
      have = rest.length;
      length = undefined;
    }
  }
  if (have === 0) return;
  throw new InputError(
    length === undefined
      ? `the file ends inside the length prefix at byte offset ${offset}: the stream is truncated`
      : `the frame at byte offset ${offset} declares ${length} bytes but only ${have - 4} follow: the stream is truncated`,
    { offset },
  );
}

function firstUint32(parts: Uint8Array[]): number {
  const bytes: number[] = [];
  for (const part of parts) {
    for (let i = 0; i < part.length && bytes.length < 4; i++) bytes.push(part[i]);
    if (bytes.length === 4) break;
  }
  return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}
