// served-while-terminating: SERVER spans that started on a pod after its deletion was requested (dated from the
// pod's own deletionTimestamp, however late the watch saw it), with the endpoints as the history recorded them. Such a request either failed (the pod had
// already stopped accepting: connection reset, 502/503 at the caller) or was a near miss.
import type { EndpointSliceState, PodState } from '../../common/cluster';
import type { Evidence, Observation } from '../../common/findings';
import { SpanKind } from '../../common/telemetry';
import { serviceName } from '../model';
import type { AssembledTrace } from './assemble';
import { placeOf, type ClusterHistory } from './cluster-links';
import { failureOf } from './span-outcome';

/** One occurrence per SERVER span that started on a pod whose deletion had begun, with what a person can check. */
export function findServedWhileTerminating(trace: AssembledTrace, history: ClusterHistory): Observation[] {
  const found: Observation[] = [];
  for (let r = 0; r < trace.spans.length; r++) {
    const span = trace.spans[r];
    if (span.kind !== SpanKind.SERVER) continue;
    const { attributes, ms, peers } = placeOf(span);
    const link = history.linkResource(attributes, ms, peers);
    if (!link) continue;
    // the deletion is dated from whichever state showed it first, even one the watch delivered after `ms`
    const deleting = history.deletionOf(link.pod.uid);
    if (!deleting || deleting.ms > ms) continue;
    const { ms: deletion, state: pod } = deleting;
    const caller = trace.parent[r] >= 0 ? trace.spans[trace.parent[r]] : undefined;
    const failure = failureOf(span) ?? (caller && caller.kind === SpanKind.CLIENT ? failureOf(caller) : undefined);
    const evidence: Evidence = {
      pod: link.pod.name,
      podUid: link.pod.uid,
      namespace: link.pod.namespace,
      linkedBy: link.rule,
      deletionRequested: new Date(deletion).toISOString(),
      deletionTimestamp: pod.deletionTimestamp!,
      gracePeriodSeconds: pod.deletionGracePeriodSeconds ?? pod.terminationGracePeriodSeconds ?? null,
      startedAfterDeletionMs: Number(span.startNs / 1000n) / 1000 - deletion,
      endpoint: endpointAt(history, link.pod.uid, ms),
      preStop: preStopOf(pod),
    };
    if (failure) evidence.failure = failure;
    if (caller) evidence.caller = { traceId: caller.traceId, spanId: caller.spanId, service: serviceName(caller.resource), operation: caller.name };
    found.push({
      kind: 'served-while-terminating',
      subkind: failure ? 'failed' : 'near-miss',
      service: serviceName(span.resource),
      operation: span.name,
      at: { traceId: span.traceId, spanId: span.spanId },
      evidence,
    });
  }
  return found;
}

/** Whether the pod's EndpointSlices still listed it as ready (or only serving) at `ms`. */
function endpointAt(history: ClusterHistory, podUid: string, ms: number): string {
  const slices = history.slicesListing(podUid);
  if (slices.length === 0) return 'unknown: no EndpointSlice history lists this pod';
  for (const slice of slices) {
    const endpoint = history.stateAt<'EndpointSlice'>(slice, ms)?.endpoints.find((e) => e.pod?.uid === podUid);
    if (endpoint) return describeEndpoint(endpoint);
  }
  return 'no longer listed';
}

function describeEndpoint(e: EndpointSliceState['endpoints'][number]): string {
  if (e.ready !== false) return 'still listed as ready';
  if (e.serving) return e.terminating ? 'listed as serving and terminating' : 'listed as serving, not ready';
  return 'listed, not ready';
}

function preStopOf(pod: PodState): string {
  const hooks = Object.entries(pod.preStopHooks ?? {});
  return hooks.length === 0 ? 'none' : hooks.map(([container, hook]) => `${container}: ${hook}`).join('; ');
}
