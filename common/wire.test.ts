import { describe, expect, it } from 'vitest';
import { parseSpanKey, spanKey } from './wire';

const ref = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };

describe('span keys', () => {
  it('name a span as traceId:spanId and read back', () => {
    expect(spanKey(ref)).toBe(`${ref.traceId}:${ref.spanId}`);
    expect(parseSpanKey(spanKey(ref))).toEqual(ref);
  });

  it('read nothing from a malformed key', () => {
    for (const key of ['', ':', ref.traceId, `${ref.traceId}:`, `:${ref.spanId}`, `${ref.spanId}:${ref.traceId}`, `${ref.traceId.toUpperCase()}:${ref.spanId}`, `${ref.traceId}:${ref.spanId}:x`, `${ref.traceId}-${ref.spanId}`]) {
      expect(parseSpanKey(key), key).toBeUndefined();
    }
  });
});
