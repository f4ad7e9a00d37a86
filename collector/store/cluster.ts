// The cluster's history: every Kubernetes object the watches saw and each compact state of it, so that a span
// is judged against the cluster as it was at the span's time, also after the pods are gone.
import type { ClusterHistoryRows, ClusterKind, ClusterStateOf, LinkKeys, ObjectIdentity, PodState, StoredObject, StoredState, WorkloadState } from '../../common/cluster';
import { prepared, type Db } from './connection';

/** One thing a watch saw: an object's new state, or that it is gone. */
export type ClusterChange = {
  identity: ObjectIdentity;
  /** metadata.creationTimestamp */
  created: string;
  resourceVersion: string;
  observedMs: number;
} & ({ state: ClusterStateOf[ClusterKind]; deleted?: undefined } | { deleted: true; state?: undefined });

/** Records a batch of changes in one transaction. A state equal to the object's last is not stored again. */
export function clusterRecorder(db: Db): (cluster: string, changes: readonly ClusterChange[]) => void {
  return db.transaction((cluster: string, changes: readonly ClusterChange[]) => {
    for (const c of changes) {
      const { kind, namespace, name, uid } = c.identity;
      const row = prepared<[string, string, string, string, string, string, number, number], { id: bigint }>(
        db,
        `INSERT INTO k8s_objects (cluster, uid, kind, namespace, name, created, first_seen_ms, last_seen_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (cluster, uid) DO UPDATE SET name = excluded.name, last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)
         RETURNING id`,
      ).get(cluster, uid, kind, namespace, name, c.created, c.observedMs, c.observedMs)!;
      if (c.deleted) {
        prepared(db, `UPDATE k8s_objects SET gone_ms = coalesce(gone_ms, ?) WHERE id = ?`).run(c.observedMs, row.id);
        continue;
      }
      const text = JSON.stringify(c.state);
      const last = prepared<[bigint], { state: string }>(db, `SELECT state FROM k8s_states WHERE object_id = ? ORDER BY observed_ms DESC, id DESC LIMIT 1`).get(row.id);
      if (last?.state === text) continue;
      prepared(db, `INSERT INTO k8s_states (object_id, observed_ms, resource_version, state) VALUES (?, ?, ?, ?)`).run(row.id, c.observedMs, c.resourceVersion, text);
      if (kind === 'Pod') {
        const pod = c.state as PodState;
        for (const address of pod.podIPs) prepared(db, `INSERT OR IGNORE INTO k8s_pod_addresses (address, object_id) VALUES (?, ?)`).run(address, row.id);
        for (const { containerId } of pod.containers) {
          if (containerId) prepared(db, `INSERT OR REPLACE INTO k8s_container_ids (container_id, object_id) VALUES (?, ?)`).run(containerId, row.id);
        }
      }
      // Seen again after a delete (a relist brought it back): it exists after all.
      prepared(db, `UPDATE k8s_objects SET gone_ms = NULL WHERE id = ? AND gone_ms IS NOT NULL AND gone_ms <= ?`).run(row.id, c.observedMs);
    }
  });
}

interface ObjectRow {
  id: bigint;
  cluster: string;
  uid: string;
  kind: string;
  namespace: string;
  name: string;
  created: string;
  first_seen_ms: bigint;
  last_seen_ms: bigint;
  gone_ms: bigint | null;
}

const OBJECT_COLUMNS = `id, cluster, uid, kind, namespace, name, created, first_seen_ms, last_seen_ms, gone_ms`;

/**
 * The objects of `cluster` that existed at some time in [fromMs, toMs], with every state from the last one
 * before fromMs on (what they looked like when the range began) — all of a cluster's history by default.
 */
export function clusterHistory(db: Db, cluster: string, fromMs = 0, toMs = Number.MAX_SAFE_INTEGER): ClusterHistoryRows {
  const rows = prepared<[string, number, number], ObjectRow>(
    db,
    `SELECT ${OBJECT_COLUMNS} FROM k8s_objects WHERE cluster = ? AND first_seen_ms <= ? AND (gone_ms IS NULL OR gone_ms >= ?) ORDER BY id`,
  ).all(cluster, toMs, fromMs);
  return withStates(db, rows, fromMs, toMs);
}

/**
 * Just what linking spans with these keys needs, however large the cluster: the objects the keys name, their
 * owners (followed up by uid), their pods' nodes, and the Services, EndpointSlices and Events of their namespaces.
 */
export function clusterHistoryAround(db: Db, cluster: string, keys: LinkKeys): ClusterHistoryRows {
  const byId = new Map<bigint, ObjectRow>();
  const take = (rows: ObjectRow[]) => rows.forEach((r) => byId.set(r.id, r));
  const where = (condition: string, ...params: unknown[]) =>
    take(prepared<unknown[], ObjectRow>(db, `SELECT ${OBJECT_COLUMNS} FROM k8s_objects WHERE cluster = ? AND ${condition}`).all(cluster, ...params));
  for (const uid of keys.uids) where(`uid = ?`, uid);
  for (const { namespace, name } of keys.names) {
    if (namespace === undefined) where(`kind = 'Pod' AND name = ?`, name);
    else where(`kind = 'Pod' AND name = ? AND namespace = ?`, name, namespace);
  }
  for (const address of keys.addresses) where(`id IN (SELECT object_id FROM k8s_pod_addresses WHERE address = ?)`, address);
  for (const id of keys.containerIds) where(`id IN (SELECT object_id FROM k8s_container_ids WHERE container_id = ?)`, id);
  const named = [...byId.values()];
  // A node's events are filed in the default namespace.
  const namespaces = new Set(named.map((o) => (o.kind === 'Node' ? 'default' : o.namespace)).filter((ns) => ns !== ''));
  for (const namespace of namespaces) where(`kind IN ('Service', 'EndpointSlice', 'Event') AND namespace = ?`, namespace);
  const states = withStates(db, [...byId.values()]);
  // Owners by uid, level after level (ReplicaSet → Deployment), and the nodes the pods ran on.
  let found = states.states;
  for (let depth = 0; depth < 4 && found.length > 0; depth++) {
    const owners = new Set(found.flatMap((s) => ((s.state as WorkloadState).owner ? [(s.state as WorkloadState).owner!.uid] : [])));
    const fresh = [...owners].filter((uid) => !states.objects.some((o) => o.uid === uid));
    const before = byId.size;
    for (const uid of fresh) where(`uid = ?`, uid);
    const added = withStates(db, [...byId.values()].slice(before));
    states.objects.push(...added.objects);
    states.states.push(...added.states);
    found = added.states;
  }
  const nodes = new Set(states.states.flatMap((s) => (states.objects.find((o) => o.uid === s.uid)?.kind === 'Pod' && (s.state as PodState).nodeName ? [(s.state as PodState).nodeName!] : [])));
  const before = byId.size;
  for (const name of nodes) where(`kind = 'Node' AND name = ? AND namespace = ''`, name);
  const added = withStates(db, [...byId.values()].slice(before));
  return { objects: [...states.objects, ...added.objects], states: [...states.states, ...added.states] };
}

function withStates(db: Db, rows: ObjectRow[], fromMs = 0, toMs = Number.MAX_SAFE_INTEGER): ClusterHistoryRows {
  const objects: StoredObject[] = [];
  const states: StoredState[] = [];
  const byState = prepared<[bigint, bigint, number], { observed_ms: bigint; resource_version: string; state: string }>(
    db,
    `SELECT observed_ms, resource_version, state FROM k8s_states
     WHERE object_id = ? AND observed_ms >= coalesce((SELECT max(observed_ms) FROM k8s_states WHERE object_id = ? AND observed_ms <= ?), 0)
     ORDER BY observed_ms, id`,
  );
  for (const r of rows) {
    objects.push({
      cluster: r.cluster,
      uid: r.uid,
      kind: r.kind as ClusterKind,
      namespace: r.namespace,
      name: r.name,
      created: r.created,
      firstSeenMs: Number(r.first_seen_ms),
      lastSeenMs: Number(r.last_seen_ms),
      goneMs: r.gone_ms === null ? undefined : Number(r.gone_ms),
    });
    for (const s of byState.all(r.id, r.id, fromMs)) {
      if (Number(s.observed_ms) > toMs) break;
      states.push({ uid: r.uid, observedMs: Number(s.observed_ms), resourceVersion: s.resource_version, state: JSON.parse(s.state) });
    }
  }
  return { objects, states };
}

/** The clusters the store has history of, most recently seen first. */
export function clusters(db: Db): string[] {
  return prepared<[], { cluster: string }>(db, `SELECT cluster FROM k8s_objects GROUP BY cluster ORDER BY max(last_seen_ms) DESC`)
    .all()
    .map((r) => r.cluster);
}

/**
 * Retention follows the spans': states older than `beforeMs` go, except each object's last one before it (the
 * cluster as the oldest kept span saw it), and objects gone before it go whole. One batch of at most `limit`.
 */
export function deleteClusterHistoryBefore(db: Db, beforeMs: number, limit = 2000): number {
  const states = prepared(
    db,
    `DELETE FROM k8s_states WHERE id IN (
       SELECT s.id FROM k8s_states s WHERE s.observed_ms < ?
       AND EXISTS (SELECT 1 FROM k8s_states later WHERE later.object_id = s.object_id AND later.observed_ms <= ? AND later.id <> s.id
                   AND (later.observed_ms > s.observed_ms OR (later.observed_ms = s.observed_ms AND later.id > s.id)))
       LIMIT ?)`,
  ).run(beforeMs, beforeMs, limit).changes;
  const gone = prepared<[number, number], { id: bigint }>(db, `SELECT id FROM k8s_objects WHERE gone_ms IS NOT NULL AND gone_ms < ? LIMIT ?`).all(beforeMs, limit);
  for (const { id } of gone) {
    prepared(db, `DELETE FROM k8s_states WHERE object_id = ?`).run(id);
    prepared(db, `DELETE FROM k8s_pod_addresses WHERE object_id = ?`).run(id);
    prepared(db, `DELETE FROM k8s_container_ids WHERE object_id = ?`).run(id);
    prepared(db, `DELETE FROM k8s_objects WHERE id = ?`).run(id);
  }
  return states + gone.length;
}
