// The Kubernetes objects behind spans and findings, for the UI: judged against the cluster history the store
// recorded, at each span's time. Each answer reads only the neighbourhood it needs (the pods the spans name,
// their owners, nodes and namespaces), so its cost does not grow with the cluster and never holds up ingest.
import { WORKLOAD_KINDS, type ClusterHistoryRows, type EventState, type LinkKeys, type ObjectLink, type OwnerRef, type StoredState } from '../../common/cluster';
import type { SpanRef } from '../../common/findings';
import type { WireClusterEvent, WireClusterObject, WireOwner } from '../../common/wire';
import { ClusterHistory, linkKeys, objectsForOccurrences, placeOf, statusSummary, type SpanPlace } from '../analysis/cluster-links';
import type { Resource } from '../model';
import type { StoreReader } from '../store/types';

/** How far from the time asked for an event may be and still be shown (Events are kept for an hour by default). */
const EVENT_WINDOW_MS = 60 * 60 * 1000;

/** A reading of part of the history, with what the object view needs that linking does not. */
interface HistoryReading {
  history: ClusterHistory;
  /** Each object's states, oldest first. */
  states: Map<string, StoredState[]>;
  /** Event uids by the uid of the object they are about, and by `kind/namespace/name` for events that name no uid. */
  eventsAbout: Map<string, string[]>;
}

export class ClusterLinks {
  constructor(private readonly reader: StoreReader) {}

  /** The objects behind a span that ran in `resource` from `startNs`; [] without cluster history. */
  forSpan(span: { resource: Resource; startNs: bigint }): ObjectLink[] {
    const place = placeOf(span);
    const history = this.around(linkKeys(place.attributes, place.peers))?.history;
    const link = history?.linkResource(place.attributes, place.ms, place.peers);
    return link ? history!.objectsFor(link, place.ms) : [];
  }

  /** The objects behind a finding: the pod its evidence names (`podUid`), then its occurrences' pods. */
  forOccurrences(occurrences: readonly SpanRef[], evidence?: Readonly<Record<string, unknown>>): ObjectLink[] {
    const places = this.placesOf(occurrences);
    const history = this.around(this.findingKeys(places, evidence))?.history;
    return history ? objectsForOccurrences(history, occurrences, (ref) => places.get(ref), evidence) : [];
  }

  /**
   * For a page of trace summaries: the pod each trace's root span ran in and that pod's top workload, as they were
   * at the root's start (pod IPs are reused, so each row is judged at its own time). One reading of the history
   * around all the page's distinct root resources, however many rows. Undefined without any cluster history,
   * before anything else is read; traces whose root links to no pod are left out.
   */
  forTraceRoots(traceIds: readonly string[]): Map<string, ObjectLink[]> | undefined {
    const [cluster] = this.reader.clusters();
    if (cluster === undefined) return undefined;
    const linked = new Map<string, ObjectLink[]>();
    const roots = this.reader.rootPlaces(traceIds);
    // Roots of one service instance share their resource (by reference, per read): its keys once.
    const keys = new Map<Resource, LinkKeys>();
    for (const { resource } of roots.values()) if (!keys.has(resource)) keys.set(resource, linkKeys(resource.attributes, resource.peers));
    const merged = mergeKeys([...keys.values()]);
    if (merged.uids.length + merged.names.length + merged.addresses.length + merged.containerIds.length === 0) return linked;
    // The pods and their owners only: a row names no node, service or event.
    const history = new ClusterHistory(this.reader.clusterHistoryAround(cluster, merged, { related: false }));
    for (const [traceId, root] of roots) {
      const place = placeOf(root);
      const link = history.linkResource(place.attributes, place.ms, place.peers);
      if (link) linked.set(traceId, podAndWorkload(history.objectsFor(link, place.ms)));
    }
    return linked;
  }

  /**
   * When a finding's occurrences first reached `uid`: the start of the first occurrence whose pod is tied to it,
   * the time forOccurrences judged it at. Undefined when none does.
   */
  reachedAt(occurrences: readonly SpanRef[], uid: string, evidence?: Readonly<Record<string, unknown>>): number | undefined {
    const places = this.placesOf(occurrences);
    const history = this.around(this.findingKeys(places, evidence))?.history;
    if (!history) return undefined;
    // the pod the evidence names is judged at the first occurrence (as objectsForOccurrences does)
    const named = typeof evidence?.podUid === 'string' ? history.object(evidence.podUid) : undefined;
    const first = occurrences.length > 0 ? places.get(occurrences[0]) : undefined;
    if (named && history.objectsFor({ pod: named, rule: 'named by the finding' }, first?.ms ?? named.lastSeenMs).some((o) => o.uid === uid)) return first?.ms ?? named.lastSeenMs;
    const podsDone = new Set<string>();
    for (const ref of occurrences) {
      const place = places.get(ref);
      const link = place && history.linkResource(place.attributes, place.ms, place.peers);
      if (!link || podsDone.has(link.pod.uid)) continue;
      podsDone.add(link.pod.uid);
      if (history.objectsFor(link, place.ms).some((o) => o.uid === uid)) return place.ms;
    }
    return undefined;
  }

  /** One object as it was at `atMs` (its latest state without), its owners and the events about it; undefined for a uid the history does not hold. */
  object(uid: string, atMs?: number): WireClusterObject | undefined {
    const reading = this.around({ uids: [uid], names: [], addresses: [], containerIds: [] });
    const stored = reading?.history.object(uid);
    if (!reading || !stored) return undefined;
    const { history } = reading;
    const ms = atMs ?? Number.MAX_SAFE_INTEGER;
    const states = reading.states.get(uid) ?? [];
    const shown = states.findLast((s) => s.observedMs <= ms) ?? states[0];
    const owners = ownerChain(history, (shown?.state as { owner?: OwnerRef } | undefined)?.owner, ms);
    const eventUids = new Set([uid, nameKey(stored.kind, stored.namespace, stored.name)].flatMap((key) => reading.eventsAbout.get(key) ?? []));
    const events = [...eventUids]
      .flatMap((eventUid): WireClusterEvent[] => {
        const e = history.stateAt<'Event'>(eventUid, ms);
        // An event that names no time is kept, as linking keeps it.
        const near = e && (atMs === undefined || eventTime(e) === 0 || Math.abs(eventTime(e) - atMs) <= EVENT_WINDOW_MS);
        return e && near ? [{ uid: eventUid, ...e }] : [];
      })
      .sort((a, b) => eventTime(b) - eventTime(a));
    return {
      kind: stored.kind,
      namespace: stored.namespace,
      name: stored.name,
      uid,
      created: stored.created,
      atMs: atMs ?? null,
      state: shown?.state ?? null,
      observedMs: shown?.observedMs ?? null,
      status: shown ? statusSummary(stored.kind, shown.state, ms) : {},
      states: states.length,
      firstSeenMs: stored.firstSeenMs,
      lastSeenMs: stored.lastSeenMs,
      gone: stored.goneMs === undefined ? null : new Date(stored.goneMs).toISOString(),
      owners,
      events,
    } as WireClusterObject;
  }

  /** What to read of the history for a finding: its occurrences' link keys and the pod its evidence names. */
  private findingKeys(places: Map<SpanRef, SpanPlace>, evidence?: Readonly<Record<string, unknown>>): LinkKeys {
    const keys = mergeKeys([...places.values()].map((p) => linkKeys(p.attributes, p.peers)));
    if (typeof evidence?.podUid === 'string' && !keys.uids.includes(evidence.podUid)) keys.uids.push(evidence.podUid);
    return keys;
  }

  /** Where and when each occurrence's span ran; spans retention took are left out. */
  private placesOf(occurrences: readonly SpanRef[]): Map<SpanRef, SpanPlace> {
    const places = new Map<SpanRef, SpanPlace>();
    for (const ref of occurrences) {
      const span = this.reader.spanPlace(ref.traceId, ref.spanId);
      if (span) places.set(ref, placeOf(span));
    }
    return places;
  }

  /** What the most recently seen cluster's history holds around these keys; undefined without any history. */
  private around(keys: LinkKeys): HistoryReading | undefined {
    const [cluster] = this.reader.clusters();
    if (cluster === undefined) return undefined;
    const rows = this.reader.clusterHistoryAround(cluster, keys);
    return { history: new ClusterHistory(rows), ...indexRows(rows) };
  }
}

/** Of what a pod is tied to, the pod and its top workload (the Deployment, not its ReplicaSet): all a trace list row shows. */
function podAndWorkload(objects: ObjectLink[]): ObjectLink[] {
  const [pod] = objects;
  const workload = objects.findLast((o) => o.linkedBy.startsWith('owner of ') && (WORKLOAD_KINDS as readonly string[]).includes(o.kind));
  return workload ? [pod, workload] : [pod];
}

function mergeKeys(all: LinkKeys[]): LinkKeys {
  return {
    uids: [...new Set(all.flatMap((k) => k.uids))],
    names: [...new Map(all.flatMap((k) => k.names).map((n) => [`${n.namespace ?? ''}/${n.name}`, n])).values()],
    addresses: [...new Set(all.flatMap((k) => k.addresses))],
    containerIds: [...new Set(all.flatMap((k) => k.containerIds))],
  };
}

function indexRows(rows: ClusterHistoryRows): Pick<HistoryReading, 'states' | 'eventsAbout'> {
  const states = new Map<string, StoredState[]>();
  for (const s of rows.states) push(states, s.uid, s);
  for (const list of states.values()) list.sort((a, b) => a.observedMs - b.observedMs);
  const known = new Set(rows.objects.map((o) => o.uid));
  const eventsAbout = new Map<string, string[]>();
  for (const object of rows.objects) {
    if (object.kind !== 'Event') continue;
    // An event names its object by uid; where that uid is not one the history holds (the kubelet gives a Node's name), by name.
    const keys = new Set(
      (states.get(object.uid) ?? []).map(({ state }) => {
        const { involved } = state as EventState;
        return involved.uid && known.has(involved.uid) ? involved.uid : nameKey(involved.kind, involved.namespace, involved.name);
      }),
    );
    for (const key of keys) push(eventsAbout, key, object.uid);
  }
  return { states, eventsAbout };
}

/** The controllers above an object by ownerReferences, nearest first, as they were at `ms`. */
function ownerChain(history: ClusterHistory, first: OwnerRef | undefined, ms: number): WireOwner[] {
  const owners: WireOwner[] = [];
  for (let owner = first; owner && !owners.some((o) => o.uid === owner?.uid); ) {
    const known = history.object(owner.uid) !== undefined;
    owners.push({ ...owner, known });
    owner = known ? history.stateAt<'ReplicaSet'>(owner.uid, ms)?.owner : undefined;
  }
  return owners;
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Cluster-scoped objects are named without a namespace, whatever namespace their events were filed in. */
function nameKey(kind: string, namespace: string, name: string): string {
  return kind === 'Node' ? `Node//${name}` : `${kind}/${namespace}/${name}`;
}

/** When an event last happened; 0 (long ago) when it says no time. */
function eventTime(e: EventState): number {
  return Date.parse(e.lastTime ?? e.firstTime ?? '') || 0;
}
