import { describe, expect, it } from 'vitest';
import { severityOf } from '../../common/findings';
import { SpanFlags, SpanKind } from '../model';
import { assembleTrace } from './assemble';
import { findBrokenParents } from './broken-parent';
import type { AnalysisContext } from './context';
import { memoryContext } from './context';
import { findMultipleRoots } from './multiple-roots';
import { TRACE, resource, span } from './test-spans';

const noOtherTraces: AnalysisContext = { locateSpanId: () => [TRACE], callersOf: () => [], sampledTraceCount: () => 0 };

describe('broken-parent', () => {
  it('reports a missing parent once per orphan, with what the flags say about the parent', () => {
    const trace = assembleTrace([
      span({ id: 'r', start: 0, end: 10 }),
      span({ id: 'o1', parent: 'gone', start: 1, end: 2, flags: SpanFlags.CONTEXT_HAS_IS_REMOTE | SpanFlags.SAMPLED }),
      span({ id: 'o2', parent: 'gone', start: 3, end: 4 }),
    ]);
    const found = findBrokenParents(trace, noOtherTraces);
    expect(found.map((o) => [o.subkind, severityOf(o), o.at.spanId, o.evidence.parentRemote])).toEqual([
      ['missing-parent', 'warning', 'o1'.padStart(16, '0'), false],
      ['missing-parent', 'warning', 'o2'.padStart(16, '0'), null],
    ]);
    expect(found[0].evidence.orphansOfThisParent).toBe(2);
  });

  it('without a known caller, does not claim sampler disagreement for a remote parent', () => {
    const remote = SpanFlags.CONTEXT_HAS_IS_REMOTE | SpanFlags.CONTEXT_IS_REMOTE | SpanFlags.SAMPLED;
    const trace = assembleTrace([span({ id: 's', parent: 'gone', kind: SpanKind.SERVER, start: 0, end: 1, flags: remote })]);
    const [found] = findBrokenParents(trace, noOtherTraces);
    expect(found.evidence).toMatchObject({ parentRemote: true, callers: [] });
    expect(String(found.evidence.hint)).not.toContain('sampler');
  });

  it('says the parent lives in another trace when the context knows that span id', () => {
    const other = 'b'.repeat(32);
    const orphan = span({ id: 'o', parent: 'p', start: 1, end: 2 });
    const elsewhere = span({ id: 'p', trace: other, start: 0, end: 5 });
    const ctx = memoryContext([[orphan], [elsewhere]]);
    const [found] = findBrokenParents(assembleTrace([orphan]), ctx);
    expect(found).toMatchObject({ subkind: 'cross-trace-parent', evidence: { parentTraceIds: [other] } });
    expect(severityOf(found)).toBe('error');
  });

  it('reports a duplicated id once, at the copy that does not own it, and spots re-sent copies', () => {
    const db = resource('db');
    const cache = resource('cache');
    const differing = assembleTrace([
      span({ id: 'r', start: 0, end: 10 }),
      span({ id: 'd', parent: 'r', name: 'SELECT', start: 1, end: 2, resource: db }),
      span({ id: 'd', parent: 'r', name: 'GET', start: 3, end: 4, resource: cache }),
    ]);
    const [found] = findBrokenParents(differing, noOtherTraces);
    expect(found).toMatchObject({ subkind: 'duplicate-span-id', service: 'cache', operation: 'GET', evidence: { identicalCopies: false } });

    const twice = span({ id: 'd', parent: 'r', start: 1, end: 2, resource: db });
    const resent = assembleTrace([span({ id: 'r', start: 0, end: 10 }), twice, { ...twice }]);
    expect(findBrokenParents(resent, noOtherTraces)[0].evidence.identicalCopies).toBe(true);
  });

  it('does not report the two halves of a shared client/server span id', () => {
    const trace = assembleTrace([
      span({ id: 'r', start: 0, end: 10 }),
      span({ id: 's', parent: 'r', kind: SpanKind.CLIENT, start: 1, end: 9, resource: resource('a') }),
      span({ id: 's', parent: 'r', kind: SpanKind.SERVER, start: 2, end: 8, resource: resource('b') }),
    ]);
    expect(findBrokenParents(trace, noOtherTraces)).toEqual([]);
  });

  it('reports self-parents and every member of a cycle as errors', () => {
    const trace = assembleTrace([
      span({ id: 'me', parent: 'me', start: 0, end: 1 }),
      span({ id: 'x', parent: 'y', start: 2, end: 3 }),
      span({ id: 'y', parent: 'x', start: 2.5, end: 2.8 }),
    ]);
    const found = findBrokenParents(trace, noOtherTraces);
    expect(found.map((o) => [o.subkind, severityOf(o), o.operation])).toEqual([
      ['self-parent', 'error', 'me'],
      ['cycle', 'error', 'x'],
      ['cycle', 'error', 'y'],
    ]);
  });
});

describe('multiple-roots', () => {
  it('reports every root after the earliest', () => {
    const trace = assembleTrace([
      span({ id: 'late', start: 50, end: 60 }),
      span({ id: 'first', start: 0, end: 10 }),
      span({ id: 'orphan', parent: 'gone', start: 20, end: 30 }),
      span({ id: 'later', start: 70, end: 80 }),
    ]);
    const found = findMultipleRoots(trace);
    // one finding per trace: keyed by the first root, each extra root an occurrence
    expect(found.map((o) => o.operation)).toEqual(['first', 'first']);
    expect(found.map((o) => (o.evidence.root as { operation: string }).operation)).toEqual(['late', 'later']);
    expect(found[0].evidence).toMatchObject({ roots: 3, firstRoot: { operation: 'first' }, startsAfterFirstRootMs: 50 });
  });

  it('is quiet for a single root, however many orphans', () => {
    const trace = assembleTrace([span({ id: 'r', start: 0, end: 1 }), span({ id: 'o', parent: 'gone', start: 0, end: 1 })]);
    expect(findMultipleRoots(trace)).toEqual([]);
  });
});
