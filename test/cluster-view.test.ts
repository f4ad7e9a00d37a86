// The Cluster view's API against the real client-node and the test API server: serve connects to nothing unasked,
// the UI connects, switches and disconnects at run time (recording starts and stops with it), the choice is
// remembered, a kubeconfig that appears later is found, and RBAC refusals are reported per namespace.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startCollector, type RunningCollector } from '../collector/collector';
import type { LiveClusterOptions } from '../collector/live-cluster';
import type { WireClusterStatus, WireClusterWorkloads, WireError } from '../common/wire';
import { deploymentWithPods, FakeApiServer, pod, statefulSet, podsFor } from './kube/api-server';

let server: FakeApiServer;
let dir: string;
let collector: RunningCollector | undefined;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-cluster-view-'));
  server = await FakeApiServer.start({ bookmarkIntervalMs: 200 });
  server.allow('admin', { verbs: ['get', 'list', 'watch'], resources: ['*'] });
  server.allow('dev', { verbs: ['get', 'list', 'watch'], resources: ['*'], namespaces: ['shop'] });
  const shop = deploymentWithPods({ name: 'api', namespace: 'shop', replicas: 2 });
  for (const o of [shop.deployment, shop.replicaSet, ...shop.pods]) server.create(o);
  const db = statefulSet({ name: 'db', namespace: 'payments', replicas: 1 });
  for (const o of [db, ...podsFor(db, 1)]) server.create(o);
});

afterEach(async () => {
  await collector?.close();
  collector = undefined;
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function start(cluster: Omit<LiveClusterOptions, 'settingsDir'>): Promise<RunningCollector> {
  return startCollector({ dbPath: path.join(dir, 'hopscope.db'), host: '127.0.0.1', grpcPort: 0, httpPort: 0, analysis: false, ui: { port: 0 }, cluster: { ...cluster, settingsDir: dir } });
}

async function api<T>(c: RunningCollector, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${c.ui!.origin}${route}`, {
    method: body === undefined && !route.endsWith('/disconnect') ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${c.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const savedChoice = () => JSON.parse(readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as { context?: string; namespaces?: string[] };
const podNames = (c: RunningCollector) => c.store.reader.clusterHistory(server.url).objects.filter((o) => o.kind === 'Pod').map((o) => o.name);

describe('the Cluster view API', () => {
  it('connects at run time, switches context and namespaces, and disconnects, recording only while connected', async () => {
    const { files } = server.writeKubeconfig({
      contexts: [
        { name: 'admin', user: server.tokenUser('admin') },
        { name: 'dev', user: server.tokenUser('dev'), namespace: 'shop' },
      ],
      currentContext: 'admin',
      file: path.join(dir, 'kubeconfig.yaml'),
    });
    collector = await start({ kubeconfig: files[0], connect: false });
    expect(collector.cluster).toBeUndefined();

    const idle = await api<WireClusterStatus>(collector, '/api/cluster');
    expect(idle.body).toMatchObject({ canConnect: true, watch: { connected: false, context: '', server: '', streams: [] }, kubeconfig: { source: 'flag', files, missing: false }, clusters: [] });
    expect(idle.body.kubeconfig.contexts).toEqual([
      { name: 'admin', cluster: 'hopscope-fake', server: server.url, user: 'admin-token', current: true },
      { name: 'dev', cluster: 'hopscope-fake', server: server.url, user: 'dev-token', namespace: 'shop', current: false },
    ]);
    expect(server.requests).toEqual([]);
    expect((await api<WireClusterWorkloads>(collector, '/api/cluster/workloads')).body).toMatchObject({ cluster: null, watched: false, namespaces: [] });

    const connected = await api<WireClusterStatus>(collector, '/api/cluster/connect', { context: 'admin', namespaces: ['shop'] });
    expect(connected.status).toBe(200);
    expect(connected.body.watch).toMatchObject({ connected: true, context: 'admin', server: server.url, namespaces: ['shop'] });
    expect(savedChoice()).toEqual({ context: 'admin', namespaces: ['shop'] });
    await vi.waitFor(() => expect(podNames(collector!).sort()).toEqual(server.store.current('pods').filter((p) => p.metadata.namespace === 'shop').map((p) => p.metadata.name).sort()), { timeout: 10_000 });
    await vi.waitFor(async () => {
      const { body } = await api<WireClusterStatus>(collector!, '/api/cluster');
      expect(body.watch.streams.length).toBeGreaterThan(0);
      expect(body.watch.streams.every((s) => s.state === 'synced')).toBe(true);
      expect(body.clusters).toEqual([server.url]);
    });
    const workloads = (await api<WireClusterWorkloads>(collector, '/api/cluster/workloads')).body;
    expect(workloads).toMatchObject({ cluster: server.url, watched: true, truncated: false });
    expect(workloads.namespaces.map((ns) => [ns.namespace, ns.workloads.map((w) => [w.kind, w.name, w.readyReplicas, w.replicas, w.pods.length])])).toEqual([['shop', [['Deployment', 'api', 2, 2, 2]]]]);

    // A context the kubeconfig lacks is refused, and the watch goes on.
    const refused = await api<WireError>(collector, '/api/cluster/connect', { context: 'staging' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe(`context "staging" is not in ${files[0]}; its contexts are: admin, dev`);
    expect((await api<WireError>(collector, '/api/cluster/connect', { context: 'admin', namespaces: ['Shop_1'] })).body.error).toBe('"Shop_1" is not a namespace name (lower-case letters, digits and dashes, at most 63)');
    expect((await api<WireClusterStatus>(collector, '/api/cluster')).body.watch).toMatchObject({ connected: true, context: 'admin', namespaces: ['shop'] });

    // Switched to a user with a Role in shop only: payments and nodes are refused by RBAC, shop is read.
    const switched = await api<WireClusterStatus>(collector, '/api/cluster/connect', { context: 'dev', namespaces: ['shop', 'payments'] });
    expect(switched.body.watch).toMatchObject({ connected: true, context: 'dev', namespaces: ['shop', 'payments'] });
    await vi.waitFor(
      async () => {
        const { streams } = (await api<WireClusterStatus>(collector!, '/api/cluster')).body.watch;
        const refusals = streams.filter((s) => s.state === 'error');
        expect(refusals.map((s) => s.error)).toContain('cannot list pods in namespace payments (forbidden by RBAC)');
        expect(refusals.map((s) => s.error)).toContain('cannot list nodes at the cluster scope (forbidden by RBAC)');
        expect(refusals.every((s) => s.failure === 'forbidden' && (s.namespace === 'payments' || s.resource === 'nodes'))).toBe(true);
        expect(streams.filter((s) => s.namespace === 'shop').every((s) => s.state === 'synced')).toBe(true);
      },
      { timeout: 10_000 },
    );
    expect(savedChoice()).toEqual({ context: 'dev', namespaces: ['shop', 'payments'] });

    // Disconnected: nothing more recorded, and the desktop app will not reconnect.
    const disconnected = await api<WireClusterStatus>(collector, '/api/cluster/disconnect');
    expect(disconnected.body.watch).toEqual({ connected: false, context: '', server: '', namespaces: [], streams: [] });
    expect(savedChoice()).toEqual({ namespaces: ['shop', 'payments'] });
    // and every watch request is closed, not left open until the server times it out
    await vi.waitFor(() => expect(server.openWatches()).toBe(0), { timeout: 5000 });
    server.create(pod({ name: 'after-disconnect', namespace: 'shop' }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(podNames(collector)).not.toContain('after-disconnect');
    const history = (await api<WireClusterWorkloads>(collector, '/api/cluster/workloads')).body;
    expect(history).toMatchObject({ cluster: server.url, watched: false });
  });

  it('finds a kubeconfig created after start, and tells where it looked before that', async () => {
    const home = path.join(dir, 'home');
    mkdirSync(home);
    collector = await start({ env: { HOME: home }, connect: false });
    const missing = (await api<WireClusterStatus>(collector, '/api/cluster')).body.kubeconfig;
    expect(missing).toEqual({ source: 'default', files: [path.join(home, '.kube', 'config')], missing: true, error: expect.stringContaining('no kubeconfig found'), contexts: [] });
    const refused = await api<WireError>(collector, '/api/cluster/connect', { context: 'fake' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain(path.join(home, '.kube', 'config'));

    mkdirSync(path.join(home, '.kube'));
    server.writeKubeconfig({ contexts: [{ name: 'fake', user: server.tokenUser('admin') }], currentContext: 'fake', file: path.join(home, '.kube', 'config') });
    const found = (await api<WireClusterStatus>(collector, '/api/cluster')).body.kubeconfig;
    expect(found).toMatchObject({ source: 'default', missing: false, contexts: [{ name: 'fake', current: true }] });
    expect(found.error).toBeUndefined();
    expect((await api<WireClusterStatus>(collector, '/api/cluster/connect', { context: 'fake' })).body.watch).toMatchObject({ connected: true, context: 'fake', namespaces: [] });
    await vi.waitFor(() => expect(podNames(collector!)).toHaveLength(3), { timeout: 10_000 });
  });

  it('watches the saved choice again when serve starts with --cluster, and connects to nothing without it', async () => {
    const { files } = server.writeKubeconfig({ contexts: [{ name: 'fake', user: server.tokenUser('admin') }], file: path.join(dir, 'kubeconfig.yaml') });
    collector = await start({ kubeconfig: files[0], connect: false });
    await api(collector, '/api/cluster/connect', { context: 'fake', namespaces: ['payments'] });
    await collector.close();

    collector = await startCollector({ dbPath: path.join(dir, 'hopscope.db'), host: '127.0.0.1', grpcPort: 0, httpPort: 0, analysis: false });
    expect(collector.clusterController.status()).toMatchObject({ connected: false, streams: [] });
    await collector.close();

    collector = await start({ kubeconfig: files[0] });
    expect(collector.cluster!.status()).toMatchObject({ connected: true, context: 'fake', namespaces: ['payments'] });
    await vi.waitFor(() => expect(podNames(collector!)).toEqual(['db-0']), { timeout: 10_000 });
  });
});
