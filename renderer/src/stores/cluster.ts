import { create } from 'zustand';
import type { WireClusterStatus, WireClusterWorkloads } from '../../../common/wire';
import { api } from '../api';
import type { WorkloadFilter } from '../model/workloads';

/** How often the Cluster view asks again while it is open: watches sync in seconds, and the server answers from a cache while nothing changes. */
export const CLUSTER_POLL_MS = 2500;

interface ClusterState {
  status?: WireClusterStatus;
  workloads?: WireClusterWorkloads;
  /** Why the last refresh failed (the collector is unreachable, say). */
  error?: string;
  /** A connect or disconnect under way. */
  busy?: 'connect' | 'disconnect';
  /** Why the last connect or disconnect was refused. */
  actionError?: string;
  /** The table's filter; kept while the user looks at other views. */
  filter: WorkloadFilter;
  setFilter(filter: WorkloadFilter): void;
  /** The per-resource watch table is open. */
  watchesShown: boolean;
  toggleWatches(): void;
  refresh(signal?: AbortSignal): Promise<void>;
  /** True when the collector took the choice. */
  connect(context: string, namespaces: string[]): Promise<boolean>;
  disconnect(): Promise<void>;
}

export const useCluster = create<ClusterState>()((set, get) => ({
  filter: {},
  setFilter: (filter) => set({ filter }),
  watchesShown: false,
  toggleWatches: () => set((s) => ({ watchesShown: !s.watchesShown })),
  async refresh(signal) {
    try {
      const [status, workloads] = await Promise.all([api.clusterStatus(signal), api.clusterWorkloads(signal)]);
      set({ status, workloads, error: undefined });
    } catch (err) {
      if (!signal?.aborted) set({ error: (err as Error).message });
    }
  },
  async connect(context, namespaces) {
    set({ busy: 'connect', actionError: undefined });
    let taken = false;
    try {
      const status = await api.connectCluster(context, namespaces);
      // Another cluster's table must not linger under the new one's name.
      set({ status, workloads: undefined, filter: {} });
      taken = true;
    } catch (err) {
      set({ actionError: (err as Error).message });
    } finally {
      set({ busy: undefined });
    }
    await get().refresh();
    return taken;
  },
  async disconnect() {
    set({ busy: 'disconnect', actionError: undefined });
    try {
      set({ status: await api.disconnectCluster() });
    } catch (err) {
      set({ actionError: (err as Error).message });
    } finally {
      set({ busy: undefined });
    }
    await get().refresh();
  },
}));

/** Keeps the cluster status and workloads fresh while a view shows them; returns the stop function. */
export function followCluster(): () => void {
  const abort = new AbortController();
  let timer: number | undefined;
  const tick = async () => {
    await useCluster.getState().refresh(abort.signal);
    if (!abort.signal.aborted) timer = window.setTimeout(() => void tick(), CLUSTER_POLL_MS);
  };
  void tick();
  return () => {
    abort.abort();
    window.clearTimeout(timer);
  };
}
