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
