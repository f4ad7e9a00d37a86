// A cluster history built by hand for the analysis unit tests, shaped as the watches record it.
import type { ClusterHistoryRows, ClusterKind, ClusterStateOf, PodState, StoredObject } from '../../common/cluster';
import { ClusterHistory } from './cluster-links';

export const CLUSTER = 'https://127.0.0.1:6443';
export const iso = (ms: number) => new Date(ms).toISOString();

/** A history written the way the watches record it: objects with states at observed times. */
export class HistoryBuilder {
  readonly rows: ClusterHistoryRows = { objects: [], states: [] };

  add<K extends ClusterKind>(kind: K, namespace: string, name: string, uid: string, createdMs: number, states: [number, ClusterStateOf[K]][], goneMs?: number): this {
    const object: StoredObject = { cluster: CLUSTER, kind, namespace, name, uid, created: iso(createdMs), firstSeenMs: states[0][0], lastSeenMs: goneMs ?? states[states.length - 1][0], goneMs };
    this.rows.objects.push(object);
    for (const [observedMs, state] of states) this.rows.states.push({ uid, observedMs, resourceVersion: String(observedMs), state });
    return this;
  }

  build(): ClusterHistory {
    return new ClusterHistory(this.rows);
  }
}

export function pod(over: Partial<PodState> = {}): PodState {
  return {
    phase: 'Running',
    conditions: { Ready: { status: 'True' } },
    podIPs: [],
    labels: { app: 'api' },
    containers: [{ name: 'app', ready: true, restartCount: 0, state: 'running' }],
    ...over,
  };
}

