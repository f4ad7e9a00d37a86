import { create } from 'zustand';
import type { WireClusterObject, WireClusterObjectQuery } from '../../../common/wire';
import { api } from '../api';

/** Objects kept for going back and forth between chips; the oldest go first beyond this. */
const MAX_KEPT = 100;

interface ClusterObjectsState {
  /** Opened objects by `objectKey`: fetched once each, as they were at the time asked for. */
  loaded: ReadonlyMap<string, WireClusterObject | { error: string }>;
  load(uid: string, at: WireClusterObjectQuery): void;
  /** Asks again for an object shown as it is now, keeping what is shown until the answer comes. */
  refresh(uid: string): void;
}

export function objectKey(uid: string, at: WireClusterObjectQuery): string {
  return `${uid}@${at.finding !== undefined ? `finding:${at.finding}` : (at.atMs ?? 'latest')}`;
}

const pending = new Set<string>();

export const useClusterObjects = create<ClusterObjectsState>()((set, get) => ({
  loaded: new Map(),
  load(uid, at) {
    const key = objectKey(uid, at);
    const known = get().loaded.get(key);
    // An object is fetched once; a failure is asked again the next time it is opened.
    if ((known && !('error' in known)) || pending.has(key)) return;
    pending.add(key);
    api.clusterObject(uid, at).then(
      (object) => keep(key, object),
      (err: unknown) => keep(key, { error: (err as Error).message }),
    );
  },
  refresh(uid) {
    const key = objectKey(uid, {});
    if (pending.has(key)) return;
    pending.add(key);
    api.clusterObject(uid, {}).then(
      (object) => keep(key, object),
      () => pending.delete(key),
    );
  },
}));

function keep(key: string, entry: WireClusterObject | { error: string }): void {
  pending.delete(key);
  useClusterObjects.setState((s) => {
    const loaded = new Map(s.loaded).set(key, entry);
    for (const old of loaded.keys()) {
      if (loaded.size <= MAX_KEPT) break;
      loaded.delete(old);
    }
    return { loaded };
  });
}
