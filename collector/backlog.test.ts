import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatWait, paceText } from '../common/text';
import { backlogLine, reportBacklog, type AnalysisProgress } from './live-analysis';

afterEach(() => {
  vi.useRealTimers();
});

describe('the analysis backlog in the terminal', () => {
  it('says how far behind analysis is while many traces wait, how fast it goes, and once when it caught up', () => {
    vi.useFakeTimers();
    const states: AnalysisProgress[] = [
      { due: 5000, perSecond: 0 },
      { due: 3000, perSecond: 200 },
      { due: 400, perSecond: 250 }, // still draining, but below what is shown
      { due: 20, perSecond: 250 },
      { due: 0, perSecond: 0 },
      { due: 1200, perSecond: 10 },
    ];
    const lines: string[] = [];
    const stop = reportBacklog(() => states.shift()!, (line) => lines.push(line), 10_000);
    for (let i = 0; i < 5; i++) vi.advanceTimersByTime(10_000);
    stop();
    vi.advanceTimersByTime(60_000);
    expect(lines).toEqual([
      'Analysis: 5000 traces waiting; findings are incomplete until then',
      'Analysis: 3000 traces waiting (200/s, about 15 s left); findings are incomplete until then',
      'Analysis caught up: findings are complete',
      'Analysis: 1200 traces waiting (10/s, about 2 min left); findings are incomplete until then',
    ]);
  });

  it('writes nothing while analysis keeps up', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const stop = reportBacklog(() => ({ due: 120, perSecond: 300 }), (line) => lines.push(line), 10_000);
    vi.advanceTimersByTime(60_000);
    stop();
    expect(lines).toEqual([]);
  });

  it('reads waits as a person does', () => {
    expect([0.2, 45, 89, 90, 180, 5399, 5400, 4 * 3600 + 20 * 60].map(formatWait)).toEqual(['1 s', '45 s', '89 s', '2 min', '3 min', '90 min', '1 h 30 min', '4 h 20 min']);
    expect(paceText(600, 0)).toBe('');
    expect(backlogLine({ due: 90_000, perSecond: 150 })).toBe('Analysis: 90000 traces waiting (150/s, about 10 min left); findings are incomplete until then');
  });
});
