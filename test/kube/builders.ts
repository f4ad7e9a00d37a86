import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { rfc3339, type JsonObject, type JsonValue, type KubeObject, type ManagedFieldsEntry, type OwnerReference } from './resources';

/** The alphabet Kubernetes uses for generated name suffixes and pod-template-hash (no vowels, no confusables). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(length = 5): string {
  const bytes = randomBytes(length);
  return [...bytes].map((b) => SAFE_ALPHABET[b % SAFE_ALPHABET.length]).join('');
}

function hex(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length);
}

export function containerId(): string {
  return `containerd://${hex(64)}`;
}

/** A stable 10.0.0.x address per node name, so pods and their node agree on hostIP. */
export function nodeIp(nodeName: string): string {
  const n = createHash('sha256').update(nodeName).digest()[0];
  return `10.0.0.${10 + (n % 200)}`;
}

/**
 * A pod IP no other pod built in this process has (10.200.0.2 on, a host part of 2–251 in each /24; the scenarios of
 * fixtures/cluster-scenarios.ts give theirs from 10.244.<subnet>.0/24, which these stay clear of). Drawn at random,
 * two of a dozen pods shared one about once in fifty runs, and a span linked by pod IP went to the wrong pod (a flaky
 * trace-list E2E).
 */
function podIp(): string {
  const n = podIps++;
  return `10.${200 + Math.floor(n / 64_000)}.${Math.floor(n / 250) % 256}.${2 + (n % 250)}`;
}
let podIps = 0;

const at = (base: Date, offsetSeconds: number): string => rfc3339(base.getTime() + offsetSeconds * 1000);

export function ownerReference(owner: KubeObject, controller = true): OwnerReference {
  if (!owner.metadata.uid) throw new Error(`owner ${owner.kind} ${owner.metadata.name} has no uid`);
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller, blockOwnerDeletion: true };
}

function fieldSet(value: unknown, depth: number): JsonObject {
  if (depth === 0 || value === null || typeof value !== 'object') return {};
  const out: JsonObject = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const name = (item as { name?: unknown } | null)?.name;
      if (typeof name === 'string') out[`k:${JSON.stringify({ name })}`] = { '.': {}, ...fieldSet(item, depth - 1) };
    }
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || k === 'managedFields' || k === 'resourceVersion' || k === 'uid' || k === 'creationTimestamp') continue;
    out[`f:${k}`] = v !== null && typeof v === 'object' && Object.keys(v).length > 0 ? { ...(Array.isArray(v) ? {} : { '.': {} }), ...fieldSet(v, depth - 1) } : {};
  }
  return out;
}

/** managedFields in the FieldsV1 shape server-side apply records, derived from the object's own fields. */
export function managedFields(obj: KubeObject, managers: Array<{ manager: string; parts: Array<'metadata' | 'spec' | 'status' | string>; subresource?: string }>, time: string): ManagedFieldsEntry[] {
  return managers.map(({ manager, parts, subresource }) => {
    const fieldsV1: JsonObject = {};
    for (const part of parts) {
      const value = part === 'metadata' ? { labels: obj.metadata.labels, annotations: obj.metadata.annotations, ownerReferences: obj.metadata.ownerReferences, generateName: obj.metadata.generateName } : obj[part];
      if (value !== undefined) fieldsV1[`f:${part}`] = fieldSet(value, 4);
    }
    const entry: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion: obj.apiVersion, time, fieldsType: 'FieldsV1', fieldsV1 };
    if (subresource) entry.subresource = subresource;
    return entry;
  });
}

export interface ContainerOptions {
  name: string;
  image?: string;
  port?: number;
  restartCount?: number;
  /** Default: running (or terminated for Succeeded/Failed pods, waiting for unscheduled/creating ones). */
  state?: 'running' | 'waiting' | 'terminated';
  waitingReason?: string;
  terminated?: { reason: string; exitCode: number };
  /** The previous instance's termination, reported in lastState.terminated. */
  lastTermination?: { reason: string; exitCode: number };
  ready?: boolean;
  readinessProbe?: boolean;
  preStop?: boolean;
}

function containerSpec(c: ContainerOptions): JsonObject {
  const port = c.port ?? 8080;
  return {
    name: c.name,
    image: c.image ?? 'ghcr.io/hopscope/demo-app:1.4.2',
    ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
    resources: { limits: { memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
    lifecycle: c.preStop ? { preStop: { exec: { command: ['/bin/sh', '-c', 'sleep 5'] } } } : undefined,
    readinessProbe:
      c.readinessProbe === false
        ? undefined
        : { httpGet: { path: '/healthz', port, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
  };
}

function fullImage(image: string): string {
  const firstPart = image.split('/')[0];
  const hasRegistry = image.includes('/') && (firstPart.includes('.') || firstPart.includes(':'));
  if (hasRegistry) return image;
  return image.includes('/') ? `docker.io/${image}` : `docker.io/library/${image}`;
}

export function podTemplate(labels: Record<string, string>, containers: ContainerOptions[] = [{ name: 'app' }]): JsonObject {
  return {
    metadata: { labels },
    spec: {
      containers: containers.map(containerSpec),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      securityContext: {},
      schedulerName: 'default-scheduler',
    },
  };
}

export interface PodOptions {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The controller owning the pod (ReplicaSet, StatefulSet, DaemonSet, Job). */
  owner?: KubeObject;
  /** null leaves the pod unscheduled (Pending, PodScheduled=False). */
  nodeName?: string | null;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** Default: true for Running pods whose containers are all ready. */
  ready?: boolean;
  containers?: ContainerOptions[];
  podIP?: string;
  createdAt?: Date;
  terminationGracePeriodSeconds?: number;
  serviceAccountName?: string;
  uid?: string;
}

export function pod(o: PodOptions): KubeObject {
  const created = o.createdAt ?? new Date();
  const phase = o.phase ?? 'Running';
  const scheduled = o.nodeName !== null;
  const nodeName = o.nodeName ?? 'node-1';
  const containers = o.containers ?? [{ name: 'app' }];
  const started = at(created, 2);
  const ip = o.podIP ?? podIp();

  const statuses = containers.map((c): JsonObject => {
    const image = c.image ?? 'ghcr.io/hopscope/demo-app:1.4.2';
    const defaultState = phase === 'Succeeded' || phase === 'Failed' ? 'terminated' : phase === 'Pending' ? 'waiting' : 'running';
    const kind = c.state ?? defaultState;
    const id = kind === 'waiting' && phase === 'Pending' ? undefined : containerId();
    const exit = c.terminated ?? (phase === 'Failed' ? { reason: 'Error', exitCode: 1 } : { reason: 'Completed', exitCode: 0 });
    const state: JsonObject =
      kind === 'running'
        ? { running: { startedAt: started } }
        : kind === 'terminated'
          ? { terminated: { exitCode: exit.exitCode, reason: exit.reason, startedAt: started, finishedAt: at(created, 60), containerID: id } }
          : { waiting: { reason: c.waitingReason ?? 'ContainerCreating', message: c.waitingReason === 'CrashLoopBackOff' ? `back-off 5m0s restarting failed container=${c.name} pod=${o.name}` : undefined } };
    const lastState: JsonObject = c.lastTermination
      ? { terminated: { exitCode: c.lastTermination.exitCode, reason: c.lastTermination.reason, startedAt: at(created, 2), finishedAt: at(created, 30), containerID: containerId() } }
      : {};
    return {
      name: c.name,
      state,
      lastState,
      ready: c.ready ?? kind === 'running',
      restartCount: c.restartCount ?? (c.lastTermination ? 1 : 0),
      image: fullImage(image),
      imageID: id ? `${fullImage(image).split(':')[0]}@sha256:${hex(64)}` : '',
      containerID: id,
      started: kind === 'running',
    };
  });

  const allReady = statuses.every((s) => s.ready === true);
  const ready = o.ready ?? (phase === 'Running' && allReady);
  const condition = (type: string, ok: boolean, reason?: string, message?: string): JsonObject => ({
    type,
    status: ok ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: ok ? at(created, type === 'Ready' || type === 'ContainersReady' ? 5 : 1) : at(created, 0),
    reason,
    message,
  });
  const unready = statuses.filter((s) => s.ready !== true).map((s) => s.name);
  const notReadyReason = phase === 'Succeeded' || phase === 'Failed' ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMessage = notReadyReason === 'ContainersNotReady' ? `containers with unready status: [${unready.join(' ')}]` : undefined;
  const conditions = scheduled
    ? [
        condition('PodReadyToStartContainers', phase === 'Running'),
        condition('Initialized', true, phase === 'Succeeded' || phase === 'Failed' ? 'PodCompleted' : undefined),
        condition('Ready', ready, ready ? undefined : notReadyReason, ready ? undefined : notReadyMessage),
        condition('ContainersReady', ready, ready ? undefined : notReadyReason, ready ? undefined : notReadyMessage),
        condition('PodScheduled', true),
      ]
    : [condition('PodScheduled', false, 'Unschedulable', '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.')];

  const labels = { ...(o.labels ?? { app: o.name }) };
  const obj: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name,
      generateName: o.owner && o.owner.kind !== 'StatefulSet' ? `${o.owner.metadata.name}-` : undefined,
      namespace: o.namespace ?? o.owner?.metadata.namespace ?? 'default',
      uid: o.uid ?? randomUUID(),
      creationTimestamp: rfc3339(created),
      labels,
      annotations: o.annotations,
      ownerReferences: o.owner ? [ownerReference(o.owner)] : undefined,
    },
    spec: {
      volumes: [
        {
          name: `kube-api-access-${randomSuffix(5)}`,
          projected: {
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            ],
            defaultMode: 420,
          },
        },
      ],
      containers: containers.map(containerSpec),
      restartPolicy: o.owner?.kind === 'Job' ? 'Never' : 'Always',
      terminationGracePeriodSeconds: o.terminationGracePeriodSeconds ?? 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: o.serviceAccountName ?? 'default',
      serviceAccount: o.serviceAccountName ?? 'default',
      nodeName: scheduled ? nodeName : undefined,
      securityContext: {},
      schedulerName: 'default-scheduler',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase,
      conditions,
      hostIP: scheduled ? nodeIp(nodeName) : undefined,
      hostIPs: scheduled ? [{ ip: nodeIp(nodeName) }] : undefined,
      podIP: scheduled && phase !== 'Pending' ? ip : undefined,
      podIPs: scheduled && phase !== 'Pending' ? [{ ip }] : undefined,
      startTime: scheduled ? at(created, 1) : undefined,
      containerStatuses: scheduled ? statuses : undefined,
      qosClass: 'Burstable',
    },
  };
  obj.metadata.managedFields = managedFields(
    obj,
    [
      { manager: o.owner ? 'kube-controller-manager' : 'kubectl-run', parts: ['metadata', 'spec'] },
      ...(scheduled ? [{ manager: 'kubelet', parts: ['status'], subresource: 'status' }] : []),
    ],
    at(created, 5),
  );
  return obj;
}

function selectorLabels(owner: KubeObject): Record<string, string> {
  const template = owner.spec?.template as { metadata?: { labels?: Record<string, string> } } | undefined;
  return { ...(template?.metadata?.labels ?? {}) };
}

/** Pods as the owning controller would create them: names, labels and ownerReferences per controller kind. */
export function podsFor(owner: KubeObject, count: number, o: Partial<PodOptions> & { nodeNames?: string[] } = {}): KubeObject[] {
  const nodes = o.nodeNames ?? ['node-1', 'node-2', 'node-3'];
  return Array.from({ length: count }, (_, i) => {
    const labels = { ...selectorLabels(owner), ...(o.labels ?? {}) };
    let name = `${owner.metadata.name}-${randomSuffix(5)}`;
    if (owner.kind === 'StatefulSet') {
      name = `${owner.metadata.name}-${i}`;
      Object.assign(labels, {
        'apps.kubernetes.io/pod-index': String(i),
        'controller-revision-hash': (owner.status?.currentRevision as string | undefined) ?? `${owner.metadata.name}-5d8c7b9f4`,
        'statefulset.kubernetes.io/pod-name': name,
      });
    } else if (owner.kind === 'DaemonSet') {
      Object.assign(labels, { 'controller-revision-hash': '6f9d7c8b5', 'pod-template-generation': '1' });
    } else if (owner.kind === 'Job') {
      Object.assign(labels, {
        'batch.kubernetes.io/controller-uid': owner.metadata.uid!,
        'batch.kubernetes.io/job-name': owner.metadata.name,
        'controller-uid': owner.metadata.uid!,
        'job-name': owner.metadata.name,
      });
    }
    return pod({ ...o, name, labels, owner, namespace: owner.metadata.namespace, nodeName: o.nodeName === null ? null : nodes[i % nodes.length] });
  });
}

interface WorkloadOptions {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  replicas?: number;
  /** How many replicas report ready (default: all). */
  readyReplicas?: number;
  containers?: ContainerOptions[];
  createdAt?: Date;
}

function workloadMeta(o: WorkloadOptions, extra: Partial<KubeObject['metadata']> = {}): KubeObject['metadata'] {
  return {
    name: o.name,
    namespace: o.namespace ?? 'default',
    uid: randomUUID(),
    creationTimestamp: o.createdAt ? rfc3339(o.createdAt) : undefined,
    generation: 1,
    labels: o.labels ?? { app: o.name },
    ...extra,
  };
}

function withManagedFields(obj: KubeObject, specManager: string, created: Date): KubeObject {
  obj.metadata.managedFields = managedFields(
    obj,
    [
      { manager: specManager, parts: ['metadata', 'spec'] },
      { manager: 'kube-controller-manager', parts: ['status'], subresource: 'status' },
    ],
    at(created, 3),
  );
  return obj;
}

export function deployment(o: WorkloadOptions): KubeObject {
  const created = o.createdAt ?? new Date();
  const replicas = o.replicas ?? 3;
  const ready = o.readyReplicas ?? replicas;
  const labels = o.labels ?? { app: o.name };
  return withManagedFields(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: workloadMeta(o, { annotations: { 'deployment.kubernetes.io/revision': '1' } }),
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: podTemplate(labels, o.containers),
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
      },
      status: {
        observedGeneration: 1,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: ready || undefined,
        availableReplicas: ready || undefined,
        unavailableReplicas: replicas - ready || undefined,
        conditions: [
          {
            type: 'Available',
            status: ready === replicas ? 'True' : 'False',
            lastUpdateTime: at(created, 10),
            lastTransitionTime: at(created, 10),
            reason: ready === replicas ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
            message: ready === replicas ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
          },
          {
            type: 'Progressing',
            status: 'True',
            lastUpdateTime: at(created, 10),
            lastTransitionTime: at(created, 0),
            reason: 'NewReplicaSetAvailable',
            message: `ReplicaSet "${o.name}" has successfully progressed.`,
          },
        ],
      },
    },
    'kubectl-client-side-apply',
    created,
  );
}

export function replicaSet(o: WorkloadOptions & { deployment?: KubeObject; podTemplateHash?: string }): KubeObject {
  const created = o.createdAt ?? new Date();
  const hash = o.podTemplateHash ?? randomSuffix(10);
  const dep = o.deployment;
  const replicas = o.replicas ?? (dep?.spec?.replicas as number | undefined) ?? 3;
  const ready = o.readyReplicas ?? replicas;
  const baseLabels = o.labels ?? (dep ? selectorLabels(dep) : { app: o.name });
  const labels = { ...baseLabels, 'pod-template-hash': hash };
  const name = dep ? `${dep.metadata.name}-${hash}` : o.name;
  return withManagedFields(
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: workloadMeta({ ...o, name, namespace: o.namespace ?? dep?.metadata.namespace, labels }, {
        annotations: dep ? { 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/max-replicas': String(replicas + Math.ceil(replicas / 4)), 'deployment.kubernetes.io/revision': '1' } : undefined,
        ownerReferences: dep ? [ownerReference(dep)] : undefined,
      }),
      spec: { replicas, selector: { matchLabels: labels }, template: podTemplate(labels, o.containers) },
      status: { replicas, fullyLabeledReplicas: replicas, readyReplicas: ready || undefined, availableReplicas: ready || undefined, observedGeneration: 1 },
    },
    'kube-controller-manager',
    created,
  );
}

/** A Deployment, its ReplicaSet and its pods, wired by ownerReferences and pod-template-hash. */
export function deploymentWithPods(o: WorkloadOptions & { nodeNames?: string[] }): { deployment: KubeObject; replicaSet: KubeObject; pods: KubeObject[] } {
  const dep = deployment(o);
  const rs = replicaSet({ ...o, deployment: dep, name: o.name });
  return { deployment: dep, replicaSet: rs, pods: podsFor(rs, (rs.spec!.replicas as number) ?? 0, { nodeNames: o.nodeNames, containers: o.containers }) };
}

export function statefulSet(o: WorkloadOptions & { serviceName?: string }): KubeObject {
  const created = o.createdAt ?? new Date();
  const replicas = o.replicas ?? 3;
  const ready = o.readyReplicas ?? replicas;
  const labels = o.labels ?? { app: o.name };
  const revision = `${o.name}-${randomSuffix(10)}`;
  return withManagedFields(
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: workloadMeta(o),
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: podTemplate(labels, o.containers),
        serviceName: o.serviceName ?? o.name,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        revisionHistoryLimit: 10,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      },
      status: {
        observedGeneration: 1,
        replicas,
        readyReplicas: ready || undefined,
        currentReplicas: replicas,
        updatedReplicas: replicas,
        currentRevision: revision,
        updateRevision: revision,
        collisionCount: 0,
        availableReplicas: ready,
      },
    },
    'kubectl-client-side-apply',
    created,
  );
}

export function daemonSet(o: WorkloadOptions & { nodeCount?: number }): KubeObject {
  const created = o.createdAt ?? new Date();
  const nodes = o.nodeCount ?? 3;
  const ready = o.readyReplicas ?? nodes;
  const labels = o.labels ?? { 'app.kubernetes.io/name': o.name };
  return withManagedFields(
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: workloadMeta({ ...o, namespace: o.namespace ?? 'kube-system', labels }, { annotations: { 'deprecated.daemonset.template.generation': '1' } }),
      spec: {
        selector: { matchLabels: labels },
        template: podTemplate(labels, o.containers),
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        revisionHistoryLimit: 10,
      },
      status: {
        currentNumberScheduled: nodes,
        numberMisscheduled: 0,
        desiredNumberScheduled: nodes,
        numberReady: ready,
        observedGeneration: 1,
        updatedNumberScheduled: nodes,
        numberAvailable: ready || undefined,
        numberUnavailable: nodes - ready || undefined,
      },
    },
    'kubectl-client-side-apply',
    created,
  );
}

export function cronJob(o: { name: string; namespace?: string; schedule?: string; containers?: ContainerOptions[]; createdAt?: Date; lastScheduleTime?: Date }): KubeObject {
  const created = o.createdAt ?? new Date();
  const last = o.lastScheduleTime ?? created;
  return withManagedFields(
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: workloadMeta({ ...o, labels: {} }),
      spec: {
        schedule: o.schedule ?? '*/5 * * * *',
        concurrencyPolicy: 'Forbid',
        suspend: false,
        jobTemplate: { metadata: {}, spec: { backoffLimit: 2, template: { ...podTemplate({ app: o.name }, o.containers), spec: { ...(podTemplate({ app: o.name }, o.containers).spec as JsonObject), restartPolicy: 'OnFailure' } } } },
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
      },
      status: { lastScheduleTime: rfc3339(last), lastSuccessfulTime: rfc3339(last.getTime() + 42_000) },
    },
    'kubectl-client-side-apply',
    created,
  );
}

export interface JobOptions {
  name?: string;
  namespace?: string;
  /** The CronJob that created the job: names it `<cronjob>-<scheduled minute>` and sets the controller ownerReference. */
  cronJob?: KubeObject;
  scheduledAt?: Date;
  outcome?: 'running' | 'succeeded' | 'failed';
  containers?: ContainerOptions[];
}

export function job(o: JobOptions): KubeObject {
  const scheduled = o.scheduledAt ?? new Date();
  const cj = o.cronJob;
  const name = o.name ?? (cj ? `${cj.metadata.name}-${Math.floor(scheduled.getTime() / 60_000)}` : `job-${randomSuffix(5)}`);
  const uid = randomUUID();
  const outcome = o.outcome ?? 'succeeded';
  const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
  const template = podTemplate(labels, o.containers);
  (template.spec as JsonObject).restartPolicy = cj ? 'OnFailure' : 'Never';
  const done = outcome !== 'running';
  const finished = at(scheduled, 45);
  const terminal = (type: string, reason: string, message: string): JsonObject => ({ type, status: 'True', lastProbeTime: finished, lastTransitionTime: finished, reason, message });
  return withManagedFields(
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: o.namespace ?? cj?.metadata.namespace ?? 'default',
        uid,
        creationTimestamp: rfc3339(scheduled),
        generation: 1,
        labels,
        annotations: cj ? { 'batch.kubernetes.io/cronjob-scheduled-timestamp': rfc3339(scheduled), 'batch.kubernetes.io/job-tracking': '' } : { 'batch.kubernetes.io/job-tracking': '' },
        ownerReferences: cj ? [ownerReference(cj)] : undefined,
      },
      spec: {
        parallelism: 1,
        completions: 1,
        backoffLimit: cj ? 2 : 6,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
        manualSelector: false,
        template,
        completionMode: 'NonIndexed',
        suspend: false,
        podReplacementPolicy: 'TerminatingOrFailed',
      },
      status: {
        startTime: at(scheduled, 0),
        completionTime: outcome === 'succeeded' ? finished : undefined,
        active: done ? undefined : 1,
        succeeded: outcome === 'succeeded' ? 1 : undefined,
        failed: outcome === 'failed' ? 3 : undefined,
        ready: done ? 0 : 1,
        terminating: 0,
        uncountedTerminatedPods: {},
        conditions: !done
          ? undefined
          : outcome === 'succeeded'
            ? [terminal('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'), terminal('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods')]
            : [terminal('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'), terminal('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')],
      },
    },
    'kube-controller-manager',
    scheduled,
  );
}

export function node(o: { name: string; ready?: boolean; internalIP?: string; labels?: Record<string, string>; controlPlane?: boolean; createdAt?: Date; kubeletVersion?: string }): KubeObject {
  const created = o.createdAt ?? new Date(Date.now() - 86_400_000);
  const heartbeat = rfc3339();
  const ready = o.ready ?? true;
  const ip = o.internalIP ?? nodeIp(o.name);
  const cond = (type: string, status: boolean, reason: string, message: string): JsonObject => ({
    type,
    status: status ? 'True' : 'False',
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: at(created, 30),
    reason,
    message,
  });
  const capacity = { cpu: '4', 'ephemeral-storage': '102625208Ki', 'hugepages-2Mi': '0', memory: '16369360Ki', pods: '110' };
  const obj: KubeObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: o.name,
      creationTimestamp: rfc3339(created),
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': o.name,
        'kubernetes.io/os': 'linux',
        ...(o.controlPlane ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
        ...(o.labels ?? {}),
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { podCIDR: `10.244.${ip.split('.')[3]}.0/24`, podCIDRs: [`10.244.${ip.split('.')[3]}.0/24`], providerID: `kind://docker/hopscope/${o.name}` },
    status: {
      capacity,
      allocatable: { ...capacity, cpu: '3800m' },
      conditions: [
        cond('MemoryPressure', false, 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', false, 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', false, 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ready ? cond('Ready', true, 'KubeletReady', 'kubelet is posting ready status') : { ...cond('Ready', false, 'NodeStatusUnknown', 'Kubelet stopped posting node status.'), status: 'Unknown' },
      ],
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: o.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: hex(32),
        systemUUID: randomUUID(),
        bootID: randomUUID(),
        kernelVersion: '6.8.0-59-generic',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://2.1.1',
        kubeletVersion: o.kubeletVersion ?? 'v1.33.1',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
  obj.metadata.managedFields = managedFields(
    obj,
    [
      { manager: 'kubelet', parts: ['metadata'] },
      { manager: 'kube-controller-manager', parts: ['spec'] },
      { manager: 'kubelet', parts: ['status'], subresource: 'status' },
    ],
    heartbeat,
  );
  return obj;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export function service(o: { name: string; namespace?: string; selector?: Record<string, string>; ports?: ServicePort[]; clusterIP?: string; type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; createdAt?: Date }): KubeObject {
  const [a, b] = randomBytes(2);
  const clusterIP = o.clusterIP ?? `10.96.${a}.${b}`;
  const ports: JsonValue[] = (o.ports ?? [{ name: 'http', port: 80, targetPort: 8080 }]).map((p) => ({ name: p.name, protocol: p.protocol ?? 'TCP', port: p.port, targetPort: p.targetPort ?? p.port }));
  const obj: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: o.name, namespace: o.namespace ?? 'default', uid: randomUUID(), creationTimestamp: o.createdAt ? rfc3339(o.createdAt) : undefined, labels: { app: o.name } },
    spec: {
      ports,
      selector: o.selector ?? { app: o.name },
      clusterIP,
      clusterIPs: [clusterIP],
      type: o.type ?? 'ClusterIP',
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  };
  obj.metadata.managedFields = managedFields(obj, [{ manager: 'kubectl-client-side-apply', parts: ['metadata', 'spec'] }], rfc3339(o.createdAt ?? new Date()));
  return obj;
}

export interface EndpointOptions {
  pod: KubeObject;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

/** An EndpointSlice as the endpointslice controller writes it for a Service and its pods. */
export function endpointSlice(o: { service: KubeObject; endpoints: EndpointOptions[]; name?: string }): KubeObject {
  const svc = o.service;
  const svcName = svc.metadata.name;
  const endpoints: JsonValue[] = o.endpoints.map(({ pod: p, ...c }) => {
    const conditions = (p.status?.conditions as Array<{ type: string; status: string }> | undefined) ?? [];
    const terminating = c.terminating ?? p.metadata.deletionTimestamp !== undefined;
    const podReady = conditions.some((x) => x.type === 'Ready' && x.status === 'True');
    const serving = c.serving ?? podReady;
    return {
      addresses: [String(p.status?.podIP ?? '')],
      conditions: { ready: c.ready ?? (serving && !terminating), serving, terminating },
      targetRef: { kind: 'Pod', namespace: p.metadata.namespace ?? 'default', name: p.metadata.name, uid: p.metadata.uid ?? '' },
      nodeName: p.spec?.nodeName as string | undefined,
    };
  });
  const ports = ((svc.spec?.ports as Array<{ name?: string; protocol?: string; targetPort?: number | string; port: number }> | undefined) ?? []).map((p) => ({
    name: p.name ?? '',
    protocol: p.protocol ?? 'TCP',
    port: typeof p.targetPort === 'number' ? p.targetPort : p.port,
  }));
  const now = rfc3339();
  const obj: KubeObject = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: o.name ?? `${svcName}-${randomSuffix(5)}`,
      generateName: `${svcName}-`,
      namespace: svc.metadata.namespace ?? 'default',
      uid: randomUUID(),
      labels: { ...(svc.metadata.labels ?? {}), 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'kubernetes.io/service-name': svcName },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': now },
      ownerReferences: [ownerReference(svc)],
    },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
  obj.metadata.managedFields = managedFields(obj, [{ manager: 'kube-controller-manager', parts: ['metadata', 'addressType', 'endpoints', 'ports'] }], now);
  return obj;
}

export interface EventOptions {
  involved: KubeObject;
  reason: string;
  message: string;
  type?: 'Normal' | 'Warning';
  count?: number;
  firstSeen?: Date;
  lastSeen?: Date;
  fieldPath?: string;
  /** 'legacy' is how the kubelet records (core/v1 recorder); 'events.k8s.io' how the scheduler does (eventTime, action, no counts). */
  recorder?: 'legacy' | 'events.k8s.io';
  component?: string;
  host?: string;
  action?: string;
}

/** A core/v1 Event; `type: 'Warning', reason: 'BackOff'` style. */
export function event(o: EventOptions): KubeObject {
  const first = o.firstSeen ?? new Date();
  const last = o.lastSeen ?? first;
  const inv = o.involved;
  const legacy = (o.recorder ?? 'legacy') === 'legacy';
  const component = o.component ?? (legacy ? 'kubelet' : 'default-scheduler');
  const host = o.host ?? (inv.spec?.nodeName as string | undefined);
  const obj: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${inv.metadata.name}.${hex(16)}`, namespace: inv.metadata.namespace ?? 'default', uid: randomUUID(), creationTimestamp: rfc3339(first) },
    involvedObject: {
      kind: inv.kind,
      namespace: inv.metadata.namespace,
      name: inv.metadata.name,
      uid: inv.metadata.uid,
      apiVersion: inv.apiVersion,
      resourceVersion: inv.metadata.resourceVersion,
      fieldPath: o.fieldPath,
    },
    reason: o.reason,
    message: o.message,
    source: legacy ? { component, host } : {},
    firstTimestamp: legacy ? rfc3339(first) : null,
    lastTimestamp: legacy ? rfc3339(last) : null,
    count: legacy ? (o.count ?? 1) : undefined,
    type: o.type ?? 'Normal',
    eventTime: legacy ? null : first.toISOString().replace(/Z$/, '000Z'),
    action: legacy ? undefined : (o.action ?? 'Binding'),
    reportingComponent: component,
    reportingInstance: legacy ? (host ?? '') : `${component}-control-plane`,
  };
  obj.metadata.managedFields = managedFields(obj, [{ manager: component, parts: ['count', 'firstTimestamp', 'involvedObject', 'lastTimestamp', 'message', 'reason', 'source', 'type'] }], rfc3339(last));
  return obj;
}

export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}
