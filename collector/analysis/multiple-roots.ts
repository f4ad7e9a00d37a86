// multiple-roots: one trace id, several spans without a parent.
import { serviceName } from '../model';
import type { AssembledTrace } from './assemble';
import type { Observation } from '../../common/findings';
import { nsToMs } from './findings';

/**
 * Every root after the earliest is an occurrence, reported under the first root's service and operation, so a
 * trace with several extra roots is one finding (the extra root's own service and operation are evidence). A
 * warning: each part is a sound tree, but the trace id was reused or regenerated mid-request, so the trace
 * mixes what should be separate requests.
 */
export function findMultipleRoots(trace: AssembledTrace): Observation[] {
  const roots = trace.tops.filter((t) => t.kind === 'root').map((t) => t.rows[0]);
  if (roots.length < 2) return [];
  const first = trace.spans[roots[0]];
  return roots.slice(1).map((row) => {
    const span = trace.spans[row];
    return {
      kind: 'multiple-roots',
      subkind: 'second-root',
      severity: 'warning',
      service: serviceName(first.resource),
      operation: first.name,
      at: { traceId: span.traceId, spanId: span.spanId },
      evidence: {
        roots: roots.length,
        firstRoot: { traceId: first.traceId, spanId: first.spanId, service: serviceName(first.resource), operation: first.name },
        root: { traceId: span.traceId, spanId: span.spanId, service: serviceName(span.resource), operation: span.name },
        startsAfterFirstRootMs: nsToMs(trace.start[row] - trace.start[roots[0]]),
      },
    };
  });
}
