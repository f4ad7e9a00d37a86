// The watch engine: every watched kind, in the chosen namespaces or in all the user may read, kept in sync
// and reported to the store as batches of changes; and listOnce, the same reads done once for `analyze`.
import { CLUSTER_KINDS, type ClusterKind } from '../../common/cluster';
import type { ClusterChange } from '../store';
import type { ClusterAccess } from './access';
import type { ClusterError } from './errors';
import { listPaged } from './list';
import { NAMESPACES, RESOURCES } from './resources';
import { ResourceStream, stateChange, type StreamHost, type StreamStatus, type StreamTiming } from './stream';

/** A resource (in a namespace) that could not be read, as `analyze --cluster` reports it. */
export interface Unreadable {
  resource: string;
  /** '' at the cluster scope. */
  namespace: string;
  reason: string;
}

export interface ClusterReadOptions {
  /** Default: CLUSTER_KINDS. */
  kinds?: readonly ClusterKind[];
  /** Namespaces to read; default every namespace the user may list (cluster-wide when RBAC allows it). */
  namespaces?: readonly string[];
  /** LIST page size; default 500. */
  pageSize?: number;
}

export interface ClusterWatcherOptions extends ClusterReadOptions {
  /** Changes as they arrive, batched (see batchWindowMs); observedMs is when each was received. */
  onChanges(batch: ClusterChange[]): void;
  /**
   * Changes are handed on together for up to this long (default 50 ms), at most batchMax (default 1,000) at a
   * time, and as soon as a list is complete (before its stream says synced). A list arrives a network read at a
   * time, a dozen pods or so per turn of the event loop: recorded a read per transaction, the store's writer
   * spent twice the CPU it does on batches of hundreds (bench/cluster.ts).
   */
  batchWindowMs?: number;
  batchMax?: number;
  /** Default [300, 600] s. */
  watchTimeoutSeconds?: readonly [number, number];
  /** How often the server is expected to send a BOOKMARK on a quiet watch; default 60 s. */
  bookmarkIntervalMs?: number;
  /** Silence after which a watch is presumed dead; default 3 × bookmarkIntervalMs. */
  silenceLimitMs?: number;
  /** Restart backoff after failures: from initial (default 500 ms), doubling, capped (default 30 s), with jitter. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Retry interval after 403/404; default 5 min. */
  forbiddenRetryMs?: number;
}

function streamTiming(o: ClusterWatcherOptions): StreamTiming {
  const bookmarkIntervalMs = o.bookmarkIntervalMs ?? 60_000;
  return {
    pageSize: o.pageSize ?? 500,
    watchTimeoutSeconds: o.watchTimeoutSeconds ?? [300, 600],
    silenceLimitMs: o.silenceLimitMs ?? 3 * bookmarkIntervalMs,
    backoffInitialMs: o.backoffInitialMs ?? 500,
    backoffMaxMs: o.backoffMaxMs ?? 30_000,
    forbiddenRetryMs: o.forbiddenRetryMs ?? 300_000,
  };
}

/**
 * The namespaces to read when RBAC refuses a cluster-wide list: all namespaces if the user may list them,
 * else the context's namespace (kubectl's default for namespaced requests).
 */
async function readableNamespaces(access: ClusterAccess, pageSize: number, signal?: AbortSignal): Promise<string[]> {
  const names: string[] = [];
  try {
    await listPaged(access, NAMESPACES, '', pageSize, { onStart: () => (names.length = 0), onItems: (items) => names.push(...items.flatMap((n) => n.metadata?.name ?? [])) }, signal);
    return names;
  } catch {
    return [access.namespace ?? 'default'];
  }
}

/**
 * Watches the cluster of a ClusterAccess. One stream per (kind, namespace): a 401 or 403 on one leaves the
 * others running. Built on client-node's Watch rather than its informer (ListWatch), which keeps whole
 * objects, lists without paging, stops for good on a connection error, keys relist deletes by name rather
 * than uid, and has no silent-watch detection or backoff of its own.
 */
export class ClusterWatcher {
  private readonly streams = new Map<string, ResourceStream>();
  private readonly host: StreamHost;
  private pending: ClusterChange[] = [];
  private flushing: NodeJS.Timeout | undefined;
  private namespaces: Promise<string[]> | undefined;
  private running = false;

  constructor(
    readonly access: ClusterAccess,
    private readonly options: ClusterWatcherOptions,
  ) {
    this.host = {
      access,
      timing: streamTiming(options),
      emit: (change) => this.emit(change),
      flush: () => this.flush(),
      clusterScopeForbidden: (stream) => this.fallBackToNamespaces(stream),
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const kind of this.options.kinds ?? CLUSTER_KINDS) {
      const scopes = RESOURCES[kind].namespaced && this.options.namespaces ? this.options.namespaces : [''];
      for (const namespace of scopes) this.addStream(kind, namespace);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all([...this.streams.values()].map((s) => s.stop()));
    this.flush();
  }

  /** Per (kind, namespace): syncing, synced or error (with a safe message), last event time, restarts. */
  status(): StreamStatus[] {
    return [...this.streams.values()].map((s) => s.status());
  }

  /** The streams that cannot read, as `analyze --cluster` lists them. */
  unreadable(): Unreadable[] {
    return this.status()
      .filter((s) => s.state === 'error')
      .map((s) => ({ resource: s.resource, namespace: s.namespace, reason: s.error ?? 'unknown error' }));
  }

  private addStream(kind: ClusterKind, namespace: string): void {
    const key = `${kind}/${namespace}`;
    if (!this.running || this.streams.has(key)) return;
    const stream = new ResourceStream(this.host, kind, namespace);
    this.streams.set(key, stream);
    stream.start();
  }

  private fallBackToNamespaces(stream: ResourceStream): boolean {
    if (this.options.namespaces) return false;
    this.streams.delete(`${stream.kind}/`);
    this.namespaces ??= readableNamespaces(this.access, this.host.timing.pageSize);
    void this.namespaces.then((names) => {
      for (const ns of names) this.addStream(stream.kind, ns);
    });
    return true;
  }

  private emit(change: ClusterChange): void {
    this.pending.push(change);
    if (this.pending.length >= (this.options.batchMax ?? 1000)) this.flush();
    else this.flushing ??= setTimeout(() => this.flush(), this.options.batchWindowMs ?? 50);
  }

  private flush(): void {
    if (this.flushing) clearTimeout(this.flushing);
    this.flushing = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.options.onChanges(batch);
  }
}

export interface ClusterSnapshot {
  changes: ClusterChange[];
  unreadable: Unreadable[];
}

/** Lists every kind once (`analyze --cluster`): the objects as changes, and what could not be read and why. */
export async function listOnce(access: ClusterAccess, options: ClusterReadOptions = {}): Promise<ClusterSnapshot> {
  const pageSize = options.pageSize ?? 500;
  const changes: ClusterChange[] = [];
  const unreadable: Unreadable[] = [];
  let namespaces: Promise<string[]> | undefined;

  const read = async (kind: ClusterKind, namespace: string, fallBack: boolean): Promise<void> => {
    const ref = RESOURCES[kind];
    const found: ClusterChange[] = [];
    let startedMs = Date.now();
    try {
      await listPaged(access, ref, namespace, pageSize, {
        onStart: () => {
          found.length = 0;
          startedMs = Date.now();
        },
        onItems: (items) => {
          const now = Date.now();
          for (const obj of items) found.push(stateChange(kind, obj, now));
        },
      });
      // Everything the store holds of this kind there and the list lacks was deleted since it was last seen.
      changes.push(...found, { listed: kind, namespace, sinceMs: startedMs, observedMs: Date.now() });
    } catch (err) {
      const failure: ClusterError = access.describe(err, 'list', ref, namespace);
      if (failure.failure === 'forbidden' && fallBack) {
        namespaces ??= readableNamespaces(access, pageSize);
        await Promise.all((await namespaces).map((ns) => read(kind, ns, false)));
        return;
      }
      unreadable.push({ resource: ref.resource, namespace, reason: failure.message });
    }
  };

  await Promise.all(
    (options.kinds ?? CLUSTER_KINDS).flatMap((kind) => {
      const namespaced = RESOURCES[kind].namespaced;
      if (namespaced && options.namespaces) return options.namespaces.map((ns) => read(kind, ns, false));
      return [read(kind, '', namespaced)];
    }),
  );
  return { changes, unreadable };
}
