// Read-only access to one context's cluster: the client-node KubeConfig for it (exec plugins given the login
// shell's PATH), raw JSON GETs (lists read item by item as they arrive) through client-node's own auth and TLS,
// and renewal of credentials that the server refuses before they say they expire.
import type { KubeConfig, RequestContext, ResponseContext, User } from '@kubernetes/client-node';
import { clientNode } from './client-node';
import { AuthenticationError, ClusterError, describeFailure, HttpStatusError, secretsOf, type FailureScope } from './errors';
import { chooseContext, type LoadedKubeconfig } from './kubeconfig';
import { ListBodyParser } from './list-body';
import type { KubeObject } from './objects';
import type { ResourceRef } from './resources';
import { execSearchPath } from './shell-path';

export interface ClusterAccessOptions {
  /** Default: chooseContext(loaded) — the kubeconfig's current-context. */
  context?: string;
  /** The login shell's PATH (loginShellPath()), searched first for exec credential plugins. */
  loginShellPath?: string;
  /** Per LIST/GET request; default 60 s. */
  requestTimeoutMs?: number;
  /** Credentials are renewed after a 401 at most this often; default 5 s. */
  renewIntervalMs?: number;
}

type Query = Record<string, string | number | boolean | undefined>;

/** A list's metadata: the resourceVersion to watch from, and the token of the next page. */
export interface ListMetadata {
  resourceVersion?: string;
  continue?: string;
}

interface ExecConfig {
  command?: string;
  apiVersion?: string;
  env?: Array<{ name: string; value: string }> | null;
}

/**
 * client-node runs an exec plugin with `{...process.env, ...exec.env}` when the user's exec.env is set (and
 * plain process.env otherwise), and child_process.spawn looks the command up on that env's PATH. So PATH goes
 * into the exec.env of our copy of the user, unless the user set one. KUBERNETES_EXEC_INFO is what kubectl
 * passes (client-node does not); some plugins read it to know they may not prompt.
 */
function withPluginEnv(user: User, searchPath: string): User {
  const exec = user.exec as ExecConfig | undefined;
  if (!exec) return user;
  const env = [...(exec.env ?? [])];
  if (!env.some((e) => e.name === 'PATH')) env.push({ name: 'PATH', value: searchPath });
  if (!env.some((e) => e.name === 'KUBERNETES_EXEC_INFO')) {
    const info = { apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } };
    env.push({ name: 'KUBERNETES_EXEC_INFO', value: JSON.stringify(info) });
  }
  return { ...user, exec: { ...exec, env } };
}

/** The promise, or an AbortError as soon as the signal aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export class ClusterAccess {
  readonly context: string;
  /** The API server URL; it names the cluster in the store. */
  readonly server: string;
  /** The kubeconfig users[] entry of the context ('' when it names none). */
  readonly user: string;
  /** The context's namespace, if it sets one. */
  readonly namespace: string | undefined;
  private kc: KubeConfig;
  private renewedAt = 0;
  private readonly secrets: string[];
  private readonly searchPath: string;
  private readonly http = new (clientNode().IsomorphicFetchHttpLibrary)();

  constructor(
    private readonly loaded: LoadedKubeconfig,
    private readonly opts: ClusterAccessOptions = {},
  ) {
    this.context = chooseContext(loaded, { context: opts.context });
    const ctx = loaded.config.getContextObject(this.context)!;
    const cluster = loaded.config.getCluster(ctx.cluster);
    if (!cluster) throw new ClusterError(`context "${this.context}" refers to cluster "${ctx.cluster}", which no kubeconfig file defines`, 'kubeconfig');
    if (ctx.user && !loaded.config.getUser(ctx.user)) throw new ClusterError(`context "${this.context}" refers to user "${ctx.user}", which no kubeconfig file defines`, 'kubeconfig');
    this.server = cluster.server;
    this.user = ctx.user ?? '';
    this.namespace = ctx.namespace;
    this.secrets = secretsOf(loaded.config);
    this.searchPath = execSearchPath(opts.loginShellPath);
    this.kc = this.build();
  }

  /** The KubeConfig requests use now; replaced when credentials are renewed. */
  get kubeConfig(): KubeConfig {
    return this.kc;
  }

  private build(): KubeConfig {
    const base = this.loaded.config;
    const kc = new (clientNode().KubeConfig)();
    kc.loadFromOptions({
      clusters: base.getClusters().map((c) => ({ ...c })),
      users: base.getUsers().map((u) => withPluginEnv({ ...u }, this.searchPath)),
      contexts: base.getContexts().map((c) => ({ ...c })),
      currentContext: this.context,
    });
    return kc;
  }

  /**
   * After a 401: a fresh KubeConfig, whose new ExecAuth has no cached credential, so the plugin runs again.
   * (client-node caches an exec credential until its expirationTimestamp and never drops it on a 401.)
   * Requests that failed with an older KubeConfig get the current one; renewals are rate-limited.
   */
  renewCredentials(used: KubeConfig): KubeConfig {
    if (used !== this.kc) return this.kc;
    const now = Date.now();
    if (now - this.renewedAt < (this.opts.renewIntervalMs ?? 5000)) return this.kc;
    this.renewedAt = now;
    this.kc = this.build();
    return this.kc;
  }

  /** What a request was about, for describeFailure. */
  scope(verb?: FailureScope['verb'], ref?: ResourceRef, namespace = ''): FailureScope {
    const exec = this.loaded.config.getUser(this.user)?.exec as ExecConfig | undefined;
    return {
      server: this.server,
      user: this.user,
      verb,
      resource: ref?.resource,
      apiVersion: ref ? (ref.group ? `${ref.group}/${ref.version}` : ref.version) : undefined,
      namespace: ref?.namespaced ? namespace : '',
      plugin: exec?.command ? { command: exec.command, searchedPath: this.searchPath, withLoginShellPath: Boolean(this.opts.loginShellPath) } : undefined,
      secrets: this.secrets,
    };
  }

  describe(err: unknown, verb?: FailureScope['verb'], ref?: ResourceRef, namespace = ''): ClusterError {
    return describeFailure(err, this.scope(verb, ref, namespace));
  }

  /**
   * Puts the user's credentials and TLS settings on a request (running the exec plugin when its credential
   * expired). client-node gives a plugin no deadline, so an abort stops waiting for it (the plugin runs on).
   */
  async authenticate(kc: KubeConfig, ctx = new (clientNode().RequestContext)(this.server, clientNode().HttpMethod.GET), signal?: AbortSignal): Promise<RequestContext> {
    try {
      await untilAborted(kc.applySecurityAuthentication(ctx), signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err instanceof Error && err.message.startsWith('HTTP protocol is not allowed')) {
        throw new ClusterError(`the server ${this.server} of context "${this.context}" is plain http://, which client-node accepts only with insecure-skip-tls-verify: true`, 'kubeconfig');
      }
      throw new AuthenticationError(err);
    }
    return ctx;
  }

  /** GET a JSON document; on a 401, renews the credentials and tries once more. Throws raw errors (see describe). */
  async getJson<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
    const res = await this.respond(path, query, signal);
    return JSON.parse(await res.body.text()) as T;
  }

  /**
   * GET a list, handing its items to `onItems` as they arrive (a batch per chunk of the body) rather than parsing
   * the whole response: see list-body.ts. Returns the list's metadata. Retries after a 401 as getJson does
   * (a refusal comes before any item).
   */
  async getList(path: string, query: Query, onItems: (items: KubeObject[]) => void, signal?: AbortSignal): Promise<ListMetadata> {
    const res = await this.respond(path, query, signal);
    const body = res.body.stream();
    const parser = new ListBodyParser();
    if (body) {
      for await (const chunk of body) {
        const items = parser.push(chunk) as KubeObject[];
        if (items.length > 0) onItems(items);
      }
    }
    return (parser.end() as { metadata?: ListMetadata } | null)?.metadata ?? {};
  }

  /** A 2xx response to a GET, its body unread; a 401 renews the credentials and asks once more. */
  private async respond(path: string, query: Query, signal: AbortSignal | undefined): Promise<ResponseContext> {
    const kc = this.kc;
    try {
      return await this.get(kc, path, query, signal);
    } catch (err) {
      if (!(err instanceof HttpStatusError && err.status === 401)) throw err;
      return this.get(this.renewCredentials(kc), path, query, signal);
    }
  }

  private async get(kc: KubeConfig, path: string, query: Query, signal: AbortSignal | undefined): Promise<ResponseContext> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const ctx = await this.authenticate(kc, new (clientNode().RequestContext)(url.toString(), clientNode().HttpMethod.GET), signal);
    ctx.setHeaderParam('Accept', 'application/json');
    const timeout = AbortSignal.timeout(this.opts.requestTimeoutMs ?? 60_000);
    ctx.setSignal(signal ? AbortSignal.any([signal, timeout]) : timeout);
    const res = await this.http.send(ctx).toPromise();
    if (res.httpStatusCode < 200 || res.httpStatusCode > 299) {
      const text = await res.body.text();
      let status: HttpStatusError['statusBody'];
      try {
        status = JSON.parse(text);
      } catch {
        status = undefined;
      }
      throw new HttpStatusError(res.httpStatusCode, status && typeof status === 'object' ? status : undefined);
    }
    return res;
  }
}
