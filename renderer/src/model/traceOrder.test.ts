import { describe, expect, it } from 'vitest';
import { mergeNewestFirst, newestFirst } from './traceOrder';

const t = (id: string, startNs: string) => ({ traceId: id.padStart(32, '0'), startNs });

describe('mergeNewestFirst', () => {
  it('puts a trace from another year where it belongs instead of on top, and a new one on top', () => {
    const items = [t('a', '1760000000000000000'), t('b', '1750000000000000000'), t('c', '1600000000000000000')];
    const lastYear = t('d', '1700000000000000000');
    const newest = t('e', '1770000000000000000');
    expect(mergeNewestFirst(items, [lastYear, newest]).map((x) => x.traceId.slice(-1))).toEqual(['e', 'a', 'b', 'd', 'c']);
  });

  it('replaces a trace already listed in place, and keeps equal starts in a total order', () => {
    const items = [t('a', '20'), t('b', '10')];
    expect(mergeNewestFirst(items, [t('b', '10'), t('c', '10')]).map((x) => x.traceId.slice(-1))).toEqual(['a', 'c', 'b']);
    expect(mergeNewestFirst(items, [])).toEqual(items);
  });

  it('compares starts as numbers, not as text', () => {
    expect(newestFirst(t('a', '999999999999999999'), t('b', '1000000000000000000'))).toBe(1);
  });
});
