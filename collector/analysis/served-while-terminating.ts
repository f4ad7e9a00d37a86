// served-while-terminating: SERVER spans that started on a pod after its deletion was requested, judged against
// the cluster as the history recorded it at the span's start. Such a request either failed (the pod had
// already stopped accepting: connection reset, 502/503 at the caller) or was a near miss.
import { deletionRequestedMs, type EndpointSliceState, type PodState } from '../../common/cluster';
import type { Evidence, Observation } from '../../common/findings';
import { SpanKind, StatusCode } from '../../common/telemetry';
import { serviceName, type Span } from '../model';
import type { AssembledTrace } from './assemble';
import { placeOf, type ClusterHistory } from './cluster-links';

/** One occurrence per SERVER span that started on a pod whose deletion had begun, with what a person can check. */
export function findServedWhileTerminating(trace: AssembledTrace, history: ClusterHistory): Observation[] {
  const found: Observation[] = [];
  for (let r = 0; r < trace.spans.length; r++) {
    const span = trace.spans[r];
    if (span.kind !== SpanKind.SERVER) continue;
    const { attributes, ms } = placeOf(span);
    const link = history.linkResource(attributes, ms);
    if (!link) continue;
    const pod = history.stateAt<'Pod'>(link.pod.uid, ms);
    const deletion = pod && deletionRequestedMs(pod);
    if (!pod || deletion === undefined || deletion > ms) continue;
    const caller = trace.parent[r] >= 0 ? trace.spans[trace.parent[r]] : undefined;
    const failure = failureOf(span) ?? (caller && caller.kind === SpanKind.CLIENT ? failureOf(caller) : undefined);
    const evidence: Evidence = {
      pod: link.pod.name,
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

/** Why a span failed, in a few words, or undefined if it did not: error status, a 5xx, or an error.type. */
function failureOf(span: Span): string | undefined {
  const status = Number(span.attributes['http.response.status_code'] ?? span.attributes['http.status_code'] ?? span.attributes['rpc.grpc.status_code'] ?? NaN);
  const isGrpc = span.attributes['rpc.grpc.status_code'] !== undefined;
  // gRPC UNAVAILABLE (14) is what a client sees when the server went away mid-call.
  if (!isGrpc && status >= 500) return `${span.kind === SpanKind.CLIENT ? 'caller got' : 'answered'} HTTP ${status}`;
  if (isGrpc && status === 14) return `${span.kind === SpanKind.CLIENT ? 'caller got' : 'answered'} gRPC UNAVAILABLE`;
  const errorType = span.attributes['error.type'];
  if (span.status.code === StatusCode.ERROR) {
    const why = typeof errorType === 'string' ? errorType : span.status.message;
    return `${span.kind === SpanKind.CLIENT ? 'caller' : 'server'} error${why ? `: ${why}` : ''}`;
  }
  return undefined;
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
