// Kubernetes objects as the API server sends them (JSON, timestamps as RFC 3339 strings) → the compact states
// of common/cluster.ts. Everything not named there (managedFields, most of spec, annotations) is dropped here.
import type {
  ClusterKind,
  ClusterStateOf,
  Condition,
  ContainerState,
  Endpoint,
  EndpointSliceState,
  EventState,
  NodeState,
  ObjectIdentity,
  OwnerRef,
  PodState,
  ServiceState,
  TerminatedState,
  WorkloadState,
} from '../../common/cluster';
import { redactSecrets } from './errors';

/** The fields of a Kubernetes object that this module reads; every one may be missing. */
export interface KubeObject {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ kind?: string; name?: string; uid?: string; controller?: boolean }>;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

interface WireCondition {
  type?: string;
  status?: string;
  lastTransitionTime?: string;
  reason?: string;
}

interface WireTerminated {
  reason?: string;
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
}

interface WireContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { running?: { startedAt?: string }; waiting?: { reason?: string }; terminated?: WireTerminated };
  lastState?: { terminated?: WireTerminated };
  containerID?: string;
}

interface WireHandler {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port?: number | string; host?: string; scheme?: string };
  tcpSocket?: { port?: number | string; host?: string };
  grpc?: { port?: number; service?: string };
  sleep?: { seconds?: number };
}

interface WireProbe extends WireHandler {
  periodSeconds?: number;
}

interface WireContainer {
  name?: string;
  readinessProbe?: WireProbe;
  lifecycle?: { preStop?: WireHandler };
}

interface WirePort {
  name?: string;
  port?: number;
  protocol?: string;
}

export function identityOf(kind: ClusterKind, obj: KubeObject): ObjectIdentity {
  const m = obj.metadata ?? {};
  return { kind, namespace: m.namespace ?? '', name: m.name ?? '', uid: m.uid ?? '' };
}

/** metadata.creationTimestamp ('' when the server sent none). */
export function createdOf(obj: KubeObject): string {
  return obj.metadata?.creationTimestamp ?? '';
}

export function stateOf<K extends ClusterKind>(kind: K, obj: KubeObject): ClusterStateOf[K];
export function stateOf(kind: ClusterKind, obj: KubeObject): ClusterStateOf[ClusterKind] {
  switch (kind) {
    case 'Pod':
      return podState(obj);
    case 'Node':
      return nodeState(obj);
    case 'Service':
      return serviceState(obj);
    case 'EndpointSlice':
      return endpointSliceState(obj);
    case 'Event':
      return eventState(obj);
    default:
      return workloadState(kind, obj);
  }
}

export function podState(obj: KubeObject): PodState {
  const spec = (obj.spec ?? {}) as { nodeName?: string; containers?: WireContainer[]; terminationGracePeriodSeconds?: number };
  const status = (obj.status ?? {}) as {
    phase?: string;
    conditions?: WireCondition[];
    podIP?: string;
    podIPs?: Array<{ ip?: string }>;
    hostIP?: string;
    startTime?: string;
    containerStatuses?: WireContainerStatus[];
  };
  const m = obj.metadata ?? {};
  const podIPs = status.podIPs?.map((p) => p.ip).filter((ip): ip is string => Boolean(ip)) ?? [];
  if (podIPs.length === 0 && status.podIP) podIPs.push(status.podIP);
  const readinessProbes: Record<string, string> = {};
  const preStopHooks: Record<string, string> = {};
  for (const c of spec.containers ?? []) {
    if (!c.name) continue;
    if (c.readinessProbe) readinessProbes[c.name] = probeSummary(c.readinessProbe);
    if (c.lifecycle?.preStop) preStopHooks[c.name] = handlerSummary(c.lifecycle.preStop);
  }
  return {
    phase: status.phase ?? 'Unknown',
    conditions: conditionMap(status.conditions),
    deletionTimestamp: m.deletionTimestamp,
    deletionGracePeriodSeconds: m.deletionGracePeriodSeconds,
    podIPs,
    hostIP: status.hostIP,
    nodeName: spec.nodeName,
    owner: controllerOf(obj),
    labels: { ...m.labels },
    startTime: status.startTime,
    containers: (status.containerStatuses ?? []).map(containerState),
    readinessProbes: Object.keys(readinessProbes).length > 0 ? readinessProbes : undefined,
    preStopHooks: Object.keys(preStopHooks).length > 0 ? preStopHooks : undefined,
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
  };
}

function containerState(s: WireContainerStatus): ContainerState {
  const st = s.state ?? {};
  const state: ContainerState['state'] = st.running ? 'running' : st.waiting ? 'waiting' : st.terminated ? 'terminated' : 'unknown';
  return {
    name: s.name ?? '',
    ready: s.ready ?? false,
    restartCount: s.restartCount ?? 0,
    state,
    reason: st.waiting?.reason ?? st.terminated?.reason,
    startedAt: st.running?.startedAt ?? st.terminated?.startedAt,
    terminated: st.terminated ? terminatedState(st.terminated) : undefined,
    lastTerminated: s.lastState?.terminated ? terminatedState(s.lastState.terminated) : undefined,
    containerId: s.containerID ? s.containerID.replace(/^[a-z0-9.+-]+:\/\//i, '') : undefined,
  };
}

function terminatedState(t: WireTerminated): TerminatedState {
  return { reason: t.reason ?? '', exitCode: t.exitCode ?? 0, startedAt: t.startedAt, finishedAt: t.finishedAt };
}

/** `httpGet :8080/healthz every 10s`; Kubernetes probes every 10 s when periodSeconds is unset. */
export function probeSummary(probe: WireProbe): string {
  return `${handlerSummary(probe)} every ${probe.periodSeconds ?? 10}s`;
}

/** A probe's or lifecycle hook's action in one line: `httpGet :8080/healthz`, `tcpSocket :9000`, `exec sleep 5`, `grpc :9090`. */
export function handlerSummary(h: WireHandler): string {
  if (h.httpGet) {
    const scheme = h.httpGet.scheme && h.httpGet.scheme.toUpperCase() !== 'HTTP' ? ` (${h.httpGet.scheme.toUpperCase()})` : '';
    return `httpGet ${h.httpGet.host ?? ''}:${h.httpGet.port ?? ''}${h.httpGet.path ?? '/'}${scheme}`;
  }
  if (h.tcpSocket) return `tcpSocket ${h.tcpSocket.host ?? ''}:${h.tcpSocket.port ?? ''}`;
  if (h.grpc) return `grpc :${h.grpc.port ?? ''}${h.grpc.service ? ` ${h.grpc.service}` : ''}`;
  if (h.sleep) return `sleep ${h.sleep.seconds ?? 0}s`;
  if (h.exec) {
    const command = h.exec.command ?? [];
    // `sh -c "sleep 5"` says what it runs in its script; the shell is noise.
    const shown = command.length >= 3 && /(^|\/)(ba|da|z|k)?sh$/.test(command[0]) && command[1] === '-c' ? command.slice(2) : command;
    return redactSecrets(`exec ${shown.join(' ')}`);
  }
  return 'unknown';
}

function conditionMap(conditions: WireCondition[] | undefined): Record<string, Condition> {
  const out: Record<string, Condition> = {};
  for (const c of conditions ?? []) {
    if (!c.type) continue;
    const status = c.status === 'True' || c.status === 'False' ? c.status : 'Unknown';
    out[c.type] = { status, since: c.lastTransitionTime ?? undefined, reason: c.reason || undefined };
  }
  return out;
}

function controllerOf(obj: KubeObject): OwnerRef | undefined {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller);
  return ref ? { kind: ref.kind ?? '', name: ref.name ?? '', uid: ref.uid ?? '' } : undefined;
}

/** replicas/readyReplicas as each controller reports them (DaemonSets count scheduled nodes, Jobs parallel pods). */
export function workloadState(kind: ClusterKind, obj: KubeObject): WorkloadState {
  const spec = (obj.spec ?? {}) as { replicas?: number; parallelism?: number; selector?: { matchLabels?: Record<string, string> } };
  const status = (obj.status ?? {}) as { readyReplicas?: number; desiredNumberScheduled?: number; numberReady?: number; ready?: number };
  let replicas: number | undefined;
  let readyReplicas: number | undefined;
  if (kind === 'DaemonSet') {
    replicas = status.desiredNumberScheduled;
    readyReplicas = status.numberReady;
  } else if (kind === 'Job') {
    replicas = spec.parallelism;
    readyReplicas = status.ready;
  } else if (kind !== 'CronJob') {
    replicas = spec.replicas;
    // The API server omits readyReplicas when it is zero.
    readyReplicas = status.readyReplicas ?? (replicas === undefined ? undefined : 0);
  }
  return {
    owner: controllerOf(obj),
    labels: { ...obj.metadata?.labels },
    selector: spec.selector?.matchLabels ? { ...spec.selector.matchLabels } : undefined,
    replicas,
    readyReplicas,
  };
}

export function nodeState(obj: KubeObject): NodeState {
  const status = (obj.status ?? {}) as { conditions?: WireCondition[]; addresses?: Array<{ type?: string; address?: string }> };
  return {
    conditions: conditionMap(status.conditions),
    addresses: (status.addresses ?? []).map((a) => `${a.type ?? ''}:${a.address ?? ''}`),
    labels: { ...obj.metadata?.labels },
  };
}

export function serviceState(obj: KubeObject): ServiceState {
  const spec = (obj.spec ?? {}) as { selector?: Record<string, string>; clusterIP?: string; clusterIPs?: string[]; ports?: WirePort[] };
  const ips = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
  return {
    selector: spec.selector ? { ...spec.selector } : undefined,
    // Headless services say "None": there is no address to link by.
    clusterIPs: ips.filter((ip) => ip && ip !== 'None'),
    ports: (spec.ports ?? []).map(portSummary),
    labels: { ...obj.metadata?.labels },
  };
}

/** `name:port/protocol`, or `port/protocol` for an unnamed port. */
function portSummary(p: WirePort): string {
  return `${p.name ? `${p.name}:` : ''}${p.port ?? ''}/${p.protocol ?? 'TCP'}`;
}

export function endpointSliceState(obj: KubeObject): EndpointSliceState {
  const endpoints = (obj.endpoints ?? []) as Array<{
    addresses?: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    targetRef?: { kind?: string; name?: string; uid?: string };
    nodeName?: string;
  }>;
  return {
    service: obj.metadata?.labels?.['kubernetes.io/service-name'],
    endpoints: endpoints.map(
      (e): Endpoint => ({
        addresses: [...(e.addresses ?? [])],
        ready: e.conditions?.ready,
        serving: e.conditions?.serving,
        terminating: e.conditions?.terminating,
        pod: e.targetRef?.kind === 'Pod' ? { name: e.targetRef.name ?? '', uid: e.targetRef.uid ?? '' } : undefined,
        nodeName: e.nodeName,
      }),
    ),
    ports: ((obj.ports ?? []) as WirePort[]).map(portSummary),
  };
}

/** A core/v1 Event; events recorded through events.k8s.io carry eventTime and series instead of the timestamps and count. */
export function eventState(obj: KubeObject): EventState {
  const e = obj as KubeObject & {
    involvedObject?: { kind?: string; namespace?: string; name?: string; uid?: string };
    reason?: string;
    message?: string;
    type?: string;
    count?: number;
    firstTimestamp?: string | null;
    lastTimestamp?: string | null;
    eventTime?: string | null;
    series?: { count?: number; lastObservedTime?: string } | null;
  };
  const inv = e.involvedObject ?? {};
  return {
    involved: { kind: inv.kind ?? '', namespace: inv.namespace ?? '', name: inv.name ?? '', uid: inv.uid || undefined },
    reason: e.reason ?? '',
    message: e.message ?? '',
    type: e.type ?? '',
    count: e.count ?? e.series?.count ?? 1,
    firstTime: e.firstTimestamp ?? e.eventTime ?? undefined,
    lastTime: e.lastTimestamp ?? e.series?.lastObservedTime ?? e.eventTime ?? e.firstTimestamp ?? undefined,
  };
}
