import { describe, expect, it } from 'vitest';
import type { ClusterHistoryRows, ClusterKind, ClusterStateOf, ObjectLink, PodState, StoredObject, StoredState, WorkloadState } from '../../common/cluster';
import type { WireFinding } from '../../common/wire';
import { groupWorkloads } from './workloads';

const NOW = Date.parse('2025-06-01T12:00:00Z');

/** A history built object by object: each with its states, oldest first. */
function history(): { rows: ClusterHistoryRows; add(kind: ClusterKind, namespace: string, name: string, states: ClusterStateOf[ClusterKind][], over?: Partial<StoredObject>): string } {
  const rows: ClusterHistoryRows = { objects: [], states: [] };
  return {
    rows,
    add(kind, namespace, name, states, over = {}) {
      const uid = `${kind}-${name}`.toLowerCase();
      rows.objects.push({ cluster: 'https://k8s:6443', kind, namespace, name, uid, created: '2025-06-01T10:00:00Z', firstSeenMs: NOW - 3_600_000, lastSeenMs: NOW, ...over });
      states.forEach((state, i): void => void rows.states.push({ uid, observedMs: NOW - 3_600_000 + i * 1000, resourceVersion: String(i), state } satisfies StoredState));
      return uid;
    },
  };
}

const owner = (kind: string, name: string) => ({ kind, name, uid: `${kind}-${name}`.toLowerCase() });
const workload = (over: Partial<WorkloadState> = {}): WorkloadState => ({ labels: {}, ...over });
const pod = (over: Partial<PodState> = {}): PodState => ({
  phase: 'Running',
  conditions: { Ready: { status: 'True' } },
  podIPs: [],
  labels: {},
  containers: [{ name: 'app', ready: true, restartCount: 0, state: 'running' }],
  nodeName: 'node-1',
  ...over,
});
const finding = (fingerprint: string, severity: WireFinding['severity'], uids: string[]): WireFinding => ({
  kind: 'broken-parent',
  subkind: 'missing-parent',
  severity,
  service: 'checkout',
  operation: 'GET /',
  title: `finding ${fingerprint}`,
  fingerprint,
  count: 1,
  occurrences: [],
  evidence: {},
  objects: uids.map((uid): ObjectLink => ({ kind: 'Pod', namespace: 'shop', name: uid, uid, status: {}, gone: null, linkedBy: 'k8s.pod.uid' })),
});

describe('groupWorkloads', () => {
  it('folds ReplicaSets into their Deployment and Jobs into their CronJob, with the pods at the top and their latest states', () => {
    const h = history();
    h.add('Deployment', 'shop', 'checkout', [workload({ replicas: 3, readyReplicas: 3 }), workload({ replicas: 3, readyReplicas: 2 })]);
    h.add('ReplicaSet', 'shop', 'checkout-7c9d8', [workload({ owner: owner('Deployment', 'checkout'), replicas: 3 })]);
    h.add('ReplicaSet', 'shop', 'checkout-55f6b', [workload({ owner: owner('Deployment', 'checkout'), replicas: 0 })]);
    const rs = owner('ReplicaSet', 'checkout-7c9d8');
    h.add('Pod', 'shop', 'checkout-7c9d8-a', [pod({ owner: rs })]);
    h.add('Pod', 'shop', 'checkout-7c9d8-b', [
      pod({ owner: rs }),
      pod({ owner: rs, conditions: { Ready: { status: 'False' } }, containers: [{ name: 'app', ready: false, restartCount: 4, state: 'waiting', reason: 'CrashLoopBackOff' }] }),
    ]);
    h.add('Pod', 'shop', 'checkout-7c9d8-c', [pod({ owner: rs, deletionTimestamp: new Date(NOW - 5000).toISOString() })], { goneMs: NOW - 2000 });
    h.add('CronJob', 'ops', 'backup', [workload()]);
    h.add('Job', 'ops', 'backup-2901', [workload({ owner: owner('CronJob', 'backup'), replicas: 1, readyReplicas: 0 })]);
    h.add('Pod', 'ops', 'backup-2901-x', [pod({ owner: owner('Job', 'backup-2901'), phase: 'Succeeded', conditions: { Ready: { status: 'False' } } })]);
    h.add('Service', 'shop', 'checkout', [{ clusterIPs: [], ports: [], labels: {} }]);

    const { namespaces, truncated } = groupWorkloads(h.rows, [], NOW);
    expect(truncated).toBe(false);
    expect(namespaces.map((ns) => [ns.namespace, ns.workloads.map((w) => `${w.kind} ${w.name}`)])).toEqual([
      ['ops', ['CronJob backup']],
      ['shop', ['Deployment checkout']],
    ]);
    const checkout = namespaces[1].workloads[0];
    expect(checkout).toMatchObject({ uid: 'deployment-checkout', known: true, replicas: 3, readyReplicas: 2, restarts: 4, gone: null, findings: [] });
    expect(checkout.pods).toEqual([
      { name: 'checkout-7c9d8-a', uid: 'pod-checkout-7c9d8-a', phase: 'Running', ready: true, restarts: 0, terminating: false, reason: undefined, node: 'node-1', gone: null },
      { name: 'checkout-7c9d8-b', uid: 'pod-checkout-7c9d8-b', phase: 'Running', ready: false, restarts: 4, terminating: false, reason: 'CrashLoopBackOff', node: 'node-1', gone: null },
      { name: 'checkout-7c9d8-c', uid: 'pod-checkout-7c9d8-c', phase: 'Running', ready: true, restarts: 0, terminating: true, reason: undefined, node: 'node-1', gone: new Date(NOW - 2000).toISOString() },
    ]);
    expect(namespaces[0].workloads[0].pods.map((p) => [p.name, p.phase])).toEqual([['backup-2901-x', 'Succeeded']]);
  });

  it('lists pods without a controller as their own rows, and names an owner the history lacks from its pods', () => {
    const h = history();
    h.add('Pod', 'default', 'debug', [pod()]);
    // A static pod's owner is its Node, not a controller.
    h.add('Pod', 'kube-system', 'etcd-node-1', [pod({ owner: { kind: 'Node', name: 'node-1', uid: 'node-1' } })]);
    // RBAC hid the StatefulSet: its pods still group under it.
    h.add('Pod', 'data', 'db-0', [pod({ owner: owner('StatefulSet', 'db') })]);
    h.add('Pod', 'data', 'db-1', [pod({ owner: owner('StatefulSet', 'db') })]);
    const { namespaces } = groupWorkloads(h.rows, [], NOW);
    expect(namespaces.flatMap((ns) => ns.workloads.map((w) => [ns.namespace, w.kind, w.name, w.known, w.pods.length]))).toEqual([
      ['data', 'StatefulSet', 'db', false, 2],
      ['default', 'Pod', 'debug', true, 1],
      ['kube-system', 'Pod', 'etcd-node-1', true, 1],
    ]);
    expect(namespaces[0].workloads[0]).toMatchObject({ replicas: null, readyReplicas: null });
  });

  it('counts the findings whose objects include the workload, a ReplicaSet between, or one of its pods, most severe first', () => {
    const h = history();
    h.add('Deployment', 'shop', 'api', [workload({ replicas: 1, readyReplicas: 1 })]);
    h.add('ReplicaSet', 'shop', 'api-1', [workload({ owner: owner('Deployment', 'api') })]);
    h.add('Pod', 'shop', 'api-1-a', [pod({ owner: owner('ReplicaSet', 'api-1') })]);
    h.add('Deployment', 'shop', 'web', [workload({ replicas: 1, readyReplicas: 1 })]);
    const findings = [finding('f1', 'warning', ['pod-api-1-a']), finding('f2', 'error', ['replicaset-api-1']), finding('f3', 'info', ['deployment-web']), finding('f4', 'warning', ['pod-elsewhere'])];
    const [shop] = groupWorkloads(h.rows, findings, NOW).namespaces;
    expect(shop.workloads.map((w) => [w.name, w.findings.map((f) => `${f.fingerprint} ${f.severity}`)])).toEqual([
      ['api', ['f2 error', 'f1 warning']],
      ['web', ['f3 info']],
    ]);
    expect(shop.workloads[0].findings[0].title).toBe('finding f2');
  });

  it('reads at most the number of objects it is given, and says it cut the rest', () => {
    const h = history();
    for (let i = 0; i < 5; i++) h.add('Pod', 'default', `pod-${i}`, [pod()]);
    const { namespaces, truncated } = groupWorkloads(h.rows, [], NOW, 3);
    expect(truncated).toBe(true);
    expect(namespaces[0].workloads.map((w) => w.name)).toEqual(['pod-0', 'pod-1', 'pod-2']);
  });
});
