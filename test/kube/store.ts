import { randomUUID } from 'node:crypto';
import { namespace } from './builders';
import { apiVersionOf, objectKey, resolveResource, rfc3339, type KubeObject, type ResourceType } from './resources';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  type: WatchEventType;
  rv: number;
  /** The object after the change; for DELETED, its last state stamped with the deletion's resourceVersion. */
  object: KubeObject;
  /** The object before the change, so older snapshots can be rebuilt for consistent paging. */
  prev?: KubeObject;
}

export interface DeleteOptions {
  /** Seconds of graceful termination; 0 deletes at once. Default: the pod's terminationGracePeriodSeconds, else 0. */
  graceSeconds?: number;
}

interface History {
  events: StoredEvent[];
  /** Highest resourceVersion whose events are gone: a watch or snapshot from an RV below this is expired. */
  compactedRv: number;
}

export type StoreListener = (storage: string, event: StoredEvent) => void;

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Objects are plain JSON; a JSON round trip is several times faster than structuredClone and drops undefined fields as the wire would. */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The fake cluster's etcd: objects per resource, one global revision counter, and a bounded
 * per-resource event history (the watch cache window).
 */
export class ObjectStore {
  private revision: number;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly histories = new Map<string, History>();
  private readonly listeners = new Set<StoreListener>();
  private defaultCompactedRv = 0;

  constructor(
    private readonly historySize: number,
    startRevision = 1,
  ) {
    this.revision = startRevision;
  }

  get resourceVersion(): number {
    return this.revision;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stores a copy; the returned object is the stored one, deep-frozen (use patch/update to change it). */
  create<T extends KubeObject>(input: T): T {
    const rt = resolveResource(input.kind, input.apiVersion);
    const obj = clone(input);
    const name = obj.metadata.name;
    if (!name) throw new Error(`fake api server: ${rt.kind} needs metadata.name`);
    if (rt.namespaced) {
      obj.metadata.namespace ??= 'default';
      this.ensureNamespace(obj.metadata.namespace);
    } else {
      delete obj.metadata.namespace;
    }
    const key = objectKey(obj.metadata.namespace, name);
    if (this.bucket(rt).has(key)) throw new Error(`fake api server: ${rt.resource} "${key}" already exists`);
    obj.metadata.uid ??= randomUUID();
    obj.metadata.creationTimestamp ??= rfc3339();
    if (rt.generation) obj.metadata.generation = 1;
    obj.metadata.managedFields ??= [
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: apiVersionOf(rt),
        time: obj.metadata.creationTimestamp,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': {} },
      },
    ];
    return this.commit(rt, 'ADDED', obj, undefined) as T;
  }

  /** Replaces an object's content, keeping its identity (uid, creationTimestamp) like a PUT. */
  update<T extends KubeObject>(input: T): T {
    const rt = resolveResource(input.kind, input.apiVersion);
    const prev = this.require(rt, input.metadata.namespace, input.metadata.name);
    const obj = clone(input);
    obj.metadata.uid = prev.metadata.uid;
    obj.metadata.creationTimestamp = prev.metadata.creationTimestamp;
    obj.metadata.namespace = prev.metadata.namespace;
    obj.metadata.deletionTimestamp ??= prev.metadata.deletionTimestamp;
    obj.metadata.deletionGracePeriodSeconds ??= prev.metadata.deletionGracePeriodSeconds;
    if (rt.generation) obj.metadata.generation = (prev.metadata.generation ?? 1) + (sameJson(prev.spec, obj.spec) ? 0 : 1);
    return this.commit(rt, 'MODIFIED', obj, prev) as T;
  }

  patch<T extends KubeObject = KubeObject>(kind: string, namespace: string | undefined, name: string, mutate: (obj: T) => void): T {
    const rt = resolveResource(kind);
    const next = clone(this.require(rt, namespace, name)) as T;
    mutate(next);
    return this.update(next);
  }

  /**
   * Deletes like the registry: with a grace period the object first gets deletionTimestamp
   * (a MODIFIED event) and stays until finalizeDelete; otherwise it is removed at once.
   */
  delete(kind: string, namespace: string | undefined, name: string, opts: DeleteOptions = {}): KubeObject {
    const rt = resolveResource(kind);
    const current = this.require(rt, namespace, name);
    const podGrace = rt.resource === 'pods' ? ((current.spec?.terminationGracePeriodSeconds as number | undefined) ?? 30) : 0;
    const grace = opts.graceSeconds ?? podGrace;
    if (grace <= 0 || current.metadata.deletionTimestamp) return this.finalizeDelete(kind, namespace, name);
    const obj = clone(current);
    obj.metadata.deletionTimestamp = rfc3339(Date.now() + grace * 1000);
    obj.metadata.deletionGracePeriodSeconds = grace;
    if (obj.metadata.generation !== undefined) obj.metadata.generation += 1;
    return this.commit(rt, 'MODIFIED', obj, current);
  }

  /** Removes the object (the kubelet confirming termination): a DELETED event with its last state. */
  finalizeDelete(kind: string, namespace: string | undefined, name: string): KubeObject {
    const rt = resolveResource(kind);
    const current = this.require(rt, namespace, name);
    return this.commit(rt, 'DELETED', clone(current), current);
  }

  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const rt = resolveResource(kind);
    return this.bucket(rt).get(objectKey(rt.namespaced ? namespace : undefined, name));
  }

  find(storage: string, key: string): KubeObject | undefined {
    return this.objects.get(storage)?.get(key);
  }

  /** Current objects of a storage, sorted by key as etcd returns them. */
  current(storage: string): KubeObject[] {
    return this.sorted(this.objects.get(storage) ?? new Map());
  }

  /** The objects as they were at revision `rv`, or undefined when the history no longer reaches back that far. */
  snapshot(storage: string, rv: number): KubeObject[] | undefined {
    const history = this.history(storage);
    if (rv < history.compactedRv) return undefined;
    const state = new Map(this.objects.get(storage) ?? []);
    for (let i = history.events.length - 1; i >= 0 && history.events[i].rv > rv; i--) {
      const ev = history.events[i];
      const key = keyOf(ev.object);
      if (ev.type === 'ADDED') state.delete(key);
      else if (ev.prev) state.set(key, ev.prev);
    }
    return this.sorted(state);
  }

  /** Events after `rv`, or undefined when some of them have been compacted away. */
  eventsSince(storage: string, rv: number): StoredEvent[] | undefined {
    const history = this.history(storage);
    if (rv < history.compactedRv) return undefined;
    return history.events.filter((ev) => ev.rv > rv);
  }

  compactedRevision(storage: string): number {
    return this.history(storage).compactedRv;
  }

  /** Drops all history, as an etcd compaction plus watch cache restart would. */
  compact(): void {
    for (const history of this.histories.values()) {
      history.events = [];
      history.compactedRv = this.revision;
    }
    this.defaultCompactedRv = this.revision;
  }

  private history(storage: string): History {
    let h = this.histories.get(storage);
    if (!h) {
      h = { events: [], compactedRv: this.defaultCompactedRv };
      this.histories.set(storage, h);
    }
    return h;
  }

  private bucket(rt: ResourceType): Map<string, KubeObject> {
    let b = this.objects.get(rt.storage);
    if (!b) {
      b = new Map();
      this.objects.set(rt.storage, b);
    }
    return b;
  }

  private require(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.bucket(rt).get(objectKey(rt.namespaced ? (namespace ?? 'default') : undefined, name));
    if (!obj) throw new Error(`fake api server: ${rt.resource} "${objectKey(namespace, name)}" not found`);
    return obj;
  }

  private sorted(state: Map<string, KubeObject>): KubeObject[] {
    return [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, obj]) => obj);
  }

  private ensureNamespace(name: string): void {
    const rt = resolveResource('Namespace');
    if (this.bucket(rt).has(name)) return;
    this.create(namespace(name));
  }

  private commit(rt: ResourceType, type: WatchEventType, obj: KubeObject, prev: KubeObject | undefined): KubeObject {
    const rv = ++this.revision;
    obj.metadata.resourceVersion = String(rv);
    const key = keyOf(obj);
    if (type === 'DELETED') this.bucket(rt).delete(key);
    else this.bucket(rt).set(key, obj);
    const event: StoredEvent = { type, rv, object: obj, prev };
    const history = this.history(rt.storage);
    history.events.push(event);
    while (history.events.length > this.historySize) history.compactedRv = history.events.shift()!.rv;
    deepFreeze(obj);
    for (const listener of this.listeners) listener(rt.storage, event);
    return obj;
  }
}

function keyOf(obj: KubeObject): string {
  return objectKey(obj.metadata.namespace, obj.metadata.name);
}
