// The detectors against generated scenarios whose ground truth is known exactly.
import { describe, expect, it } from 'vitest';
import type { ExpectedFinding, Scenario } from '../../fixtures/scenarios';
import { cleanSystem, crossTraceParent, droppedParentBatch, parentCycle, scenarios, skewedHost } from '../../fixtures/scenarios';
import type { Span } from '../model';
import { decodeTracesProto } from '../otlp';
import { analyzeTrace, analyzeTraces, spansByTrace } from './analyze';
import { assembleTrace } from './assemble';
import { memoryContext } from './context';
import type { Finding } from '../../common/findings';
import { FindingAggregator } from './findings';

function decode(scenario: Scenario): Span[] {
  return scenario.payloads.flatMap((payload) => {
    const decoded = decodeTracesProto(payload);
    expect(decoded.rejected).toBe(0);
    return decoded.spans;
  });
}

/** Findings at warning or above, merged by kind/subkind/service, occurrences sorted: the shape of the truth. */
function reported(findings: readonly Finding[]): ExpectedFinding[] {
  const merged = new Map<string, ExpectedFinding>();
  for (const f of findings) {
    if (f.severity === 'info') continue;
    const key = `${f.kind}/${f.subkind}/${f.service}`;
    const entry = merged.get(key) ?? { kind: f.kind, subkind: f.subkind, service: f.service, occurrences: [] };
    entry.occurrences.push(...f.occurrences);
    merged.set(key, entry);
  }
  return normalized([...merged.values()]);
}

function normalized(findings: ExpectedFinding[]): ExpectedFinding[] {
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return findings
    .map((f) => ({ ...f, occurrences: [...f.occurrences].sort((a, b) => byText(a.traceId + a.spanId, b.traceId + b.spanId)) }))
    .sort((a, b) => byText(`${a.kind}/${a.subkind}/${a.service}`, `${b.kind}/${b.subkind}/${b.service}`));
}

describe('scenarios', () => {
  for (const make of scenarios) {
    const scenario = make();
    it(`${scenario.name}: reports exactly the ground truth`, () => {
      const findings = analyzeTraces(spansByTrace(decode(scenario)));
      expect(reported(findings)).toEqual(normalized(scenario.truth.findings));
      for (const f of findings) expect(f.count).toBe(f.occurrences.length);
      // the analyze --format json document: a bigint anywhere would throw here
      expect(JSON.parse(JSON.stringify(findings))).toEqual(findings);
    });
  }

  it('the clean system yields no finding at all', () => {
    expect(analyzeTraces(spansByTrace(decode(cleanSystem())))).toEqual([]);
  });

  it('one trace at a time against a shared context (the serve path) finds what whole-set analysis finds', () => {
    for (const make of scenarios) {
      const traces = spansByTrace(decode(make()));
      const ctx = memoryContext(traces);
      const live = new FindingAggregator(1);
      for (const spans of traces) live.add(analyzeTrace(assembleTrace(spans), ctx));
      const whole = analyzeTraces(traces, ctx);
      expect(live.findings().map((f) => [f.fingerprint, f.count, f.title])).toEqual(whole.map((f) => [f.fingerprint, f.count, f.title]));
      for (const f of live.findings()) expect(f.occurrences.length).toBe(Math.min(1, f.count));
    }
  });

  it('tells a lost local parent from a remote parent whose caller samples', () => {
    const findings = analyzeTraces(spansByTrace(decode(droppedParentBatch())));
    const orders = findings.find((f) => f.service === 'orders')!;
    expect(orders.evidence).toMatchObject({ parentRemote: false, orphansOfThisParent: 2 });
    const payments = findings.find((f) => f.service === 'payments')!;
    expect(payments.evidence).toMatchObject({ parentRemote: true, callers: [{ service: 'orders', sampledTraces: 3 }] });
    expect(String(payments.evidence.hint)).toContain('sampler disagreement');
  });

  it('names the trace a cross-trace parent lives in', () => {
    const spans = decode(crossTraceParent());
    const [finding] = analyzeTraces(spansByTrace(spans));
    const parentTrace = spans.find((s) => s.spanId === finding.evidence.parentSpanId)!.traceId;
    expect(parentTrace).not.toBe(finding.occurrences[0].traceId);
    expect(finding.evidence.parentTraceIds).toEqual([parentTrace]);
    expect(finding.severity).toBe('error');
  });

  it('measures the skewed host at 120 ms behind with the half-latency model', () => {
    const [finding] = analyzeTraces(spansByTrace(decode(skewedHost())));
    expect(finding.evidence).toMatchObject({ parentHost: 'orders-1', childHost: 'payments-1', parentService: 'orders', model: 'half-latency' });
    expect(Number(finding.evidence.skewMs)).toBeCloseTo(-120, 3);
    expect(finding.title).toContain('120 ms behind');
  });

  it('a tolerance above the skew silences it', () => {
    expect(analyzeTraces(spansByTrace(decode(skewedHost())), undefined, { clockSkewToleranceNs: 200e6 })).toEqual([]);
  });

  it('lists the members of a cycle in parent-to-child order', () => {
    const cycle = analyzeTraces(spansByTrace(decode(parentCycle()))).filter((f) => f.subkind === 'cycle');
    expect(cycle.map((f) => f.operation).sort()).toEqual(['attempt', 'retry']);
    expect((cycle[0].evidence.cycle as { operation: string }[]).map((m) => m.operation)).toEqual(['retry', 'attempt']);
  });
});
