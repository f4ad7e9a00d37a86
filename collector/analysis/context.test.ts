import { describe, expect, it } from 'vitest';
import { TracesContext } from './context';
import { span } from './test-spans';

const trace = (n: number) => n.toString(16).padStart(32, '0');

describe('TracesContext', () => {
  it('finds the traces that hold a span id, and forgets the oldest once over its cap, never holding more', () => {
    const context = new TracesContext(1000);
    for (let n = 1; n <= 5000; n++) context.add([span({ id: n.toString(16), trace: trace(n), start: n, end: n + 1 })]);
    // the most recent half of the cap is always there; what is older than the cap is gone
    for (let n = 4501; n <= 5000; n++) expect(context.locateSpanId(n.toString(16).padStart(16, '0'))).toEqual([trace(n)]);
    for (let n = 1; n <= 4000; n++) expect(context.locateSpanId(n.toString(16).padStart(16, '0'))).toEqual([]);
    let held = 0;
    for (let n = 1; n <= 5000; n++) if (context.locateSpanId(n.toString(16).padStart(16, '0')).length > 0) held++;
    expect(held).toBeLessThanOrEqual(1000);
    expect(held).toBeGreaterThanOrEqual(500);
  });

  it('keeps every trace a reused span id appeared in, across the turnover', () => {
    const context = new TracesContext(4);
    context.add([span({ id: 'a', trace: trace(1), start: 0, end: 1 })]);
    context.add([span({ id: 'b', trace: trace(2), start: 0, end: 1 })]);
    context.add([span({ id: 'a', trace: trace(3), start: 0, end: 1 })]);
    context.add([span({ id: 'c', trace: trace(4), start: 0, end: 1 })]);
    expect(context.locateSpanId('a'.padStart(16, '0'))).toEqual([trace(1), trace(3)]);
  });
});

describe('TracesContext span ids beyond the common shape', () => {
  it('finds every span id of a file without a cap, as its tables grow', () => {
    const context = new TracesContext();
    for (let n = 1; n <= 20_000; n++) context.add([span({ id: (n * 7919).toString(16), trace: trace(n % 97), start: n, end: n + 1 })]);
    for (let n = 1; n <= 20_000; n++) expect(context.locateSpanId((n * 7919).toString(16).padStart(16, '0'))).toEqual([trace(n % 97)]);
    expect(context.spanIdCount()).toBe(20_000);
    expect(context.locateSpanId('ffff'.padStart(16, '0'))).toEqual([]);
  });

  it('keeps ids that are not 16 and 32 lowercase hex digits as they came, the invalid all-zero ids too', () => {
    const context = new TracesContext(8);
    const odd = [
      { spanId: 'ABCDEF0123456789', traceId: 'ABCDEF0123456789ABCDEF0123456789' },
      { spanId: '0000000000000000', traceId: trace(5) },
      { spanId: '1234', traceId: 'not-a-trace' },
      { spanId: 'abcdef0123456789', traceId: '00000000000000000000000000000000' },
      { spanId: 'abcdef0123456789', traceId: trace(6) },
      { spanId: 'zzzzzzzzzzzzzzzz', traceId: trace(7).slice(16) },
      { spanId: '1234', traceId: '0'.repeat(32) },
      { spanId: 'abcdef0123456789', traceId: '0'.repeat(32) },
    ];
    for (const ids of odd) context.add([{ ...span({ id: 'x', start: 0, end: 1 }), ...ids }]);
    expect(context.locateSpanId('ABCDEF0123456789')).toEqual(['ABCDEF0123456789ABCDEF0123456789']);
    expect(context.locateSpanId('0000000000000000')).toEqual([trace(5)]);
    expect(context.locateSpanId('1234')).toEqual(['not-a-trace', '0'.repeat(32)]);
    // upper and lower case are different ids, as the strings are
    expect([...context.locateSpanId('abcdef0123456789')].sort()).toEqual(['00000000000000000000000000000000', trace(6)].sort());
    expect(context.locateSpanId('zzzzzzzzzzzzzzzz')).toEqual([trace(7).slice(16)]);
  });

  it('carries what the older generation knew of a span id seen again, its other traces included', () => {
    const context = new TracesContext(4);
    context.add([span({ id: 'a', trace: trace(1), start: 0, end: 1 })]);
    context.add([span({ id: 'a', trace: 'T1', start: 0, end: 1 })]);
    context.add([span({ id: 'b', trace: trace(2), start: 0, end: 1 })]);
    // turnover: a and b are older now; a is seen again in a third trace
    context.add([span({ id: 'c', trace: trace(3), start: 0, end: 1 })]);
    context.add([span({ id: 'a', trace: trace(4), start: 0, end: 1 })]);
    // another turnover drops the generation that held a first
    context.add([span({ id: 'd', trace: trace(5), start: 0, end: 1 })]);
    context.add([span({ id: 'e', trace: trace(6), start: 0, end: 1 })]);
    expect([...context.locateSpanId('a'.padStart(16, '0'))].sort()).toEqual([trace(1), 'T1', trace(4)].sort());
    expect(context.locateSpanId('b'.padStart(16, '0'))).toEqual([]);
  });
});
