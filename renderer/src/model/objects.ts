// Kubernetes objects as the UI words them: which of a finding's or span's objects get a chip, the status a chip
// shows, times relative to now, and the owner chain by ownerReferences.
import { WORKLOAD_KINDS, type ClusterKind, type Condition, type ObjectLink, type OwnerRef } from '../../../common/cluster';

/** How a status reads at a glance: fine, worth a look, wrong, or nothing to judge. */
export type ObjectTone = 'ok' | 'warn' | 'bad' | 'neutral';

export interface ObjectStatus {
  /** `Running · Ready`, `terminating`, `2/3 ready`; '' when the summary says nothing. */
  text: string;
  tone: ObjectTone;
  /** Container restarts of a pod, summed; 0 for other kinds. */
  restarts: number;
}

const isWorkload = (kind: ClusterKind) => (WORKLOAD_KINDS as readonly string[]).includes(kind);

/** The status of an object at the time it was linked for, from its summary (ObjectLink.status). */
export function objectStatus({ kind, status }: Pick<ObjectLink, 'kind' | 'status'>): ObjectStatus {
  const num = (key: string) => (typeof status[key] === 'number' ? (status[key] as number) : undefined);
  switch (kind) {
    case 'Pod': {
      const restarts = num('restarts') ?? 0;
      const phase = typeof status.phase === 'string' ? status.phase : '';
      if (status.terminating === true) return { text: 'terminating', tone: 'bad', restarts };
      if (phase === 'Failed') return { text: 'Failed', tone: 'bad', restarts };
      if (phase === 'Succeeded') return { text: 'Succeeded', tone: 'neutral', restarts };
      const ready = status.ready === true;
      return { text: [phase, ready ? 'Ready' : 'not ready'].filter(Boolean).join(' · '), tone: phase === 'Running' && ready ? 'ok' : 'warn', restarts };
    }
    case 'Node':
      return status.ready === true ? { text: 'Ready', tone: 'ok', restarts: 0 } : { text: 'NotReady', tone: 'bad', restarts: 0 };
    case 'Service':
      return { text: typeof status.clusterIP === 'string' ? status.clusterIP : '', tone: 'neutral', restarts: 0 };
    case 'EndpointSlice': {
      const endpoints = num('endpoints') ?? 0;
      const ready = num('ready') ?? 0;
      const terminating = num('terminating') ?? 0;
      const text = `${ready}/${endpoints} ready${terminating > 0 ? ` · ${terminating} terminating` : ''}`;
      return { text, tone: terminating > 0 || ready < endpoints ? 'warn' : 'ok', restarts: 0 };
    }
    case 'Event':
      return { text: [status.type, status.reason].filter((s) => typeof s === 'string' && s).join(' '), tone: status.type === 'Warning' ? 'warn' : 'neutral', restarts: 0 };
    default: {
      const replicas = num('replicas');
      if (replicas === undefined) return { text: '', tone: 'neutral', restarts: 0 };
      if (replicas === 0) return { text: 'scaled to 0', tone: 'neutral', restarts: 0 };
      const ready = num('ready') ?? 0;
      return { text: `${ready}/${replicas} ready`, tone: ready >= replicas ? 'ok' : 'warn', restarts: 0 };
    }
  }
}

/**
 * A status in as few words as a list row has room for: nothing when all is well (the chip's dot says it), else
 * what is wrong without what is not (`not ready`, not `Running · not ready`).
 */
export function compactStatusText(status: ObjectStatus): string {
  return status.tone === 'ok' ? '' : status.text.replace(/^Running · /, '');
}

/** Node conditions that report trouble when True; the others (Ready, PodScheduled, …) are good when True. */
const TROUBLE_CONDITIONS = new Set(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']);

export function conditionTone(type: string, status: Condition['status']): ObjectTone {
  if (status === 'Unknown') return 'warn';
  return (status === 'True') !== TROUBLE_CONDITIONS.has(type) ? 'ok' : 'bad';
}

/** `just now`, `42s ago`, `3m ago`, `5h ago`, `2d ago`; a time ahead of now (clocks differ) reads as just now. */
export function relativeTime(ms: number, nowMs: number): string {
  const s = Math.floor((nowMs - ms) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** `gone 3m ago` for an object the cluster no longer has; undefined while it exists. */
export function goneText(gone: string | null, nowMs: number): string | undefined {
  if (gone === null) return undefined;
  const ms = Date.parse(gone);
  return Number.isNaN(ms) ? 'gone' : `gone ${relativeTime(ms, nowMs)}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A time the API server wrote (RFC 3339, to the second): 14:03:27 today, Mar 3 14:03:27 before, 2024-10-30 14:03 in another year. */
export function clusterTime(time: string | number, now: Date = new Date()): string {
  const d = new Date(time);
  if (Number.isNaN(d.getTime())) return String(time);
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.getFullYear() !== now.getFullYear()) return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hms.slice(0, 5)}`;
  if (d.getMonth() === now.getMonth() && d.getDate() === now.getDate()) return hms;
  return `${d.toLocaleDateString('en', { month: 'short', day: 'numeric' })} ${hms}`;
}

/** The owners linked above an object, nearest first, by the `owner of Kind name` relations ClusterLinks reports. */
export function linkedOwners(objects: readonly ObjectLink[], of: Pick<ObjectLink, 'kind' | 'name'>): ObjectLink[] {
  const chain: ObjectLink[] = [];
  for (let below = of; ; ) {
    const owner = objects.find((o) => o.linkedBy === `owner of ${below.kind} ${below.name}` && !chain.includes(o));
    if (!owner) return chain;
    chain.push(owner);
    below = owner;
  }
}

/** An owner chain as a person reads it, top first: `Deployment api › ReplicaSet api-7c9d8`. */
export function ownerPath(owners: readonly Pick<OwnerRef, 'kind' | 'name'>[]): string {
  return owners
    .toReversed()
    .map((o) => `${o.kind} ${o.name}`)
    .join(' › ');
}

/**
 * The objects worth a chip, in the order a person looks for them: each pod, the top owner of each (the Deployment,
 * not its ReplicaSet), then nodes. Services, endpoint slices, events and middle owners are in the object panel.
 */
export function chipObjects(objects: readonly ObjectLink[]): ObjectLink[] {
  const hasLinkedOwner = (o: ObjectLink) => objects.some((x) => x.linkedBy === `owner of ${o.kind} ${o.name}`);
  return [...objects.filter((o) => o.kind === 'Pod'), ...objects.filter((o) => isWorkload(o.kind) && !hasLinkedOwner(o)), ...objects.filter((o) => o.kind === 'Node')];
}

/** The objects an open one is seen with that have no chip of their own: services, endpoint slices, middle owners. */
export function otherObjects(objects: readonly ObjectLink[]): ObjectLink[] {
  const chips = new Set(chipObjects(objects));
  return objects.filter((o) => !chips.has(o) && o.kind !== 'Event');
}

/**
 * A chip's tooltip: what it is, its status, its owners (those linked above it, unless given), how it was linked
 * and when it went.
 */
export function objectTooltip(link: ObjectLink, objects: readonly ObjectLink[], nowMs: number, owners: readonly Pick<OwnerRef, 'kind' | 'name'>[] = linkedOwners(objects, link)): string {
  const { text, restarts } = objectStatus(link);
  const lines = [`${link.kind} ${link.namespace ? `${link.namespace}/` : ''}${link.name}`];
  if (text) lines.push(restarts > 0 ? `${text}, ${restarts} ${restarts === 1 ? 'restart' : 'restarts'}` : text);
  if (owners.length > 0) lines.push(`owned by ${ownerPath(owners)}`);
  lines.push(`linked by ${link.linkedBy}`);
  if (link.gone !== null) lines.push(`${goneText(link.gone, nowMs)} (${link.gone})`);
  return lines.join('\n');
}

/**
 * What a trace list row shows of its root span's pod: the pod, and the workload it carries with it (the top owner;
 * the owners between are left out of the row), for the tooltip. Undefined when the row has no pod.
 */
export function rootPod(objects: readonly ObjectLink[] | undefined): { pod: ObjectLink; workload?: ObjectLink } | undefined {
  const pod = objects?.find((o) => o.kind === 'Pod');
  if (!pod) return undefined;
  return { pod, workload: objects!.find((o) => isWorkload(o.kind)) };
}
