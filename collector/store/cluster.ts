// The cluster's history: every Kubernetes object the watches saw and each compact state of it, so that a span
// is judged against the cluster as it was at the span's time, also after the pods are gone.
import type { ClusterHistoryRows, ClusterKind, ClusterStateOf, EventState, LinkKeys, ObjectIdentity, PodState, StoredObject, StoredState, WorkloadState } from '../../common/cluster';
import { prepared, type Db } from './connection';

/** One thing a watch saw: an object's new state, or that it is gone. */
export type ObjectChange = {
  identity: ObjectIdentity;
  /** metadata.creationTimestamp */
  created: string;
  resourceVersion: string;
  observedMs: number;
  listed?: undefined;
} & ({ state: ClusterStateOf[ClusterKind]; deleted?: undefined } | { deleted: true; state?: undefined });

/**
 * A complete list of `listed` (in `namespace`, '' for all), every object of which was recorded since `sinceMs`:
 * recorded objects it did not hold were deleted while nothing watched (the app was closed, say).
 */
export interface ListedChange {
  listed: ClusterKind;
  namespace: string;
  sinceMs: number;
  observedMs: number;
  identity?: undefined;
  state?: undefined;
  deleted?: undefined;
}

export type ClusterChange = ObjectChange | ListedChange;

/**
 * Records a batch of changes in one transaction. A state equal to the object's last is not stored again; an
 * Event's new state replaces its last (their counts tick up all day, and only the latest is shown).
 */
export function clusterRecorder(db: Db): (cluster: string, changes: readonly ClusterChange[]) => void {
  return db.transaction((cluster: string, changes: readonly ClusterChange[]) => {
    if (changes.length > 0) {
      prepared(db, `INSERT INTO k8s_clusters (cluster, last_seen_ms) VALUES (?, ?) ON CONFLICT (cluster) DO UPDATE SET last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`).run(
        cluster,
        Math.max(...changes.map((c) => c.observedMs)),
      );
    }
    for (const c of changes) {
      if (c.listed !== undefined) {
        prepared(
          db,
          `UPDATE k8s_objects SET gone_ms = @at WHERE cluster = @cluster AND kind = @kind AND (@namespace = '' OR namespace = @namespace)
           AND gone_ms IS NULL AND last_seen_ms < @since`,
        ).run({ at: c.observedMs, cluster, kind: c.listed, namespace: c.namespace, since: c.sinceMs });
        continue;
      }
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
      // Seen again after a delete (a relist brought it back, often unchanged): it exists after all.
      prepared(db, `UPDATE k8s_objects SET gone_ms = NULL WHERE id = ? AND gone_ms IS NOT NULL AND gone_ms <= ?`).run(row.id, c.observedMs);
      const text = JSON.stringify(c.state);
      const last = prepared<[bigint], { id: bigint; state: string }>(db, `SELECT id, state FROM k8s_states WHERE object_id = ? ORDER BY observed_ms DESC, id DESC LIMIT 1`).get(row.id);
      if (last?.state === text) continue;
      if (kind === 'Event' && last) {
        prepared(db, `UPDATE k8s_states SET resource_version = ?, state = ? WHERE id = ?`).run(c.resourceVersion, text, last.id);
        continue;
      }
      prepared(db, `INSERT INTO k8s_states (object_id, observed_ms, resource_version, state) VALUES (?, ?, ?, ?)`).run(row.id, c.observedMs, c.resourceVersion, text);
      if (kind === 'Event') {
        const { involved } = c.state as EventState;
        prepared(db, `INSERT OR IGNORE INTO k8s_event_subjects (subject, object_id) VALUES (?, ?)`).run(eventSubject(involved), row.id);
      } else if (kind === 'Pod') {
        const pod = c.state as PodState;
        for (const address of pod.podIPs) prepared(db, `INSERT OR IGNORE INTO k8s_pod_addresses (address, object_id) VALUES (?, ?)`).run(address, row.id);
        for (const { containerId } of pod.containers) {
          if (containerId) prepared(db, `INSERT OR REPLACE INTO k8s_container_ids (container_id, object_id) VALUES (?, ?)`).run(containerId, row.id);
        }
      }
    }
  });
}

/** What an Event is about: its object's uid, else kind/namespace/name; the kubelet files a Node's with its name as uid. */
function eventSubject(involved: EventState['involved']): string {
  if (involved.kind === 'Node') return `Node//${involved.name}`;
  return involved.uid || `${involved.kind}/${involved.namespace}/${involved.name}`;
}

/** The subjects under which events about this object are filed. */
function subjectsOf(o: { kind: string; namespace: string; name: string; uid: string }): string[] {
  return o.kind === 'Node' ? [`Node//${o.name}`] : [o.uid, `${o.kind}/${o.namespace}/${o.name}`];
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
 * owners (followed up by uid), their pods' nodes, the Services and EndpointSlices of their namespaces, and the
 * Events about any of these. With `related` false, only the objects the keys name and their owners: enough to
 * find a span's pod and name its workload.
 */
export function clusterHistoryAround(db: Db, cluster: string, keys: LinkKeys, { related = true }: { related?: boolean } = {}): ClusterHistoryRows {
  const result: ClusterHistoryRows = { objects: [], states: [] };
  if (keys.uids.length + keys.names.length + keys.addresses.length + keys.containerIds.length === 0) return result;
  const loaded = new Set<bigint>();
  /** The objects the query finds that are not loaded yet, loaded with their states; returns those states. */
  const load = (sql: string, ...params: unknown[]): StoredState[] => {
    const rows = prepared<unknown[], ObjectRow>(db, sql).all(...params).filter((r) => !loaded.has(r.id));
    rows.forEach((r) => loaded.add(r.id));
    const found = withStates(db, rows);
    result.objects.push(...found.objects);
    result.states.push(...found.states);
    return found.states;
  };
  const objects = `SELECT ${OBJECT_COLUMNS} FROM k8s_objects WHERE cluster = ?`;
  // Lookup tables first, so SQLite walks them by their keys rather than every object of the cluster.
  const via = (table: string, column: string) => `SELECT ${OBJECT_COLUMNS.replace(/(\w+)/g, 'o.$1')} FROM ${table} t CROSS JOIN k8s_objects o ON o.id = t.object_id WHERE t.${column} = ? AND o.cluster = ?`;

  let states: StoredState[] = [];
  for (const uid of keys.uids) states.push(...load(`${objects} AND uid = ?`, cluster, uid));
  // By name, not by the namespace index (which would scan every pod of the namespace): `+` keeps the planner off it.
  for (const { namespace, name } of keys.names) {
    states.push(...(namespace === undefined ? load(`${objects} AND kind = 'Pod' AND name = ?`, cluster, name) : load(`${objects} AND kind = 'Pod' AND name = ? AND +namespace = ?`, cluster, name, namespace)));
  }
  for (const address of keys.addresses) states.push(...load(via('k8s_pod_addresses', 'address'), address, cluster));
  for (const id of keys.containerIds) states.push(...load(via('k8s_container_ids', 'container_id'), id, cluster));
  const kindOf = () => new Map(result.objects.map((o) => [o.uid, o.kind]));

  // Owners by uid, level after level (Pod → ReplicaSet → Deployment).
  for (let depth = 0; depth < 4 && states.length > 0; depth++) {
    const owners = new Set(states.flatMap((s) => ((s.state as WorkloadState).owner ? [(s.state as WorkloadState).owner!.uid] : [])));
    states = [...owners].flatMap((uid) => load(`${objects} AND uid = ?`, cluster, uid));
  }
  if (!related) return result;
  const kinds = kindOf();
  const nodes = new Set(result.states.flatMap((s) => (kinds.get(s.uid) === 'Pod' && (s.state as PodState).nodeName ? [(s.state as PodState).nodeName!] : [])));
  for (const name of nodes) load(`${objects} AND kind = 'Node' AND name = ? AND namespace = ''`, cluster, name);
  const namespaces = new Set(result.objects.filter((o) => o.kind === 'Pod').map((o) => o.namespace));
  for (const namespace of namespaces) load(`${objects} AND namespace = ? AND kind IN ('Service', 'EndpointSlice')`, cluster, namespace);
  const subjects = new Set(result.objects.flatMap(subjectsOf));
  for (const subject of subjects) load(via('k8s_event_subjects', 'subject'), subject, cluster);
  return result;
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
  return prepared<[], { cluster: string }>(db, `SELECT cluster FROM k8s_clusters ORDER BY last_seen_ms DESC`)
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
    for (const table of ['k8s_pod_addresses', 'k8s_container_ids', 'k8s_event_subjects']) prepared(db, `DELETE FROM ${table} WHERE object_id = ?`).run(id);
    prepared(db, `DELETE FROM k8s_objects WHERE id = ?`).run(id);
  }
  return states + gone.length;
}
