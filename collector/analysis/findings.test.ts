import { describe, expect, it } from 'vitest';
import type { Observation } from '../../common/findings';
import { FindingAggregator, renderFindingsText, TEXT_WIDTH, wrapText } from './findings';
import { findingTitle } from '../../common/findings';
import { findingFingerprint } from '../fingerprint';

function observation(over: Partial<Observation> & { spanId: string }): Observation {
  return {
    kind: 'broken-parent',
    subkind: 'missing-parent',
    severity: 'warning',
    service: 'db',
    operation: 'SELECT',
    at: { traceId: 't'.repeat(32), spanId: over.spanId },
    evidence: { parentSpanId: 'p'.repeat(16) },
    ...over,
  };
}

describe('findings', () => {
  it('fingerprints kind + service + operation + subkind, the same in every run', () => {
    const fp = findingFingerprint('broken-parent', 'missing-parent', 'db', 'SELECT');
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(fp).toBe(findingFingerprint('broken-parent', 'missing-parent', 'db', 'SELECT'));
    expect(fp).not.toBe(findingFingerprint('broken-parent', 'missing-parent', 'db', 'INSERT'));
    expect(fp).not.toBe(findingFingerprint('broken-parent', 'cycle', 'db', 'SELECT'));
    // fields cannot bleed into each other
    expect(findingFingerprint('k', 's', 'a b', 'c')).not.toBe(findingFingerprint('k', 's', 'a', 'b c'));
  });

  it('merges occurrences per fingerprint, counting all and keeping at most maxExamples', () => {
    const aggregator = new FindingAggregator(2);
    aggregator.add([1, 2, 3].map((i) => observation({ spanId: String(i).repeat(16) })));
    aggregator.add([observation({ spanId: '4'.repeat(16), service: 'cache' })]);
    const [db, cache] = aggregator.findings();
    expect(db.count).toBe(3);
    expect(db.occurrences.map((o) => o.spanId)).toEqual(['1'.repeat(16), '2'.repeat(16)]);
    expect(db.title).toBe('3 spans of `db` (`SELECT`) have parents that never arrived');
    expect(cache.count).toBe(1);
    expect(cache.title).toBe('1 span of `cache` (`SELECT`) has a parent that never arrived');
  });

  it('orders findings by severity, then count', () => {
    const aggregator = new FindingAggregator();
    aggregator.add([
      observation({ spanId: '1'.repeat(16) }),
      observation({ spanId: '2'.repeat(16), service: 'x', kind: 'log-context-lost', subkind: 'missing-trace', severity: 'info', evidence: {} }),
      observation({ spanId: '3'.repeat(16), service: 'x', severity: 'error', subkind: 'cycle' }),
      observation({ spanId: '4'.repeat(16), service: 'y' }),
      observation({ spanId: '5'.repeat(16), service: 'y' }),
    ]);
    expect(aggregator.findings().map((f) => `${f.severity}:${f.service}:${f.count}`)).toEqual(['error:x:1', 'warning:y:2', 'warning:db:1', 'info:x:1']);
  });

  it('renders text grouped by severity: title, example trace, and each kind\'s likely cause once, wrapped and indented', () => {
    const aggregator = new FindingAggregator();
    aggregator.add([
      observation({ spanId: '1'.repeat(16) }),
      observation({ spanId: '2'.repeat(16) }),
      observation({ spanId: '3'.repeat(16), severity: 'error', subkind: 'self-parent', service: 'pay', operation: 'ledger' }),
    ]);
    const lines = renderFindingsText(aggregator.findings()).trimEnd().split('\n');
    expect(lines).toEqual([
      'ERROR — 1 finding, 1 occurrence',
      '  1 span of `pay` (`ledger`) names itself as its own parent [broken-parent/self-parent]',
      `    e.g. trace ${'t'.repeat(32)} span ${'3'.repeat(16)}`,
      '    Likely cause: An exporter dropped a batch (queue full, process killed before flush), or a span',
      '      was started from the context of another request.',
      'WARNING — 1 finding, 2 occurrences',
      '  2 spans of `db` (`SELECT`) have parents that never arrived [broken-parent/missing-parent]',
      `    e.g. trace ${'t'.repeat(32)} span ${'1'.repeat(16)}`,
    ]);
    expect(lines.every((l) => l.length <= TEXT_WIDTH)).toBe(true);
    expect(renderFindingsText([])).toBe('No findings.\n');
  });

  it('wraps between words at the width, indenting continuation lines', () => {
    expect(wrapText('aaa bbb ccc ddd', '  ', '    ', 10)).toEqual(['  aaa bbb', '    ccc', '    ddd']);
    expect(wrapText('x'.repeat(20), '  ', '    ', 10)).toEqual([`  ${'x'.repeat(20)}`]);
  });

  it('titles a kind it does not know by kind and subkind', () => {
    const title = findingTitle({ kind: 'async-hop', subkind: 'goroutine', service: 'w', operation: 'job', count: 2, evidence: {} });
    expect(title).toBe('2 spans of `w` (`job`): async-hop/goroutine');
  });
});
