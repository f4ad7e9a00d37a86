import { describe, expect, it } from 'vitest';
import { durationTicks, formatCount, formatDuration, formatListRange, formatListTime, formatTimestamp, parseDuration, plural, timeAxisFormat, evidenceLabel } from './format';

describe('formatDuration', () => {
  it('uses three significant digits and the largest unit that fits', () => {
    expect(formatDuration(850)).toBe('850 ns');
    expect(formatDuration(12_345)).toBe('12.3 µs');
    expect(formatDuration(182_400_000)).toBe('182 ms');
    expect(formatDuration(1_820_000_000)).toBe('1.82 s');
    expect(formatDuration(123_000_000_000)).toBe('2m 03s');
    expect(formatDuration(0)).toBe('0 ms');
  });
});

describe('parseDuration', () => {
  it('reads units, fractions and a bare number as milliseconds', () => {
    expect(parseDuration('250ms')).toBe('250000000');
    expect(parseDuration('1.5s')).toBe('1500000000');
    expect(parseDuration('300 µs')).toBe('300000');
    expect(parseDuration('300us')).toBe('300000');
    expect(parseDuration('2m')).toBe('120000000000');
    expect(parseDuration('12')).toBe('12000000');
    expect(parseDuration('fast')).toBeUndefined();
    expect(parseDuration('-1ms')).toBeUndefined();
  });
});

describe('formatTimestamp', () => {
  it('shows the time alone today and the date otherwise', () => {
    const now = new Date(2025, 2, 3, 14, 5, 0);
    const todayNs = (BigInt(new Date(2025, 2, 3, 14, 3, 27, 412).getTime()) * 1_000_000n).toString();
    expect(formatTimestamp(todayNs, now)).toBe('14:03:27.412');
    const earlierNs = (BigInt(new Date(2025, 2, 1, 9, 0, 0, 5).getTime()) * 1_000_000n).toString();
    expect(formatTimestamp(earlierNs, now)).toBe('Mar 1 09:00:00.005');
  });
});

describe('formatListTime', () => {
  it('drops what the reader knows: the date today, the year this year; always keeps the seconds', () => {
    const now = new Date(2025, 2, 3, 14, 5, 0);
    const at = (d: Date) => (BigInt(d.getTime()) * 1_000_000n).toString();
    expect(formatListTime(at(new Date(2025, 2, 3, 14, 3, 27, 412)), now)).toBe('14:03:27.412');
    expect(formatListTime(at(new Date(2025, 0, 9, 8, 1, 2)), now)).toBe('Jan 9 08:01:02');
    expect(formatListTime(at(new Date(2024, 9, 30, 23, 59, 1)), now)).toBe('2024-10-30 23:59:01');
    expect(formatListTime(at(new Date(2026, 0, 1, 0, 0, 9)), now)).toBe('2026-01-01 00:00:09');
  });
});

describe('formatListRange', () => {
  it('gives the end without its date when the range stays within a day', () => {
    const now = new Date(2026, 11, 6, 2, 0, 0);
    const at = (d: Date) => (BigInt(d.getTime()) * 1_000_000n).toString();
    expect(formatListRange(at(new Date(2024, 9, 30, 12, 24, 0)), at(new Date(2024, 9, 30, 12, 24, 36)), now)).toBe('2024-10-30 12:24:00 – 12:24:36');
    expect(formatListRange(at(new Date(2024, 9, 30, 12, 24, 0)), at(new Date(2024, 9, 31, 1, 0, 0)), now)).toBe('2024-10-30 12:24:00 – 2024-10-31 01:00:00');
    expect(formatListRange(at(new Date(2026, 11, 6, 1, 0, 0, 5)), at(new Date(2026, 11, 6, 1, 0, 2, 7)), now)).toBe('01:00:00.005 – 01:00:02.007');
    expect(formatListRange(at(new Date(2024, 9, 30)), at(new Date(2024, 9, 30)), now)).toBe('2024-10-30 00:00:00');
  });
});

describe('timeAxisFormat', () => {
  const now = new Date(2025, 2, 3, 16, 45, 0);
  const labels = (ticks: Date[]) => ticks.map(timeAxisFormat(ticks, now));

  it('labels every tick alike, 24-hour, a minute boundary among seconds included', () => {
    const ticks = [50, 55, 60, 65].map((s) => new Date(2025, 2, 3, 16, 38, s));
    expect(labels(ticks)).toEqual(['16:38:50', '16:38:55', '16:39:00', '16:39:05']);
  });

  it('shows only the precision the ticks need', () => {
    expect(labels([new Date(2025, 2, 3, 9, 30), new Date(2025, 2, 3, 9, 45), new Date(2025, 2, 3, 10, 0)])).toEqual(['09:30', '09:45', '10:00']);
    expect(labels([new Date(2025, 2, 3, 9, 30, 1, 750), new Date(2025, 2, 3, 9, 30, 2, 0)])).toEqual(['09:30:01.750', '09:30:02.000']);
  });

  it('dates the ticks when they are not all today, and shows the date alone at midnights', () => {
    expect(labels([new Date(2025, 2, 2, 22, 0), new Date(2025, 2, 3, 2, 0)])).toEqual(['Mar 2 22:00', 'Mar 3 02:00']);
    expect(labels([new Date(2025, 1, 28), new Date(2025, 2, 1), new Date(2025, 2, 2)])).toEqual(['Feb 28', 'Mar 1', 'Mar 2']);
    expect(labels([new Date(2024, 9, 30, 23, 59, 30), new Date(2024, 9, 30, 23, 59, 45)])).toEqual(['Oct 30, 2024 23:59:30', 'Oct 30, 2024 23:59:45']);
  });
});

describe('formatCount', () => {
  it('abbreviates thousands and millions', () => {
    expect(formatCount(999)).toBe('999');
    expect(formatCount(12_400)).toBe('12.4k');
    expect(formatCount(3_000_000)).toBe('3M');
  });
});

describe('durationTicks', () => {
  it('keeps only powers of ten when the range spans several decades', () => {
    const logTicks = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000];
    expect(durationTicks(logTicks)).toEqual([1, 10, 100, 1000]);
  });

  it('falls back to 1-2-5 steps over a short range', () => {
    expect(durationTicks([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])).toEqual([10, 20, 50, 100]);
  });
});

describe('plural', () => {
  it('names one of a thing in the singular and any other count in the plural', () => {
    expect([0, 1, 2].map((n) => `${n} ${plural(n, 'record')}`)).toEqual(['0 records', '1 record', '2 records']);
    expect(plural(1, 'child', 'children')).toBe('child');
    expect(plural(3, 'child', 'children')).toBe('children');
  });
});

describe('evidenceLabel', () => {
  it('reads camelCase evidence keys as words, with the unit of a Ms key', () => {
    expect(evidenceLabel('endpointsMovedOn')).toBe('endpoints moved on');
    expect(evidenceLabel('calledAfterMs')).toBe('called after (ms)');
    expect(evidenceLabel('pod')).toBe('pod');
    expect(evidenceLabel('p95Ms')).toBe('p95 (ms)');
  });
});
