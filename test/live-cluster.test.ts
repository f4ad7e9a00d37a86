// `serve --cluster`: the cluster watched live through the real client-node, its history recorded as it
// changes and kept across a restart of the collector.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PodState } from '../common/cluster';
import { startCollector, type RunningCollector } from '../collector/collector';
import { deploymentWithPods, FakeApiServer, pod } from './kube/api-server';

let server: FakeApiServer;
let dir: string;
let collector: RunningCollector | undefined;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-live-cluster-'));
  server = await FakeApiServer.start({ bookmarkIntervalMs: 200 });
  server.allow('admin', { verbs: ['get', 'list', 'watch'], resources: ['*'] });
});

afterEach(async () => {
  await collector?.close();
  collector = undefined;
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function start(cluster: { kubeconfig: string; context?: string; namespaces?: string[] }): Promise<RunningCollector> {
  return startCollector({ dbPath: path.join(dir, 'hopscope.db'), host: '127.0.0.1', grpcPort: 0, httpPort: 0, analysis: false, cluster: { ...cluster, settingsDir: dir } });
}

const podsIn = (c: RunningCollector) => c.store.reader.clusterHistory(server.url).objects.filter((o) => o.kind === 'Pod');

describe('serve --cluster', () => {
  it('records objects as they change, marks deleted ones gone, and keeps the history across a restart', async () => {
    const { deployment, replicaSet, pods } = deploymentWithPods({ name: 'api', namespace: 'shop', replicas: 2 });
    for (const o of [deployment, replicaSet, ...pods]) server.create(o);
    const { files } = server.writeKubeconfig({ contexts: [{ name: 'fake', user: server.tokenUser('admin') }], file: path.join(dir, 'kubeconfig.yaml') });
    collector = await start({ kubeconfig: files[0], namespaces: ['shop'] });
    expect(collector.cluster!.status()).toMatchObject({ context: 'fake', server: server.url, namespaces: ['shop'] });
    await vi.waitFor(() => expect(podsIn(collector!).map((o) => o.name).sort()).toEqual(pods.map((p) => p.metadata.name).sort()), { timeout: 10_000 });

    server.create(pod({ name: 'worker-1', namespace: 'shop' }));
    server.patch('Pod', 'shop', pods[0].metadata.name, (p) => {
      (p.status as { containerStatuses: { restartCount: number }[] }).containerStatuses[0].restartCount = 2;
    });
    server.delete('Pod', 'shop', pods[1].metadata.name, { graceSeconds: 0 });
    await vi.waitFor(
      () => {
        const history = collector!.store.reader.clusterHistory(server.url);
        const byName = new Map(history.objects.map((o) => [o.name, o]));
        expect(byName.has('worker-1')).toBe(true);
        expect(byName.get(pods[1].metadata.name)?.goneMs).toBeTypeOf('number');
        const restarted = history.states.filter((s) => s.uid === byName.get(pods[0].metadata.name)!.uid).map((s) => (s.state as PodState).containers[0].restartCount);
        expect(restarted).toEqual([0, 2]);
      },
      { timeout: 10_000 },
    );
    expect(collector.cluster!.status().streams.every((s) => s.state === 'synced')).toBe(true);

    await collector.close();
    server.create(pod({ name: 'while-down', namespace: 'shop' }));
    // Saved by the first run: the second one watches the same context and namespaces without being told.
    collector = await start({ kubeconfig: files[0] });
    expect(collector.cluster!.status().namespaces).toEqual(['shop']);
    await vi.waitFor(() => expect(podsIn(collector!).map((o) => o.name)).toContain('while-down'), { timeout: 10_000 });
    expect(podsIn(collector).find((o) => o.name === pods[1].metadata.name)?.goneMs).toBeTypeOf('number');
  });

  it('keeps receiving when there is no cluster to watch, and says why', async () => {
    collector = await start({ kubeconfig: path.join(dir, 'missing.yaml') });
    const status = collector.cluster!.status();
    expect(status.server).toBe('');
    expect(status.error).toContain('missing.yaml');
    const res = await fetch(`${collector.http.address}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ resourceSpans: [] }) });
    expect(res.status).toBe(200);
  });
});
