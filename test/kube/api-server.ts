import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Authorizer, identityFromCertificate, TokenRegistry, type Identity, type RbacRule, type Verb } from './auth';
import { writeExecPlugin, writeKubeconfig, type KubeconfigContext, type KubeconfigUser, type WrittenKubeconfig } from './kubeconfig';
import { namespace } from './builders';
import { createPki, type ClientCertificate, type Pki } from './pki';
import { apiVersionOf, findResource, objectKey, resolveResource, RESOURCE_TYPES, type KubeObject, type ResourceType } from './resources';
import { parseFieldSelector, parseLabelSelector, SelectorError, type Matcher } from './selectors';
import {
  badRequest,
  expiredContinue,
  expiredListResourceVersion,
  failure,
  methodNotAllowed,
  notFoundObject,
  notFoundPath,
  tooLargeResourceVersion,
  tooOldResourceVersion,
  unauthorized,
  type Status,
} from './status';
import { clone, ObjectStore, type DeleteOptions, type StoredEvent } from './store';

export * from './builders';
export type { Identity, RbacRule, Verb } from './auth';
export { toYaml, writeKubeconfig, type KubeconfigContext, type KubeconfigUser, type WrittenKubeconfig } from './kubeconfig';
export { createPki, type ClientCertificate, type Pki } from './pki';
export { RESOURCE_TYPES, resolveResource, rfc3339, type JsonObject, type JsonValue, type KubeObject, type ObjectMeta, type OwnerReference, type ResourceType } from './resources';
export type { Status } from './status';
export type { DeleteOptions, StoredEvent } from './store';

export interface FakeApiServerOptions {
  /** HTTPS with the per-run CA (default) or plain HTTP. */
  tls?: boolean;
  /** Default 0 (any free port); always bound to 127.0.0.1. */
  port?: number;
  /** Events kept per resource for watch resumption and consistent paging (the watch cache window). Default 1000. */
  historySize?: number;
  /** How often watches with allowWatchBookmarks=true get a BOOKMARK. Default 1000 ms. */
  bookmarkIntervalMs?: number;
  /** Server-side watch timeout when the client sends no timeoutSeconds. Default: none. */
  watchTimeoutSeconds?: number;
  /** Reuse a PKI (default: one CA per test process, shared by all HTTPS servers). */
  pki?: Pki;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  user?: string;
  status: number;
  watch: boolean;
  /** Response body size; undefined for watch streams. */
  bytes?: number;
  /** Time to build and hand the response to the socket; undefined for watch streams. */
  ms?: number;
  at: number;
}

/** Makes matching requests fail before they reach the resource handlers (e.g. 429 with Retry-After). */
export interface FaultRule {
  path?: RegExp;
  watch?: boolean;
  /** Default 1. */
  times?: number;
  code: number;
  reason?: string;
  message?: string;
  retryAfterSeconds?: number;
}

export interface ExecInvocation {
  at: string;
  pid: number;
  execInfo: string | null;
}

export type TokenUser = Extract<KubeconfigUser, { kind: 'token' }>;
export type CertUser = Extract<KubeconfigUser, { kind: 'clientCertificate' }> & ClientCertificate;
export type ExecUser = Extract<KubeconfigUser, { kind: 'exec' }> & { logFile: string; invocations(): ExecInvocation[] };

interface WatchStream {
  rt: ResourceType;
  res: http.ServerResponse;
  filter: Matcher;
  silenced: boolean;
  timers: NodeJS.Timeout[];
}

type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject };

type Reply = (code: number, body: unknown, headers?: Record<string, string>) => void;

interface Request {
  identity: Identity;
  query: Record<string, string>;
  watch: boolean;
  res: http.ServerResponse;
  entry: RequestLogEntry;
  reply: Reply;
}

export const VERSION_INFO = {
  major: '1',
  minor: '33',
  emulationMajor: '1',
  emulationMinor: '33',
  minCompatibilityMajor: '1',
  minCompatibilityMinor: '32',
  gitVersion: 'v1.33.1',
  gitCommit: '8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828',
  gitTreeState: 'clean',
  buildDate: '2025-05-15T08:19:08Z',
  goVersion: 'go1.24.2',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const SEED_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

let processPki: Pki | undefined;

/** One CA per test process: openssl runs once, and every server and client cert chains to it. */
export function sharedPki(): Pki {
  processPki ??= createPki();
  return processPki;
}

function stripTypeMeta(obj: KubeObject): Omit<KubeObject, 'apiVersion' | 'kind'> {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = obj;
  return rest;
}

function view(rt: ResourceType, obj: KubeObject): KubeObject {
  return rt.fromStorage ? rt.fromStorage(obj) : obj;
}

/** A body that is already JSON text. */
class RawJson {
  constructor(readonly text: string) {}
}

// Stored objects are frozen, so their JSON can be computed once and reused by every list and watcher.
const objectJsonCache = new WeakMap<KubeObject, string>();
const itemJsonCache = new WeakMap<KubeObject, string>();

function cachedJson(cache: WeakMap<KubeObject, string>, rt: ResourceType, obj: KubeObject, render: (o: KubeObject) => unknown): string {
  if (rt.fromStorage) return JSON.stringify(render(view(rt, obj)));
  let json = cache.get(obj);
  if (json === undefined) {
    json = JSON.stringify(render(obj));
    cache.set(obj, json);
  }
  return json;
}

/** The object as GET and watch events carry it (with apiVersion and kind). */
const objectJson = (rt: ResourceType, obj: KubeObject) => cachedJson(objectJsonCache, rt, obj, (o) => o);
/** The object as a list item (without apiVersion and kind). */
const itemJson = (rt: ResourceType, obj: KubeObject) => cachedJson(itemJsonCache, rt, obj, stripTypeMeta);

function keyOf(obj: KubeObject): string {
  return objectKey(obj.metadata.namespace, obj.metadata.name);
}

interface ContinueToken {
  v: 'meta.k8s.io/v1';
  rv: number;
  start: string;
}

function encodeContinue(rv: number, lastKey: string): string {
  const token: ContinueToken = { v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(raw: string): ContinueToken | undefined {
  try {
    const token = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as ContinueToken;
    return token.v === 'meta.k8s.io/v1' && Number.isInteger(token.rv) && typeof token.start === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}

function parseRv(raw: string): number | undefined {
  return /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** What a real watch cache sends for one stored event to a watcher with a filter (selector transitions included). */
function transition(ev: StoredEvent, filter: Matcher): WatchEvent | undefined {
  if (ev.type !== 'MODIFIED') return filter(ev.object) ? { type: ev.type, object: ev.object } : undefined;
  const was = ev.prev !== undefined && filter(ev.prev);
  const is = filter(ev.object);
  if (was && is) return { type: 'MODIFIED', object: ev.object };
  if (is) return { type: 'ADDED', object: ev.object };
  if (was) return { type: 'DELETED', object: ev.object };
  return undefined;
}

const FAULT_REASONS: Record<number, [string, string]> = {
  429: ['TooManyRequests', 'Too many requests, please try again later.'],
  500: ['InternalError', 'Internal error occurred: injected fault'],
  503: ['ServiceUnavailable', 'The server is currently unable to handle the request'],
  504: ['Timeout', 'The server was unable to return a response in the time allotted, but may still be processing the request'],
};

/**
 * An in-process Kubernetes API server for tests: real REST paths, list/watch semantics, auth and
 * RBAC, with a store the test drives directly and faults it can inject.
 *
 *   const server = await FakeApiServer.start();
 *   server.allow('alice', { verbs: ['get', 'list', 'watch'], resources: ['pods'], namespaces: ['default'] });
 *   const { env } = server.writeKubeconfig({ contexts: [{ name: 'alice', user: server.tokenUser('alice') }] });
 *   server.create(pod({ name: 'web-1' }));
 */
export class FakeApiServer {
  readonly store: ObjectStore;
  readonly tls: boolean;
  readonly pki: Pki | undefined;
  /** Working directory for kubeconfigs, plugin scripts, client certs (and the CA key signing them); removed by close(). */
  readonly dir: string;
  readonly requests: RequestLogEntry[] = [];
  port = 0;
  /** TCP connections accepted since start (across restarts). */
  connectionsAccepted = 0;

  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<WatchStream>();
  private readonly tokens = new TokenRegistry();
  private readonly authorizer = new Authorizer();
  private readonly faults: FaultRule[] = [];
  private readonly secret = randomBytes(16).toString('hex');
  private readonly unsubscribe: () => void;
  private fileCounter = 0;

  private constructor(private readonly opts: FakeApiServerOptions) {
    this.tls = opts.tls ?? true;
    this.pki = this.tls ? (opts.pki ?? sharedPki()) : undefined;
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-kube-'));
    this.store = new ObjectStore(opts.historySize ?? 1000);
    for (const name of SEED_NAMESPACES) this.store.create(namespace(name));
    this.unsubscribe = this.store.subscribe((storage, ev) => this.fanOut(storage, ev));
  }

  static async start(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const server = new FakeApiServer(opts);
    await server.listen(opts.port ?? 0);
    return server;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  get caPem(): string | undefined {
    return this.pki?.caPem;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  create<T extends KubeObject>(obj: T): T {
    return this.store.create(obj);
  }

  update<T extends KubeObject>(obj: T): T {
    return this.store.update(obj);
  }

  patch<T extends KubeObject = KubeObject>(kind: string, namespace: string | undefined, name: string, mutate: (obj: T) => void): T {
    return this.store.patch(kind, namespace, name, mutate);
  }

  delete(kind: string, namespace: string | undefined, name: string, opts?: DeleteOptions): KubeObject {
    return this.store.delete(kind, namespace, name, opts);
  }

  finalizeDelete(kind: string, namespace: string | undefined, name: string): KubeObject {
    return this.store.finalizeDelete(kind, namespace, name);
  }

  /** A mutable copy of the stored object. */
  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.store.get(kind, namespace, name);
    return obj && clone(obj);
  }

  /** Mutable copies of the stored objects of a kind, optionally in one namespace, in key order. */
  list(kind: string, namespace?: string): KubeObject[] {
    const rt = resolveResource(kind);
    return this.store
      .current(rt.storage)
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .map(clone);
  }

  /** The current global resourceVersion (etcd revision). */
  get resourceVersion(): number {
    return this.store.resourceVersion;
  }

  compact(): void {
    this.store.compact();
  }

  addToken(token: string, user: string, opts: { groups?: string[]; expiresAt?: number } = {}): void {
    this.tokens.add(token, { name: user, groups: opts.groups ?? [] }, opts.expiresAt);
  }

  revokeToken(token: string): void {
    this.tokens.revoke(token);
  }

  /** Revokes every token issued to `user`, including those minted for exec plugins. */
  revokeTokensOf(user: string): void {
    this.tokens.revokeUser(user);
  }

  allow(user: string, ...rules: RbacRule[]): void {
    this.authorizer.allowUser(user, rules);
  }

  allowGroup(group: string, ...rules: RbacRule[]): void {
    this.authorizer.allowGroup(group, rules);
  }

  /** Registers a bearer token for `user` and returns it as a kubeconfig user entry. */
  tokenUser(user: string, opts: { groups?: string[]; ttlMs?: number; token?: string; entryName?: string } = {}): TokenUser {
    const token = opts.token ?? `hopscope-${randomBytes(16).toString('hex')}`;
    this.addToken(token, user, { groups: opts.groups, expiresAt: opts.ttlMs === undefined ? undefined : Date.now() + opts.ttlMs });
    return { kind: 'token', name: opts.entryName ?? `${user}-token`, token };
  }

  mintClientCert(user: string, groups: string[] = []): ClientCertificate {
    if (!this.pki) throw new Error('fake api server: client certificates need tls');
    return this.pki.mintClientCert(this.dir, user, groups);
  }

  certUser(user: string, opts: { groups?: string[]; entryName?: string } = {}): CertUser {
    return { kind: 'clientCertificate', name: opts.entryName ?? `${user}-cert`, ...this.mintClientCert(user, opts.groups) };
  }

  /** An exec credential plugin user whose every run mints a token valid for ttlSeconds (rounded up to a whole second). */
  execUser(user: string, opts: { groups?: string[]; ttlSeconds?: number; entryName?: string } = {}): ExecUser {
    const id = ++this.fileCounter;
    const logFile = path.join(this.dir, `exec-${id}.log`);
    writeFileSync(logFile, '');
    const exec = writeExecPlugin(path.join(this.dir, `exec-plugin-${id}.mjs`), {
      server: this.url,
      caPem: this.caPem,
      secret: this.secret,
      user,
      groups: opts.groups ?? [],
      ttlSeconds: opts.ttlSeconds ?? 60,
      logFile,
    });
    const invocations = () =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ExecInvocation);
    return { kind: 'exec', name: opts.entryName ?? `${user}-exec`, exec, logFile, invocations };
  }

  /** Writes a kubeconfig for this server; `split` writes two files for KUBECONFIG merging. */
  writeKubeconfig(o: { contexts: KubeconfigContext[]; currentContext?: string | null; split?: boolean; file?: string }): WrittenKubeconfig {
    return writeKubeconfig({
      file: o.file ?? path.join(this.dir, `kubeconfig-${++this.fileCounter}.yaml`),
      cluster: { name: 'hopscope-fake', server: this.url, caPem: this.caPem, insecureSkipTlsVerify: this.tls ? undefined : true },
      contexts: o.contexts,
      currentContext: o.currentContext,
      split: o.split,
    });
  }

  injectFault(rule: FaultRule): void {
    this.faults.push({ times: 1, ...rule });
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  openWatches(resource?: string): number {
    return [...this.watches].filter((w) => resource === undefined || w.rt.resource === resource).length;
  }

  /** Keeps every open watch connection open but sends nothing more on it, not even bookmarks. */
  silenceWatches(): void {
    for (const w of this.watches) {
      w.silenced = true;
      w.timers.forEach(clearTimeout);
      w.timers = [];
    }
  }

  /** Ends open watch streams cleanly, as the API server does when a watch's timeout elapses. */
  closeWatches(resource?: string): void {
    for (const w of this.watches) if (resource === undefined || w.rt.resource === resource) this.endWatch(w);
  }

  /**
   * Stops listening and cuts every connection, keeping all state. Abrupt by default (sockets
   * destroyed mid-stream, as a crash or network loss); `graceful` first ends watch streams cleanly.
   */
  async stop(opts: { graceful?: boolean } = {}): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if (opts.graceful) {
      const flushed = [...this.watches].map((w) => new Promise<void>((resolve) => this.endWatch(w, resolve)));
      await Promise.all(flushed);
    }
    for (const socket of this.sockets) socket.destroy();
    for (const w of this.watches) w.timers.forEach(clearTimeout);
    this.watches.clear();
    await closed;
  }

  /** Listens again on the same port with the same state. */
  async restart(opts: { graceful?: boolean } = {}): Promise<void> {
    await this.stop(opts);
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.stop();
    this.unsubscribe();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async listen(port: number): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      try {
        this.handle(req, res);
      } catch (err) {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify(failure(500, 'InternalError', `fake api server: ${String(err)}`)));
        else res.destroy();
      }
    };
    const server = this.pki
      ? https.createServer({ key: this.pki.serverKeyPem, cert: this.pki.serverCertPem, ca: this.pki.caPem, requestCert: true, rejectUnauthorized: false }, handler)
      : http.createServer(handler);
    server.on('connection', (socket: Socket) => {
      this.connectionsAccepted++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const watch = query.watch === 'true' || query.watch === '1';
    const entry: RequestLogEntry = { method: req.method ?? 'GET', path: pathname, query, status: 0, watch, at: Date.now() };
    this.requests.push(entry);
    const reply: Reply = (code, body, headers = {}) => {
      const data = body instanceof RawJson ? body.text : typeof body === 'string' ? body : JSON.stringify(body);
      entry.status = code;
      entry.bytes = Buffer.byteLength(data);
      entry.ms = performance.now() - started;
      res.writeHead(code, {
        'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
        'Cache-Control': 'no-cache, private',
        'Audit-Id': randomUUID(),
        'Content-Length': String(entry.bytes),
        ...headers,
      });
      res.end(data);
    };

    if (pathname === '/_hopscope/tokens') return this.tokenEndpoint(req, entry, reply);

    const identity = this.authenticate(req);
    if (!identity) return reply(401, unauthorized());
    entry.user = identity.name;

    const fault = this.faults.find((f) => (f.path === undefined || f.path.test(pathname)) && (f.watch === undefined || f.watch === watch));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      const [reason, message] = FAULT_REASONS[fault.code] ?? ['InternalError', 'injected fault'];
      const details = fault.retryAfterSeconds === undefined ? undefined : { retryAfterSeconds: fault.retryAfterSeconds };
      const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) };
      return reply(fault.code, failure(fault.code, fault.reason ?? reason, fault.message ?? message, details), headers);
    }

    if (req.method !== 'GET') return reply(405, methodNotAllowed());
    if (pathname === '/version') return reply(200, VERSION_INFO);
    if (pathname === '/healthz' || pathname === '/livez' || pathname === '/readyz') return reply(200, 'ok');

    const seg = pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (seg[0] === 'api') {
      if (seg.length === 1) return reply(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.port}` }] });
      if (seg[1] !== 'v1') return reply(404, notFoundPath());
      return this.routeGroupVersion({ identity, query, watch, res, entry, reply }, '', 'v1', seg.slice(2));
    }
    if (seg[0] === 'apis') {
      const groups = apiGroups();
      if (seg.length === 1) return reply(200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
      const group = groups.find((g) => g.name === seg[1]);
      if (!group) return reply(404, notFoundPath());
      if (seg.length === 2) return reply(200, { kind: 'APIGroup', apiVersion: 'v1', ...group });
      if (!group.versions.some((v) => v.version === seg[2])) return reply(404, notFoundPath());
      return this.routeGroupVersion({ identity, query, watch, res, entry, reply }, seg[1], seg[2], seg.slice(3));
    }
    return reply(404, notFoundPath());
  }

  private routeGroupVersion(request: Request, group: string, version: string, rest: string[]): void {
    const { identity, query, watch, reply } = request;
    if (rest.length === 0) return reply(200, resourceList(group, version));
    const scoped = rest[0] === 'namespaces' && rest.length >= 3;
    const namespace = scoped ? rest[1] : undefined;
    const [resource, name, ...sub] = scoped ? rest.slice(2) : rest;
    const rt = findResource(group, version, resource);
    if (!rt || sub.length > 0 || (namespace !== undefined && !rt.namespaced) || (namespace === undefined && name !== undefined && rt.namespaced)) {
      return reply(404, notFoundPath());
    }
    const verb: Verb = watch ? 'watch' : name !== undefined ? 'get' : 'list';
    const denied = this.authorizer.check(identity, { verb, rt, namespace, name: watch ? undefined : name });
    if (denied) return reply(denied.code, denied);

    if (verb === 'get') {
      const obj = this.store.find(rt.storage, objectKey(namespace, name!));
      return obj ? reply(200, new RawJson(objectJson(rt, obj))) : reply(404, notFoundObject(rt, name!));
    }

    let filter: Matcher;
    try {
      const labels = parseLabelSelector(query.labelSelector);
      const fieldSelector = name !== undefined ? [query.fieldSelector, `metadata.name=${name}`].filter(Boolean).join(',') : query.fieldSelector;
      const fields = parseFieldSelector(fieldSelector, rt);
      filter = (obj) => {
        const v = view(rt, obj);
        return (namespace === undefined || obj.metadata.namespace === namespace) && labels(v) && fields(v);
      };
    } catch (err) {
      if (err instanceof SelectorError) return reply(400, badRequest(err.message));
      throw err;
    }
    if (watch) return this.serveWatch(request, rt, filter);
    return this.serveList(request, rt, filter, Boolean(query.labelSelector || query.fieldSelector));
  }

  private serveList({ query, reply }: Request, rt: ResourceType, filter: Matcher, selective: boolean): void {
    const current = this.store.resourceVersion;
    const limit = query.limit ? Number(query.limit) : 0;
    if (!Number.isInteger(limit) || limit < 0) return reply(400, badRequest(`limit: Invalid value: "${query.limit}"`));
    let snapshotRv = current;
    let startAfter: string | undefined;
    if (query.continue) {
      const token = decodeContinue(query.continue);
      if (!token) return reply(400, badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)'));
      if (query.resourceVersion) return reply(400, badRequest('specifying resource version is not allowed when using continue'));
      startAfter = token.start;
      snapshotRv = token.rv === -1 ? current : token.rv;
    } else if (query.resourceVersion) {
      const requested = parseRv(query.resourceVersion);
      if (requested === undefined) return reply(400, badRequest(`resourceVersion: Invalid value: "${query.resourceVersion}": must be a non-negative integer`));
      if (requested > current) return reply(504, tooLargeResourceVersion(requested, current));
      // Only Exact asks for that revision; unset/NotOlderThan (and "0") are served from the latest state.
      if (query.resourceVersionMatch === 'Exact') snapshotRv = requested;
    }
    const snapshot = this.store.snapshot(rt.storage, snapshotRv);
    if (!snapshot) return reply(410, startAfter !== undefined ? expiredContinue(inconsistentContinue(startAfter)) : expiredListResourceVersion());
    let matching = snapshot.filter(filter);
    if (startAfter !== undefined) matching = matching.filter((o) => keyOf(o) > startAfter);
    const page = limit > 0 ? matching.slice(0, limit) : matching;
    const remaining = matching.length - page.length;
    const metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number } = { resourceVersion: String(snapshotRv) };
    if (remaining > 0) {
      metadata.continue = encodeContinue(snapshotRv, keyOf(page[page.length - 1]));
      // The real server only knows the remaining count when no selector filters the range.
      if (!selective) metadata.remainingItemCount = remaining;
    }
    const head = JSON.stringify({ kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata }).slice(0, -1);
    reply(200, new RawJson(`${head},"items":[${page.map((o) => itemJson(rt, o)).join(',')}]}`));
  }

  private serveWatch({ query, res, entry, reply }: Request, rt: ResourceType, filter: Matcher): void {
    const requested = query.resourceVersion;
    let backlog: WatchEvent[];
    let fatal: Status | undefined;
    if (!requested || requested === '0') {
      // "Get state and start at most recent": synthetic ADDED events for everything that exists.
      backlog = this.store.current(rt.storage).filter(filter).map((object) => ({ type: 'ADDED', object }));
    } else {
      const rv = parseRv(requested);
      if (rv === undefined) return reply(400, badRequest(`resourceVersion: Invalid value: "${requested}": must be a non-negative integer`));
      const events = rv > this.store.resourceVersion ? undefined : this.store.eventsSince(rt.storage, rv);
      if (rv > this.store.resourceVersion) fatal = tooLargeResourceVersion(rv, this.store.resourceVersion);
      else if (!events) fatal = tooOldResourceVersion(rv, this.store.compactedRevision(rt.storage));
      backlog = (events ?? []).map((ev) => transition(ev, filter)).filter((ev) => ev !== undefined);
    }

    entry.status = 200;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Audit-Id': randomUUID() });
    res.flushHeaders();
    if (fatal) {
      // A real API server answers 200 and reports an expired or too-new RV as an ERROR event, then ends.
      res.end(`${JSON.stringify({ type: 'ERROR', object: fatal })}\n`);
      return;
    }

    const stream: WatchStream = { rt, res, filter, silenced: false, timers: [] };
    this.watches.add(stream);
    res.on('close', () => {
      stream.timers.forEach(clearTimeout);
      this.watches.delete(stream);
    });
    for (const ev of backlog) this.send(stream, ev.type, objectJson(rt, ev.object));

    if (query.allowWatchBookmarks === 'true' || query.allowWatchBookmarks === '1') {
      const interval = this.opts.bookmarkIntervalMs ?? 1000;
      const bookmark = () => {
        this.send(stream, 'BOOKMARK', JSON.stringify({ apiVersion: apiVersionOf(rt), kind: rt.kind, metadata: { resourceVersion: String(this.store.resourceVersion) } }));
        stream.timers[0] = setTimeout(bookmark, interval);
      };
      stream.timers[0] = setTimeout(bookmark, interval);
    }
    const timeoutSeconds = query.timeoutSeconds ? Number(query.timeoutSeconds) : this.opts.watchTimeoutSeconds;
    if (timeoutSeconds !== undefined && timeoutSeconds > 0) stream.timers.push(setTimeout(() => this.endWatch(stream), timeoutSeconds * 1000));
  }

  /** Ends a stream with the terminating chunk; it stops counting as open at once, not when the socket closes. */
  private endWatch(stream: WatchStream, flushed?: () => void): void {
    stream.timers.forEach(clearTimeout);
    this.watches.delete(stream);
    if (stream.res.writableEnded) flushed?.();
    else stream.res.end(flushed);
  }

  private send(stream: WatchStream, type: string, objectJson: string): void {
    if (stream.silenced || stream.res.writableEnded || stream.res.destroyed) return;
    stream.res.write(`{"type":"${type}","object":${objectJson}}\n`);
  }

  private fanOut(storage: string, ev: StoredEvent): void {
    for (const stream of this.watches) {
      if (stream.rt.storage !== storage) continue;
      const out = transition(ev, stream.filter);
      if (out) this.send(stream, out.type, objectJson(stream.rt, out.object));
    }
  }

  private authenticate(req: http.IncomingMessage): Identity | undefined {
    const socket = req.socket as TLSSocket;
    let identity: Identity | undefined;
    if (this.tls && socket.authorized) identity = identityFromCertificate(socket.getPeerCertificate());
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!identity && bearer) {
      const found = this.tokens.lookup(bearer[1]);
      if (found && 'identity' in found) identity = found.identity;
    }
    return identity && { name: identity.name, groups: [...identity.groups, 'system:authenticated'] };
  }

  /** Test-only: mints a token for the exec credential plugin, guarded by this server's secret. */
  private tokenEndpoint(req: http.IncomingMessage, entry: RequestLogEntry, reply: Reply): void {
    if (req.method !== 'POST' || req.headers['x-hopscope-test-secret'] !== this.secret) return reply(403, failure(403, 'Forbidden', 'test token endpoint'));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { user: string; groups: string[]; ttlSeconds: number };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, badRequest('expected {user, groups, ttlSeconds}'));
      }
      const { user, groups, ttlSeconds } = body;
      const token = `hopscope-exec-${randomBytes(16).toString('hex')}`;
      // Whole seconds, like a real RFC 3339 expirationTimestamp; rounded up so the token never lives shorter than asked.
      const expiresAt = Math.ceil((Date.now() + ttlSeconds * 1000) / 1000) * 1000;
      this.tokens.add(token, { name: user, groups }, expiresAt);
      entry.user = user;
      reply(200, { token, expirationTimestamp: new Date(expiresAt).toISOString().replace('.000Z', 'Z') });
    });
  }
}

function inconsistentContinue(startAfter: string): string {
  return encodeContinue(-1, startAfter.endsWith('\u0000') ? startAfter.slice(0, -1) : startAfter);
}

function apiGroups(): Array<{ name: string; versions: Array<{ groupVersion: string; version: string }>; preferredVersion: { groupVersion: string; version: string } }> {
  const names = [...new Set(RESOURCE_TYPES.filter((rt) => rt.group).map((rt) => rt.group))];
  return names.map((name) => {
    const versions = [...new Set(RESOURCE_TYPES.filter((rt) => rt.group === name).map((rt) => rt.version))].map((version) => ({ groupVersion: `${name}/${version}`, version }));
    return { name, versions, preferredVersion: versions[0] };
  });
}

function resourceList(group: string, version: string): unknown {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources: RESOURCE_TYPES.filter((rt) => rt.group === group && rt.version === version).map((rt) => ({
      name: rt.resource,
      singularName: rt.singular,
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: ['get', 'list', 'watch'],
      shortNames: rt.shortNames,
      storageVersionHash: rt.storageVersionHash,
    })),
  };
}
