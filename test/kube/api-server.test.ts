import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ApiException,
  ApisApi,
  AppsV1Api,
  BatchV1Api,
  CoreApi,
  CoreV1Api,
  DiscoveryV1Api,
  EventsV1Api,
  KubeConfig,
  KubernetesObjectApi,
  ListWatch,
  makeInformer,
  VersionApi,
  Watch,
  type Informer,
  type KubernetesObject,
  type ObjectCache,
  type V1Pod,
} from '@kubernetes/client-node';
import {
  cronJob,
  daemonSet,
  deploymentWithPods,
  endpointSlice,
  event,
  FakeApiServer,
  job,
  node,
  pod,
  podsFor,
  service,
  statefulSet,
  type KubeObject,
} from './api-server';
import { kubeConfig, rawGet } from './client';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

let server: FakeApiServer;
beforeAll(async () => {
  server = await FakeApiServer.start({ bookmarkIntervalMs: 100 });
  server.allow('admin', { verbs: ['get', 'list', 'watch'], resources: ['*'] });
});
afterAll(() => server?.close());

async function startServer(opts: Parameters<typeof FakeApiServer.start>[0] = {}): Promise<FakeApiServer> {
  const s = await FakeApiServer.start(opts);
  s.allow('admin', { verbs: ['get', 'list', 'watch'], resources: ['*'] });
  cleanups.push(() => s.close());
  return s;
}

const adminConfig = (s: FakeApiServer) => kubeConfig(s, s.tokenUser('admin'));

interface Recorded {
  type: string;
  object: KubeObject;
}

/** A client-node Watch that records events and how it ended. */
async function watchEvents(kc: KubeConfig, path: string, query: Record<string, string | number | boolean | undefined>) {
  const events: Recorded[] = [];
  const ended: { err?: unknown; done: boolean } = { done: false };
  const controller = await new Watch(kc).watch(
    path,
    query,
    (type, object) => events.push({ type, object }),
    (err) => {
      ended.err = err;
      ended.done = true;
    },
  );
  cleanups.push(() => controller.abort());
  return { events, ended, controller, names: (type?: string) => events.filter((e) => !type || e.type === type).map((e) => e.object.metadata.name) };
}

function informerOn<T extends KubernetesObject>(informer: Informer<T> & ObjectCache<T>) {
  const seen = { add: [] as string[], update: [] as T[], delete: [] as T[], connect: 0, errors: [] as unknown[] };
  informer.on('add', (o) => seen.add.push(o.metadata!.name!));
  informer.on('update', (o) => seen.update.push(o));
  informer.on('delete', (o) => seen.delete.push(o));
  informer.on('connect', () => seen.connect++);
  informer.on('error', (err) => seen.errors.push(err));
  cleanups.push(() => informer.stop());
  return seen;
}

async function apiError(promise: Promise<unknown>): Promise<ApiException<string>> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiException);
  return err as ApiException<string>;
}

function seedCluster(s: FakeApiServer, ns: string) {
  const nodes = ['node-1', 'node-2'].map((name) => s.create(node({ name })));
  const web = deploymentWithPods({ name: 'web', namespace: ns, replicas: 2, nodeNames: ['node-1', 'node-2'] });
  const dep = s.create(web.deployment);
  const rs = s.create(web.replicaSet);
  const pods = web.pods.map((p) => s.create(p));
  const dbSet = s.create(statefulSet({ name: 'db', namespace: ns, replicas: 1 }));
  const dbPods = podsFor(dbSet, 1).map((p) => s.create(p));
  const agent = s.create(daemonSet({ name: 'agent', namespace: ns, nodeCount: 2 }));
  const cron = s.create(cronJob({ name: 'backup', namespace: ns }));
  const backup = s.create(job({ cronJob: cron, scheduledAt: new Date('2025-06-01T03:00:00Z') }));
  const svc = s.create(service({ name: 'web', namespace: ns, selector: { app: 'web' } }));
  const slice = s.create(endpointSlice({ service: svc, endpoints: pods.map((p) => ({ pod: p })) }));
  const ev = s.create(event({ involved: pods[0], type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container app', count: 3 }));
  return { nodes, dep, rs, pods, dbSet, dbPods, agent, cron, backup, svc, slice, ev };
}

describe('typed clients over HTTPS', () => {
  let c: ReturnType<typeof seedCluster>;
  beforeAll(() => {
    c = seedCluster(server, 'shop');
  });

  it.each([
    ['a token user', () => server.tokenUser('admin')],
    ['a client-certificate user', () => server.certUser('admin')],
  ])('lists and gets every resource type as %s', async (_, user) => {
    const kc = kubeConfig(server, user());
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    const events = kc.makeApiClient(EventsV1Api);
    const namespace = 'shop';
    type Named = { metadata?: { name?: string } };
    type List = { kind?: string; apiVersion?: string; items: Named[] };
    const cases: Array<[string, KubeObject, () => Promise<List>, () => Promise<List>, (name: string) => Promise<Named>]> = [
      ['PodList', c.pods[0], () => core.listNamespacedPod({ namespace }), () => core.listPodForAllNamespaces(), (name) => core.readNamespacedPod({ name, namespace })],
      ['NodeList', c.nodes[0], () => core.listNode(), () => core.listNode(), (name) => core.readNode({ name })],
      ['ServiceList', c.svc, () => core.listNamespacedService({ namespace }), () => core.listServiceForAllNamespaces(), (name) => core.readNamespacedService({ name, namespace })],
      ['EventList', c.ev, () => core.listNamespacedEvent({ namespace }), () => core.listEventForAllNamespaces(), (name) => core.readNamespacedEvent({ name, namespace })],
      ['DeploymentList', c.dep, () => apps.listNamespacedDeployment({ namespace }), () => apps.listDeploymentForAllNamespaces(), (name) => apps.readNamespacedDeployment({ name, namespace })],
      ['ReplicaSetList', c.rs, () => apps.listNamespacedReplicaSet({ namespace }), () => apps.listReplicaSetForAllNamespaces(), (name) => apps.readNamespacedReplicaSet({ name, namespace })],
      ['StatefulSetList', c.dbSet, () => apps.listNamespacedStatefulSet({ namespace }), () => apps.listStatefulSetForAllNamespaces(), (name) => apps.readNamespacedStatefulSet({ name, namespace })],
      ['DaemonSetList', c.agent, () => apps.listNamespacedDaemonSet({ namespace }), () => apps.listDaemonSetForAllNamespaces(), (name) => apps.readNamespacedDaemonSet({ name, namespace })],
      ['JobList', c.backup, () => batch.listNamespacedJob({ namespace }), () => batch.listJobForAllNamespaces(), (name) => batch.readNamespacedJob({ name, namespace })],
      ['CronJobList', c.cron, () => batch.listNamespacedCronJob({ namespace }), () => batch.listCronJobForAllNamespaces(), (name) => batch.readNamespacedCronJob({ name, namespace })],
      ['EndpointSliceList', c.slice, () => discovery.listNamespacedEndpointSlice({ namespace }), () => discovery.listEndpointSliceForAllNamespaces(), (name) => discovery.readNamespacedEndpointSlice({ name, namespace })],
      ['EventList', c.ev, () => events.listNamespacedEvent({ namespace }), () => events.listEventForAllNamespaces(), (name) => events.readNamespacedEvent({ name, namespace })],
    ];
    for (const [listKind, obj, list, listAll, read] of cases) {
      const name = obj.metadata.name;
      const inNamespace = await list();
      expect(inNamespace.kind).toBe(listKind);
      expect(inNamespace.items.map((i) => i.metadata?.name)).toContain(name);
      expect((await listAll()).items.map((i) => i.metadata?.name)).toContain(name);
      expect((await read(name)).metadata?.name).toBe(name);
    }
    expect(server.requests.at(-1)).toMatchObject({ user: 'admin', status: 200 });

    const p = await core.readNamespacedPod({ name: c.pods[0].metadata.name, namespace });
    expect(p.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(p.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: c.rs.metadata.name, controller: true, blockOwnerDeletion: true });
    expect(p.metadata?.managedFields?.map((m) => m.manager)).toEqual(['kube-controller-manager', 'kubelet']);
    expect(p.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
    expect(p.status?.containerStatuses?.[0].containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(p.spec?.containers[0].readinessProbe?.httpGet?.path).toBe('/healthz');

    const rs = await apps.readNamespacedReplicaSet({ name: c.rs.metadata.name, namespace });
    expect(rs.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', uid: c.dep.metadata.uid });
    const backup = await batch.readNamespacedJob({ name: c.backup.metadata.name, namespace });
    expect(backup.metadata?.name).toBe(`backup-${Date.parse('2025-06-01T03:00:00Z') / 60_000}`);
    expect(backup.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'backup' });
    const slice = await discovery.readNamespacedEndpointSlice({ name: c.slice.metadata.name, namespace });
    expect(slice.metadata?.labels?.['kubernetes.io/service-name']).toBe('web');
    expect(slice.endpoints?.[0]).toMatchObject({ conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', name: c.pods[0].metadata.name } });
    const n = await core.readNode({ name: 'node-1' });
    expect(n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address).toBe(c.pods[0].status?.hostIP);
    const ev = await events.readNamespacedEvent({ name: c.ev.metadata.name, namespace });
    expect(ev).toMatchObject({ reason: 'BackOff', note: 'Back-off restarting failed container app', regarding: { kind: 'Pod', name: c.pods[0].metadata.name }, deprecatedCount: 3 });
    expect((await core.listNamespace()).items.map((i) => i.metadata?.name)).toEqual(expect.arrayContaining(['default', 'kube-system', 'shop']));
  });

  it('opens a new connection per request: client-node builds an undici dispatcher for every call', async () => {
    const core = adminConfig(server).makeApiClient(CoreV1Api);
    const before = server.connectionsAccepted;
    for (let i = 0; i < 3; i++) await core.listNamespacedPod({ namespace: 'default' });
    expect(server.connectionsAccepted - before).toBe(3);
  });

  it('authenticates a client-certificate user by CN and authorizes it by O', async () => {
    server.allowGroup('viewers', { verbs: ['list'], resources: ['pods'], namespaces: ['certs'] });
    server.create(pod({ name: 'cert-pod', namespace: 'certs' }));
    const core = kubeConfig(server, server.certUser('dana', { groups: ['viewers'] })).makeApiClient(CoreV1Api);
    const list = await core.listNamespacedPod({ namespace: 'certs' });
    expect(list.items.map((p) => p.metadata?.name)).toEqual(['cert-pod']);
    expect(server.requests.at(-1)).toMatchObject({ path: '/api/v1/namespaces/certs/pods', user: 'dana', status: 200 });
    const denied = await apiError(core.listNamespacedPod({ namespace: 'default' }));
    expect(denied.code).toBe(403);
  });

  it('serves plain HTTP, which client-node only accepts with insecure-skip-tls-verify', async () => {
    const plain = await startServer({ tls: false });
    plain.create(pod({ name: 'p' }));
    const kc = adminConfig(plain);
    expect(kc.getCurrentCluster()).toMatchObject({ server: plain.url, skipTLSVerify: true });
    expect((await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'default' })).items).toHaveLength(1);
    const strict = new KubeConfig();
    strict.loadFromOptions({ clusters: [{ ...kc.getCurrentCluster()!, skipTLSVerify: false }], users: kc.getUsers(), contexts: kc.getContexts(), currentContext: kc.getCurrentContext() });
    await expect(strict.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'default' })).rejects.toThrow('HTTP protocol is not allowed when skipTLSVerify is not set or false');
  });

  it('answers /version and discovery as client-node expects', async () => {
    const kc = adminConfig(server);
    expect(await kc.makeApiClient(VersionApi).getCode()).toMatchObject({ major: '1', minor: '33', gitVersion: 'v1.33.1', platform: 'linux/amd64' });
    expect((await kc.makeApiClient(CoreApi).getAPIVersions()).versions).toEqual(['v1']);
    const groups = (await kc.makeApiClient(ApisApi).getAPIVersions()).groups.map((g) => g.name);
    expect(groups).toEqual(['apps', 'batch', 'discovery.k8s.io', 'events.k8s.io']);
    const core = await kc.makeApiClient(CoreV1Api).getAPIResources();
    expect(core.resources.find((r) => r.name === 'pods')).toMatchObject({ kind: 'Pod', namespaced: true, verbs: ['get', 'list', 'watch'] });
    // KubernetesObjectApi resolves kind → resource through /apis/{group}/{version} discovery.
    server.create(statefulSet({ name: 'generic', namespace: 'discovery' }));
    const generic = await KubernetesObjectApi.makeApiClient(kc).read({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'generic', namespace: 'discovery' } });
    expect(generic.metadata?.name).toBe('generic');
  });

  it('puts apiVersion/kind on objects and watch events but not on list items, as the real wire does', async () => {
    server.create(pod({ name: 'wire', namespace: 'wire' }));
    const token = server.tokenUser('admin').token;
    const res = await rawGet(server, '/api/v1/namespaces/wire/pods', { authorization: `Bearer ${token}` });
    expect(res.headers['content-type']).toBe('application/json');
    const list = JSON.parse(res.body);
    expect(Object.keys(list)).toEqual(['kind', 'apiVersion', 'metadata', 'items']);
    expect(list).toMatchObject({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(server.resourceVersion) } });
    expect(list.items[0].kind).toBeUndefined();
    expect(list.items[0].apiVersion).toBeUndefined();
    expect(typeof list.items[0].metadata.resourceVersion).toBe('string');
    expect(list.items[0].metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(list.items[0].metadata.managedFields[1]).toMatchObject({ manager: 'kubelet', operation: 'Update', fieldsType: 'FieldsV1', subresource: 'status' });
    const w = await watchEvents(adminConfig(server), '/api/v1/namespaces/wire/pods', {});
    await vi.waitFor(() => expect(w.events).toHaveLength(1));
    expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'wire' } } });
    expect(typeof w.events[0].object.metadata.creationTimestamp).toBe('string');
  });
});

describe('list semantics', () => {
  it('pages with limit/continue over a consistent snapshot and expires old continue tokens', async () => {
    const s = await startServer();
    for (let i = 0; i < 25; i++) s.create(pod({ name: `p-${String(i).padStart(2, '0')}`, namespace: 'paging' }));
    const core = adminConfig(s).makeApiClient(CoreV1Api);
    const first = await core.listNamespacedPod({ namespace: 'paging', limit: 10 });
    expect(first.items.map((p) => p.metadata?.name)).toEqual(Array.from({ length: 10 }, (_, i) => `p-${String(i).padStart(2, '0')}`));
    expect(first.metadata?.remainingItemCount).toBe(15);
    const token = JSON.parse(Buffer.from(first.metadata!._continue!, 'base64url').toString());
    expect(token).toEqual({ v: 'meta.k8s.io/v1', rv: Number(first.metadata?.resourceVersion), start: 'paging/p-09\u0000' });

    // Changes after the first page are not visible in later pages: they come from the same revision.
    s.create(pod({ name: 'p-99', namespace: 'paging' }));
    s.delete('Pod', 'paging', 'p-20', { graceSeconds: 0 });
    const second = await core.listNamespacedPod({ namespace: 'paging', limit: 10, _continue: first.metadata?._continue });
    const third = await core.listNamespacedPod({ namespace: 'paging', limit: 10, _continue: second.metadata?._continue });
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect(third.items.map((p) => p.metadata?.name)).toEqual(['p-20', 'p-21', 'p-22', 'p-23', 'p-24']);
    expect(third.metadata?._continue).toBeUndefined();
    expect(third.metadata?.remainingItemCount).toBeUndefined();

    s.compact();
    const expired = await apiError(core.listNamespacedPod({ namespace: 'paging', limit: 10, _continue: second.metadata?._continue }));
    expect(expired.code).toBe(410);
    const status = JSON.parse(expired.body);
    expect(status).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
    expect(status.message).toMatch(/^The provided continue parameter is too old to display a consistent list result\./);
    const fresh = await core.listNamespacedPod({ namespace: 'paging', limit: 10, _continue: status.metadata.continue });
    // The inconsistent token continues after p-19 in the latest state, where p-20 is gone.
    expect(fresh.items.map((p) => p.metadata?.name)).toEqual(['p-21', 'p-22', 'p-23', 'p-24', 'p-99']);

    const exact = await apiError(core.listNamespacedPod({ namespace: 'paging', resourceVersion: first.metadata?.resourceVersion, resourceVersionMatch: 'Exact' }));
    expect(JSON.parse(exact.body)).toMatchObject({ reason: 'Expired', code: 410, message: 'The resourceVersion for the provided list is too old.' });
    // Without resourceVersionMatch an old RV means "not older than": served from the latest state, as a real apiserver does.
    expect((await core.listNamespacedPod({ namespace: 'paging', resourceVersion: '1' })).items).toHaveLength(25);
  });

  it('filters by label and field selectors', async () => {
    const ns = 'selectors';
    server.create(pod({ name: 'a', namespace: ns, labels: { app: 'web', tier: 'frontend' }, nodeName: 'node-1' }));
    server.create(pod({ name: 'b', namespace: ns, labels: { app: 'web', tier: 'backend' }, nodeName: 'node-2' }));
    server.create(pod({ name: 'c', namespace: ns, labels: { app: 'db' }, nodeName: 'node-2', phase: 'Succeeded' }));
    const core = adminConfig(server).makeApiClient(CoreV1Api);
    const names = async (q: { labelSelector?: string; fieldSelector?: string }) => (await core.listNamespacedPod({ namespace: ns, ...q })).items.map((p) => p.metadata?.name);
    expect(await names({ labelSelector: 'app=web' })).toEqual(['a', 'b']);
    expect(await names({ labelSelector: 'app==web,tier!=frontend' })).toEqual(['b']);
    expect(await names({ labelSelector: 'tier in (frontend, backend)' })).toEqual(['a', 'b']);
    expect(await names({ labelSelector: 'tier notin (frontend)' })).toEqual(['b', 'c']);
    expect(await names({ labelSelector: '!tier' })).toEqual(['c']);
    expect(await names({ fieldSelector: 'spec.nodeName=node-2' })).toEqual(['b', 'c']);
    expect(await names({ fieldSelector: 'spec.nodeName=node-2,status.phase!=Succeeded' })).toEqual(['b']);
    expect(await names({ fieldSelector: 'metadata.name=a' })).toEqual(['a']);
    const all = await core.listPodForAllNamespaces({ fieldSelector: `metadata.namespace=${ns}`, labelSelector: 'app', limit: 1 });
    expect(all.items).toHaveLength(1);
    expect(all.metadata?.remainingItemCount).toBeUndefined();
    const bad = await apiError(core.listNamespacedPod({ namespace: ns, fieldSelector: 'spec.hostname=x' }));
    expect(JSON.parse(bad.body)).toMatchObject({ code: 400, reason: 'BadRequest', message: 'field label not supported: spec.hostname' });
  });
});

describe('watch semantics', () => {
  it('replays from a resourceVersion, then streams live events including graceful deletion', async () => {
    const ns = 'replay';
    const a = server.create(pod({ name: 'a', namespace: ns }));
    const from = a.metadata.resourceVersion!;
    server.create(pod({ name: 'b', namespace: ns }));
    server.patch('Pod', ns, 'a', (p) => (p.metadata.labels = { ...p.metadata.labels, release: 'canary' }));
    const w = await watchEvents(adminConfig(server), `/api/v1/namespaces/${ns}/pods`, { resourceVersion: from });
    await vi.waitFor(() => expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b', 'MODIFIED a']));

    server.delete('Pod', ns, 'b', { graceSeconds: 30 });
    await vi.waitFor(() => expect(w.events).toHaveLength(3));
    const terminating = w.events[2];
    expect(terminating.type).toBe('MODIFIED');
    expect(terminating.object.metadata).toMatchObject({ deletionGracePeriodSeconds: 30, deletionTimestamp: expect.stringMatching(/Z$/) });
    server.finalizeDelete('Pod', ns, 'b');
    await vi.waitFor(() => expect(w.events).toHaveLength(4));
    expect(w.events[3]).toMatchObject({ type: 'DELETED', object: { kind: 'Pod', metadata: { name: 'b', resourceVersion: String(server.resourceVersion) } } });
    expect(Number(w.events[3].object.metadata.resourceVersion)).toBeGreaterThan(Number(terminating.object.metadata.resourceVersion));
  });

  it('turns label changes into ADDED/DELETED for a selector watch', async () => {
    const ns = 'transitions';
    server.create(pod({ name: 'x', namespace: ns, labels: { app: 'other' } }));
    const w = await watchEvents(adminConfig(server), `/api/v1/namespaces/${ns}/pods`, { resourceVersion: String(server.resourceVersion), labelSelector: 'app=web' });
    server.patch('Pod', ns, 'x', (p) => (p.metadata.labels = { app: 'web' }));
    server.patch('Pod', ns, 'x', (p) => (p.status!.phase = 'Failed'));
    server.patch('Pod', ns, 'x', (p) => (p.metadata.labels = { app: 'other' }));
    await vi.waitFor(() => expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']));
  });

  it('feeds a client-node informer adds, updates and deletes (graceful: MODIFIED with deletionTimestamp, then DELETED)', async () => {
    const ns = 'informer';
    server.create(pod({ name: 'one', namespace: ns }));
    const kc = adminConfig(server);
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(kc, `/api/v1/namespaces/${ns}/pods`, () => core.listNamespacedPod({ namespace: ns }));
    const seen = informerOn(informer);
    await informer.start();
    expect(seen.add).toEqual(['one']);
    await vi.waitFor(() => expect(server.openWatches('pods')).toBeGreaterThan(0));

    server.create(pod({ name: 'two', namespace: ns }));
    server.patch('Pod', ns, 'one', (p) => (p.status!.phase = 'Failed'));
    server.delete('Pod', ns, 'two', { graceSeconds: 5 });
    await vi.waitFor(() => expect(seen.update.map((p) => p.metadata?.name)).toEqual(['one', 'two']));
    // Watch events reach informer callbacks as raw JSON: timestamps stay strings, unlike the typed list.
    expect(typeof seen.update[1].metadata?.deletionTimestamp).toBe('string');
    expect(seen.update[1].metadata?.deletionGracePeriodSeconds).toBe(5);
    server.finalizeDelete('Pod', ns, 'two');
    await vi.waitFor(() => expect(seen.delete.map((p) => p.metadata?.name)).toEqual(['two']));
    expect(informer.list(ns).map((p) => p.metadata?.name)).toEqual(['one']);
    expect((informer as ListWatch<V1Pod>).latestResourceVersion()).toBe(String(server.resourceVersion));
    expect(seen.errors).toEqual([]);
    // stop() aborts the watch request, and ListWatch reports that abort through its error callbacks.
    await informer.stop();
    await vi.waitFor(() => expect(seen.errors).toMatchObject([{ name: 'AbortError' }]));
  });

  it('sends BOOKMARKs only when asked; client-node informers never ask', async () => {
    const ns = 'bookmarks';
    const kc = adminConfig(server);
    const w = await watchEvents(kc, `/api/v1/namespaces/${ns}/pods`, { resourceVersion: String(server.resourceVersion), allowWatchBookmarks: true });
    await vi.waitFor(() => expect(w.events.filter((e) => e.type === 'BOOKMARK').length).toBeGreaterThanOrEqual(2));
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK')!;
    expect(bookmark.object).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });

    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(kc, `/api/v1/namespaces/${ns}/pods`, () => core.listNamespacedPod({ namespace: ns }));
    informerOn(informer);
    await informer.start();
    const informerWatch = server.requests.filter((r) => r.watch && r.path === `/api/v1/namespaces/${ns}/pods` && r.query.allowWatchBookmarks === undefined);
    expect(informerWatch).toHaveLength(1);
    expect(informerWatch[0].query).toEqual({ watch: 'true', resourceVersion: expect.stringMatching(/^\d+$/) });

    // A Watch subclass can opt in; ListWatch then advances its resourceVersion on each BOOKMARK.
    class BookmarkingWatch extends Watch {
      override watch(...[path, query, callback, done]: Parameters<Watch['watch']>) {
        return super.watch(path, { ...query, allowWatchBookmarks: true }, callback, done);
      }
    }
    const bookmarking = new ListWatch<V1Pod>(`/api/v1/namespaces/${ns}/pods`, new BookmarkingWatch(kc), () => core.listNamespacedPod({ namespace: ns }), false);
    informerOn(bookmarking);
    await bookmarking.start();
    const listedAt = Number(bookmarking.latestResourceVersion());
    server.create(service({ name: 'elsewhere', namespace: `${ns}-other` }));
    await vi.waitFor(() => expect(Number(bookmarking.latestResourceVersion())).toBeGreaterThan(listedAt));
  });

  it('ends a watch cleanly after timeoutSeconds, as newline-delimited JSON in a chunked response', async () => {
    server.create(pod({ name: 'chunked', namespace: 'timeout' }));
    const token = server.tokenUser('admin').token;
    const [w, raw] = await Promise.all([
      watchEvents(adminConfig(server), '/api/v1/namespaces/timeout/pods', { resourceVersion: String(server.resourceVersion), timeoutSeconds: 1 }),
      rawGet(server, '/api/v1/namespaces/timeout/pods?watch=1&timeoutSeconds=1', { authorization: `Bearer ${token}` }),
    ]);
    expect(raw.headers).toMatchObject({ 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const lines = raw.body.split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => JSON.parse(l))).toEqual([{ type: 'ADDED', object: expect.objectContaining({ kind: 'Pod', metadata: expect.objectContaining({ name: 'chunked' }) }) }]);
    await vi.waitFor(() => expect(w.ended.done).toBe(true), { timeout: 2500 });
    expect(w.ended.err).toBeNull();
  });

  it('watches cluster-scoped nodes and the events.k8s.io/v1 view of core events', async () => {
    const kc = adminConfig(server);
    const from = String(server.resourceVersion);
    const nodes = await watchEvents(kc, '/api/v1/nodes', { resourceVersion: from });
    const events = await watchEvents(kc, '/apis/events.k8s.io/v1/namespaces/viewed/events', { resourceVersion: from });
    const n = server.create(node({ name: 'node-watched' }));
    server.create(event({ involved: server.create(pod({ name: 'p', namespace: 'viewed' })), reason: 'Scheduled', message: 'Successfully assigned viewed/p to node-1', recorder: 'events.k8s.io' }));
    await vi.waitFor(() => expect(nodes.events).toHaveLength(1));
    expect(nodes.events[0].object.metadata).toMatchObject({ name: 'node-watched', uid: n.metadata.uid });
    expect(nodes.events[0].object.metadata.namespace).toBeUndefined();
    await vi.waitFor(() => expect(events.events).toHaveLength(1));
    expect(events.events[0].object).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      reason: 'Scheduled',
      note: 'Successfully assigned viewed/p to node-1',
      reportingController: 'default-scheduler',
      eventTime: expect.stringMatching(/\.\d{6}Z$/),
      regarding: { kind: 'Pod', name: 'p', namespace: 'viewed' },
    });
  });

  it('answers a watch from a compacted resourceVersion with a 410 ERROR event; the informer relists and recovers', async () => {
    const s = await startServer();
    const ns = 'gone';
    const old = s.create(pod({ name: 'a', namespace: ns }));
    s.create(pod({ name: 'b', namespace: ns }));
    s.compact();
    const kc = adminConfig(s);
    const w = await watchEvents(kc, `/api/v1/namespaces/${ns}/pods`, { resourceVersion: old.metadata.resourceVersion });
    await vi.waitFor(() => expect(w.ended.done).toBe(true));
    expect(w.ended.err).toBeNull();
    expect(w.events).toEqual([
      {
        type: 'ERROR',
        object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${old.metadata.resourceVersion} (${s.resourceVersion})`, reason: 'Expired', code: 410 },
      },
    ]);

    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(kc, `/api/v1/namespaces/${ns}/pods`, () => core.listNamespacedPod({ namespace: ns }));
    const seen = informerOn(informer);
    await informer.start();
    await vi.waitFor(() => expect(s.openWatches('pods')).toBe(1));
    // The informer misses changes (silent stream), history is compacted, then the stream ends as on a server-side timeout.
    s.silenceWatches();
    s.create(pod({ name: 'c', namespace: ns }));
    s.delete('Pod', ns, 'a', { graceSeconds: 0 });
    s.compact();
    s.clearRequests();
    s.closeWatches();
    // client-node 2.0.1 handles this itself: ERROR code 410 clears its resourceVersion, the stream end triggers a relist.
    await vi.waitFor(() => expect(informer.list(ns).map((p) => p.metadata?.name)).toEqual(['b', 'c']));
    expect(seen.delete.map((p) => p.metadata?.name)).toEqual(['a']);
    expect(seen.add).toEqual(['a', 'b', 'c']);
    expect(s.requests.map((r) => `${r.watch ? 'WATCH' : 'LIST'} ${r.status}`).slice(0, 2)).toEqual(['WATCH 200', 'LIST 200']);
    expect(seen.errors).toEqual([]);
  });
});

describe('authentication and authorization', () => {
  it('refuses with the real 403 messages', async () => {
    server.allow('alice', { verbs: ['get', 'list', 'watch'], resources: ['pods'], namespaces: ['default'] });
    const kc = kubeConfig(server, server.tokenUser('alice'));
    const core = kc.makeApiClient(CoreV1Api);
    await core.listNamespacedPod({ namespace: 'default' });

    const namespaced = await apiError(core.listNamespacedPod({ namespace: 'kube-system' }));
    expect(namespaced.code).toBe(403);
    expect(JSON.parse(namespaced.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "kube-system"',
      reason: 'Forbidden',
      details: { kind: 'pods' },
      code: 403,
    });
    const cluster = await apiError(core.listPodForAllNamespaces());
    expect(JSON.parse(cluster.body).message).toBe('pods is forbidden: User "alice" cannot list resource "pods" in API group "" at the cluster scope');
    const named = await apiError(core.readNamespacedPod({ name: 'web-1', namespace: 'kube-system' }));
    expect(JSON.parse(named.body)).toMatchObject({ message: 'pods "web-1" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace "kube-system"', details: { name: 'web-1', kind: 'pods' } });
    const grouped = await apiError(kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: 'default' }));
    expect(JSON.parse(grouped.body)).toMatchObject({ message: 'deployments.apps is forbidden: User "alice" cannot list resource "deployments" in API group "apps" in the namespace "default"', details: { group: 'apps', kind: 'deployments' } });
    // client-node's Watch keeps only the status code and text; the Status body is dropped.
    const w = await watchEvents(kc, '/api/v1/namespaces/kube-system/pods', {});
    expect(w.ended.err).toMatchObject({ statusCode: 403, message: 'Forbidden' });
  });

  it('returns 401 for anonymous requests and expired tokens', async () => {
    expect(await rawGet(server, '/api/v1/namespaces/default/pods')).toMatchObject({ status: 401 });
    const user = server.tokenUser('admin', { ttlMs: 300 });
    const core = kubeConfig(server, user).makeApiClient(CoreV1Api);
    await core.listNamespacedPod({ namespace: 'default' });
    await vi.waitFor(async () => expect((await rawGet(server, '/version', { authorization: `Bearer ${user.token}` })).status).toBe(401));
    const raw = await rawGet(server, '/api/v1/namespaces/default/pods', { authorization: `Bearer ${user.token}` });
    expect(JSON.parse(raw.body)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    const err = await apiError(core.listNamespacedPod({ namespace: 'default' }));
    // The generated client throws 401 without the Status body.
    expect(err.code).toBe(401);
    expect(err.body).toBeUndefined();
  });

  it('runs the exec credential plugin once, caches its token until expirationTimestamp, then runs it again', async () => {
    server.create(pod({ name: 'exec-pod', namespace: 'exec' }));
    server.allow('erin', { verbs: ['list', 'watch'], resources: ['pods'], namespaces: ['exec'] });
    const user = server.execUser('erin', { ttlSeconds: 1 });
    const kc = kubeConfig(server, user);
    expect(kc.getCurrentUser()?.exec).toMatchObject({ apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [expect.stringMatching(/\.mjs$/)], interactiveMode: 'Never' });
    const core = kc.makeApiClient(CoreV1Api);
    expect((await core.listNamespacedPod({ namespace: 'exec' })).items).toHaveLength(1);
    await core.listNamespacedPod({ namespace: 'exec' });
    expect(user.invocations()).toHaveLength(1);
    // client-node does not pass KUBERNETES_EXEC_INFO (client-go does).
    expect(user.invocations()[0].execInfo).toBeNull();
    await vi.waitFor(
      async () => {
        await core.listNamespacedPod({ namespace: 'exec' });
        expect(user.invocations()).toHaveLength(2);
      },
      { timeout: 4000, interval: 100 },
    );
    expect(server.requests.filter((r) => r.path === '/_hopscope/tokens').length).toBeGreaterThanOrEqual(2);

    // A token the server stops accepting before its expirationTimestamp is not refreshed: 401 until expiry.
    const revoked = server.execUser('erin', { ttlSeconds: 60, entryName: 'erin-long' });
    const kc2 = kubeConfig(server, revoked);
    const core2 = kc2.makeApiClient(CoreV1Api);
    await core2.listNamespacedPod({ namespace: 'exec' });
    const tokenRequests = server.requests.filter((r) => r.path === '/_hopscope/tokens').length;
    server.revokeTokensOf('erin');
    expect((await apiError(core2.listNamespacedPod({ namespace: 'exec' }))).code).toBe(401);
    expect(revoked.invocations()).toHaveLength(1);
    expect(server.requests.filter((r) => r.path === '/_hopscope/tokens').length).toBe(tokenRequests);
    // A fresh KubeConfig has a fresh ExecAuth cache, so it runs the plugin again.
    const core3 = kubeConfig(server, revoked).makeApiClient(CoreV1Api);
    expect((await core3.listNamespacedPod({ namespace: 'exec' })).items).toHaveLength(1);
    expect(revoked.invocations()).toHaveLength(2);
  });

  it('writes multi-context kubeconfigs, also split across two KUBECONFIG files', async () => {
    server.allow('bob', { verbs: ['list'], resources: ['services'], namespaces: ['ctx'] });
    server.create(service({ name: 'svc', namespace: 'ctx' }));
    const contexts = [
      { name: 'admin', user: server.tokenUser('admin') },
      { name: 'bob', user: server.certUser('bob'), namespace: 'ctx' },
      { name: 'carol', user: server.execUser('carol') },
    ];
    const { files, env } = server.writeKubeconfig({ contexts, split: true });
    expect(files).toHaveLength(2);
    const previous = process.env.KUBECONFIG;
    cleanups.push(() => (previous === undefined ? delete process.env.KUBECONFIG : (process.env.KUBECONFIG = previous)));
    process.env.KUBECONFIG = env;
    const kc = new KubeConfig();
    kc.loadFromDefault();
    expect(kc.getContexts().map((c) => c.name)).toEqual(['admin', 'bob', 'carol']);
    expect(kc.getCurrentContext()).toBe('admin');
    kc.setCurrentContext('bob');
    expect(kc.getContextObject('bob')?.namespace).toBe('ctx');
    expect((await kc.makeApiClient(CoreV1Api).listNamespacedService({ namespace: 'ctx' })).items).toHaveLength(1);
    expect(server.requests.at(-1)).toMatchObject({ user: 'bob', status: 200 });

    // Unlike kubectl, client-node refuses duplicate names across merged files instead of letting the first file win.
    const other = server.writeKubeconfig({ contexts: [{ name: 'again', user: server.tokenUser('admin') }] });
    process.env.KUBECONFIG = [files[0], other.files[0]].join(path.delimiter);
    expect(() => new KubeConfig().loadFromDefault()).toThrow('Duplicate cluster: hopscope-fake');
  });
});

describe('fault injection', () => {
  it('stop() cuts watches, restart() keeps the port and state, and a watch from the last RV misses nothing', async () => {
    const s = await startServer();
    const ns = 'restart';
    s.create(pod({ name: 'a', namespace: ns }));
    const kc = adminConfig(s);
    const port = s.port;
    const w = await watchEvents(kc, `/api/v1/namespaces/${ns}/pods`, { resourceVersion: '0' });
    await vi.waitFor(() => expect(w.names()).toEqual(['a']));
    const lastRv = w.events.at(-1)!.object.metadata.resourceVersion!;

    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(kc, `/api/v1/namespaces/${ns}/pods`, () => core.listNamespacedPod({ namespace: ns }));
    const seen = informerOn(informer);
    await informer.start();
    await vi.waitFor(() => expect(s.openWatches('pods')).toBe(2));

    await s.stop();
    await vi.waitFor(() => expect(w.ended.done).toBe(true));
    // An abrupt cut surfaces as an undici "terminated" error, not a clean end.
    expect(w.ended.err).toMatchObject({ name: 'TypeError', message: 'terminated' });
    await vi.waitFor(() => expect(seen.errors).toHaveLength(1));

    s.create(pod({ name: 'b', namespace: ns }));
    s.patch('Pod', ns, 'a', (p) => (p.status!.phase = 'Failed'));
    s.delete('Pod', ns, 'a', { graceSeconds: 0 });
    await s.restart();
    expect(s.port).toBe(port);
    const resumed = await watchEvents(kc, `/api/v1/namespaces/${ns}/pods`, { resourceVersion: lastRv });
    await vi.waitFor(() => expect(resumed.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b', 'MODIFIED a', 'DELETED a']));

    // client-node 2.0.1's informer stops for good on a connection error: it only reports it; start() resumes from its last RV without a relist.
    expect(s.openWatches('pods')).toBe(1);
    s.clearRequests();
    await informer.start();
    await vi.waitFor(() => expect(informer.list(ns).map((p) => p.metadata?.name)).toEqual(['b']));
    expect(s.requests.map((r) => (r.watch ? `WATCH rv=${r.query.resourceVersion}` : 'LIST'))).toEqual([`WATCH rv=${lastRv}`]);
  });

  it('graceful stop ends watches cleanly; the informer reconnects at once, fails, and stops', async () => {
    const s = await startServer();
    const kc = adminConfig(s);
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(kc, '/api/v1/namespaces/default/pods', () => core.listNamespacedPod({ namespace: 'default' }));
    const seen = informerOn(informer);
    await informer.start();
    await vi.waitFor(() => expect(s.openWatches()).toBe(1));
    await s.stop({ graceful: true });
    await vi.waitFor(() => expect(seen.errors).toHaveLength(1));
    expect(seen.connect).toBe(2);
    expect(String((seen.errors[0] as Error).cause ?? seen.errors[0])).toMatch(/ECONNREFUSED/);
  });

  it('silenceWatches() holds connections open with no data; client-node notices only via its inactivity timeout', async () => {
    const s = await startServer({ bookmarkIntervalMs: 50 });
    const ns = 'silent';
    const kc = adminConfig(s);
    const w = await watchEvents(kc, `/api/v1/namespaces/${ns}/pods`, { resourceVersion: String(s.resourceVersion), allowWatchBookmarks: true });
    await vi.waitFor(() => expect(w.events.length).toBeGreaterThan(0));
    s.silenceWatches();
    // Let a bookmark already on the wire arrive before counting.
    await new Promise((r) => setTimeout(r, 100));
    const before = w.events.length;
    s.create(pod({ name: 'unseen', namespace: ns }));
    await new Promise((r) => setTimeout(r, 300));
    expect(w.events).toHaveLength(before);
    expect(w.ended.done).toBe(false);
    expect(s.openWatches('pods')).toBe(1);
    w.controller.abort();
    await vi.waitFor(() => expect(s.openWatches('pods')).toBe(0));

    // ListWatch has no silent-watch detection of its own; Watch's inactivity timer (30 s by default) aborts the
    // request with a TimeoutError, and ListWatch then re-watches from its last RV without relisting.
    const watch = new Watch(kc);
    // requestTimeoutMs is private in the typings; the collector would need the same cast to tune it.
    (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = 400;
    const core = kc.makeApiClient(CoreV1Api);
    const informer = new ListWatch<V1Pod>(`/api/v1/namespaces/${ns}/pods`, watch, () => core.listNamespacedPod({ namespace: ns }), false);
    const seen = informerOn(informer);
    await informer.start();
    await vi.waitFor(() => expect(s.openWatches('pods')).toBe(1));
    s.silenceWatches();
    s.create(pod({ name: 'late', namespace: ns }));
    s.clearRequests();
    await vi.waitFor(() => expect(seen.add).toEqual(['unseen', 'late']), { timeout: 3000 });
    expect(s.requests.map((r) => (r.watch ? 'WATCH' : 'LIST'))).toEqual(['WATCH']);
    expect(seen.errors).toEqual([]);
  });

  it('injects status faults such as 429 with Retry-After', async () => {
    server.injectFault({ path: /\/pods$/, code: 429, retryAfterSeconds: 2 });
    const core = adminConfig(server).makeApiClient(CoreV1Api);
    const err = await apiError(core.listNamespacedPod({ namespace: 'default' }));
    expect(err.code).toBe(429);
    expect(err.headers['retry-after']).toBe('2');
    expect(JSON.parse(err.body)).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 2 }, code: 429 });
    await core.listNamespacedPod({ namespace: 'default' });
  });

  it('documents a client-node 2.0.1 race: stop() during the reconnect backoff still opens one more watch', async () => {
    const s = await startServer();
    const kc = adminConfig(s);
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(kc, '/api/v1/namespaces/default/pods', () => core.listNamespacedPod({ namespace: 'default' }));
    const seen = informerOn(informer);
    await informer.start();
    await vi.waitFor(() => expect(s.openWatches()).toBe(1));
    s.closeWatches();
    await vi.waitFor(() => expect(s.openWatches()).toBe(1));
    // A second clean close with no event in between makes ListWatch wait BASE_RECONNECT_DELAY_MS (1 s); 'connect' fires before that wait.
    s.closeWatches();
    await vi.waitFor(() => expect(seen.connect).toBe(3));
    await informer.stop();
    expect(s.openWatches()).toBe(0);
    await vi.waitFor(() => expect(s.openWatches()).toBe(1), { timeout: 3000 });
  });
});
