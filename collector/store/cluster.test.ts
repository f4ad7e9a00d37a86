import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PodState } from '../../common/cluster';
import type { ClusterChange } from './cluster';
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
  return state === 'deleted' ? { ...base, deleted: true } : { ...base, state };
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

  it('takes an object back when a relist sees it again after a delete', async () => {
    await store.recordClusterChanges(CLUSTER, [podChange('api-1', 'u1', T, podState()), podChange('api-1', 'u1', T + MIN, 'deleted')]);
    await store.recordClusterChanges(CLUSTER, [podChange('api-1', 'u1', T + 2 * MIN, podState({ phase: 'Running', hostIP: '10.0.0.9' }))]);
    expect(store.reader.clusterHistory(CLUSTER).objects[0].goneMs).toBeUndefined();
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
    // one superseded state of api-1, and gone-1 whole
    expect(deleteClusterHistoryBefore(db, T + 5 * MIN)).toBe(2);
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
