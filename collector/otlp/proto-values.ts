// KeyValue and AnyValue: into the model, or, on the ingest path, straight into the JSON text the store keeps.
import { setAttribute, type AnyValue, type Attributes } from '../model';
import { encodeAttributes, encodeValue } from './attribute-json';
import { FieldFault, inField, type FieldNames } from './fault';
import { MAX_DEPTH, ProtoReader, WireType } from './proto-reader';

const { VARINT, I64, LEN } = WireType;

const KEY_VALUE_FIELDS: FieldNames = { 1: 'key', 2: 'value' };

/** A KeyValue into `attributes` (a key sent twice keeps its last value; no value is the empty value, null). */
export function readKeyValue(r: ProtoReader, end: number, attributes: Attributes, depth: number): void {
  let key = '';
  let value: AnyValue = null;
  let field = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      if (field === 1) {
        r.expect(tag, LEN);
        key = r.string(end);
      } else if (field === 2) {
        r.expect(tag, LEN);
        value = readAnyValue(r, r.lengthEnd(end), depth + 1);
      } else r.skip(tag, end);
    }
  } catch (e) {
    throw inField(e, KEY_VALUE_FIELDS, field);
  }
  setAttribute(attributes, key, value);
}

const ANY_VALUE_FIELDS: FieldNames = {
  1: 'string_value',
  2: 'bool_value',
  3: 'int_value',
  4: 'double_value',
  5: 'array_value',
  6: 'kvlist_value',
  7: 'bytes_value',
};

/** An AnyValue (a oneof: the last kind on the wire wins; none set is the empty value, null). */
export function readAnyValue(r: ProtoReader, end: number, depth: number): AnyValue {
  if (depth > MAX_DEPTH) throw new FieldFault(`values nested deeper than ${MAX_DEPTH} levels at byte ${r.pos}`, r.pos);
  let value: AnyValue = null;
  let field = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      switch (field) {
        case 1:
          r.expect(tag, LEN);
          value = r.string(end);
          break;
        case 2:
          r.expect(tag, VARINT);
          value = r.int64(end) !== 0n;
          break;
        case 3:
          r.expect(tag, VARINT);
          value = r.int64(end);
          break;
        case 4:
          r.expect(tag, I64);
          value = r.double(end);
          break;
        case 5:
          r.expect(tag, LEN);
          value = readValues(r, r.lengthEnd(end), depth);
          break;
        case 6: {
          r.expect(tag, LEN);
          const kvlist: Attributes = {};
          readKeyValueList(r, r.lengthEnd(end), kvlist, depth);
          value = { kvlist };
          break;
        }
        case 7:
          r.expect(tag, LEN);
          value = r.bytes(end);
          break;
        default:
          r.skip(tag, end);
      }
    }
  } catch (e) {
    throw inField(e, ANY_VALUE_FIELDS, field);
  }
  return value;
}

const VALUES_FIELDS: FieldNames = { 1: 'values' };

/** ArrayValue.values */
function readValues(r: ProtoReader, end: number, depth: number): AnyValue[] {
  const values: AnyValue[] = [];
  let field = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      if (field === 1) {
        r.expect(tag, LEN);
        values.push(readAnyValue(r, r.lengthEnd(end), depth + 1));
      } else r.skip(tag, end);
    }
  } catch (e) {
    throw inField(e, VALUES_FIELDS, field, field === 1 ? values.length : -1);
  }
  return values;
}

/** KeyValueList.values */
function readKeyValueList(r: ProtoReader, end: number, kvlist: Attributes, depth: number): void {
  let field = 0;
  let n = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag >>> 3;
      if (field === 1) {
        r.expect(tag, LEN);
        readKeyValue(r, r.lengthEnd(end), kvlist, depth + 1);
        n++;
      } else r.skip(tag, end);
    }
  } catch (e) {
    throw inField(e, VALUES_FIELDS, field, field === 1 ? n : -1);
  }
}

// ---- KeyValue lists → the store's attribute JSON, without the model ----
//
// What encodeAttributes(decoded) would give, built from the request's bytes into one scratch buffer: keys and
// string values are copied (escaped where JSON needs it) and never become strings of their own; other values go
// through the model one at a time. Lists of any other shape take the model path whole: a key sent twice (the
// model keeps the last value at the first key's place), a key that is an array index (an object lists those
// first), a key of 128 bytes or more, or fields out of the usual order. Invalid UTF-8 comes out as the model
// has it: each value is decoded between ASCII quotes, so the replacement characters fall where they would.

const SCRATCH_BYTES = 16 * 1024;
/** A scratch buffer grown for one huge list is let go afterwards rather than kept. */
const SCRATCH_KEEP_BYTES = 1024 * 1024;
let out = Buffer.allocUnsafe(SCRATCH_BYTES);

// A key sent twice sends the list down the model path. A short list compares each key with those before it; a
// longer one keeps its keys in a Set (as latin1 text: one character a byte, so equal text is equal bytes), hashed
// by V8 with a seed chosen at random per process, as every object's keys are. A list of any length then costs
// time linear in it, whatever keys a sender picks: comparing each key with all before it took 7.7 minutes for a
// span of 200k attributes.
const SCAN_KEYS = 32;
/** Where the keys of a short list are, to compare each with those before it. */
const keyStarts = new Int32Array(SCAN_KEYS);
const keyLengths = new Int32Array(SCAN_KEYS);

/**
 * The JSON text of the KeyValue messages at `ranges` (start and end offsets of each one's content, in
 * order) as the store keeps attributes: exactly encodeAttributes of what the model decoder would read.
 * Leaves `r.pos` where it was. Throws on malformed bytes (without a field path: callers re-decode through
 * the model to name it).
 */
export function keyValuesJson(r: ProtoReader, ranges: readonly number[]): string {
  if (ranges.length === 0) return '{}';
  const pos = r.pos;
  try {
    return plainKeyValuesJson(r, ranges) ?? modelKeyValuesJson(r, ranges);
  } finally {
    r.pos = pos;
    if (out.length > SCRATCH_KEEP_BYTES) out = Buffer.allocUnsafe(SCRATCH_BYTES);
  }
}

function modelKeyValuesJson(r: ProtoReader, ranges: readonly number[]): string {
  const attributes: Attributes = {};
  for (let i = 0; i < ranges.length; i += 2) {
    r.pos = ranges[i];
    readKeyValue(r, ranges[i + 1], attributes, 0);
  }
  return encodeAttributes(attributes);
}

/** undefined when the list is not of the plain shape (see above). */
function plainKeyValuesJson(r: ProtoReader, ranges: readonly number[]): string | undefined {
  const buf = r.buf;
  const count = ranges.length >> 1;
  const seen = count > SCAN_KEYS ? new Set<string>() : undefined;
  const text = seen && Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = reserve(0, 1);
  out[p++] = 0x7b; // {
  for (let k = 0; k < count; k++) {
    let pos = ranges[2 * k];
    const end = ranges[2 * k + 1];
    // key: field 1, length-delimited, a one-byte length, not starting with a digit
    if (end - pos < 2 || buf[pos] !== 0x0a) return undefined;
    const keyLength = buf[pos + 1];
    const keyStart = pos + 2;
    pos = keyStart + keyLength;
    if (keyLength >= 0x80 || pos > end || (keyLength > 0 && buf[keyStart] >= 0x30 && buf[keyStart] <= 0x39)) return undefined;
    if (seen === undefined) {
      for (let j = 0; j < k; j++) {
        if (keyLengths[j] === keyLength && sameBytes(buf, keyStarts[j], keyStart, keyLength)) return undefined;
      }
      keyStarts[k] = keyStart;
      keyLengths[k] = keyLength;
    } else {
      const key = text!.toString('latin1', keyStart, pos);
      if (seen.has(key)) return undefined;
      seen.add(key);
    }
    if (k > 0) {
      p = reserve(p, 1);
      out[p++] = 0x2c; // ,
    }
    p = writeJsonString(buf, keyStart, pos, p);
    p = reserve(p, 1);
    out[p++] = 0x3a; // :
    if (pos === end) {
      p = writeAscii('null', p);
      continue;
    }
    // value: field 2, length-delimited, the last field of the KeyValue
    if (buf[pos] !== 0x12) return undefined;
    r.pos = pos + 1;
    const valueEnd = r.lengthEnd(end);
    if (valueEnd !== end) return undefined;
    const valueStart = r.pos;
    // an AnyValue holding only string_value
    if (valueEnd - valueStart >= 2 && buf[valueStart] === 0x0a) {
      r.pos = valueStart + 1;
      const stringEnd = r.lengthEnd(valueEnd);
      if (stringEnd === valueEnd) {
        p = writeJsonString(buf, r.pos, stringEnd, p);
        continue;
      }
      r.pos = valueStart;
    }
    const value = readAnyValue(r, valueEnd, 1);
    // Booleans and numbers encode to ASCII; the rest may hold any text.
    p = typeof value === 'object' || typeof value === 'string' ? writeText(encodeValue(value), p) : writeAscii(encodeValue(value), p);
  }
  p = reserve(p, 1);
  out[p++] = 0x7d; // }
  return out.toString('utf8', 0, p);
}

function sameBytes(buf: Uint8Array, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/** Makes room for `bytes` more after `p`; returns p. */
function reserve(p: number, bytes: number): number {
  if (p + bytes > out.length) {
    const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, p + bytes));
    out.copy(bigger, 0, 0, p);
    out = bigger;
  }
  return p;
}

const HEX = '0123456789abcdef';

/** UTF-8 bytes as a JSON string, escaped as JSON.stringify escapes them. */
function writeJsonString(buf: Uint8Array, start: number, end: number, p: number): number {
  p = reserve(p, (end - start) * 6 + 2);
  const o = out;
  o[p++] = 0x22;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
      o[p++] = c;
      continue;
    }
    o[p++] = 0x5c; // backslash
    switch (c) {
      case 0x22:
      case 0x5c:
        o[p++] = c;
        break;
      case 0x08:
        o[p++] = 0x62; // b
        break;
      case 0x09:
        o[p++] = 0x74; // t
        break;
      case 0x0a:
        o[p++] = 0x6e; // n
        break;
      case 0x0c:
        o[p++] = 0x66; // f
        break;
      case 0x0d:
        o[p++] = 0x72; // r
        break;
      default:
        o[p++] = 0x75; // u00XX
        o[p++] = 0x30;
        o[p++] = 0x30;
        o[p++] = HEX.charCodeAt(c >> 4);
        o[p++] = HEX.charCodeAt(c & 15);
    }
  }
  o[p++] = 0x22;
  return p;
}

function writeAscii(text: string, p: number): number {
  p = reserve(p, text.length);
  for (let i = 0; i < text.length; i++) out[p++] = text.charCodeAt(i);
  return p;
}

function writeText(text: string, p: number): number {
  p = reserve(p, text.length * 3);
  return p + out.write(text, p, 'utf8');
}
