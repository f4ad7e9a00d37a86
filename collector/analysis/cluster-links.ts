// The cluster as it was at any time, rebuilt from the recorded history, and the rules that tie a span's
// resource to the pod that emitted it (tried in order, the first that matches wins, as the Collector's
// k8sattributes processor does), then to its owners, node, services, endpoint slices and events.
// Pure: the rows come from the store, the times from the spans.
import {
  deletionRequestedMs,
  type ClusterHistoryRows,
  type ClusterKind,
  type ClusterStateOf,
  type EndpointSliceState,
  type EventState,
  type LinkKeys,
  type LinkRule,
  type NodeState,
  type ObjectLink,
  type OwnerRef,
  type PodState,
  type ServiceState,
  type StoredObject,
  type StoredState,
  type TerminatedState,
  type WorkloadState,
} from '../../common/cluster';
import { SpanKind } from '../../common/telemetry';
import type { AnyValue, Resource, Span } from '../model';
import { peerAddressOf } from './span-outcome';

interface Tracked {
  object: StoredObject;
  /** Oldest first. */
  states: StoredState[];
  createdMs: number;
}

/** A time range [fromMs, toMs) in which a pod held an address. */
export interface Holding {
  uid: string;
  fromMs: number;
  toMs: number;
}

/** A container's termination, as a later state of its pod reported it in lastState.terminated. */
export interface Termination extends TerminatedState {
  container: string;
  finishedMs: number;
  /** The container's restart count in the state that reported it. */
  restartCount: number;
  observedMs: number;
}

export interface PodLink {
  pod: StoredObject;
  /** A link rule, or how a finding named the pod (the address a CLIENT span called). */
  rule: LinkRule | 'named by the finding';
}

/** creationTimestamp has whole seconds and cluster and span clocks differ a little: a pod created this soon after a span may still be its pod. */
const CREATION_TOLERANCE_MS = 5_000;

/** How far back a related Event may be and still be shown with a span (Events are kept for an hour by default). */
const EVENT_WINDOW_MS = 60 * 60 * 1000;

/**
 * What each link rule looks up for a resource's attributes and the addresses its exporters connected from
 * (`Resource.peers`), so the store reads just those candidates.
 */
export function linkKeys(attributes: Readonly<Record<string, AnyValue>>, peers?: readonly string[]): LinkKeys {
  const text = (key: string) => {
    const v = attributes[key];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const keys: LinkKeys = { uids: [], names: [], addresses: [], containerIds: [] };
  const namespace = text('k8s.namespace.name');
  const uid = text('k8s.pod.uid');
  if (uid) keys.uids.push(uid);
  const podName = text('k8s.pod.name');
  if (podName && namespace) keys.names.push({ namespace, name: podName });
  const ip = text('k8s.pod.ip');
  if (ip) keys.addresses.push(ip);
  for (const peer of peers ?? []) if (peer !== ip) keys.addresses.push(peer);
  const containerId = text('container.id');
  if (containerId) keys.containerIds.push(stripScheme(containerId));
  const hostName = text('host.name');
  if (hostName) keys.names.push({ namespace, name: hostName });
  const instance = text('service.instance.id');
  if (instance) {
    const parts = instance.split('.');
    if (parts.length >= 3) keys.names.push({ namespace: parts[0], name: parts.slice(1, -1).join('.') });
    keys.names.push({ namespace, name: instance });
    keys.uids.push(instance);
  }
  return keys;
}

/**
 * What to read of the history to judge these spans: each resource's link keys and the IP each CLIENT span
 * called (stale-peer-address and restart-during-trace look the callee up by it).
 */
export function linkKeysOfSpans(spans: Iterable<Span>): LinkKeys {
  const uids = new Set<string>();
  const names = new Map<string, { namespace?: string; name: string }>();
  const addresses = new Set<string>();
  const containerIds = new Set<string>();
  const resources = new Set<Resource>();
  for (const span of spans) {
    if (span.kind === SpanKind.CLIENT) {
      const peer = peerAddressOf(span);
      if (peer !== undefined) addresses.add(peer);
    }
    if (resources.has(span.resource)) continue;
    resources.add(span.resource);
    const keys = linkKeys(span.resource.attributes, span.resource.peers);
    for (const uid of keys.uids) uids.add(uid);
    for (const n of keys.names) names.set(`${n.namespace ?? ''}/${n.name}`, n);
    for (const a of keys.addresses) addresses.add(a);
    for (const c of keys.containerIds) containerIds.add(c);
  }
  return { uids: [...uids], names: [...names.values()], addresses: [...addresses], containerIds: [...containerIds] };
}

export class ClusterHistory {
  private readonly byUid = new Map<string, Tracked>();
  /** `kind/namespace/name` → uids of the objects that had that name, in creation order (a StatefulSet reuses names). */
  private readonly byName = new Map<string, string[]>();
  /** A pod's name without its namespace → uids, for `host.name`. */
  private readonly podsByBareName = new Map<string, string[]>();
  private readonly servicesByNamespace = new Map<string, string[]>();
  private readonly podsByIp = new Map<string, Holding[]>();
  private readonly podsByContainerId = new Map<string, string>();
  private readonly eventsByInvolvedUid = new Map<string, string[]>();
  private readonly slicesByPodUid = new Map<string, string[]>();
  private sinceMs: number | undefined;

  constructor(rows: ClusterHistoryRows) {
    for (const object of rows.objects) this.byUid.set(object.uid, { object, states: [], createdMs: Date.parse(object.created) || object.firstSeenMs });
    for (const s of rows.states) this.byUid.get(s.uid)?.states.push(s);
    for (const t of this.byUid.values()) {
      t.states.sort((a, b) => a.observedMs - b.observedMs);
      const { kind, namespace, name, uid } = t.object;
      push(this.byName, nameKey(kind, namespace, name), uid);
      if (kind === 'Pod') {
        push(this.podsByBareName, name, uid);
        this.indexPodStates(t);
      } else if (kind === 'Service') {
        push(this.servicesByNamespace, namespace, uid);
      } else if (kind === 'Event') {
        for (const s of t.states) {
          const involved = (s.state as EventState).involved.uid;
          if (involved && !this.eventsByInvolvedUid.get(involved)?.includes(uid)) push(this.eventsByInvolvedUid, involved, uid);
        }
      } else if (kind === 'EndpointSlice') {
        const pods = new Set(t.states.flatMap((s) => (s.state as EndpointSliceState).endpoints.flatMap((e) => (e.pod ? [e.pod.uid] : []))));
        for (const podUid of pods) push(this.slicesByPodUid, podUid, uid);
      }
    }
    const created = (uid: string) => this.byUid.get(uid)!.createdMs;
    for (const list of [...this.byName.values(), ...this.podsByBareName.values()]) list.sort((a, b) => created(a) - created(b));
  }

  /** When recording began: the first observation of anything. Spans before it cannot be judged against the cluster. */
  get since(): number {
    if (this.sinceMs === undefined) {
      let min = Infinity;
      for (const t of this.byUid.values()) min = Math.min(min, t.object.firstSeenMs);
      this.sinceMs = min;
    }
    return this.sinceMs;
  }

  /** The Events about an object that happened (last) between two times, most recent first. */
  eventsAbout(uid: string, fromMs: number, toMs: number): EventState[] {
    const out: EventState[] = [];
    for (const event of this.eventsByInvolvedUid.get(uid) ?? []) {
      const e = this.stateAt<'Event'>(event, toMs);
      const last = Date.parse(e?.lastTime ?? e?.firstTime ?? '');
      if (e && last >= fromMs && last <= toMs) out.push(e);
    }
    return out.sort((a, b) => Date.parse(b.lastTime ?? b.firstTime ?? '') - Date.parse(a.lastTime ?? a.firstTime ?? ''));
  }

  get size(): number {
    return this.byUid.size;
  }

  object(uid: string): StoredObject | undefined {
    return this.byUid.get(uid)?.object;
  }

  /** The object's state at `ms`: the last one observed by then, or its first when `ms` is before any observation. */
  stateAt<K extends ClusterKind>(uid: string, ms: number): ClusterStateOf[K] | undefined {
    const t = this.byUid.get(uid);
    if (!t || t.states.length === 0) return undefined;
    let lo = 0;
    let hi = t.states.length - 1;
    if (t.states[0].observedMs > ms) return t.states[0].state as ClusterStateOf[K];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (t.states[mid].observedMs <= ms) lo = mid;
      else hi = mid - 1;
    }
    return t.states[lo].state as ClusterStateOf[K];
  }

  /** The pod that emitted telemetry with these resource attributes (and exporter addresses) at `ms`, and the rule that found it (the rules: `linkKeys`). */
  linkResource(attributes: Readonly<Record<string, AnyValue>>, ms: number, peers?: readonly string[]): PodLink | undefined {
    const text = (key: string) => {
      const v = attributes[key];
      return typeof v === 'string' && v !== '' ? v : undefined;
    };
    const found = (uid: string | undefined, rule: LinkRule): PodLink | undefined => {
      const t = uid === undefined ? undefined : this.byUid.get(uid);
      return t && t.object.kind === 'Pod' ? { pod: t.object, rule } : undefined;
    };
    const namespace = text('k8s.namespace.name');
    const podUid = text('k8s.pod.uid');
    if (podUid) {
      const link = found(podUid, 'k8s.pod.uid');
      if (link) return link;
    }
    const podName = text('k8s.pod.name');
    if (podName && namespace) {
      const link = found(this.namedAt(this.byName.get(nameKey('Pod', namespace, podName)), ms), 'k8s.pod.name');
      if (link) return link;
    }
    const podIp = text('k8s.pod.ip');
    if (podIp) {
      const link = found(this.podAtAddress(podIp, ms), 'k8s.pod.ip');
      if (link) return link;
    }
    // The address the exporter connected from, when it is the pod's own (no agent or gateway in between).
    for (const peer of peers ?? []) {
      const link = found(this.podAtAddress(peer, ms), 'connection');
      if (link) return link;
    }
    const containerId = text('container.id');
    if (containerId) {
      const link = found(this.podsByContainerId.get(stripScheme(containerId)), 'container.id');
      if (link) return link;
    }
    const hostName = text('host.name');
    if (hostName) {
      const link = found(this.podNamed(hostName, namespace, ms), 'host.name');
      if (link) return link;
    }
    const instance = text('service.instance.id');
    if (instance) {
      // The semantic conventions' Kubernetes form is `<namespace>.<pod>.<container>`; the operator may set the pod's uid.
      const parts = instance.split('.');
      const named = parts.length >= 3 ? this.namedAt(this.byName.get(nameKey('Pod', parts[0], parts.slice(1, -1).join('.'))), ms) : undefined;
      const link = found(named ?? this.podNamed(instance, namespace, ms) ?? (this.byUid.has(instance) ? instance : undefined), 'service.instance.id');
      if (link) return link;
    }
    return undefined;
  }

  /** The EndpointSlices that ever listed this pod. */
  slicesListing(podUid: string): readonly string[] {
    return this.slicesByPodUid.get(podUid) ?? [];
  }

  /** The pod that held `ip` at `ms` (pod IPs are reused: only the holder at that time counts). */
  podAtAddress(ip: string, ms: number): string | undefined {
    return this.podsByIp.get(ip)?.find((h) => h.fromMs <= ms && ms < h.toMs)?.uid;
  }

  /** Who held `ip` last before `ms` (and until when); undefined when no pod ever held it before then. */
  lastHolderBefore(ip: string, ms: number): Holding | undefined {
    let last: Holding | undefined;
    for (const h of this.podsByIp.get(ip) ?? []) if (h.toMs <= ms && (!last || h.toMs > last.toMs)) last = h;
    return last;
  }

  /**
   * When a pod's deletion was requested, from the first state that shows it, whenever that state was observed:
   * a deletion is never taken back, so a watch that reported it late still dates it right.
   */
  deletionOf(podUid: string): { ms: number; state: PodState } | undefined {
    for (const s of this.byUid.get(podUid)?.states ?? []) {
      const ms = deletionRequestedMs(s.state as PodState);
      if (ms !== undefined) return { ms, state: s.state as PodState };
    }
    return undefined;
  }

  /** Whether any pod ever held `ip` (a Service's ClusterIP or an outside host never did). */
  isPodAddress(ip: string): boolean {
    return this.podsByIp.has(ip);
  }

  /** The controller at the top of a pod's ownerReferences at `ms` (its Deployment, StatefulSet…), or undefined for a bare pod. */
  topOwner(podUid: string, ms: number): OwnerRef | undefined {
    let top: OwnerRef | undefined;
    const seen = new Set<string>();
    for (let owner = this.stateAt<'Pod'>(podUid, ms)?.owner; owner && !seen.has(owner.uid); ) {
      seen.add(owner.uid);
      top = owner;
      owner = this.byUid.has(owner.uid) ? this.stateAt<'ReplicaSet'>(owner.uid, ms)?.owner : undefined;
    }
    return top;
  }

  /**
   * The container terminations the history recorded for a pod (each container's `lastState.terminated` as it
   * changed), oldest first, with the restart count the pod reported after each and when that was observed.
   */
  terminationsOf(podUid: string): Termination[] {
    const t = this.byUid.get(podUid);
    if (!t || t.object.kind !== 'Pod') return [];
    const out: Termination[] = [];
    const seen = new Set<string>();
    for (const s of t.states) {
      for (const c of (s.state as PodState).containers) {
        const last = c.lastTerminated;
        const finishedMs = Date.parse(last?.finishedAt ?? '');
        if (!last || Number.isNaN(finishedMs)) continue;
        const key = `${c.name}@${last.finishedAt}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ container: c.name, ...last, finishedMs, restartCount: c.restartCount, observedMs: s.observedMs });
      }
    }
    return out.sort((a, b) => a.finishedMs - b.finishedMs);
  }

  /**
   * When the Service's endpoints moved on from a pod: the first of its deletion being requested and its
   * EndpointSlices no longer listing it ready (after they had); undefined while neither has happened by `ms`.
   */
  movedOnFrom(podUid: string, ms: number): number | undefined {
    let moved: number | undefined;
    const pod = this.byUid.get(podUid);
    for (const s of pod?.states ?? []) {
      const deletion = deletionRequestedMs(s.state as PodState);
      if (deletion !== undefined) {
        moved = deletion;
        break;
      }
    }
    for (const slice of this.slicesByPodUid.get(podUid) ?? []) {
      let wasReady = false;
      for (const s of this.byUid.get(slice)?.states ?? []) {
        if (s.observedMs > ms) break;
        const endpoint = (s.state as EndpointSliceState).endpoints.find((e) => e.pod?.uid === podUid);
        const ready = endpoint !== undefined && endpoint.ready !== false;
        if (ready) wasReady = true;
        else if (wasReady) {
          if (moved === undefined || s.observedMs < moved) moved = s.observedMs;
          break;
        }
      }
    }
    if (pod?.object.goneMs !== undefined && (moved === undefined || pod.object.goneMs < moved)) moved = pod.object.goneMs;
    return moved !== undefined && moved <= ms ? moved : undefined;
  }

  /** Since when the pod has been not Ready at `ms` (by its Ready condition); undefined when it is Ready or unknown. */
  notReadySince(podUid: string, ms: number): number | undefined {
    const t = this.byUid.get(podUid);
    if (!t) return undefined;
    let since: number | undefined;
    for (const s of t.states) {
      if (s.observedMs > ms) break;
      const ready = (s.state as PodState).conditions.Ready;
      if (!ready || ready.status === 'True') since = undefined;
      else if (since === undefined) since = Math.min(s.observedMs, Date.parse(ready.since ?? '') || s.observedMs);
    }
    return since;
  }

  /**
   * Everything a pod is tied to, as it was at `ms`: the pod (linked by `rule`), its owner chain by
   * ownerReferences, its node, the services whose selector matches it, the endpoint slices that list it,
   * and recent events about it or its owners.
   */
  objectsFor(link: PodLink, ms: number): ObjectLink[] {
    const out: ObjectLink[] = [];
    const seen = new Set<string>();
    const add = (uid: string, linkedBy: string) => {
      const t = this.byUid.get(uid);
      if (!t || seen.has(uid)) return;
      seen.add(uid);
      out.push(this.toLink(t, ms, linkedBy));
    };
    const { pod } = link;
    const podName = `Pod ${pod.name}`;
    add(pod.uid, link.rule);
    const state = this.stateAt<'Pod'>(pod.uid, ms);
    // Owners by ownerReferences, never by trimming a hash off a name: ReplicaSet → Deployment, Job → CronJob.
    const owners: string[] = [];
    let below = podName;
    for (let owner = state?.owner; owner && this.byUid.has(owner.uid) && !seen.has(owner.uid); owner = this.stateAt<'ReplicaSet'>(owner.uid, ms)?.owner) {
      add(owner.uid, `owner of ${below}`);
      owners.push(owner.uid);
      below = `${owner.kind} ${owner.name}`;
    }
    if (state?.nodeName) {
      const node = this.namedAt(this.byName.get(nameKey('Node', '', state.nodeName)), ms);
      if (node) add(node, `node of ${podName}`);
    }
    for (const service of state ? (this.servicesByNamespace.get(pod.namespace) ?? []) : []) {
      const selector = this.aliveAt(this.byUid.get(service)!, ms) ? this.stateAt<'Service'>(service, ms)?.selector : undefined;
      if (selector && Object.keys(selector).length > 0 && matches(selector, state!.labels)) add(service, `service selecting ${podName}`);
    }
    for (const slice of this.slicesByPodUid.get(pod.uid) ?? []) {
      const s = this.aliveAt(this.byUid.get(slice)!, ms) ? this.stateAt<'EndpointSlice'>(slice, ms) : undefined;
      if (s?.endpoints.some((e) => e.pod?.uid === pod.uid)) add(slice, `endpoint slice listing ${podName}`);
    }
    for (const about of [pod.uid, ...owners]) {
      for (const event of this.eventsByInvolvedUid.get(about) ?? []) {
        const e = this.stateAt<'Event'>(event, ms);
        const last = Date.parse(e?.lastTime ?? e?.firstTime ?? '');
        if (e && (Number.isNaN(last) || (last <= ms + EVENT_WINDOW_MS && last >= ms - EVENT_WINDOW_MS))) add(event, `event about ${e.involved.kind} ${e.involved.name}`);
      }
    }
    return out;
  }

  private toLink(t: Tracked, ms: number, linkedBy: string): ObjectLink {
    const { kind, namespace, name, uid, goneMs } = t.object;
    const state = this.stateAt(uid, ms);
    return { kind, namespace, name, uid, status: state ? statusSummary(kind, state, ms) : {}, gone: goneMs === undefined ? null : new Date(goneMs).toISOString(), linkedBy };
  }

  private aliveAt(t: Tracked, ms: number): boolean {
    return t.createdMs <= ms && (t.object.goneMs === undefined || ms <= t.object.goneMs);
  }

  /** A pod named `name` (in `namespace` when known) that existed at `ms`. */
  private podNamed(name: string, namespace: string | undefined, ms: number): string | undefined {
    return this.namedAt(namespace ? this.byName.get(nameKey('Pod', namespace, name)) : this.podsByBareName.get(name), ms);
  }

  /**
   * Of objects that had one name, the one that existed at `ms`, else the latest created before it; one created
   * after `ms` only within the clock tolerance (a span cannot come from a pod that did not exist yet).
   */
  private namedAt(uids: string[] | undefined, ms: number): string | undefined {
    if (!uids) return undefined;
    let before: string | undefined;
    for (const uid of uids) {
      const t = this.byUid.get(uid)!;
      if (this.aliveAt(t, ms)) return uid;
      if (t.createdMs <= ms + CREATION_TOLERANCE_MS) before = uid;
    }
    return before;
  }

  private indexPodStates(t: Tracked): void {
    const uid = t.object.uid;
    const end = t.object.goneMs ?? Infinity;
    const open = new Map<string, number>();
    for (const [i, s] of t.states.entries()) {
      const pod = s.state as PodState;
      for (const c of pod.containers) if (c.containerId) this.podsByContainerId.set(c.containerId, uid);
      const ips = new Set(pod.phase === 'Succeeded' || pod.phase === 'Failed' ? [] : pod.podIPs);
      const at = i === 0 ? Math.min(s.observedMs, t.createdMs) : s.observedMs;
      for (const [ip, from] of open) {
        if (ips.has(ip)) continue;
        push(this.podsByIp, ip, { uid, fromMs: from, toMs: at });
        open.delete(ip);
      }
      for (const ip of ips) if (!open.has(ip)) open.set(ip, at);
    }
    for (const [ip, from] of open) push(this.podsByIp, ip, { uid, fromMs: from, toMs: end });
  }
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function nameKey(kind: ClusterKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function stripScheme(id: string): string {
  const at = id.indexOf('://');
  return at >= 0 ? id.slice(at + 3) : id;
}

/** What the UI and `analyze --cluster` show of an object's state at a time. */
export function statusSummary(kind: ClusterKind, state: ClusterStateOf[ClusterKind], ms: number): ObjectLink['status'] {
  switch (kind) {
    case 'Pod': {
      const pod = state as PodState;
      const deletion = deletionRequestedMs(pod);
      return {
        phase: pod.phase,
        ready: pod.conditions.Ready?.status === 'True',
        restarts: pod.containers.reduce((n, c) => n + c.restartCount, 0),
        terminating: deletion !== undefined && deletion <= ms,
        node: pod.nodeName ?? null,
      };
    }
    case 'Node':
      return { ready: (state as NodeState).conditions.Ready?.status === 'True' };
    case 'Service':
      return { clusterIP: (state as ServiceState).clusterIPs[0] ?? null };
    case 'EndpointSlice': {
      const endpoints = (state as EndpointSliceState).endpoints;
      return { endpoints: endpoints.length, ready: endpoints.filter((e) => e.ready !== false).length, terminating: endpoints.filter((e) => e.terminating).length };
    }
    case 'Event': {
      const e = state as EventState;
      return { reason: e.reason, type: e.type, count: e.count, message: e.message };
    }
    default: {
      const w = state as WorkloadState;
      return { replicas: w.replicas ?? null, ready: w.readyReplicas ?? null };
    }
  }
}

/** Where and when a span ran, as far as linking needs: its resource's attributes and peers, and its start. */
export interface SpanPlace {
  attributes: Readonly<Record<string, AnyValue>>;
  peers?: readonly string[];
  ms: number;
}

export function placeOf(span: { resource: Resource; startNs: bigint }): SpanPlace {
  return { attributes: span.resource.attributes, peers: span.resource.peers, ms: Number(span.startNs / 1_000_000n) };
}

/**
 * The objects behind a finding: the pod its evidence names (`podUid`: the pod a call went to, the pod that
 * restarted), then each occurrence's span linked to its pod at the span's time, with what each pod is tied to;
 * an object reached several ways is listed once, as it was first reached. `placeOf` answers undefined for spans
 * it cannot find (retention may have taken them).
 */
export function objectsForOccurrences(
  history: ClusterHistory,
  occurrences: readonly { traceId: string; spanId: string }[],
  placeOf: (ref: { traceId: string; spanId: string }) => SpanPlace | undefined,
  evidence?: Readonly<Record<string, unknown>>,
): ObjectLink[] {
  const out = new Map<string, ObjectLink>();
  const podsDone = new Set<string>();
  const add = (link: PodLink, ms: number) => {
    if (podsDone.has(link.pod.uid)) return;
    podsDone.add(link.pod.uid);
    for (const o of history.objectsFor(link, ms)) if (!out.has(o.uid)) out.set(o.uid, o);
  };
  const named = typeof evidence?.podUid === 'string' ? history.object(evidence.podUid) : undefined;
  if (named) {
    const first = occurrences.length > 0 ? placeOf(occurrences[0]) : undefined;
    add({ pod: named, rule: 'named by the finding' }, first?.ms ?? named.lastSeenMs);
  }
  for (const ref of occurrences) {
    const place = placeOf(ref);
    const link = place && history.linkResource(place.attributes, place.ms, place.peers);
    if (link) add(link, place.ms);
  }
  return [...out.values()];
}
