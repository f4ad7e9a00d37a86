import { describe, expect, it } from 'vitest';
import { openStore } from '../store';
import type { ClusterChange } from '../store/cluster';
import { tempDir } from '../store/testing';
import { ClusterHistory, linkKeys, objectsForOccurrences, type SpanPlace } from './cluster-links';
import { CLUSTER, HistoryBuilder, iso, pod } from './test-cluster';

const MIN = 60_000;
const T = Date.UTC(2026, 11, 5, 10, 0, 0);
const CONTAINER = 'c0ffee'.padEnd(64, '0');

const workload = (owner?: { kind: string; name: string; uid: string }) => ({ labels: { app: 'api' }, owner, replicas: 2, readyReplicas: 2 });

function shop(): HistoryBuilder {
  return new HistoryBuilder()
    .add('Deployment', 'shop', 'api', 'dep', T - 60 * MIN, [[T - 60 * MIN, workload()]])
    .add('ReplicaSet', 'shop', 'api-7c9f', 'rs', T - 60 * MIN, [[T - 60 * MIN, workload({ kind: 'Deployment', name: 'api', uid: 'dep' })]])
    .add('Node', '', 'node-a', 'node', T - 600 * MIN, [[T - 600 * MIN, { conditions: { Ready: { status: 'True' } }, addresses: ['InternalIP:10.0.0.5'], labels: {} }]])
    .add('Pod', 'shop', 'api-7c9f-x1', 'pod-1', T - 30 * MIN, [
      [T - 30 * MIN, pod({ podIPs: ['10.244.1.7'], nodeName: 'node-a', owner: { kind: 'ReplicaSet', name: 'api-7c9f', uid: 'rs' }, containers: [{ name: 'app', ready: true, restartCount: 0, state: 'running', containerId: CONTAINER }] })],
      [T + 10 * MIN, pod({ podIPs: ['10.244.1.7'], nodeName: 'node-a', owner: { kind: 'ReplicaSet', name: 'api-7c9f', uid: 'rs' }, deletionTimestamp: iso(T + 10 * MIN), conditions: { Ready: { status: 'False' } } })],
    ], T + 11 * MIN)
    // The same IP, given to a new pod after the first one went.
    .add('Pod', 'shop', 'api-7c9f-x2', 'pod-2', T + 12 * MIN, [[T + 12 * MIN, pod({ podIPs: ['10.244.1.7'], nodeName: 'node-a', owner: { kind: 'ReplicaSet', name: 'api-7c9f', uid: 'rs' } })]])
    .add('Service', 'shop', 'api', 'svc', T - 60 * MIN, [[T - 60 * MIN, { selector: { app: 'api' }, clusterIPs: ['10.96.0.10'], ports: ['http:80/TCP'], labels: {} }]])
    .add('Service', 'shop', 'other', 'svc-other', T - 60 * MIN, [[T - 60 * MIN, { selector: { app: 'other' }, clusterIPs: ['10.96.0.11'], ports: [], labels: {} }]])
    .add('EndpointSlice', 'shop', 'api-abcde', 'slice', T - 60 * MIN, [
      [T - 30 * MIN, { service: 'api', ports: [], endpoints: [{ addresses: ['10.244.1.7'], ready: true, serving: true, terminating: false, pod: { name: 'api-7c9f-x1', uid: 'pod-1' } }] }],
      [T + 10 * MIN, { service: 'api', ports: [], endpoints: [{ addresses: ['10.244.1.7'], ready: false, serving: true, terminating: true, pod: { name: 'api-7c9f-x1', uid: 'pod-1' } }] }],
    ])
    .add('Event', 'shop', 'api-7c9f-x1.1', 'ev', T - 5 * MIN, [
      [T - 5 * MIN, { involved: { kind: 'Pod', namespace: 'shop', name: 'api-7c9f-x1', uid: 'pod-1' }, reason: 'Killing', message: 'Stopping container app', type: 'Normal', count: 1, lastTime: iso(T - 5 * MIN) }],
    ]);
}

describe('linking a resource to its pod', () => {
  const history = shop().build();

  it.each([
    ['k8s.pod.uid', { 'k8s.pod.uid': 'pod-1', 'k8s.pod.name': 'wrong' }],
    ['k8s.pod.name', { 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'api-7c9f-x1' }],
    ['k8s.pod.ip', { 'k8s.pod.ip': '10.244.1.7' }],
    ['container.id', { 'container.id': CONTAINER }],
    ['host.name', { 'host.name': 'api-7c9f-x1' }],
    ['service.instance.id', { 'service.instance.id': 'shop.api-7c9f-x1.app' }],
  ])('by %s', (rule, attributes) => {
    const link = history.linkResource(attributes, T);
    expect(link?.rule).toBe(rule);
    expect(link?.pod.name).toBe('api-7c9f-x1');
  });

  it('tries the rules in order: a pod uid beats a pod name that names another pod', () => {
    expect(history.linkResource({ 'k8s.pod.uid': 'pod-2', 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'api-7c9f-x1' }, T)?.pod.uid).toBe('pod-2');
  });

  it('matches a reused pod IP only against the pod that held it at the span’s time', () => {
    expect(history.linkResource({ 'k8s.pod.ip': '10.244.1.7' }, T)?.pod.uid).toBe('pod-1');
    expect(history.linkResource({ 'k8s.pod.ip': '10.244.1.7' }, T + 20 * MIN)?.pod.uid).toBe('pod-2');
    // between the first pod going and the second arriving, nobody held it
    expect(history.linkResource({ 'k8s.pod.ip': '10.244.1.7' }, T + 11.5 * MIN)).toBeUndefined();
    expect(history.linkResource({ 'k8s.pod.ip': '10.99.9.9' }, T)).toBeUndefined();
  });

  it('links by the address the exporter connected from (the connection rule), judged at the span’s time like any pod IP', () => {
    expect(history.linkResource({ 'service.name': 'api' }, T, ['10.244.1.7'])).toMatchObject({ rule: 'connection', pod: { uid: 'pod-1' } });
    expect(history.linkResource({ 'service.name': 'api' }, T + 20 * MIN, ['10.99.9.9', '10.244.1.7'])?.pod.uid).toBe('pod-2');
    // an agent's or gateway's address is no pod's: nothing is linked
    expect(history.linkResource({ 'service.name': 'api' }, T, ['10.0.0.4'])).toBeUndefined();
    // a resource that names its pod is linked by that first
    expect(history.linkResource({ 'k8s.pod.uid': 'pod-2' }, T, ['10.244.1.7'])?.rule).toBe('k8s.pod.uid');
    expect(linkKeys({ 'k8s.pod.ip': '10.244.1.7' }, ['10.244.1.7', '10.244.1.8']).addresses).toEqual(['10.244.1.7', '10.244.1.8']);
  });

  it('strips the runtime scheme from container ids', () => {
    expect(history.linkResource({ 'container.id': `containerd://${CONTAINER}` }, T)?.rule).toBe('container.id');
  });

  it('picks, among pods that had one name, the one that existed at the time (StatefulSet pods are recreated under their name)', () => {
    const sts = new HistoryBuilder()
      .add('Pod', 'db', 'pg-0', 'old', T - 60 * MIN, [[T - 60 * MIN, pod()]], T - 10 * MIN)
      .add('Pod', 'db', 'pg-0', 'new', T - 9 * MIN, [[T - 9 * MIN, pod()]])
      .build();
    const at = (ms: number) => sts.linkResource({ 'k8s.namespace.name': 'db', 'k8s.pod.name': 'pg-0' }, ms)?.pod.uid;
    expect(at(T - 30 * MIN)).toBe('old');
    expect(at(T)).toBe('new');
  });

  it('does not link a span to a pod created after it, nor list a slice that did not exist yet', () => {
    const later = new HistoryBuilder()
      .add('Pod', 'db', 'pg-0', 'new', T + 10 * MIN, [[T + 10 * MIN, pod()]])
      .add('EndpointSlice', 'db', 'pg-abc', 'slice', T + 20 * MIN, [[T + 20 * MIN, { service: 'pg', ports: [], endpoints: [{ addresses: [], pod: { name: 'pg-0', uid: 'new' } }] }]])
      .build();
    expect(later.linkResource({ 'k8s.namespace.name': 'db', 'k8s.pod.name': 'pg-0' }, T)).toBeUndefined();
    const link = later.linkResource({ 'k8s.namespace.name': 'db', 'k8s.pod.name': 'pg-0' }, T + 15 * MIN)!;
    expect(later.objectsFor(link, T + 15 * MIN).map((o) => o.kind)).toEqual(['Pod']);
    expect(later.objectsFor(link, T + 25 * MIN).map((o) => o.kind)).toEqual(['Pod', 'EndpointSlice']);
  });

  it('links nothing it cannot justify', () => {
    expect(history.linkResource({ 'service.name': 'api' }, T)).toBeUndefined();
    // a pod name alone is not a rule: names repeat across namespaces
    expect(history.linkResource({ 'k8s.pod.name': 'api-7c9f-x1' }, T)).toBeUndefined();
  });
});

describe('what a pod is tied to', () => {
  const history = shop().build();
  const link = history.linkResource({ 'k8s.pod.uid': 'pod-1' }, T)!;

  it('follows ownerReferences to the Deployment, and finds the node, the selecting service, the slice and recent events', () => {
    const objects = history.objectsFor(link, T);
    expect(objects.map((o) => [o.kind, o.name, o.linkedBy])).toEqual([
      ['Pod', 'api-7c9f-x1', 'k8s.pod.uid'],
      ['ReplicaSet', 'api-7c9f', 'owner of Pod api-7c9f-x1'],
      ['Deployment', 'api', 'owner of ReplicaSet api-7c9f'],
      ['Node', 'node-a', 'node of Pod api-7c9f-x1'],
      ['Service', 'api', 'service selecting Pod api-7c9f-x1'],
      ['EndpointSlice', 'api-abcde', 'endpoint slice listing Pod api-7c9f-x1'],
      ['Event', 'api-7c9f-x1.1', 'event about Pod api-7c9f-x1'],
    ]);
    expect(objects[0]).toMatchObject({ namespace: 'shop', uid: 'pod-1', status: { phase: 'Running', ready: true, restarts: 0, terminating: false, node: 'node-a' } });
    expect(objects[0].gone).toBe(iso(T + 11 * MIN));
    expect(objects[1].gone).toBeNull();
  });

  it('reports each object as it was at the given time', () => {
    const later = history.objectsFor(link, T + 10.5 * MIN);
    expect(later[0].status).toMatchObject({ ready: false, terminating: true });
    expect(later.find((o) => o.kind === 'EndpointSlice')?.status).toEqual({ endpoints: 1, ready: 0, terminating: 1 });
  });

  it('follows a Job to its CronJob', () => {
    const jobs = new HistoryBuilder()
      .add('CronJob', 'ops', 'backup', 'cj', T - 60 * MIN, [[T - 60 * MIN, workload()]])
      .add('Job', 'ops', 'backup-2901', 'job', T - 5 * MIN, [[T - 5 * MIN, workload({ kind: 'CronJob', name: 'backup', uid: 'cj' })]])
      .add('Pod', 'ops', 'backup-2901-abcde', 'p', T - 5 * MIN, [[T - 5 * MIN, pod({ owner: { kind: 'Job', name: 'backup-2901', uid: 'job' } })]])
      .build();
    const objects = jobs.objectsFor(jobs.linkResource({ 'k8s.pod.uid': 'p' }, T)!, T);
    expect(objects.map((o) => `${o.kind}/${o.name}`)).toEqual(['Pod/backup-2901-abcde', 'Job/backup-2901', 'CronJob/backup']);
  });
});

describe('the objects behind a finding', () => {
  it('links each occurrence at its own time and lists each object once', () => {
    const history = shop().build();
    const places: Record<string, SpanPlace> = {
      a: { attributes: { 'k8s.pod.ip': '10.244.1.7' }, ms: T },
      b: { attributes: { 'k8s.pod.ip': '10.244.1.7' }, ms: T + 20 * MIN },
      c: { attributes: { 'k8s.pod.uid': 'pod-1' }, ms: T + MIN },
    };
    const objects = objectsForOccurrences(history, ['a', 'b', 'c', 'unknown'].map((s) => ({ traceId: 't', spanId: s })), (ref) => places[ref.spanId]);
    const pods = objects.filter((o) => o.kind === 'Pod');
    expect(pods.map((o) => [o.name, o.linkedBy])).toEqual([
      ['api-7c9f-x1', 'k8s.pod.ip'],
      ['api-7c9f-x2', 'k8s.pod.ip'],
    ]);
    expect(objects.filter((o) => o.kind === 'Deployment')).toHaveLength(1);
    expect(new Set(objects.map((o) => o.uid)).size).toBe(objects.length);
  });
});

describe('linking from the store, reading only what a span needs', () => {
  it('links every rule exactly as the whole history does', async () => {
    const rows = shop()
      // another team's namespace, which no span here ran in: none of it should be read
      .add('Pod', 'billing', 'ledger-0', 'other-pod', T - 60 * MIN, [[T - 60 * MIN, pod({ labels: { app: 'ledger' }, podIPs: ['10.244.9.9'] })]])
      .add('Service', 'billing', 'ledger', 'other-svc', T - 60 * MIN, [[T - 60 * MIN, { selector: { app: 'ledger' }, clusterIPs: ['10.96.1.1'], ports: [], labels: {} }]])
      .rows;
    const changes: ClusterChange[] = [];
    for (const o of rows.objects) {
      const identity = { kind: o.kind, namespace: o.namespace, name: o.name, uid: o.uid };
      for (const s of rows.states.filter((x) => x.uid === o.uid)) changes.push({ identity, created: o.created, resourceVersion: s.resourceVersion, observedMs: s.observedMs, state: s.state });
      if (o.goneMs !== undefined) changes.push({ identity, created: o.created, resourceVersion: 'gone', observedMs: o.goneMs, deleted: true });
    }
    changes.sort((a, b) => a.observedMs - b.observedMs);
    const tmp = tempDir();
    const store = openStore({ path: tmp.file('around.db') });
    try {
      await store.recordClusterChanges(CLUSTER, changes);
      const whole = new ClusterHistory(store.reader.clusterHistory(CLUSTER));
      const cases: [Record<string, string>, number][] = [
        [{ 'k8s.pod.uid': 'pod-1' }, T],
        [{ 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'api-7c9f-x1' }, T],
        [{ 'k8s.pod.ip': '10.244.1.7' }, T],
        [{ 'k8s.pod.ip': '10.244.1.7' }, T + 20 * MIN],
        [{ 'container.id': `containerd://${CONTAINER}` }, T],
        [{ 'host.name': 'api-7c9f-x2' }, T + 20 * MIN],
        [{ 'service.instance.id': 'shop.api-7c9f-x1.app' }, T],
        [{ 'service.name': 'api' }, T],
      ];
      expect(whole.object('other-pod')).toBeDefined();
      for (const [attributes, ms] of cases) {
        const expected = ((l) => (l ? whole.objectsFor(l, ms) : []))(whole.linkResource(attributes, ms));
        const around = new ClusterHistory(store.reader.clusterHistoryAround(CLUSTER, linkKeys(attributes)));
        const link = around.linkResource(attributes, ms);
        expect(link ? around.objectsFor(link, ms) : [], JSON.stringify(attributes)).toEqual(expected);
        expect(['other-pod', 'other-svc'].some((uid) => around.object(uid)), 'reads only the neighbourhood').toBe(false);
      }
    } finally {
      await store.close();
      tmp.remove();
    }
  });
});
