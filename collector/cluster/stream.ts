// One resource in one namespace (or all), kept in sync: LIST, then WATCH from the list's resourceVersion,
// resuming from the last resourceVersion seen after any break, relisting when the server no longer has it.
// Only what deletes and change detection need is kept (uid → identity, created, a digest of the compact state),
// never whole objects nor the states themselves (the store has those).
import { hash } from 'node:crypto';
import type { KubeConfig, Watch } from '@kubernetes/client-node';
import { clientNode } from './client-node';
import type { ClusterKind, ObjectIdentity } from '../../common/cluster';
import type { ClusterChange, ObjectChange } from '../store';
import type { ClusterAccess } from './access';
import { HttpStatusError, type ClusterFailure } from './errors';
import { listPaged } from './list';
import { createdOf, identityOf, stateOf, type KubeObject } from './objects';
import { collectionPath, RESOURCES, type ResourceRef } from './resources';

export interface StreamTiming {
  /** LIST page size (limit). */
  pageSize: number;
  /** Each WATCH asks the server to end it after a random time in this range (seconds), spreading reconnects. */
  watchTimeoutSeconds: readonly [number, number];
  /** A watch that delivers nothing (no event, no bookmark) for this long is presumed dead, aborted and resumed. */
  silenceLimitMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** How long to wait before asking again after a 403 or 404: RBAC and served APIs rarely change. */
  forbiddenRetryMs: number;
}

export type StreamState = 'syncing' | 'synced' | 'error';

/** How one (kind, namespace) watch is doing, for the Cluster view. */
export interface StreamStatus {
  kind: ClusterKind;
  /** Plural resource name (`pods`). */
  resource: string;
  /** '' for all namespaces or a cluster-scoped kind. */
  namespace: string;
  state: StreamState;
  /** The last failure, safe to show (no credentials). */
  error?: string;
  failure?: ClusterFailure;
  /** When the last event or bookmark arrived. */
  lastEventMs?: number;
  /** Restarts after failures and silent watches (not the server's routine watch timeouts). */
  restarts: number;
  objects: number;
}

export interface StreamHost {
  access: ClusterAccess;
  timing: StreamTiming;
  emit(change: ClusterChange): void;
  /** Hands on what was emitted so far at once: a list is complete (its stream is about to say synced). */
  flush(): void;
  /** A cluster-wide LIST was forbidden; true when the host takes over (watching namespace by namespace). */
  clusterScopeForbidden?(stream: ResourceStream): boolean;
}

interface KnownObject {
  identity: ObjectIdentity;
  created: string;
  /** stateDigest of the last state emitted. */
  digest: string;
}

/**
 * SHA-1 of a compact state's JSON, to tell whether an object's state changed: 28 characters kept per object
 * instead of the JSON (780 bytes for a typical pod), which was half of the watcher's heap (memory.test.ts).
 */
function stateDigest(state: ObjectChange['state']): string {
  return hash('sha1', JSON.stringify(state), 'base64');
}

type WatchEnd = { kind: 'closed'; events: number; ms: number } | { kind: 'expired' } | { kind: 'silent' };

interface WatchStatus {
  code?: number;
  reason?: string;
  message?: string;
}

/** A ClusterChange carrying an object's current state. */
export function stateChange(kind: ClusterKind, obj: KubeObject, observedMs: number): ObjectChange {
  return { identity: identityOf(kind, obj), created: createdOf(obj), resourceVersion: obj.metadata?.resourceVersion ?? '', observedMs, state: stateOf(kind, obj) };
}

/**
 * client-node's Watch aborts a request that receives no bytes for `requestTimeoutMs` (30 s by default, reset
 * on every chunk, connect phase included) with a TimeoutError; that is exactly a silent-watch detector, so
 * it is set to our limit. The field is private in the typings, hence the check that it is still there.
 */
function silenceLimitedWatch(kc: KubeConfig, limitMs: number): Watch {
  const watch = new (clientNode().Watch)(kc) as unknown as { requestTimeoutMs?: number };
  if (typeof watch.requestTimeoutMs !== 'number') throw new Error('client-node Watch has no requestTimeoutMs any more: silent-watch detection needs another hook');
  watch.requestTimeoutMs = limitMs;
  return watch as unknown as Watch;
}

export class ResourceStream {
  readonly ref: ResourceRef;
  private readonly known = new Map<string, KnownObject>();
  private rv = '';
  private stopped = false;
  private readonly abort = new AbortController();
  private watchController: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private phase: 'list' | 'watch' = 'list';
  private readonly current: Omit<StreamStatus, 'objects'>;

  constructor(
    private readonly host: StreamHost,
    readonly kind: ClusterKind,
    readonly namespace: string,
  ) {
    this.ref = RESOURCES[kind];
    this.current = { kind, resource: this.ref.resource, namespace, state: 'syncing', restarts: 0 };
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Before the abort signal, whose listener forgets the controller: the open watch request must be cut.
    this.watchController?.abort();
    this.abort.abort();
    await this.loop;
  }

  status(): StreamStatus {
    return { ...this.current, objects: this.known.size };
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let renewed = false;
    while (!this.stopped) {
      let kc: KubeConfig | undefined;
      try {
        if (!this.rv) {
          await this.relist();
          attempt = 0;
          renewed = false;
        }
        kc = this.host.access.kubeConfig;
        const end = await this.watchOnce(kc);
        if (this.stopped) return;
        if (end.kind === 'expired') {
          this.rv = '';
        } else if (end.kind === 'silent') {
          this.current.restarts++;
        } else if (end.events > 0 || end.ms >= 1000) {
          attempt = 0;
          renewed = false;
        } else {
          // Ended at once with nothing said: do not spin.
          await this.sleep(this.backoff(attempt++));
        }
      } catch (err) {
        if (this.stopped) return;
        const failure = this.host.access.describe(err, this.phase, this.ref, this.namespace);
        if (failure.failure === 'expired' && this.phase === 'watch') {
          this.rv = '';
          continue;
        }
        // A LIST renews and retries inside getJson; a refused WATCH renews here and retries at once the first time.
        if (failure.failure === 'unauthorized' && this.phase === 'watch' && kc) {
          this.host.access.renewCredentials(kc);
          if (!renewed) {
            renewed = true;
            continue;
          }
        }
        if (failure.failure === 'forbidden' && this.phase === 'list' && this.namespace === '' && this.ref.namespaced && this.host.clusterScopeForbidden?.(this)) {
          this.stopped = true;
          return;
        }
        this.current.state = 'error';
        this.current.error = failure.message;
        this.current.failure = failure.failure;
        this.current.restarts++;
        const rare = failure.failure === 'forbidden' || failure.failure === 'not-served';
        await this.sleep(rare ? this.host.timing.forbiddenRetryMs : this.backoff(attempt++));
      }
    }
  }

  /** Exponential, capped, with jitter so many streams do not reconnect in step. */
  private backoff(attempt: number): number {
    const { backoffInitialMs, backoffMaxMs } = this.host.timing;
    const base = Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(attempt, 30));
    return Math.round(base * (0.5 + Math.random() * 0.5));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.abort.signal.aborted) return resolve();
      const signal = this.abort.signal;
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private markSynced(): void {
    this.current.state = 'synced';
    this.current.error = undefined;
    this.current.failure = undefined;
  }

  /** LIST everything; objects known before but missing now were deleted while we were not watching. */
  private async relist(): Promise<void> {
    this.phase = 'list';
    if (this.current.state !== 'error') this.current.state = 'syncing';
    // A first list emits every object it holds, so whatever the store recorded before it and it lacks is gone.
    const first = this.known.size === 0;
    const listedFromMs = Date.now();
    const seen = new Set<string>();
    const rv = await listPaged(
      this.host.access,
      this.ref,
      this.namespace,
      this.host.timing.pageSize,
      {
        onStart: () => seen.clear(),
        onItems: (items) => {
          for (const obj of items) {
            const uid = this.upsert(obj);
            if (uid) seen.add(uid);
          }
        },
      },
      this.abort.signal,
    );
    const now = Date.now();
    for (const [uid, known] of this.known) {
      if (seen.has(uid)) continue;
      this.known.delete(uid);
      this.host.emit({ identity: known.identity, created: known.created, resourceVersion: rv, observedMs: now, deleted: true });
    }
    if (first) this.host.emit({ listed: this.kind, namespace: this.namespace, sinceMs: listedFromMs, observedMs: now });
    this.host.flush();
    this.rv = rv;
    this.markSynced();
  }

  /** Records an object's state; emits it only when the compact state changed. Returns its uid. */
  private upsert(obj: KubeObject): string | undefined {
    const change = stateChange(this.kind, obj, Date.now());
    const uid = change.identity.uid;
    if (!uid) return undefined;
    const digest = stateDigest(change.state);
    if (this.known.get(uid)?.digest === digest) return uid;
    this.known.set(uid, { identity: change.identity, created: change.created, digest });
    this.host.emit(change);
    return uid;
  }

  private remove(obj: KubeObject): void {
    // The DELETED object carries its last state; record it first if it is news (a MODIFIED we never saw).
    const uid = this.upsert(obj);
    if (!uid) return;
    const known = this.known.get(uid)!;
    this.known.delete(uid);
    this.host.emit({ identity: known.identity, created: known.created, resourceVersion: obj.metadata?.resourceVersion ?? '', observedMs: Date.now(), deleted: true });
  }

  private async watchOnce(kc: KubeConfig): Promise<WatchEnd> {
    this.phase = 'watch';
    const { timing, access } = this.host;
    // Credentials first, so a failing exec plugin is reported as that and not as a watch error.
    await access.authenticate(kc, undefined, this.abort.signal);
    const watch = silenceLimitedWatch(kc, timing.silenceLimitMs);
    const [min, max] = timing.watchTimeoutSeconds;
    const timeoutSeconds = Math.round(min + Math.random() * (max - min));
    const started = Date.now();
    let events = 0;
    let finished = false;
    let expired = false;
    let failed: WatchStatus | undefined;
    let controller: AbortController | undefined;
    return new Promise<WatchEnd>((resolve, reject) => {
      const onEvent = (type: string, obj: KubeObject & WatchStatus) => {
        if (finished || this.stopped) return;
        events++;
        this.current.lastEventMs = Date.now();
        switch (type) {
          case 'ADDED':
          case 'MODIFIED':
            this.upsert(obj);
            break;
          case 'DELETED':
            this.remove(obj);
            break;
          case 'BOOKMARK':
            break;
          case 'ERROR':
            // An expired resourceVersion arrives as an ERROR event with a 410 Status, on a 200 response.
            if (obj.code === 410) expired = true;
            else failed = obj;
            controller?.abort();
            return;
          default:
            return;
        }
        if (obj.metadata?.resourceVersion) this.rv = obj.metadata.resourceVersion;
        if (this.current.state !== 'synced') this.markSynced();
      };
      const onStop = () => onDone(null);
      const onDone = (err: unknown) => {
        if (finished) return;
        finished = true;
        this.abort.signal.removeEventListener('abort', onStop);
        this.watchController = undefined;
        if (expired) resolve({ kind: 'expired' });
        else if (failed) reject(new HttpStatusError(failed.code ?? 500, failed));
        else if (!err || this.stopped) resolve({ kind: 'closed', events, ms: Date.now() - started });
        else if ((err as { name?: unknown }).name === 'TimeoutError') resolve({ kind: 'silent' });
        else reject(err);
      };
      // stop() must not wait for a server that has not answered yet: Watch hands out its controller only then.
      this.abort.signal.addEventListener('abort', onStop, { once: true });
      const query = { resourceVersion: this.rv, allowWatchBookmarks: true, timeoutSeconds };
      watch.watch(collectionPath(this.ref, this.namespace), query, onEvent, onDone).then((c) => {
        controller = c;
        if (this.stopped) c.abort();
        if (finished) return;
        this.watchController = c;
        // Watch calls done before returning on any answer but 200; so here the watch is open.
        if (this.current.state === 'error') this.markSynced();
      }, reject);
    });
  }
}
