import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterKind, EventState, PodState } from '../../common/cluster';
import type { ClusterChange, ObjectChange } from './cluster';
import { deleteClusterHistoryBefore } from './cluster';
import { openStore, type Store } from './index';
import { tempDir } from './testing';

const CLUSTER = 'https://127.0.0.1:6443';
const MIN = 60_000;
const T = Date.UTC(2026, 11, 5, 10, 0, 0);

function podState(over: Partial<PodState> = {}): PodState {
  return { phase: 'Running', conditions: { Ready: { status: 'True' } }, podIPs: ['10.244.0.7'], labels: { app: 'api' }, containers: [], ...over };
}

function podChange(name: string, uid: string, observedMs: number, state: PodState | 'deleted', rv = String(observedMs)): ClusterChange {
  const base = { identity: { kind: 'Pod' as const, namespace: 'shop', name, uid }, created: new Date(T - 10 * MIN).toISOString(), resourceVersion: rv, observedMs };
  return state === 'deleted' ? { ...base, deleted: true as const } : { ...base, state };
}

describe.each(['inline', 'thread'])('cluster history, %s writer', (mode) => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    tmp = tempDir();
    store = openStore({ path: tmp.file('h.db'), writerThread: mode === 'thread' });
  });
  afterEach(async () => {
    await store.close();
    tmp.remove();
  });

  it('keeps each distinct state of an object, and marks a deleted one gone instead of forgetting it', async () => {
    await store.recordClusterChanges(CLUSTER, [
      podChange('api-1', 'u1', T, podState()),
      // a MODIFIED event that changed nothing Hopscope keeps (managedFields, resourceVersion) adds no state
      podChange('api-1', 'u1', T + MIN, podState()),
      podChange('api-1', 'u1', T + 2 * MIN, podState({ deletionTimestamp: new Date(T + 2 * MIN).toISOString() })),
      podChange('api-1', 'u1', T + 3 * MIN, 'deleted'),
    ]);
    const { objects, states } = store.reader.clusterHistory(CLUSTER);
    expect(objects).toEqual([
      { cluster: CLUSTER, kind: 'Pod', namespace: 'shop', name: 'api-1', uid: 'u1', created: new Date(T - 10 * MIN).toISOString(), firstSeenMs: T, lastSeenMs: T + 3 * MIN, goneMs: T + 3 * MIN },
    ]);
    expect(states.map((s) => [s.observedMs, (s.state as PodState).deletionTimestamp ?? null])).toEqual([
      [T, null],
      [T + 2 * MIN, new Date(T + 2 * MIN).toISOString()],
    ]);
    expect(store.reader.clusters()).toEqual([CLUSTER]);
  });

  it('reads a time range with the state each object had when it began', async () => {
    await store.recordClusterChanges(CLUSTER, [
      podChange('api-1', 'u1', T, podState({ podIPs: ['10.0.0.1'] })),
      podChange('api-1', 'u1', T + 5 * MIN, podState({ podIPs: ['10.0.0.2'] })),
      podChange('api-1', 'u1', T + 9 * MIN, podState({ podIPs: ['10.0.0.3'] })),
      podChange('old-1', 'u0', T - 60 * MIN, podState()),
      podChange('old-1', 'u0', T - 50 * MIN, 'deleted'),
    ]);
    const { objects, states } = store.reader.clusterHistory(CLUSTER, T + 6 * MIN, T + 7 * MIN);
    expect(objects.map((o) => o.name)).toEqual(['api-1']);
    expect(states.map((s) => (s.state as PodState).podIPs[0])).toEqual(['10.0.0.2']);
    expect(store.reader.clusterHistory('https://elsewhere:6443').objects).toEqual([]);
  });

  it('takes an object back when a relist sees it again after a delete, unchanged', async () => {
    await store.recordClusterChanges(CLUSTER, [podChange('api-1', 'u1', T, podState()), podChange('api-1', 'u1', T + MIN, 'deleted')]);
    await store.recordClusterChanges(CLUSTER, [podChange('api-1', 'u1', T + 2 * MIN, podState())]);
    expect(store.reader.clusterHistory(CLUSTER).objects[0].goneMs).toBeUndefined();
  });

  it('marks gone what a complete list no longer holds (deleted while nothing watched), in that scope only', async () => {
    const other = (name: string, uid: string, at: number): ClusterChange => ({ ...(podChange(name, uid, at, podState()) as ObjectChange), identity: { kind: 'Pod', namespace: 'billing', name, uid } });
    await store.recordClusterChanges(CLUSTER, [podChange('kept', 'u1', T, podState()), podChange('deleted-meanwhile', 'u2', T, podState()), other('elsewhere', 'u3', T)]);
    // a later run lists shop again: it sees only `kept`
    await store.recordClusterChanges(CLUSTER, [podChange('kept', 'u1', T + 10 * MIN, podState()), { listed: 'Pod', namespace: 'shop', sinceMs: T + 10 * MIN - 100, observedMs: T + 10 * MIN }]);
    const gone = Object.fromEntries(store.reader.clusterHistory(CLUSTER).objects.map((o) => [o.name, o.goneMs ?? null]));
    expect(gone).toEqual({ kept: null, 'deleted-meanwhile': T + 10 * MIN, elsewhere: null });
  });

  it('keeps one state per Event, the latest, as its count ticks up', async () => {
    const event = (count: number, at: number): ClusterChange => ({
      identity: { kind: 'Event', namespace: 'shop', name: 'api-1.17f', uid: 'e1' },
      created: new Date(T).toISOString(),
      resourceVersion: String(count),
      observedMs: at,
      state: { involved: { kind: 'Pod', namespace: 'shop', name: 'api-1', uid: 'u1' }, reason: 'BackOff', message: 'Back-off restarting failed container', type: 'Warning', count },
    });
    await store.recordClusterChanges(CLUSTER, [event(1, T), event(2, T + MIN), event(7, T + 5 * MIN)]);
    const { states } = store.reader.clusterHistory(CLUSTER);
    expect(states.map((s) => [s.observedMs, (s.state as EventState).count])).toEqual([[T, 7]]);
  });

  it('reads around a pod only its owners, node, namespace services and slices, and the events about them', async () => {
    const identity = (kind: ClusterKind, namespace: string, name: string, uid: string) => ({ kind, namespace, name, uid });
    const created = new Date(T).toISOString();
    const about = (uid: string, kind: string, name: string, namespace = 'shop') => ({ reason: 'Seen', message: '', type: 'Normal', count: 1, involved: { kind, namespace, name, uid } });
    const at = (i: ClusterChange['identity'], state: object): ClusterChange => ({ identity: i!, created, resourceVersion: '1', observedMs: T, state: state as never });
    await store.recordClusterChanges(CLUSTER, [
      at(identity('Deployment', 'shop', 'api', 'dep'), { labels: {} }),
      at(identity('ReplicaSet', 'shop', 'api-1', 'rs'), { labels: {}, owner: { kind: 'Deployment', name: 'api', uid: 'dep' } }),
      at(identity('Pod', 'shop', 'api-1-x', 'pod'), podState({ nodeName: 'n1', podIPs: ['10.1.1.1'], owner: { kind: 'ReplicaSet', name: 'api-1', uid: 'rs' } })),
      at(identity('Pod', 'shop', 'other-x', 'pod-2'), podState()),
      at(identity('Node', '', 'n1', 'node'), { conditions: {}, addresses: [], labels: {} }),
      at(identity('Service', 'shop', 'api', 'svc'), { clusterIPs: [], ports: [], labels: {} }),
      at(identity('Service', 'billing', 'ledger', 'svc-2'), { clusterIPs: [], ports: [], labels: {} }),
      at(identity('Event', 'shop', 'e-pod', 'e1'), about('pod', 'Pod', 'api-1-x')),
      at(identity('Event', 'shop', 'e-dep', 'e2'), about('dep', 'Deployment', 'api')),
      at(identity('Event', 'default', 'e-node', 'e3'), about('n1', 'Node', 'n1', '')),
      at(identity('Event', 'shop', 'e-other', 'e4'), about('pod-2', 'Pod', 'other-x')),
    ]);
    const around = store.reader.clusterHistoryAround(CLUSTER, { uids: [], names: [], addresses: ['10.1.1.1'], containerIds: [] });
    expect(around.objects.map((o) => o.uid).sort()).toEqual(['dep', 'e1', 'e2', 'e3', 'node', 'pod', 'rs', 'svc'].sort());
    expect(store.reader.clusterHistoryAround(CLUSTER, { uids: [], names: [], addresses: [], containerIds: [] }).objects).toEqual([]);
  });
});

describe('cluster history retention', () => {
  it('drops states older than the cutoff but the last one before it, and objects gone before it', async () => {
    const tmp = tempDir();
    const file = tmp.file('r.db');
    const store = openStore({ path: file });
    await store.recordClusterChanges(CLUSTER, [
      podChange('api-1', 'u1', T, podState({ phase: 'Pending' })),
      podChange('api-1', 'u1', T + MIN, podState({ phase: 'Running' })),
      podChange('api-1', 'u1', T + 10 * MIN, podState({ phase: 'Running', hostIP: '10.0.0.9' })),
      podChange('gone-1', 'u2', T, podState()),
      podChange('gone-1', 'u2', T + 2 * MIN, 'deleted'),
    ]);
    await store.close();
    const db = new Database(file);
    // one superseded state of api-1, and gone-1 whole, with its address
    expect(deleteClusterHistoryBefore(db, T + 5 * MIN)).toBe(2);
    expect(db.prepare(`SELECT count(*) AS n FROM k8s_pod_addresses WHERE object_id NOT IN (SELECT id FROM k8s_objects)`).get()).toEqual({ n: 0 });
    db.close();
    const reopened = openStore({ path: file });
    const { objects, states } = reopened.reader.clusterHistory(CLUSTER);
    expect(objects.map((o) => o.name)).toEqual(['api-1']);
    expect(states.map((s) => [s.observedMs, (s.state as PodState).phase])).toEqual([
      [T + MIN, 'Running'],
      [T + 10 * MIN, 'Running'],
    ]);
    await reopened.close();
    tmp.remove();
  });
});
