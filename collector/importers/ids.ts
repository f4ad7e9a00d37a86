// Id and time normalisation shared by the Jaeger and Zipkin mappings.
//
// Ids become the model's lowercase hex: uppercase is lowered; a trace id shorter than 32 digits
// (a 64-bit Jaeger/Zipkin/B3 id, or one printed without its leading zeros) is left-padded with
// zeros to 32; a span id shorter than 16 digits (e.g. Jaeger's "ec2b4e0bcea566d", Zipkin's "1")
// is left-padded to 16. Padding is how Jaeger and Zipkin themselves widen these ids, so a parent
// written unpadded still matches its padded child. Anything not hex, or longer than 32/16 digits,
// is an error naming the field — except that the Jaeger mapping hashes ids that are not hex at all
// (hashedId; see jaeger.ts), since Jaeger UI shows such files. An all-zero trace or span id is invalid; an all-zero parent id
// means "no parent". Times: Jaeger and Zipkin count microseconds; the model counts nanoseconds.
import { createHash } from 'node:crypto';
import { InputError } from '../errors';
import { describe } from './json-shape';

const HEX = /^[0-9a-f]+$/;
const ZERO = /^0+$/;

function normalizeId(raw: unknown, digits: 16 | 32, what: string, field: string): string {
  if (typeof raw !== 'string') throw new InputError(`${field}: ${what} must be a hex string, got ${describe(raw)}`, { field });
  const id = raw.toLowerCase();
  if (!HEX.test(id)) throw new InputError(`${field}: ${what} ${JSON.stringify(raw)} is not hexadecimal`, { field });
  if (id.length > digits) throw new InputError(`${field}: ${what} ${JSON.stringify(raw)} has ${id.length} hex digits, more than ${digits}`, { field });
  return id.padStart(digits, '0');
}

export function normalizeTraceId(raw: unknown, field: string): string {
  const id = normalizeId(raw, 32, 'trace id', field);
  if (ZERO.test(id)) throw new InputError(`${field}: trace id is all zeros`, { field });
  return id;
}

export function normalizeSpanId(raw: unknown, field: string): string {
  const id = normalizeId(raw, 16, 'span id', field);
  if (ZERO.test(id)) throw new InputError(`${field}: span id is all zeros`, { field });
  return id;
}

/** A parent id, or '' when absent, empty or all zeros. */
export function normalizeParentId(raw: unknown, field: string): string {
  if (raw === undefined || raw === null || raw === '') return '';
  const id = normalizeId(raw, 16, 'parent span id', field);
  return ZERO.test(id) ? '' : id;
}

/** True for a non-empty string with a character that is not a hex digit, such as jaeger-ui's "trace-123". */
export function isNonHexId(raw: unknown): raw is string {
  return typeof raw === 'string' && raw !== '' && !/^[0-9a-fA-F]+$/.test(raw);
}

/** A stable hex id for an id that is not hex: the first 16 (trace) or 8 (span) bytes of its SHA-256. */
export function hashedId(raw: string, digits: 16 | 32): string {
  return createHash('sha256').update(raw).digest('hex').slice(0, digits);
}

/** Microseconds (a JSON number, or a decimal string for values beyond 2^53) → nanoseconds. */
export function microsToNs(raw: unknown, field: string): bigint {
  if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) {
    return Number.isSafeInteger(raw) ? BigInt(raw) * 1000n : BigInt(Math.round(raw * 1000));
  }
  if (typeof raw === 'string' && /^\d+$/.test(raw)) return BigInt(raw) * 1000n;
  throw new InputError(`${field}: expected microseconds (a non-negative number), got ${describe(raw)}`, { field });
}
