/** How an OTLP/HTTP body, and so its error status, is encoded. */
export type BodyFormat = 'proto' | 'json';

/** google.rpc.Code values used by the receivers (the OTLP/HTTP error body carries one). */
export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** A google.rpc.Status (code = field 1, message = field 2), as the OTLP/HTTP spec wants for errors. */
export function encodeStatus(format: BodyFormat, code: number, message: string): Uint8Array {
  if (format === 'json') return Buffer.from(JSON.stringify({ code, message }));
  const text = Buffer.from(message, 'utf8');
  const out: number[] = [0x08, code, 0x12];
  let n = text.length;
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.concat([Buffer.from(out), text]);
}
