import { FieldFault } from './fault';

export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

const WIRE_TYPE_NAMES = ['varint', 'fixed64', 'length-delimited', 'group start', 'group end', 'fixed32'];

/** Protobuf allows 100 levels of nesting by default; deeper input is hostile, not telemetry. */
export const MAX_DEPTH = 100;

const STRING_CACHE_SIZE = 4096;
const CACHED_STRING_MAX = 32;
// Attribute keys and common values repeat in every span; decoding them once saves most string work.
const stringCache: (string | undefined)[] = new Array<string | undefined>(STRING_CACHE_SIZE).fill(undefined);

/**
 * Protobuf wire primitives over one buffer. Every read is bounded by the end of the message it is
 * in (`end`), so a length that lies cannot make a nested message read its parent's bytes.
 */
export class ProtoReader {
  pos = 0;
  private readonly view: DataView;
  private readonly text: Buffer;

  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** A varint's low 32 bits as an unsigned number (tags, lengths, uint32, enums). */
  varint32(end: number): number {
    const buf = this.buf;
    let p = this.pos;
    if (p < end) {
      const b = buf[p];
      if (b < 0x80) {
        this.pos = p + 1;
        return b;
      }
    }
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (p >= end) throw new FieldFault(`varint at byte ${this.pos} runs past the end of its message at byte ${end}`, this.pos);
      const b = buf[p++];
      if (shift < 32) value |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = p;
        return value >>> 0;
      }
    }
    throw new FieldFault(`varint at byte ${this.pos} is longer than 10 bytes`, this.pos);
  }

  /** A varint as a signed 64-bit integer (int64 is two's complement on the wire). */
  int64(end: number): bigint {
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    let lo = 0;
    let hi = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift >= 70) throw new FieldFault(`varint at byte ${start} is longer than 10 bytes`, start);
      if (p >= end) throw new FieldFault(`varint at byte ${start} runs past the end of its message at byte ${end}`, start);
      const b = buf[p++];
      const bits = b & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (shift - 32);
      if (b < 0x80) break;
    }
    this.pos = p;
    lo >>>= 0;
    if (hi === 0) return BigInt(lo);
    if (hi > 0 && hi < 0x200000) return BigInt(hi * 0x100000000 + lo);
    return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo));
  }

  fixed64(end: number): bigint {
    const p = this.need(8, end);
    return this.view.getBigUint64(p, true);
  }

  fixed32(end: number): number {
    const p = this.need(4, end);
    return this.view.getUint32(p, true);
  }

  double(end: number): number {
    const p = this.need(8, end);
    return this.view.getFloat64(p, true);
  }

  /** Reads a length prefix and returns where the length-delimited field ends. */
  lengthEnd(end: number): number {
    const start = this.pos;
    const buf = this.buf;
    let length = 0;
    let p = start;
    // All bits count here (not just the low 32), so a huge length cannot wrap around to a small one.
    for (let scale = 1; ; scale *= 0x80) {
      if (p >= end) throw new FieldFault(`varint at byte ${start} runs past the end of its message at byte ${end}`, start);
      if (p - start === 10) throw new FieldFault(`varint at byte ${start} is longer than 10 bytes`, start);
      const b = buf[p++];
      length += (b & 0x7f) * scale;
      if (b < 0x80) break;
    }
    this.pos = p;
    if (p + length > end) {
      throw new FieldFault(`length ${length} at byte ${start} runs past the end of its message at byte ${end}`, start);
    }
    return p + length;
  }

  /** UTF-8 text of a length-delimited field; malformed sequences become U+FFFD rather than an error. */
  string(end: number): string {
    const fieldEnd = this.lengthEnd(end);
    const start = this.pos;
    this.pos = fieldEnd;
    const length = fieldEnd - start;
    if (length === 0) return '';
    if (length > CACHED_STRING_MAX) return this.text.toString('utf8', start, fieldEnd);
    const buf = this.buf;
    // Sampled bytes are enough to pick a slot; a hit is confirmed byte for byte below.
    let hash = length;
    if (length >= 8) {
      const view = this.view;
      hash = Math.imul(hash ^ view.getInt32(start, true), 0x9e3779b1);
      hash = Math.imul(hash ^ view.getInt32(fieldEnd - 4, true), 0x85ebca6b);
      hash = Math.imul(hash ^ view.getInt32(start + (length >> 1) - 2, true), 0xc2b2ae35);
    } else {
      for (let i = start; i < fieldEnd; i++) hash = Math.imul(hash ^ buf[i], 0x9e3779b1);
    }
    hash ^= hash >>> 15;
    const slot = hash & (STRING_CACHE_SIZE - 1);
    const cached = stringCache[slot];
    if (cached !== undefined && cached.length === length) {
      let i = 0;
      while (i < length && cached.charCodeAt(i) === buf[start + i]) i++;
      if (i === length) return cached;
    }
    const decoded = this.text.toString('utf8', start, fieldEnd);
    // Only strings of one char per byte are cached: ASCII, or U+FFFD that never equals a byte.
    if (decoded.length === length) stringCache[slot] = decoded;
    return decoded;
  }

  /** A length-delimited field as lowercase hex ('' when empty). */
  hex(end: number): string {
    const fieldEnd = this.lengthEnd(end);
    const start = this.pos;
    this.pos = fieldEnd;
    return start === fieldEnd ? '' : this.text.toString('hex', start, fieldEnd);
  }

  /** A copy, so a stored attribute does not keep the whole request buffer alive. */
  bytes(end: number): Uint8Array {
    const fieldEnd = this.lengthEnd(end);
    const copy = new Uint8Array(this.buf.subarray(this.pos, fieldEnd));
    this.pos = fieldEnd;
    return copy;
  }

  /** Reads a tag; field number 0 and wire types 6 and 7 do not exist. */
  tag(end: number): number {
    const start = this.pos;
    const tag = this.varint32(end);
    if (tag >>> 3 === 0) throw new FieldFault(`field number 0 at byte ${start}`, start);
    if ((tag & 7) > 5) throw new FieldFault(`invalid wire type ${tag & 7} at byte ${start}`, start);
    return tag;
  }

  /** Fails unless a known field arrived with the wire type its schema gives it. */
  expect(tag: number, wireType: number): void {
    if ((tag & 7) !== wireType) {
      const at = this.tagStart(tag);
      throw new FieldFault(`wire type ${WIRE_TYPE_NAMES[tag & 7]} where ${WIRE_TYPE_NAMES[wireType]} was expected at byte ${at}`, at);
    }
  }

  /** Skips the value of a field this decoder does not know (any wire type, groups included). */
  skip(tag: number, end: number, depth = 0): void {
    switch (tag & 7) {
      case WireType.VARINT:
        this.skipVarint(end);
        return;
      case WireType.I64:
        this.need(8, end);
        return;
      case WireType.LEN:
        this.pos = this.lengthEnd(end);
        return;
      case WireType.I32:
        this.need(4, end);
        return;
      case WireType.SGROUP: {
        if (depth >= MAX_DEPTH) throw new FieldFault(`groups nested deeper than ${MAX_DEPTH} levels at byte ${this.pos}`, this.pos);
        const field = tag >>> 3;
        while (true) {
          if (this.pos >= end) throw new FieldFault(`group ${field} is not closed before the end of its message at byte ${end}`, this.pos);
          const inner = this.tag(end);
          if ((inner & 7) === WireType.EGROUP) {
            if (inner >>> 3 !== field) throw new FieldFault(`group ${field} closed by end of group ${inner >>> 3} at byte ${this.tagStart(inner)}`, this.pos);
            return;
          }
          this.skip(inner, end, depth + 1);
        }
      }
      default: {
        const at = this.tagStart(tag);
        throw new FieldFault(`end of group ${tag >>> 3} without a start at byte ${at}`, at);
      }
    }
  }

  private skipVarint(end: number): void {
    const start = this.pos;
    for (let p = start; p < end && p < start + 10; p++) {
      if (this.buf[p] < 0x80) {
        this.pos = p + 1;
        return;
      }
    }
    throw new FieldFault(
      end - start >= 10 ? `varint at byte ${start} is longer than 10 bytes` : `varint at byte ${start} runs past the end of its message at byte ${end}`,
      start,
    );
  }

  /** Checks that `size` bytes remain before `end`, moves past them and returns where they start. */
  private need(size: number, end: number): number {
    const p = this.pos;
    if (p + size > end) throw new FieldFault(`${size}-byte value at byte ${p} runs past the end of its message at byte ${end}`, p);
    this.pos = p + size;
    return p;
  }

  /** Where the tag just read began (tags of known fields are at most 5 bytes). */
  private tagStart(tag: number): number {
    let size = 1;
    for (let t = tag >>> 7; t > 0; t >>>= 7) size++;
    return this.pos - size;
  }
}
