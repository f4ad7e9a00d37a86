// The Cluster view's table: a cluster's workloads per namespace, each with its pods as they are now and the
// findings about them. Read from the recorded history (latest states, plus what went recently), once per change.
import { WORKLOAD_KINDS, type ClusterHistoryRows, type OwnerRef, type PodState, type StoredObject, type WorkloadState } from '../../common/cluster';
import { SEVERITIES } from '../../common/findings';
import type { WireClusterWatch, WireClusterWorkloads, WireFinding, WireFindings, WireNamespaceWorkloads, WireWorkload, WireWorkloadFinding, WireWorkloadKind, WireWorkloadPod } from '../../common/wire';
import { statusSummary } from '../analysis/cluster-links';
import type { StoreReader } from '../store/types';

/** Pods and workloads gone this recently are still listed, marked gone. */
export const RECENTLY_GONE_MS = 10 * 60 * 1000;
/** At most this many pods and workloads per answer: the table of a very large cluster is cut, and says so. */
export const MAX_WORKLOAD_OBJECTS = 20_000;
/** A reading is reused while nothing was recorded and the findings are the same, up to this age (gone times move on). */
const MAX_READING_AGE_MS = 15_000;
/** A changing cluster is read again only after this many times the last read's duration (5% of the event loop at most). */
const COST_FACTOR = 20;

const isWorkloadKind = (kind: string): kind is (typeof WORKLOAD_KINDS)[number] => (WORKLOAD_KINDS as readonly string[]).includes(kind);

interface Latest {
  object: StoredObject;
  state: PodState | WorkloadState | undefined;
}

/**
 * Groups pods under the controller at the top of their ownerReferences (a Deployment, not its ReplicaSet; a CronJob,
 * not its Job), keeps controllers without pods, and lists pods without a controller as their own rows. A finding
 * counts for a workload when its objects include the workload, a controller between, or one of its pods.
 */
export function groupWorkloads(rows: ClusterHistoryRows, findings: readonly WireFinding[], nowMs: number, maxObjects = MAX_WORKLOAD_OBJECTS): Pick<WireClusterWorkloads, 'namespaces' | 'truncated'> {
  const relevant = rows.objects.filter((o) => o.kind === 'Pod' || isWorkloadKind(o.kind));
  const truncated = relevant.length > maxObjects;
  const latest = new Map<string, Latest>();
  for (const object of truncated ? relevant.slice(0, maxObjects) : relevant) latest.set(object.uid, { object, state: undefined });
  const observed = new Map<string, number>();
  for (const s of rows.states) {
    const entry = latest.get(s.uid);
    if (!entry || (observed.get(s.uid) ?? -Infinity) > s.observedMs) continue;
    observed.set(s.uid, s.observedMs);
    entry.state = s.state as Latest['state'];
  }

  /** The controller at the top of an owner chain, and the uids passed on the way (its ReplicaSets, Jobs). */
  const topOf = (first: OwnerRef): { top: OwnerRef; via: string[] } => {
    const via: string[] = [];
    let top = first;
    for (let depth = 0; depth < 4; depth++) {
      const owner = (latest.get(top.uid)?.state as WorkloadState | undefined)?.owner;
      if (!owner || !isWorkloadKind(owner.kind) || via.includes(owner.uid)) break;
      via.push(top.uid);
      top = owner;
    }
    return { top, via };
  };

  const rowsByUid = new Map<string, { row: WireWorkload; members: Set<string> }>();
  const rowFor = (ref: OwnerRef, namespace: string) => {
    let entry = rowsByUid.get(ref.uid);
    if (!entry) {
      const known = latest.get(ref.uid);
      const state = known?.state as WorkloadState | undefined;
      entry = {
        row: {
          kind: ref.kind as WireWorkloadKind,
          namespace,
          name: ref.name,
          uid: ref.uid,
          known: known !== undefined,
          replicas: state?.replicas ?? null,
          readyReplicas: state?.replicas !== undefined ? (state.readyReplicas ?? 0) : null,
          pods: [],
          restarts: 0,
          findings: [],
          gone: goneOf(known?.object),
        },
        members: new Set([ref.uid]),
      };
      rowsByUid.set(ref.uid, entry);
    }
    return entry;
  };

  for (const { object, state } of latest.values()) {
    if (object.kind === 'Pod') continue;
    const owner = (state as WorkloadState | undefined)?.owner;
    const self = { kind: object.kind, name: object.name, uid: object.uid };
    const { top, via } = owner && isWorkloadKind(owner.kind) ? topOf(self) : { top: self, via: [] };
    const entry = rowFor(top, object.namespace);
    for (const uid of via) entry.members.add(uid);
  }
  for (const { object, state } of latest.values()) {
    if (object.kind !== 'Pod') continue;
    const pod = state as PodState | undefined;
    const owner = pod?.owner;
    const { top, via } = owner && isWorkloadKind(owner.kind) ? topOf(owner) : { top: { kind: 'Pod', name: object.name, uid: object.uid }, via: [] };
    const entry = rowFor(top, object.namespace);
    for (const uid of [...via, owner?.uid ?? '', object.uid]) if (uid) entry.members.add(uid);
    const shown = podOf(object, pod, nowMs);
    entry.row.pods.push(shown);
    entry.row.restarts += shown.restarts;
  }

  const findingUids = findings.map((f) => ({ finding: f, uids: new Set(f.objects.map((o) => o.uid)) }));
  const byNamespace = new Map<string, WireWorkload[]>();
  for (const { row, members } of rowsByUid.values()) {
    row.pods.sort((a, b) => a.name.localeCompare(b.name));
    row.findings = findingUids
      .filter(({ uids }) => [...members].some((uid) => uids.has(uid)))
      .map(({ finding }): WireWorkloadFinding => ({ fingerprint: finding.fingerprint, severity: finding.severity, title: finding.title }))
      .sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
    const list = byNamespace.get(row.namespace);
    if (list) list.push(row);
    else byNamespace.set(row.namespace, [row]);
  }
  const namespaces: WireNamespaceWorkloads[] = [...byNamespace.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([namespace, workloads]) => ({ namespace, workloads: workloads.sort((a, b) => a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind)) }));
  return { namespaces, truncated };
}

function goneOf(object: StoredObject | undefined): string | null {
  return object?.goneMs === undefined ? null : new Date(object.goneMs).toISOString();
}

function podOf(object: StoredObject, pod: PodState | undefined, nowMs: number): WireWorkloadPod {
  const status = pod ? statusSummary('Pod', pod, nowMs) : {};
  const troubled = pod?.containers.find((c) => c.state !== 'running' && c.reason) ?? pod?.containers.find((c) => !c.ready && c.lastTerminated);
  return {
    name: object.name,
    uid: object.uid,
    phase: typeof status.phase === 'string' ? status.phase : 'Unknown',
    ready: status.ready === true,
    restarts: typeof status.restarts === 'number' ? status.restarts : 0,
    terminating: status.terminating === true,
    reason: troubled?.reason ?? troubled?.lastTerminated?.reason,
    node: pod?.nodeName,
    gone: goneOf(object),
  };
}

/**
 * Answers `GET /api/cluster/workloads`: the watched cluster's, else the most recently recorded one's. The history
 * is read once per change (of what the watches recorded, or of the findings), so polling UIs cost nothing while
 * the cluster is quiet; a cluster that changes all the time is read again at most once per COST_FACTOR times what
 * the last read cost, so that reading a large one never takes more than a sliver of the event loop.
 */
export class WorkloadsReader {
  private last: { key: string; revision: number; findings: WireFindings; atMs: number; costMs: number; answer: WireClusterWorkloads } | undefined;

  constructor(
    private readonly reader: StoreReader,
    private readonly findings: { get(): WireFindings },
    private readonly control: { status(): WireClusterWatch; revision(): number } | undefined,
  ) {}

  get(nowMs = Date.now()): WireClusterWorkloads {
    const watch = this.control?.status();
    const watched = watch?.connected && watch.server ? watch.server : undefined;
    const cluster = watched ?? this.reader.clusters()[0] ?? null;
    // Watching some namespaces, the others' history is stale: it is left out.
    const namespaces = watched !== undefined && watch!.namespaces.length > 0 ? new Set(watch!.namespaces) : undefined;
    const key = `${cluster}\n${[...(namespaces ?? [])].join(',')}`;
    const revision = this.control?.revision() ?? 0;
    const findings = this.findings.get();
    const last = this.last;
    if (last && last.key === key) {
      const age = nowMs - last.atMs;
      const unchanged = last.revision === revision && (last.findings === findings || (last.findings.findings.length === 0 && findings.findings.length === 0));
      if ((unchanged && age < MAX_READING_AGE_MS) || age < last.costMs * COST_FACTOR) return last.answer;
    }
    const started = performance.now();
    const grouped: Pick<WireClusterWorkloads, 'namespaces' | 'truncated'> =
      cluster === null ? { namespaces: [], truncated: false } : groupWorkloads(this.reader.clusterHistory(cluster, nowMs - RECENTLY_GONE_MS, nowMs), findings.findings, nowMs);
    if (namespaces) grouped.namespaces = grouped.namespaces.filter((ns) => namespaces.has(ns.namespace));
    const answer: WireClusterWorkloads = { cluster, watched: watched !== undefined, atMs: nowMs, recentMs: RECENTLY_GONE_MS, ...grouped };
    this.last = { key, revision, findings, atMs: nowMs, costMs: performance.now() - started, answer };
    return answer;
  }
}
