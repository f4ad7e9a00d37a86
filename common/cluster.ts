// Kubernetes objects as Hopscope keeps them: a compact state per kind, holding only the fields the linking,
// the detectors and the UI read (no managedFields, no spec beyond probes and hooks), and the link a finding
// or span carries to them. Times are RFC 3339 strings as the API server writes them.

/** The kinds Hopscope watches. */
export const CLUSTER_KINDS = ['Pod', 'ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Node', 'Service', 'EndpointSlice', 'Event'] as const;
export type ClusterKind = (typeof CLUSTER_KINDS)[number];

/** Kinds whose objects run pods, found by following ownerReferences. */
export const WORKLOAD_KINDS = ['ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface OwnerRef {
  kind: string;
  name: string;
  uid: string;
}

export interface Condition {
  status: 'True' | 'False' | 'Unknown';
  /** lastTransitionTime */
  since?: string;
  reason?: string;
}

export interface TerminatedState {
  reason: string;
  exitCode: number;
  startedAt?: string;
  finishedAt?: string;
}

export interface ContainerState {
  name: string;
  ready: boolean;
  restartCount: number;
  state: 'running' | 'waiting' | 'terminated' | 'unknown';
  /** Why it waits or ended (CrashLoopBackOff, OOMKilled, …). */
  reason?: string;
  startedAt?: string;
  /** The current instance's end, when state is terminated. */
  terminated?: TerminatedState;
  /** The previous instance's end (lastState.terminated): what a restart left behind. */
  lastTerminated?: TerminatedState;
  /** The runtime's id without its scheme (`containerd://` …), as `container.id` carries it. */
  containerId?: string;
}

export interface PodState {
  phase: string;
  conditions: Record<string, Condition>;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  podIPs: string[];
  hostIP?: string;
  nodeName?: string;
  /** The controller among ownerReferences. */
  owner?: OwnerRef;
  labels: Record<string, string>;
  startTime?: string;
  containers: ContainerState[];
  /** Per container with one: the readiness probe in a line (`httpGet :8080/healthz every 10s`). */
  readinessProbes?: Record<string, string>;
  /** Per container with one: the preStop hook in a line (`exec sleep 5`). */
  preStopHooks?: Record<string, string>;
  terminationGracePeriodSeconds?: number;
}

/**
 * When the pod was told to stop (ms): the API server sets deletionTimestamp to the delete request's time plus
 * the grace period, the deadline for the kubelet to kill it. Undefined while no deletion was requested.
 */
export function deletionRequestedMs(pod: Pick<PodState, 'deletionTimestamp' | 'deletionGracePeriodSeconds'>): number | undefined {
  const deadline = pod.deletionTimestamp ? Date.parse(pod.deletionTimestamp) : NaN;
  return Number.isNaN(deadline) ? undefined : deadline - (pod.deletionGracePeriodSeconds ?? 0) * 1000;
}

export interface WorkloadState {
  owner?: OwnerRef;
  labels: Record<string, string>;
  /** spec.selector.matchLabels */
  selector?: Record<string, string>;
  replicas?: number;
  readyReplicas?: number;
}

export interface NodeState {
  conditions: Record<string, Condition>;
  addresses: string[];
  labels: Record<string, string>;
}

export interface ServiceState {
  selector?: Record<string, string>;
  clusterIPs: string[];
  ports: string[];
  labels: Record<string, string>;
}

export interface Endpoint {
  addresses: string[];
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  /** targetRef when it is a Pod. */
  pod?: { name: string; uid: string };
  nodeName?: string;
}

export interface EndpointSliceState {
  /** The `kubernetes.io/service-name` label. */
  service?: string;
  endpoints: Endpoint[];
  ports: string[];
}

export interface EventState {
  involved: { kind: string; namespace: string; name: string; uid?: string };
  reason: string;
  message: string;
  type: string;
  count: number;
  firstTime?: string;
  lastTime?: string;
}

export interface ClusterStateOf {
  Pod: PodState;
  ReplicaSet: WorkloadState;
  Deployment: WorkloadState;
  StatefulSet: WorkloadState;
  DaemonSet: WorkloadState;
  Job: WorkloadState;
  CronJob: WorkloadState;
  Node: NodeState;
  Service: ServiceState;
  EndpointSlice: EndpointSliceState;
  Event: EventState;
}

export interface ObjectIdentity {
  kind: ClusterKind;
  /** '' for cluster-scoped kinds (Node). */
  namespace: string;
  name: string;
  uid: string;
}

/** An object as the store keeps it: its identity, when it was seen, and when it went. */
export interface StoredObject extends ObjectIdentity {
  /** The API server URL, naming the cluster. */
  cluster: string;
  /** metadata.creationTimestamp */
  created: string;
  firstSeenMs: number;
  lastSeenMs: number;
  /** When a watch saw it deleted; undefined while it exists. */
  goneMs?: number;
}

/** One state of an object, valid from observedMs until the object's next one. */
export interface StoredState {
  uid: string;
  observedMs: number;
  resourceVersion: string;
  state: ClusterStateOf[ClusterKind];
}

/** What the store holds of a cluster over a time range: each object, and its states oldest first. */
export interface ClusterHistoryRows {
  objects: StoredObject[];
  states: StoredState[];
}

/** What a span's resource says about its pod, for finding the candidates before the link rules judge them. */
export interface LinkKeys {
  uids: string[];
  /** Pod names, with their namespace when the resource says it. */
  names: { namespace?: string; name: string }[];
  addresses: string[];
  containerIds: string[];
}

/** The rule that tied a resource to its pod, in the order they are tried (the k8sattributes processor's idea). */
export const LINK_RULES = ['k8s.pod.uid', 'k8s.pod.name', 'k8s.pod.ip', 'connection', 'container.id', 'host.name', 'service.instance.id'] as const;
export type LinkRule = (typeof LINK_RULES)[number];

/**
 * An object a finding or span is tied to, as `analyze --cluster` and the API report it: the pod found by
 * `linkedBy`, then its owners, node and services (`linkedBy` names the relation, e.g. `owner of Pod api-7c…`).
 */
export interface ObjectLink {
  kind: ClusterKind;
  namespace: string;
  name: string;
  uid: string;
  /** A summary of the object's state at the time it is linked for (the span's or the finding's). */
  status: Record<string, string | number | boolean | null>;
  /** null while the object exists; else when it was last seen (RFC 3339). */
  gone: string | null;
  linkedBy: string;
}
