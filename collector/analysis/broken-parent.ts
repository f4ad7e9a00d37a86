// broken-parent: spans whose parent link does not lead to a parent in their own trace.
import { serviceName } from '../model';
import type { AssembledTrace } from './assemble';
import { RowFlag } from '../../common/telemetry';
import type { AnalysisContext } from './context';
import { parentIsRemote } from './context';
import type { Evidence, FindingSubkind, Observation } from '../../common/findings';

export function findBrokenParents(trace: AssembledTrace, ctx: AnalysisContext): Observation[] {
  const { spans, flags } = trace;
  const found: Observation[] = [];
  const observe = (subkind: FindingSubkind<'broken-parent'>, row: number, evidence: Evidence) => {
    const span = spans[row];
    found.push({
      kind: 'broken-parent',
      subkind,
      service: serviceName(span.resource),
      operation: span.name,
      at: { traceId: span.traceId, spanId: span.spanId },
      evidence,
    });
  };

  for (const top of trace.tops) {
    if (top.kind !== 'missing-parent') continue;
    const elsewhere = ctx.locateSpanId(top.parentSpanId).filter((t) => t !== trace.traceId);
    for (const row of top.rows) {
      if (elsewhere.length > 0) {
        observe('cross-trace-parent', row, { parentSpanId: top.parentSpanId, parentTraceIds: elsewhere });
      } else {
        observe('missing-parent', row, {
          parentSpanId: top.parentSpanId,
          orphansOfThisParent: top.rows.length,
          ...whereTheParentWent(trace, row, ctx),
        });
      }
    }
  }

  for (let row = 0; row < spans.length; row++) {
    if (flags[row] & RowFlag.SELF_PARENT) observe('self-parent', row, { parentSpanId: spans[row].parentSpanId });
  }

  for (const cycle of trace.cycles) {
    const members = cycle.map((row) => ({ spanId: spans[row].spanId, service: serviceName(spans[row].resource), operation: spans[row].name }));
    for (const row of cycle) observe('cycle', row, { parentSpanId: spans[row].parentSpanId, cycle: members });
  }

  for (const { rows } of trace.duplicates) {
    const copies = rows.map((row) => spans[row]);
    const [first] = copies;
    // Byte-for-byte repeats come from a re-sent batch; different spans under one id from an id generator.
    const resent = copies.every((s) => s.name === first.name && s.startNs === first.startNs && s.endNs === first.endNs && s.resource === first.resource);
    observe('duplicate-span-id', rows[1], {
      copies: copies.map((s) => ({ service: serviceName(s.resource), operation: s.name, startNs: String(s.startNs), endNs: String(s.endNs) })),
      identicalCopies: resent,
    });
  }
  return found;
}

/**
 * Was the parent lost, or never recorded? A remote parent whose caller sends sampled traces points at
 * sampler disagreement (the caller chose not to record this request); a local parent was lost on the way.
 */
function whereTheParentWent(trace: AssembledTrace, row: number, ctx: AnalysisContext): Evidence {
  const span = trace.spans[row];
  const remote = parentIsRemote(span);
  if (remote === null) return { parentRemote: null, hint: 'The sender did not say whether the parent was in another process.' };
  if (!remote) {
    return {
      parentRemote: false,
      hint: 'The parent was in the same process, so its span was lost on the way: a dropped export batch, or a span that never ended.',
    };
  }
  const callers = ctx
    .callersOf(serviceName(span.resource), span.name)
    .map((service) => ({ service, sampledTraces: ctx.sampledTraceCount(service) }))
    .filter((c) => c.sampledTraces > 0);
  if (callers.length === 0) {
    return {
      parentRemote: true,
      callers: [],
      hint: 'The parent was in another process that sent no trace of this call: check that the caller exports here and propagates context.',
    };
  }
  const names = callers.map((c) => `\`${c.service}\``).join(', ');
  return {
    parentRemote: true,
    callers,
    hint:
      `The parent was in another process, and ${names}, which ${callers.length === 1 ? 'calls' : 'call'} this operation, ` +
      'sends sampled traces: its sampler likely chose not to record this request (sampler disagreement) rather than losing the span.',
  };
}
