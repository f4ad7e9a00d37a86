// stale-peer-address: CLIENT spans that called a pod IP which, at the call's start, belonged to a pod already
// being deleted or not ready, or to no pod at all, seconds after the Service's endpoints had moved on from it.
// A client (a keep-alive pool, gRPC's DNS resolver, a resolver cache) kept an address longer than it lived.
import type { Evidence, FindingSubkind, JsonValue, Observation } from '../../common/findings';
import { SpanKind } from '../../common/telemetry';
import { serviceName, type Span } from '../model';
import type { AssembledTrace } from './assemble';
import type { ClusterHistory } from './cluster-links';
import { failureOf, peerAddressOf } from './span-outcome';

/**
 * How long after the endpoints moved on a call still counts as propagation rather than a stale cache:
 * kube-proxy, CoreDNS and client balancers normally catch up within a few seconds.
 */
export const STALE_AFTER_MS = 5_000;
/** Endpoints of the target Service listed in the evidence at most. */
const ENDPOINTS_SHOWN = 8;

interface Staleness {
  subkind: FindingSubkind<'stale-peer-address'>;
  podUid: string;
  /** When the endpoints moved on (or the pod became not ready). */
  sinceMs: number;
  /** When the pod stopped holding the address; undefined while it still did at the call. */
  heldUntilMs?: number;
}

export function findStalePeerAddress(trace: AssembledTrace, history: ClusterHistory): Observation[] {
  const found: Observation[] = [];
  for (const call of trace.spans) {
    if (call.kind !== SpanKind.CLIENT) continue;
    const address = peerAddressOf(call);
    if (address === undefined || !history.isPodAddress(address)) continue;
    const ms = Number(call.startNs / 1000n) / 1000;
    const stale = stalenessAt(history, address, ms);
    if (!stale) continue;
    const pod = history.object(stale.podUid)!;
    const evidence: Evidence = {
      address,
      pod: pod.name,
      podUid: pod.uid,
      namespace: pod.namespace,
      heldUntil: stale.heldUntilMs === undefined ? null : new Date(stale.heldUntilMs).toISOString(),
      endpointsMovedOn: new Date(stale.sinceMs).toISOString(),
      calledAfterMs: Math.round(ms - stale.sinceMs),
      targetEndpoints: endpointsAt(history, stale.podUid, ms),
      clientInstance: instanceOf(call),
      outcome: failureOf(call) ?? 'succeeded',
    };
    found.push({ kind: 'stale-peer-address', subkind: stale.subkind, service: serviceName(call.resource), operation: call.name, at: { traceId: call.traceId, spanId: call.spanId }, evidence });
  }
  return found;
}

/** Whether a call to `address` at `ms` went somewhere the endpoints had left at least STALE_AFTER_MS before. */
function stalenessAt(history: ClusterHistory, address: string, ms: number): Staleness | undefined {
  const holder = history.podAtAddress(address, ms);
  if (holder === undefined) {
    const last = history.lastHolderBefore(address, ms);
    if (!last) return undefined;
    const sinceMs = Math.min(history.movedOnFrom(last.uid, ms) ?? last.toMs, last.toMs);
    return ms - sinceMs >= STALE_AFTER_MS ? { subkind: 'no-pod', podUid: last.uid, sinceMs, heldUntilMs: last.toMs } : undefined;
  }
  const deletion = history.deletionOf(holder)?.ms;
  if (deletion !== undefined && deletion <= ms) {
    const sinceMs = Math.min(history.movedOnFrom(holder, ms) ?? deletion, deletion);
    return ms - sinceMs >= STALE_AFTER_MS ? { subkind: 'deleted-pod', podUid: holder, sinceMs } : undefined;
  }
  const notReady = history.notReadySince(holder, ms);
  if (notReady !== undefined && ms - notReady >= STALE_AFTER_MS) return { subkind: 'not-ready-pod', podUid: holder, sinceMs: notReady };
  return undefined;
}

/** The endpoints of the Services that listed the pod, as they were at `ms`: where the calls should have gone. */
function endpointsAt(history: ClusterHistory, podUid: string, ms: number): JsonValue[] {
  const out: string[] = [];
  for (const slice of history.slicesListing(podUid)) {
    const state = history.stateAt<'EndpointSlice'>(slice, ms);
    for (const e of state?.endpoints ?? []) {
      const condition = e.ready !== false ? 'ready' : e.terminating ? 'terminating' : 'not ready';
      out.push(`${e.addresses.join(', ')}${e.pod ? ` (${e.pod.name})` : ''} ${condition}`);
    }
  }
  if (out.length === 0) return ['unknown: no EndpointSlice history lists this pod'];
  return out.length > ENDPOINTS_SHOWN ? [...out.slice(0, ENDPOINTS_SHOWN), `… ${out.length - ENDPOINTS_SHOWN} more`] : out;
}

/** Which client instance made the call: the pod, else the instance id, else the host. */
function instanceOf(span: Span): string {
  const a = span.resource.attributes;
  for (const key of ['k8s.pod.name', 'service.instance.id', 'host.name']) {
    const v = a[key];
    if (typeof v === 'string' && v !== '') return v;
  }
  return serviceName(span.resource);
}
