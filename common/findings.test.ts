import { describe, expect, it } from 'vitest';
import { FINDING_KIND_NAMES, FINDING_KINDS, findingTitle, severityOf, subkindSpec, type KindSpec, type Observation } from './findings';

const at = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) };

describe('finding kinds', () => {
  it('every kind has a label, help and a typical cause, and at least one subkind', () => {
    for (const kind of FINDING_KIND_NAMES) {
      const spec: KindSpec = FINDING_KINDS[kind];
      expect(spec.label.length, kind).toBeGreaterThan(3);
      expect(spec.help.length, kind).toBeGreaterThan(60);
      expect(spec.cause.length, kind).toBeGreaterThan(20);
      expect(Object.keys(spec.subkinds).length, kind).toBeGreaterThan(0);
    }
  });

  it('titles every declared subkind with the service, in singular and plural', () => {
    const evidence = { skewMs: -12, childHost: 'node-b', parentHost: 'node-a', parentService: 'api', observed: 10, counted: 100, configured: 0.5, configuredFrom: 'settings', records: 4, pod: 'api-7c9f-x1', container: 'app', reason: 'Error', exitCode: 2, address: '10.1.0.7', podErrorRate: '75 % (30 of 40)', siblingErrorRate: '1 % (1 of 80) over 2 pods' };
    for (const kind of FINDING_KIND_NAMES) {
      for (const subkind of Object.keys(FINDING_KINDS[kind].subkinds)) {
        for (const count of [1, 7]) {
          const title = findingTitle({ kind, subkind, service: 'checkout', operation: 'GET /orders', count, evidence });
          expect(title, `${kind}/${subkind}`).toContain('`checkout`');
          expect(title).not.toMatch(/undefined|NaN/);
        }
      }
    }
    expect(findingTitle({ kind: 'broken-parent', subkind: 'missing-parent', service: 'db', operation: 'SELECT', count: 1, evidence: {} })).toBe(
      '1 span of `db` (`SELECT`) has a parent that never arrived',
    );
  });

  it("gives an observation its subkind's severity unless the detector chose one", () => {
    expect(severityOf({ kind: 'broken-parent', subkind: 'cycle' })).toBe('error');
    expect(severityOf({ kind: 'broken-parent', subkind: 'missing-parent' })).toBe('warning');
    expect(severityOf({ kind: 'dual-id', subkind: 'request-split', severity: 'info' })).toBe('info');
  });

  it('refuses a subkind declared under another kind, and knows nothing of undeclared names', () => {
    expect(() => severityOf({ kind: 'clock-skew', subkind: 'cycle' })).toThrow(/'cycle' is not declared under kind 'clock-skew'/);
    expect(subkindSpec('broken-parent', 'toString')).toBeUndefined();
    expect(subkindSpec('constructor', 'cycle')).toBeUndefined();
    expect(findingTitle({ kind: 'from-a-newer-build', subkind: 'x', service: 's', operation: 'o', count: 2, evidence: {} })).toBe('2 spans of `s` (`o`): from-a-newer-build/x');
  });

  it('does not compile a detector that emits a kind or subkind without its declaration (checked by tsc)', () => {
    const undeclaredKind: Observation = {
      // @ts-expect-error 'dns-cache-stale' has no title or help in FINDING_KINDS, so no detector may emit it
      kind: 'dns-cache-stale',
      subkind: 'cycle',
      service: 's',
      operation: 'o',
      at,
      evidence: {},
    };
    const undeclaredSubkind: Observation = {
      kind: 'broken-parent',
      // @ts-expect-error 'orphan' is not a declared subkind
      subkind: 'orphan',
      service: 's',
      operation: 'o',
      at,
      evidence: {},
    };
    // @ts-expect-error a kind declared without help (and cause) is not a KindSpec
    const withoutHelp: KindSpec = { label: 'DNS cache stale', subkinds: { late: { severity: 'warning', title: () => 'late' } } };
    // @ts-expect-error a subkind declared without a title is not a KindSpec either
    const withoutTitle: KindSpec = { label: 'x', help: 'y', cause: 'z', subkinds: { late: { severity: 'warning' } } };
    expect([undeclaredKind, undeclaredSubkind, withoutHelp, withoutTitle]).toHaveLength(4);
  });
});
