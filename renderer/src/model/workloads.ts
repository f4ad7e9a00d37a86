// The Cluster view in words: how the watch is doing (and what it cannot read, grouped so that twenty refusals
// read as one), what a workload's readiness and pods look like at a glance, and the table's filter.
import type { ObjectLink } from '../../../common/cluster';
import type { Severity, WireClusterStream, WireClusterWatch, WireNamespaceWorkloads, WireWorkload, WireWorkloadPod } from '../../../common/wire';
import { objectStatus, type ObjectTone } from './objects';

export type WatchHealth = 'off' | 'syncing' | 'synced' | 'problems';

/** Streams that fail alike: RBAC refusals per namespace, anything else per message. */
export interface WatchProblem {
  title: string;
  /** The first stream's message, as the collector worded it. */
  detail: string;
  resources: string[];
  forbidden: boolean;
}

export interface WatchSummary {
  health: WatchHealth;
  synced: number;
  total: number;
  problems: WatchProblem[];
}

export function watchSummary(watch: WireClusterWatch): WatchSummary {
  const { streams } = watch;
  const synced = streams.filter((s) => s.state === 'synced').length;
  const problems = watchProblems(streams);
  let health: WatchHealth = 'synced';
  if (!watch.connected) health = 'off';
  else if (watch.error || problems.length > 0) health = 'problems';
  else if (streams.length === 0 || synced < streams.length) health = 'syncing';
  return { health, synced, total: streams.length, problems };
}

function watchProblems(streams: readonly WireClusterStream[]): WatchProblem[] {
  const groups = new Map<string, WatchProblem>();
  for (const s of streams) {
    if (s.state !== 'error') continue;
    const detail = s.error ?? 'unknown error';
    const forbidden = s.failure === 'forbidden';
    const key = forbidden ? `forbidden\n${s.namespace}` : detail;
    const group = groups.get(key) ?? { title: forbidden ? (s.namespace ? `Not allowed in namespace ${s.namespace}` : 'Not allowed at the cluster scope') : detail, detail, resources: [], forbidden };
    if (!group.resources.includes(s.resource)) group.resources.push(s.resource);
    groups.set(key, group);
  }
  // RBAC refusals last: they are expected with a namespaced Role, the rest usually is not.
  return [...groups.values()].sort((a, b) => Number(a.forbidden) - Number(b.forbidden));
}

/** The header's one-line status. */
export function watchHeadline(watch: WireClusterWatch, summary: WatchSummary): string {
  if (!watch.connected) return 'Not connected';
  if (watch.error) return 'Not watching';
  if (summary.total === 0) return 'Starting…';
  if (summary.synced === summary.total) return `Synced · ${summary.total} ${summary.total === 1 ? 'resource' : 'resources'}`;
  const failed = watch.streams.filter((s) => s.state === 'error').length;
  const syncing = summary.total - summary.synced - failed;
  const parts = [`${summary.synced} of ${summary.total} synced`];
  if (syncing > 0) parts.push(`${syncing} syncing`);
  if (failed > 0) parts.push(`${failed} unreadable`);
  return parts.join(' · ');
}

export interface Readiness {
  text: string;
  tone: ObjectTone;
}

/** Ready of desired for controllers with replicas; what the pods did for Jobs and CronJobs; the pod's own state for a bare pod. */
export function readiness(w: WireWorkload): Readiness {
  if (w.kind === 'Pod') {
    const pod = w.pods[0];
    return pod ? podStatus(pod) : { text: '—', tone: 'neutral' };
  }
  if (w.kind === 'Job' || w.kind === 'CronJob') {
    const live = w.pods.filter((p) => p.gone === null);
    const count = (phase: string) => live.filter((p) => p.phase === phase).length;
    const parts = [
      [count('Running') + count('Pending'), 'running'],
      [count('Succeeded'), 'succeeded'],
      [count('Failed'), 'failed'],
    ].filter(([n]) => (n as number) > 0);
    if (parts.length === 0) return { text: w.kind === 'CronJob' ? 'idle' : 'no pods', tone: 'neutral' };
    return { text: parts.map(([n, what]) => `${n} ${what}`).join(' · '), tone: count('Failed') > 0 ? 'bad' : count('Running') + count('Pending') > 0 ? 'ok' : 'neutral' };
  }
  if (w.replicas === null) return { text: '—', tone: 'neutral' };
  const ready = w.readyReplicas ?? 0;
  if (w.replicas === 0) return { text: '0/0', tone: 'neutral' };
  return { text: `${ready}/${w.replicas}`, tone: ready >= w.replicas ? 'ok' : ready === 0 ? 'bad' : 'warn' };
}

/** A pod's state as a chip words it: `Running · Ready`, `terminating`, `CrashLoopBackOff`. */
export function podStatus(pod: WireWorkloadPod): Readiness {
  const status = objectStatus({ kind: 'Pod', status: { phase: pod.phase, ready: pod.ready, restarts: pod.restarts, terminating: pod.terminating } });
  if (pod.reason && !pod.terminating && pod.phase !== 'Succeeded') return { text: pod.reason, tone: pod.phase === 'Failed' || /BackOff|Err|OOM/.test(pod.reason) ? 'bad' : 'warn' };
  return { text: status.text, tone: status.tone };
}

/**
 * Pod names as compact chips show them: without the workload's name, and without the ReplicaSet hash or Job number
 * they all share (`checkout-7c9d8-x2lq` → `x2lq`); a rollout's two hashes stay, to tell old pods from new.
 */
export function podLabels(workload: Pick<WireWorkload, 'name' | 'pods'>): Map<string, string> {
  const prefix = `${workload.name}-`;
  const rest = workload.pods.map((p) => (p.name.startsWith(prefix) && p.name.length > prefix.length ? p.name.slice(prefix.length) : p.name));
  const middles = new Set(rest.map((r) => (r.includes('-') ? r.slice(0, r.lastIndexOf('-')) : undefined)));
  const [shared] = middles;
  const strip = middles.size === 1 && shared !== undefined;
  return new Map(workload.pods.map((p, i) => [p.uid, strip ? rest[i].slice(shared.length + 1) : rest[i]]));
}

/** The most severe of a workload's findings, for the badge's colour. */
export function worstSeverity(w: WireWorkload): Severity | undefined {
  return w.findings[0]?.severity;
}

export interface WorkloadFilter {
  /** Show one namespace; undefined for all. */
  namespace?: string;
  /** Matches a workload's kind or name, or one of its pods' names. */
  text?: string;
}

export function filterWorkloads(namespaces: readonly WireNamespaceWorkloads[], filter: WorkloadFilter): WireNamespaceWorkloads[] {
  const text = filter.text?.trim().toLowerCase() ?? '';
  const matches = (w: WireWorkload) => !text || w.name.toLowerCase().includes(text) || w.kind.toLowerCase() === text || w.pods.some((p) => p.name.toLowerCase().includes(text));
  return namespaces
    .filter((ns) => filter.namespace === undefined || ns.namespace === filter.namespace)
    .map((ns) => ({ namespace: ns.namespace, workloads: ns.workloads.filter(matches) }))
    .filter((ns) => ns.workloads.length > 0);
}

export interface WorkloadTotals {
  workloads: number;
  pods: number;
  /** Pods that exist and are not ready (finished Job pods do not count). */
  notReady: number;
  withFindings: number;
}

export function workloadTotals(namespaces: readonly WireNamespaceWorkloads[]): WorkloadTotals {
  const totals: WorkloadTotals = { workloads: 0, pods: 0, notReady: 0, withFindings: 0 };
  for (const ns of namespaces) {
    for (const w of ns.workloads) {
      totals.workloads++;
      if (w.findings.length > 0) totals.withFindings++;
      for (const p of w.pods) {
        if (p.gone !== null) continue;
        totals.pods++;
        if (!p.ready && p.phase !== 'Succeeded') totals.notReady++;
      }
    }
  }
  return totals;
}

/** A namespace list as a person types it (commas or spaces between names); what is not a namespace name is named back. */
export function parseNamespaces(text: string): { namespaces: string[]; invalid?: string } {
  const names = [...new Set(text.split(/[\s,]+/).filter(Boolean))];
  const invalid = names.find((n) => !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(n));
  return invalid === undefined ? { namespaces: names } : { namespaces: names, invalid };
}

/** A workload and its pods as the links ObjectPanel opens and names (their latest states). */
export function workloadLinks(w: WireWorkload): ObjectLink[] {
  const links: ObjectLink[] = w.pods.map((p) => ({
    kind: 'Pod',
    namespace: w.namespace,
    name: p.name,
    uid: p.uid,
    status: { phase: p.phase, ready: p.ready, restarts: p.restarts, terminating: p.terminating, node: p.node ?? null },
    gone: p.gone,
    linkedBy: w.kind === 'Pod' ? 'bare pod' : `pod of ${w.kind} ${w.name}`,
  }));
  if (w.kind !== 'Pod' && w.known) {
    links.push({ kind: w.kind, namespace: w.namespace, name: w.name, uid: w.uid, status: { replicas: w.replicas, ready: w.readyReplicas }, gone: w.gone, linkedBy: 'workload' });
  }
  return links;
}
