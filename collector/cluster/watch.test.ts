import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLUSTER_KINDS, type ClusterKind, type PodState } from '../../common/cluster';
import { deploymentWithPods, endpointSlice, event, FakeApiServer, node, pod, service, type KubeconfigUser } from '../../test/kube/api-server';
import type { ClusterChange, ObjectChange } from '../store';
import { ClusterAccess } from './access';
import { loadKubeconfig } from './kubeconfig';
import { ClusterWatcher, listOnce, type ClusterWatcherOptions } from './watch';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Short intervals so that every recovery path runs in well under a second. */
const FAST: Partial<ClusterWatcherOptions> = { silenceLimitMs: 600, backoffInitialMs: 50, backoffMaxMs: 300, watchTimeoutSeconds: [60, 120], forbiddenRetryMs: 60_000 };

async function startServer(): Promise<FakeApiServer> {
  const s = await FakeApiServer.start({ bookmarkIntervalMs: 100 });
  s.allow('admin', { verbs: ['get', 'list', 'watch'], resources: ['*'] });
  cleanups.push(() => s.close());
  return s;
}

function accessFor(s: FakeApiServer, user: KubeconfigUser, namespace?: string): ClusterAccess {
  const { files } = s.writeKubeconfig({ contexts: [{ name: 'test', user, namespace }] });
  return new ClusterAccess(loadKubeconfig({ kubeconfig: files[0] }));
}

function watchCluster(s: FakeApiServer, opts: Partial<ClusterWatcherOptions> & { user?: KubeconfigUser; contextNamespace?: string } = {}) {
  const access = accessFor(s, opts.user ?? s.tokenUser('admin'), opts.contextNamespace);
  const changes: ClusterChange[] = [];
  const batches: number[] = [];
  const watcher = new ClusterWatcher(access, {
    kinds: ['Pod'],
    ...FAST,
    ...opts,
    onChanges: (batch) => {
      batches.push(batch.length);
      changes.push(...batch);
    },
  });
  watcher.start();
  cleanups.push(() => watcher.stop());
  /** `state web-1` / `deleted web-1`, in order. */
  const objectChanges = () => changes.filter((c): c is ObjectChange => c.identity !== undefined);
  const seen = (name?: string) => objectChanges().filter((c) => name === undefined || c.identity.name === name).map((c) => `${c.deleted ? 'deleted' : 'state'} ${c.identity.name}`);
  const synced = () => vi.waitFor(() => expect(watcher.status().map((st) => st.state)).toEqual(watcher.status().map(() => 'synced')), { timeout: 5000 });
  return { watcher, access, changes, objects: objectChanges, batches, seen, synced };
}

const podState = (c: ClusterChange) => (c as ObjectChange).state as PodState;

describe('ClusterWatcher', () => {
  it('emits pods created, updated and deleted while watching; a graceful delete is a state with deletionTimestamp, then deleted', async () => {
    const s = await startServer();
    const a = s.create(pod({ name: 'a', namespace: 'shop' }));
    const w = watchCluster(s, { namespaces: ['shop'] });
    await w.synced();
    expect(w.seen()).toEqual(['state a']);
    expect(w.objects()[0]).toMatchObject({ identity: { kind: 'Pod', namespace: 'shop', name: 'a', uid: a.metadata.uid }, created: a.metadata.creationTimestamp, resourceVersion: a.metadata.resourceVersion });
    // the first complete list says so, by which the store marks gone what it recorded before and the list lacks
    expect(w.changes[1]).toMatchObject({ listed: 'Pod', namespace: 'shop', sinceMs: expect.any(Number) });
    await vi.waitFor(() => expect(s.openWatches('pods')).toBe(1));

    s.create(pod({ name: 'b', namespace: 'shop' }));
    s.patch('Pod', 'shop', 'a', (p) => (p.status!.phase = 'Failed'));
    s.delete('Pod', 'shop', 'b', { graceSeconds: 30 });
    s.finalizeDelete('Pod', 'shop', 'b');
    await vi.waitFor(() => expect(w.seen()).toEqual(['state a', 'state b', 'state a', 'state b', 'deleted b']));
    expect(podState(w.objects()[2]).phase).toBe('Failed');
    expect(podState(w.objects()[3])).toMatchObject({ deletionTimestamp: expect.stringMatching(/Z$/), deletionGracePeriodSeconds: 30 });
    expect(w.objects()[4]).toMatchObject({ deleted: true, resourceVersion: String(s.resourceVersion) });
    expect(w.changes.every((c) => c.observedMs > 0 && c.observedMs <= Date.now())).toBe(true);
    // The LIST and WATCH asked as promised: pages, bookmarks, a server-side timeout from the configured range.
    const list = s.requests.find((r) => !r.watch && r.path === '/api/v1/namespaces/shop/pods')!;
    const watch = s.requests.find((r) => r.watch && r.path === '/api/v1/namespaces/shop/pods')!;
    expect(list.query).toMatchObject({ limit: '500' });
    expect(watch.query).toMatchObject({ allowWatchBookmarks: 'true', resourceVersion: expect.stringMatching(/^\d+$/) });
    expect(Number(watch.query.timeoutSeconds)).toBeGreaterThanOrEqual(60);
    expect(w.watcher.status()).toEqual([{ kind: 'Pod', resource: 'pods', namespace: 'shop', state: 'synced', lastEventMs: expect.any(Number), restarts: 0, objects: 1 }]);
  });

  it('emits nothing for a MODIFIED that changes only resourceVersion, managedFields or annotations', async () => {
    const s = await startServer();
    s.create(pod({ name: 'quiet', namespace: 'shop' }));
    const w = watchCluster(s);
    await w.synced();
    await vi.waitFor(() => expect(s.openWatches('pods')).toBe(1));
    s.patch('Pod', 'shop', 'quiet', (p) => {
      p.metadata.managedFields = [...(p.metadata.managedFields ?? []), { manager: 'kubectl-annotate', operation: 'Update', apiVersion: 'v1', time: '2025-06-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: {} }];
      p.metadata.annotations = { note: 'touched' };
    });
    s.create(pod({ name: 'sentinel', namespace: 'shop' }));
    await vi.waitFor(() => expect(w.seen()).toContain('state sentinel'));
    expect(w.seen()).toEqual(['state quiet', 'state sentinel']);
  });

  it('relists after 410 Gone and emits objects deleted while the watch was down as deleted', async () => {
    const s = await startServer();
    s.create(pod({ name: 'a', namespace: 'shop' }));
    s.create(pod({ name: 'b', namespace: 'shop' }));
    const w = watchCluster(s);
    await w.synced();
    await vi.waitFor(() => expect(s.openWatches('pods')).toBe(1));
    await s.stop();
    // While the server is down the stream says why, naming the server.
    await vi.waitFor(() => expect(w.watcher.status()[0]).toMatchObject({ state: 'error', failure: 'unreachable', error: `cannot reach the cluster at ${s.url}: connection refused (ECONNREFUSED)` }));
    s.delete('Pod', 'shop', 'a', { graceSeconds: 0 });
    s.create(pod({ name: 'c', namespace: 'shop' }));
    s.compact();
    s.clearRequests();
    await s.restart();
    await vi.waitFor(() => expect(w.seen().slice(2).sort()).toEqual(['deleted a', 'state c']), { timeout: 5000 });
    await vi.waitFor(() => expect(s.requests.filter((r) => r.path === '/api/v1/pods').map((r) => (r.watch ? 'WATCH' : 'LIST'))).toEqual(['WATCH', 'LIST', 'WATCH']));
    await w.synced();
    expect(w.watcher.status()[0]).toMatchObject({ objects: 2, restarts: expect.any(Number) });
    expect(w.watcher.status()[0].restarts).toBeGreaterThan(0);
  });

  it('resumes from the last resourceVersion after the server restarts, missing nothing and relisting nothing', async () => {
    const s = await startServer();
    s.create(pod({ name: 'a', namespace: 'shop' }));
    const w = watchCluster(s);
    await w.synced();
    await vi.waitFor(() => expect(s.openWatches('pods')).toBe(1));
    const lastRv = String(s.resourceVersion);
    await s.stop();
    s.create(pod({ name: 'b', namespace: 'shop' }));
    s.patch('Pod', 'shop', 'a', (p) => (p.status!.phase = 'Failed'));
    s.delete('Pod', 'shop', 'a', { graceSeconds: 0 });
    s.clearRequests();
    await s.restart();
    await vi.waitFor(() => expect(w.seen()).toEqual(['state a', 'state b', 'state a', 'deleted a']), { timeout: 5000 });
    // Bookmarks may have moved the resourceVersion past `a`'s while nothing changed: resumed from there or later.
    const resumed = s.requests.filter((r) => r.status === 200);
    expect(resumed.map((r) => (r.watch ? 'WATCH' : 'LIST'))).toEqual(['WATCH']);
    expect(Number(resumed[0].query.resourceVersion)).toBeGreaterThanOrEqual(Number(lastRv));
  });

  it('detects a silent watch (no event, no bookmark) and restarts it within the limit', async () => {
    const s = await startServer();
    const w = watchCluster(s, { silenceLimitMs: 500 });
    await w.synced();
    await vi.waitFor(() => expect(s.openWatches('pods')).toBe(1));
    s.silenceWatches();
    s.create(pod({ name: 'late', namespace: 'shop' }));
    // Found after the 500 ms limit, with room for a busy machine.
    await vi.waitFor(() => expect(w.seen()).toEqual(['state late']), { timeout: 3000 });
    expect(w.watcher.status()[0]).toMatchObject({ state: 'synced', restarts: 1 });
  });

  it('reads the allowed namespace while another is forbidden, with the RBAC message', async () => {
    const s = await startServer();
    s.allow('alice', { verbs: ['get', 'list', 'watch'], resources: ['pods'], namespaces: ['team-a'] });
    s.create(pod({ name: 'mine', namespace: 'team-a' }));
    s.create(pod({ name: 'theirs', namespace: 'kube-system' }));
    const w = watchCluster(s, { user: s.tokenUser('alice'), namespaces: ['team-a', 'kube-system'] });
    await vi.waitFor(() =>
      expect(w.watcher.status()).toEqual([
        expect.objectContaining({ namespace: 'team-a', state: 'synced', objects: 1 }),
        expect.objectContaining({ namespace: 'kube-system', state: 'error', failure: 'forbidden', error: 'cannot list pods in namespace kube-system (forbidden by RBAC)' }),
      ]),
    );
    expect(w.watcher.unreadable()).toEqual([{ resource: 'pods', namespace: 'kube-system', reason: 'cannot list pods in namespace kube-system (forbidden by RBAC)' }]);
    s.create(pod({ name: 'new', namespace: 'team-a' }));
    await vi.waitFor(() => expect(w.seen()).toEqual(['state mine', 'state new']));
  });

  it('without chosen namespaces, falls back from a forbidden cluster-wide list to the namespaces the user may read', async () => {
    const s = await startServer();
    s.allow('alice', { verbs: ['list', 'watch'], resources: ['pods'], namespaces: ['team-a'] });
    s.create(pod({ name: 'mine', namespace: 'team-a' }));
    s.create(pod({ name: 'theirs', namespace: 'team-b' }));
    // alice may not list namespaces: the context's namespace is the one to read.
    const w = watchCluster(s, { user: s.tokenUser('alice'), contextNamespace: 'team-a' });
    await vi.waitFor(() => expect(w.watcher.status()).toEqual([expect.objectContaining({ kind: 'Pod', namespace: 'team-a', state: 'synced', objects: 1 })]));
    expect(w.seen()).toEqual(['state mine']);
  });

  it('reports an expired token clearly, without the token, and keeps other streams apart', async () => {
    const s = await startServer();
    const issued = Date.now();
    const user = s.tokenUser('admin', { ttlMs: 2000 });
    const w = watchCluster(s, { user, kinds: ['Pod', 'Node'] });
    await w.synced();
    await vi.waitFor(() => expect(s.openWatches()).toBe(2));
    await new Promise((r) => setTimeout(r, Math.max(0, issued + 2100 - Date.now())));
    s.closeWatches('pods');
    await vi.waitFor(() => expect(w.watcher.status().find((st) => st.kind === 'Pod')).toMatchObject({ state: 'error', failure: 'unauthorized' }), { timeout: 5000 });
    const pods = w.watcher.status().find((st) => st.kind === 'Pod')!;
    expect(pods.error).toBe(`the cluster at ${s.url} refused the credentials of user "admin-token": Unauthorized (expired or revoked; renewing them did not help — log in again)`);
    expect(JSON.stringify(w.watcher.status())).not.toContain(user.token);
    // The node watch opened before expiry is still open and fine.
    expect(w.watcher.status().find((st) => st.kind === 'Node')).toMatchObject({ state: 'synced' });
  });

  it('renews exec credentials the server refuses before their expiry, and runs the plugin again when they expire', async () => {
    const s = await startServer();
    s.allow('erin', { verbs: ['list', 'watch'], resources: ['pods'] });
    const exec = s.execUser('erin', { ttlSeconds: 600 });
    const w = watchCluster(s, { user: exec });
    await w.synced();
    await vi.waitFor(() => expect(s.openWatches('pods')).toBe(1));
    expect(exec.invocations()).toHaveLength(1);
    s.revokeTokensOf('erin');
    s.closeWatches();
    s.create(pod({ name: 'after-revoke', namespace: 'shop' }));
    await vi.waitFor(() => expect(w.seen()).toEqual(['state after-revoke']), { timeout: 3000 });
    expect(exec.invocations()).toHaveLength(2);
    expect(w.watcher.status()[0]).toMatchObject({ state: 'synced' });

    const short = s.execUser('erin', { ttlSeconds: 1, entryName: 'erin-short' });
    const w2 = watchCluster(s, { user: short });
    await w2.synced();
    // Each reconnect asks client-node for credentials; once the cached one has expired (whole seconds, rounded up) the plugin runs.
    await vi.waitFor(
      () => {
        s.closeWatches();
        expect(short.invocations().length).toBeGreaterThanOrEqual(2);
      },
      { timeout: 4000, interval: 250 },
    );
    s.create(pod({ name: 'after-expiry', namespace: 'shop' }));
    await vi.waitFor(() => expect(w2.seen()).toContain('state after-expiry'), { timeout: 3000 });
    expect(w2.watcher.status()[0]).toMatchObject({ state: 'synced' });
  });

  it('never shows a token from a failing request in its status', async () => {
    const s = await startServer();
    const user = s.tokenUser('admin');
    s.injectFault({ path: /\/pods$/, watch: false, code: 500, times: 100, message: `authn proxy rejected Authorization: Bearer ${user.token}` });
    const w = watchCluster(s, { user });
    await vi.waitFor(() => expect(w.watcher.status()[0]).toMatchObject({ state: 'error', failure: 'server' }));
    expect(w.watcher.status()[0].error).toBe(`the cluster at ${s.url} answered 500 InternalError to list pods at the cluster scope: authn proxy rejected Authorization: Bearer [redacted]`);
  });

  it('hands on changes together: at most batchMax at a time, and all of a list before its stream says synced', async () => {
    const s = await startServer();
    for (let i = 0; i < 30; i++) s.create(pod({ name: `p-${i}`, namespace: 'shop' }));
    // A window far longer than the test: only the cap and the end of the list hand changes on.
    const w = watchCluster(s, { pageSize: 10, batchMax: 7, batchWindowMs: 600_000 });
    await w.synced();
    expect(w.objects()).toHaveLength(30);
    // 30 pods and the list's completion marker
    expect(w.batches).toEqual([7, 7, 7, 7, 3]);
    expect(w.changes.at(-1)).toMatchObject({ listed: 'Pod', namespace: '' });
  });

  it('batches the changes of a list', async () => {
    const s = await startServer();
    for (let i = 0; i < 30; i++) s.create(pod({ name: `p-${i}`, namespace: 'shop' }));
    const w = watchCluster(s, { pageSize: 10 });
    await w.synced();
    expect(w.objects()).toHaveLength(30);
    expect(w.changes.filter((c) => c.listed !== undefined)).toHaveLength(1);
    expect(w.batches.length).toBeLessThan(30);
    expect(s.requests.filter((r) => !r.watch && r.path === '/api/v1/pods')).toHaveLength(3);
  });
});

describe('listOnce', () => {
  it('lists every kind once, and names what it could not read', async () => {
    const s = await startServer();
    s.create(node({ name: 'node-1' }));
    const web = deploymentWithPods({ name: 'web', namespace: 'shop', replicas: 2 });
    s.create(web.deployment);
    s.create(web.replicaSet);
    const pods = web.pods.map((p) => s.create(p));
    const svc = s.create(service({ name: 'web', namespace: 'shop' }));
    s.create(endpointSlice({ service: svc, endpoints: pods.map((p) => ({ pod: p })) }));
    s.create(event({ involved: pods[0], reason: 'Started', message: 'Started container app' }));

    const all = await listOnce(accessFor(s, s.tokenUser('admin')));
    expect(all.unreadable).toEqual([]);
    const objects = (changes: ClusterChange[]) => changes.filter((c): c is ObjectChange => c.identity !== undefined);
    // each complete list is closed with a marker, by which the store knows what is gone
    expect(all.changes.filter((c) => c.listed !== undefined).map((c) => c.listed).sort()).toEqual([...CLUSTER_KINDS].sort());
    const kinds = new Set(objects(all.changes).map((c) => c.identity.kind));
    expect([...kinds].sort()).toEqual((['Deployment', 'EndpointSlice', 'Event', 'Node', 'Pod', 'ReplicaSet', 'Service'] satisfies ClusterKind[]).sort());
    expect(objects(all.changes).find((c) => c.identity.kind === 'EndpointSlice')?.state).toMatchObject({ service: 'web', endpoints: [{ pod: { name: pods[0].metadata.name } }, { pod: { name: pods[1].metadata.name } }] });

    s.allow('alice', { verbs: ['list'], resources: ['pods', 'namespaces'] }, { verbs: ['list'], resources: ['services'], namespaces: ['shop'] });
    const some = await listOnce(accessFor(s, s.tokenUser('alice')), { kinds: ['Pod', 'Service', 'Node'] });
    expect(objects(some.changes).filter((c) => c.identity.kind === 'Pod')).toHaveLength(2);
    expect(objects(some.changes).filter((c) => c.identity.kind === 'Service').map((c) => c.identity.name)).toEqual(['web']);
    expect(some.unreadable).toContainEqual({ resource: 'nodes', namespace: '', reason: 'cannot list nodes at the cluster scope (forbidden by RBAC)' });
    expect(some.unreadable).toContainEqual({ resource: 'services', namespace: 'kube-system', reason: 'cannot list services in namespace kube-system (forbidden by RBAC)' });
    expect(some.unreadable.some((u) => u.namespace === 'shop')).toBe(false);
  });
});
