import { describe, expect, it } from 'vitest';
import type { WireTraceSummary } from '../../../common/wire';
import { importedTraces } from './imports';

const summary = (n: number, startNs: string): WireTraceSummary => ({
  traceId: n.toString(16).padStart(32, '0'),
  rootService: 'svc',
  rootOperation: 'op',
  startNs,
  durationNs: '1000',
  spanCount: 1,
  errorCount: 0,
  findingCount: 0,
  services: ['svc'],
});

describe('importedTraces', () => {
  const y2019 = '1546300800000000000';
  const y2020 = '1577836800000000000';
  const now = '1760000000000000000';

  it('spans the start times of the new traces over every push', () => {
    const first = importedTraces(undefined, { updated: [summary(1, y2020), summary(2, y2019)], newTraceIds: [summary(1, '').traceId, summary(2, '').traceId], truncated: false });
    expect(first).toEqual({ fromNs: y2019, toNs: y2020, updatedOnly: false });
    const second = importedTraces(first, { updated: [summary(3, '1560000000000000000')], newTraceIds: [summary(3, '').traceId], truncated: false });
    expect(second).toEqual({ fromNs: y2019, toNs: y2020, updatedOnly: false });
  });

  it('is not stretched by live traffic updating traces that already existed', () => {
    const held = importedTraces(undefined, { updated: [summary(1, y2019)], newTraceIds: [summary(1, '').traceId], truncated: false });
    expect(importedTraces(held, { updated: [summary(9, now)], newTraceIds: [], truncated: false })).toBe(held);
  });

  it('falls back on updated traces when the import created none (the traces were already stored)', () => {
    const again = importedTraces(undefined, { updated: [summary(1, y2019), summary(2, y2020)], newTraceIds: [], truncated: false });
    expect(again).toEqual({ fromNs: y2019, toNs: y2020, updatedOnly: true });
    expect(importedTraces(again, { updated: [summary(3, now)], newTraceIds: [summary(3, '').traceId], truncated: false })).toEqual({ fromNs: now, toNs: now, updatedOnly: false });
    expect(importedTraces(undefined, { updated: [], newTraceIds: [], truncated: true })).toBeUndefined();
  });
});
