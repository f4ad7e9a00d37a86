// `hopscope serve --cluster` (and the desktop app): the chosen context watched live, every change recorded in
// the store's cluster history as it arrives, so spans are linked to the cluster as it was at their time. A
// kubeconfig that changes (a new token, another current context) is picked up; a cluster that cannot be read
// is reported in the status and never stops ingest or analysis.
import {
  ClusterAccess,
  ClusterError,
  ClusterWatcher,
  loadClusterChoice,
  loadKubeconfig,
  loginShellPath,
  saveClusterChoice,
  watchKubeconfig,
  type KubeconfigWatch,
  type LoadedKubeconfig,
  type StreamStatus,
} from './cluster';
import type { Store } from './store/types';

export interface LiveClusterOptions {
  /** A kubeconfig file; default KUBECONFIG, ~/.kube/config, in-cluster. */
  kubeconfig?: string;
  /** Default: the choice saved in `settingsDir`, else the kubeconfig's current-context. */
  context?: string;
  /** Default: the saved choice, else every namespace the user may list. */
  namespaces?: string[];
  /** Where the choice of context and namespaces is remembered (the data directory). */
  settingsDir: string;
}

export interface LiveClusterStatus {
  context: string;
  /** The API server URL; '' when no context could be used. */
  server: string;
  namespaces: string[];
  /** Why nothing is watched (no kubeconfig, an unknown context, …), in words a user can act on. */
  error?: string;
  streams: StreamStatus[];
}

export interface LiveCluster {
  status(): LiveClusterStatus;
  stop(): Promise<void>;
}

/** Starts watching; never throws for cluster trouble, which `status()` reports instead. */
export async function startLiveCluster(store: Store, options: LiveClusterOptions): Promise<LiveCluster> {
  const saved = loadClusterChoice(options.settingsDir);
  const context = options.context ?? saved.context;
  const namespaces = options.namespaces ?? saved.namespaces ?? [];
  if (options.context !== undefined || options.namespaces !== undefined) saveClusterChoice(options.settingsDir, { context, namespaces });
  const shellPath = await loginShellPath();

  let watcher: ClusterWatcher | undefined;
  let files: KubeconfigWatch | undefined;
  let current: { context: string; server: string; error?: string } = { context: context ?? '', server: '' };
  let stopped = false;

  const watch = (loaded: LoadedKubeconfig) => {
    let access: ClusterAccess;
    try {
      access = new ClusterAccess(loaded, { context, loginShellPath: shellPath });
    } catch (err) {
      current = { context: context ?? '', server: '', error: messageOf(err) };
      return;
    }
    current = { context: access.context, server: access.server };
    watcher = new ClusterWatcher(access, {
      namespaces: namespaces.length > 0 ? namespaces : undefined,
      onChanges: (batch) => {
        store.recordClusterChanges(access.server, batch).catch((err: unknown) => console.error(`hopscope: cluster history not recorded: ${(err as Error).message}`));
      },
    });
    watcher.start();
  };

  try {
    const loaded = loadKubeconfig({ kubeconfig: options.kubeconfig });
    watch(loaded);
    files = watchKubeconfig(loaded, {
      kubeconfig: options.kubeconfig,
      // A rewritten kubeconfig may carry new credentials or another current context: start over with it.
      onChange: (next) => {
        if (stopped) return;
        const previous = watcher;
        watcher = undefined;
        void previous?.stop().then(() => {
          if (!stopped) watch(next);
        });
      },
      onError: (err) => console.error(`hopscope: ${messageOf(err)} (keeping the last good kubeconfig)`),
    });
  } catch (err) {
    current = { context: context ?? '', server: '', error: messageOf(err) };
  }

  return {
    status: () => ({ ...current, namespaces, streams: watcher?.status() ?? [] }),
    async stop() {
      stopped = true;
      files?.close();
      await watcher?.stop();
    },
  };
}

function messageOf(err: unknown): string {
  return err instanceof ClusterError ? err.message : `cannot read the kubeconfig: ${(err as Error).message}`;
}
