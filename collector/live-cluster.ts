// `hopscope serve --cluster` (and the desktop app): the chosen context watched live, every change recorded in
// the store's cluster history as it arrives, so spans are linked to the cluster as it was at their time. The UI
// connects, switches and disconnects at run time; the choice is remembered in the data directory. A kubeconfig
// that changes (a new token, another current context) is picked up; a cluster that cannot be read is reported in
// the status and never stops ingest or analysis.
import { existsSync } from 'node:fs';
import {
  chooseContext,
  ClusterAccess,
  ClusterError,
  ClusterWatcher,
  kubeconfigFiles,
  listContexts,
  loadClusterChoice,
  loadKubeconfig,
  loginShellPath,
  saveClusterChoice,
  watchKubeconfig,
  type KubeconfigSource,
  type KubeconfigWatch,
  type LoadedKubeconfig,
  type StreamStatus,
} from './cluster';
import type { Store } from './store/types';
import type { WireKubeconfig } from '../common/wire';

export interface LiveClusterOptions {
  /** A kubeconfig file; default KUBECONFIG, ~/.kube/config, in-cluster. */
  kubeconfig?: string;
  /** Default: the choice saved in `settingsDir`, else the kubeconfig's current-context. */
  context?: string;
  /** Default: the saved choice, else every namespace the user may list. */
  namespaces?: string[];
  /** Where the choice of context and namespaces is remembered (the data directory). */
  settingsDir: string;
  /** Watch from the start (the default); false only makes the kubeconfig's contexts ready to connect to. */
  connect?: boolean;
  /** Where KUBECONFIG and HOME are read; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface LiveClusterStatus {
  /** A context was chosen (at start or by `connect`) and not disconnected since. */
  connected: boolean;
  context: string;
  /** The API server URL; '' when no context could be used. */
  server: string;
  namespaces: string[];
  /** Why nothing is watched (no kubeconfig, an unknown context, …), in words a user can act on. */
  error?: string;
  streams: StreamStatus[];
}

export interface WatchChoice {
  context: string;
  /** [] for every namespace the user may list. */
  namespaces: string[];
}

export interface LiveCluster {
  status(): LiveClusterStatus;
  stop(): Promise<void>;
}

/**
 * The one live cluster connection of a collector: which context is watched, the kubeconfig's contexts to choose
 * from, and connecting, switching and disconnecting at run time. Changes of watch run one at a time.
 */
export class ClusterController implements LiveCluster {
  private loaded: LoadedKubeconfig | undefined;
  private files: KubeconfigWatch | undefined;
  private kubeconfigError: string | undefined;
  /** undefined while disconnected; a context of undefined follows the kubeconfig's current-context. */
  private choice: { context?: string; namespaces: string[] } | undefined;
  private watcher: ClusterWatcher | undefined;
  private current: { context: string; server: string; error?: string } = { context: '', server: '' };
  private queue: Promise<unknown> = Promise.resolve();
  private recorded = 0;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly options: Pick<LiveClusterOptions, 'kubeconfig' | 'settingsDir' | 'env'>,
  ) {}

  /** Watches the context given, else the saved one, else the current-context; trouble goes into `status()`. */
  start(choice: { context?: string; namespaces?: string[] } = {}): Promise<void> {
    const saved = loadClusterChoice(this.options.settingsDir);
    const context = choice.context ?? saved.context;
    const namespaces = choice.namespaces ?? saved.namespaces ?? [];
    if (choice.context !== undefined || choice.namespaces !== undefined) this.remember({ context, namespaces });
    return this.serially(async () => {
      this.choice = { context, namespaces };
      const loaded = this.kubeconfigNow();
      if (loaded) await this.watch(loaded);
      else this.current = { context: context ?? '', server: '', error: this.kubeconfigError };
    });
  }

  status(): LiveClusterStatus {
    return { connected: this.choice !== undefined, ...this.current, namespaces: this.choice?.namespaces ?? [], streams: this.watcher?.status() ?? [] };
  }

  /** The kubeconfig and its contexts. While there is none it is looked for again on every call, so one created later is found. */
  kubeconfig(): WireKubeconfig {
    const loaded = this.kubeconfigNow();
    const env = this.options.env ?? process.env;
    const files = loaded?.inCluster ? [] : kubeconfigFiles(this.source());
    return {
      source: this.options.kubeconfig !== undefined ? 'flag' : loaded?.inCluster ? 'in-cluster' : env.KUBECONFIG ? 'env' : 'default',
      files,
      missing: !loaded && files.every((f) => !existsSync(f)),
      error: this.kubeconfigError,
      contexts: loaded ? listContexts(loaded) : [],
    };
  }

  /**
   * Watches `context` in `namespaces` from now on, and remembers the choice. Throws a ClusterError (and changes
   * nothing) when the kubeconfig cannot be read or does not define the context; trouble reaching the cluster
   * comes later, per resource, in `status()`.
   */
  connect(choice: WatchChoice): Promise<LiveClusterStatus> {
    return this.serially(async () => {
      const loaded = this.kubeconfigNow();
      if (!loaded) throw new ClusterError(this.kubeconfigError ?? 'no kubeconfig to connect with', 'kubeconfig');
      const access = new ClusterAccess(loaded, { context: chooseContext(loaded, { context: choice.context }), loginShellPath: await loginShellPath() });
      this.remember(choice);
      await this.unwatch();
      this.choice = { ...choice };
      this.watchWith(access);
      return this.status();
    });
  }

  /** Stops watching and forgets the context (the namespaces stay), so the desktop app does not reconnect on its next start. */
  disconnect(): Promise<LiveClusterStatus> {
    return this.serially(async () => {
      await this.unwatch();
      this.choice = undefined;
      this.current = { context: '', server: '' };
      this.remember({ namespaces: loadClusterChoice(this.options.settingsDir).namespaces });
      return this.status();
    });
  }

  /** Saves the choice for the next start; a data directory that cannot be written must not stop the watch. */
  private remember(choice: { context?: string; namespaces?: string[] }): void {
    try {
      saveClusterChoice(this.options.settingsDir, choice);
    } catch (err) {
      console.error(`hopscope: cannot remember the cluster choice in ${this.options.settingsDir}: ${(err as Error).message}`);
    }
  }

  /** Grows with every batch of changes recorded, so readers of the history know when theirs is stale. */
  revision(): number {
    return this.recorded;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.files?.close();
    await this.serially(() => this.unwatch());
  }

  private source(): KubeconfigSource {
    return { kubeconfig: this.options.kubeconfig, env: this.options.env };
  }

  /** The last good kubeconfig, loading it (and watching its files) the first time it can be read. */
  private kubeconfigNow(): LoadedKubeconfig | undefined {
    if (this.stopped) return this.loaded;
    if (this.loaded && this.kubeconfigError === undefined) return this.loaded;
    let loaded: LoadedKubeconfig;
    try {
      loaded = loadKubeconfig(this.source());
    } catch (err) {
      this.kubeconfigError = messageOf(err);
      return this.loaded;
    }
    if (this.loaded) {
      // A reread failed and the file is back as it was; a new content comes through the file watch.
      if (loaded.fingerprint === this.loaded.fingerprint) this.kubeconfigError = undefined;
      return this.loaded;
    }
    this.kubeconfigError = undefined;
    this.loaded = loaded;
    this.files = watchKubeconfig(loaded, {
      ...this.source(),
      onChange: (next) => {
        this.kubeconfigError = undefined;
        this.kubeconfigChanged(next);
      },
      onError: (err) => {
        this.kubeconfigError = `${err.message} (keeping the last good kubeconfig)`;
        console.error(`hopscope: ${this.kubeconfigError}`);
      },
    });
    // Connected while there was no kubeconfig: watch now that there is one (unless the caller is about to).
    void this.serially(async () => {
      if (this.choice && !this.watcher && !this.stopped) await this.watch(this.loaded ?? loaded);
    });
    return loaded;
  }

  /** A rewritten kubeconfig may carry new credentials or another current context: the watch starts over with it. */
  private kubeconfigChanged(next: LoadedKubeconfig): void {
    this.loaded = next;
    if (this.stopped || !this.choice) return;
    void this.serially(async () => {
      await this.unwatch();
      if (this.choice && !this.stopped) await this.watch(next);
    });
  }

  private async watch(loaded: LoadedKubeconfig): Promise<void> {
    const context = this.choice?.context;
    let access: ClusterAccess;
    try {
      access = new ClusterAccess(loaded, { context, loginShellPath: await loginShellPath() });
    } catch (err) {
      this.current = { context: context ?? '', server: '', error: messageOf(err) };
      return;
    }
    this.watchWith(access);
  }

  private watchWith(access: ClusterAccess): void {
    if (this.stopped) return;
    const namespaces = this.choice?.namespaces ?? [];
    this.current = { context: access.context, server: access.server };
    this.watcher = new ClusterWatcher(access, {
      namespaces: namespaces.length > 0 ? namespaces : undefined,
      onChanges: (batch) => {
        this.store.recordClusterChanges(access.server, batch).then(
          () => this.recorded++,
          (err: unknown) => console.error(`hopscope: cluster history not recorded: ${(err as Error).message}`),
        );
      },
    });
    this.watcher.start();
  }

  private async unwatch(): Promise<void> {
    const previous = this.watcher;
    this.watcher = undefined;
    await previous?.stop();
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** The controller, watching from the start unless `connect` is false; never throws for cluster trouble, which `status()` reports instead. */
export async function startLiveCluster(store: Store, options: LiveClusterOptions): Promise<ClusterController> {
  const controller = new ClusterController(store, options);
  if (options.connect !== false) await controller.start({ context: options.context, namespaces: options.namespaces });
  return controller;
}

function messageOf(err: unknown): string {
  return err instanceof ClusterError ? err.message : `cannot read the kubeconfig: ${(err as Error).message}`;
}
